package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

// errTruncated is the message of a stream the upstream ended before
// message_stop.
const errTruncated = "upstream closed the stream before message_stop"

// event is one streamed event of any type.
type event struct {
	Type         string        `json:"type"`
	Message      *message      `json:"message"`
	Index        int           `json:"index"`
	ContentBlock *contentBlock `json:"content_block"`
	Delta        *struct {
		Type        string  `json:"type"`
		Text        string  `json:"text"`
		PartialJSON string  `json:"partial_json"`
		Thinking    string  `json:"thinking"`
		StopReason  *string `json:"stop_reason"`
	} `json:"delta"`
	Usage *usage `json:"usage"`
}

// stream reads an upstream SSE body and yields OpenAI chunks. It is not
// safe for concurrent use, except that Close may be called at any time to
// abort a blocked Next.
type stream struct {
	ctx  context.Context
	name string
	body io.ReadCloser
	r    *sse.Reader

	id, model string
	created   int64
	usage     usage
	// tools maps a tool_use block's content index to its OpenAI tool call
	// index, which counts tool calls only.
	tools      map[int]int
	stopReason string
	err        error // sticky: the stream's result once it ended

	closeOnce sync.Once
	closeErr  error
}

var _ provider.Stream = (*stream)(nil)

func newStream(ctx context.Context, name string, body io.ReadCloser, created int64) *stream {
	return &stream{ctx: ctx, name: name, body: body, r: sse.NewReader(body), created: created, tools: make(map[int]int)}
}

// Next returns the next chunk, io.EOF after message_stop, or a
// *provider.Error. Pings and events that carry nothing for the client are
// skipped.
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
		if ev.Name == "error" {
			return nil, inBandError(s.name, data)
		}
		if ev.Name == "ping" || len(data) == 0 {
			continue
		}
		var e event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, &provider.Error{
				Provider: s.name,
				Type:     "server",
				Message:  "upstream sent a malformed event: " + err.Error(),
				Raw:      provider.ClipMessage(string(data), maxMessage),
				Err:      err,
			}
		}
		if e.Type == "" {
			e.Type = ev.Name
		}
		c, err := s.handle(&e, data)
		if err != nil || c != nil {
			return c, err
		}
	}
}

// handle converts one event: a chunk, nothing (nil, nil), io.EOF at
// message_stop, or an error.
func (s *stream) handle(e *event, data []byte) (*openai.Chunk, error) {
	switch e.Type {
	case "error":
		return nil, inBandError(s.name, data)
	case "message_start":
		if e.Message == nil {
			return nil, nil
		}
		s.id, s.model = e.Message.ID, e.Message.Model
		s.usage.merge(e.Message.Usage)
		return s.chunk(openai.Delta{Role: "assistant", Content: openai.Ptr("")}), nil
	case "content_block_start":
		b := e.ContentBlock
		if b == nil {
			return nil, nil
		}
		switch b.Type {
		case "text":
			if b.Text != "" {
				return s.chunk(openai.Delta{Content: openai.Ptr(b.Text)}), nil
			}
		case "thinking":
			if b.Thinking != "" {
				return s.chunk(openai.Delta{Reasoning: openai.Ptr(b.Thinking)}), nil
			}
		case "tool_use":
			n := len(s.tools)
			s.tools[e.Index] = n
			return s.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
				Index:    openai.Ptr(n),
				ID:       b.ID,
				Type:     "function",
				Function: openai.FunctionCall{Name: b.Name, Arguments: ""},
			}}}), nil
		}
	case "content_block_delta":
		d := e.Delta
		if d == nil {
			return nil, nil
		}
		switch d.Type {
		case "text_delta":
			if d.Text != "" {
				return s.chunk(openai.Delta{Content: openai.Ptr(d.Text)}), nil
			}
		case "thinking_delta":
			if d.Thinking != "" {
				return s.chunk(openai.Delta{Reasoning: openai.Ptr(d.Thinking)}), nil
			}
		case "input_json_delta":
			n, ok := s.tools[e.Index]
			if ok && d.PartialJSON != "" {
				return s.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
					Index:    openai.Ptr(n),
					Function: openai.FunctionCall{Arguments: d.PartialJSON},
				}}}), nil
			}
		}
		// signature_delta, citations_delta: nothing for the client.
	case "message_delta":
		if e.Delta != nil && e.Delta.StopReason != nil {
			s.stopReason = *e.Delta.StopReason
		}
		s.usage.merge(e.Usage)
	case "message_stop":
		c := s.chunk(openai.Delta{})
		native := s.stopReason
		if native == "" {
			native = "end_turn"
		}
		c.Choices[0].FinishReason = openai.Ptr(finishReason(native))
		c.Choices[0].NativeFinishReason = openai.Ptr(native)
		c.Usage = s.usage.openai()
		s.err = io.EOF // the next call ends the stream
		return c, nil
	}
	// content_block_stop and unknown events carry nothing.
	return nil, nil
}

func (s *stream) chunk(d openai.Delta) *openai.Chunk {
	return &openai.Chunk{
		ID:      s.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: s.created,
		Model:   s.model,
		Choices: []openai.ChunkChoice{{Index: 0, Delta: d}},
	}
}

// readError classifies the end of the body: any end before message_stop
// is an error.
func (s *stream) readError(err error) error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return provider.AsError(s.name, ctxErr)
	}
	if errors.Is(err, io.EOF) {
		return &provider.Error{Provider: s.name, Type: "provider_unavailable", Message: errTruncated}
	}
	return provider.AsError(s.name, err)
}

// Close releases the upstream connection. It is safe to call twice.
func (s *stream) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.body.Close() })
	return s.closeErr
}
