package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// decoder translates an upstream SSE stream chunk by chunk for the shared
// stream loop (provider.NewStream).
type decoder struct {
	name string
	tr   translation

	// Chunks decodeFast declines go to one JSON decoder per stream, made
	// when a chunk first needs it and fed event by event: it keeps its
	// buffers and scanner state from chunk to chunk, which json.Unmarshal
	// would allocate again for every chunk.
	src bytes.Reader
	dec *json.Decoder
	fed int64 // bytes given to dec so far
	rep repeated
	// spare is the allocation of a chunk decodeFast declined, for the next.
	spare *fastChunk
	// tmpl is the last chunk, if the next may repeat it (stream_template.go).
	tmpl *template
	// finished records that a choice reported a finish_reason, after
	// which the end of the body is a normal end even without [DONE].
	finished bool
}

func newStream(ctx context.Context, name string, body io.ReadCloser, tr translation) provider.Stream {
	return provider.NewStream(ctx, name, body, provider.SSEEvents(body), newDecoder(name, tr))
}

func newDecoder(name string, tr translation) *decoder {
	return &decoder{name: name, tr: tr}
}

// Decode handles one event: a chunk, nothing for empty events, the end at
// [DONE], or an in-band error.
func (d *decoder) Decode(ev provider.Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	data := bytes.TrimSpace(ev.Data)
	switch {
	case ev.Type == "error":
		return out, false, inBandError(d.name, data)
	case len(data) == 0:
		return out, false, nil
	case string(data) == "[DONE]":
		return out, true, nil
	}
	chunk, finished, ok := d.decodeFast(data)
	if !ok {
		c, err := d.decode(data)
		if err != nil {
			return out, false, provider.Malformed(d.name, "chunk", data, err)
		}
		if c.failed() {
			return out, false, inBandError(d.name, data)
		}
		chunk, finished = c.chunk(d.tr.ids)
	}
	d.finished = d.finished || finished
	for i := range chunk.Choices {
		dl := &chunk.Choices[i].Delta
		d.tr.strip(&dl.Reasoning, &dl.ReasoningDetails)
	}
	return append(out, chunk), false, nil
}

// End accepts a body that ends without [DONE] once a choice has finished;
// several upstreams omit it.
func (d *decoder) End(out []*openai.Chunk) ([]*openai.Chunk, error) {
	if d.finished {
		return out, nil
	}
	return out, provider.Truncated(d.name, "finishing")
}

// decode decodes one chunk with the json.Decoder, for the chunks
// decodeFast leaves to it. Anything after the JSON value is an error.
func (d *decoder) decode(data []byte) (*completion, error) {
	c := newChunk(&d.rep)
	if d.dec == nil { // a stream of usual chunks never needs it
		d.dec = json.NewDecoder(&d.src)
	}
	d.src.Reset(data)
	d.fed += int64(len(data))
	if err := d.dec.Decode(c); err != nil {
		return nil, err
	}
	if d.dec.InputOffset() != d.fed {
		return nil, errors.New("data after the JSON value")
	}
	return c, nil
}

// chunks is a stream over chunks already in hand: the answer of an
// upstream that replied to a streamed request with a whole JSON body.
type chunks []*openai.Chunk

func (c *chunks) Next() (*openai.Chunk, error) {
	if len(*c) == 0 {
		return nil, io.EOF
	}
	next := (*c)[0]
	*c = (*c)[1:]
	return next, nil
}

func (c *chunks) Close() error { return nil }

// responseChunks turns a non-streamed response into the chunks a stream
// would have carried: one per choice with the whole message, then usage.
func responseChunks(r *openai.ChatResponse) *chunks {
	cs := make(chunks, 0, len(r.Choices)+1)
	head := openai.Chunk{
		ID:                r.ID,
		Object:            openai.ObjectChatCompletionChunk,
		Created:           r.Created,
		Model:             r.Model,
		SystemFingerprint: r.SystemFingerprint,
		ServiceTier:       r.ServiceTier,
	}
	for _, ch := range r.Choices {
		m := ch.Message
		for i := range m.ToolCalls {
			m.ToolCalls[i].Index = openai.Ptr(i)
		}
		c := head
		c.Choices = []openai.ChunkChoice{{
			Index: ch.Index,
			Delta: openai.Delta{
				Role:             m.Role,
				Content:          m.Content,
				Refusal:          m.Refusal,
				ToolCalls:        m.ToolCalls,
				Reasoning:        m.Reasoning,
				ReasoningDetails: m.ReasoningDetails,
			},
			FinishReason:       ch.FinishReason,
			NativeFinishReason: ch.NativeFinishReason,
			Logprobs:           ch.Logprobs,
		}}
		cs = append(cs, &c)
	}
	if r.Usage != nil {
		c := head
		c.Choices = []openai.ChunkChoice{}
		c.Usage = r.Usage
		cs = append(cs, &c)
	}
	return &cs
}
