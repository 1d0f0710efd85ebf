package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// errTruncated is the message of a stream the upstream ended without
// finishing any choice and without [DONE].
const errTruncated = "upstream closed the stream before finishing"

// stream reads an upstream SSE body chunk by chunk. It is not safe for
// concurrent use, except that Close may be called at any time to abort a
// blocked Next.
type stream struct {
	ctx  context.Context
	name string
	body io.ReadCloser
	r    *sse.Reader
	ids  toolIDs

	// One decoder per stream, fed event by event, keeps its buffers and
	// scanner state from chunk to chunk; json.Unmarshal would allocate
	// them again for every chunk.
	src bytes.Reader
	dec *json.Decoder
	fed int64 // bytes given to dec so far
	rep repeated
	// finished records that a choice reported a finish_reason, after
	// which the end of the body is a normal end even without [DONE].
	finished bool
	err      error // sticky: the stream's result once it ended
}

var _ provider.Stream = (*stream)(nil)

func newStream(ctx context.Context, name string, body io.ReadCloser, ids toolIDs) *stream {
	s := &stream{ctx: ctx, name: name, body: body, r: sse.NewReader(body), ids: ids}
	s.dec = json.NewDecoder(&s.src)
	return s
}

// Next returns the next chunk, io.EOF after [DONE], or a *provider.Error.
// Comments (keep-alives) and empty events are skipped.
func (s *stream) Next() (*openai.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	c, err := s.next()
	if err != nil {
		s.err = err
	}
	return c, err
}

func (s *stream) next() (*openai.Chunk, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, provider.AsError(s.name, err)
	}
	for {
		ev, err := s.r.Next()
		if err != nil {
			return nil, s.readError(err)
		}
		data := bytes.TrimSpace(ev.Data)
		switch {
		case ev.Name == "error":
			return nil, inBandError(s.name, data)
		case len(data) == 0:
			continue
		case string(data) == "[DONE]":
			return nil, io.EOF
		}
		c, err := s.decode(data)
		if err != nil {
			return nil, &provider.Error{
				Provider: s.name,
				Type:     "server",
				Message:  "upstream sent a malformed chunk: " + err.Error(),
				Raw:      provider.ClipMessage(string(data), maxMessage),
				Err:      err,
			}
		}
		if c.failed() {
			return nil, inBandError(s.name, data)
		}
		chunk, finished := c.chunk(s.ids)
		s.finished = s.finished || finished
		return chunk, nil
	}
}

// decode decodes one chunk. Anything after the JSON value is an error.
func (s *stream) decode(data []byte) (*completion, error) {
	c := newChunk(&s.rep)
	s.src.Reset(data)
	s.fed += int64(len(data))
	if err := s.dec.Decode(c); err != nil {
		return nil, err
	}
	if s.dec.InputOffset() != s.fed {
		return nil, errors.New("data after the JSON value")
	}
	return c, nil
}

// readError classifies the end of the body.
func (s *stream) readError(err error) error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return provider.AsError(s.name, ctxErr)
	}
	if errors.Is(err, io.EOF) {
		if s.finished {
			return io.EOF
		}
		return &provider.Error{Provider: s.name, Type: "provider_unavailable", Message: errTruncated}
	}
	return provider.AsError(s.name, err)
}

// Close releases the upstream connection. It is safe to call twice.
func (s *stream) Close() error { return s.body.Close() }

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
