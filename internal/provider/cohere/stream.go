package cohere

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
// message-end.
const errTruncated = "upstream closed the stream before message-end"

// event is one streamed event of any type.
type event struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Index int    `json:"index"`
	Delta *struct {
		Message *struct {
			Role    string `json:"role"`
			Content *struct {
				Type     string `json:"type"`
				Text     string `json:"text"`
				Thinking string `json:"thinking"`
			} `json:"content"`
			ToolPlan  string           `json:"tool_plan"`
			ToolCalls *openai.ToolCall `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
		Error        string `json:"error"`
		Usage        *usage `json:"usage"`
	} `json:"delta"`
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
	// tools maps a tool call event's index to its OpenAI tool call index.
	tools map[int]int
	err   error // sticky: the stream's result once it ended

	closeOnce sync.Once
	closeErr  error
}

var _ provider.Stream = (*stream)(nil)

func newStream(ctx context.Context, name string, body io.ReadCloser, model string, created int64) *stream {
	return &stream{ctx: ctx, name: name, body: body, r: sse.NewReader(body), model: model, created: created, tools: make(map[int]int)}
}

// Next returns the next chunk, io.EOF after message-end, or a
// *provider.Error. Events that carry nothing for the client are skipped.
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
		if len(data) == 0 {
			continue
		}
		if string(data) == "[DONE]" {
			// The optional terminator ends the stream; before message-end
			// it is a truncation.
			return nil, &provider.Error{Provider: s.name, Type: "provider_unavailable", Message: errTruncated}
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

// handle converts one event: a chunk, nothing (nil, nil), or an error.
// After message-end the next call returns io.EOF.
func (s *stream) handle(e *event, data []byte) (*openai.Chunk, error) {
	d := e.Delta
	switch e.Type {
	case "message-start":
		if e.ID != "" {
			s.id = e.ID
		}
		return s.chunk(openai.Delta{Role: "assistant", Content: openai.Ptr("")}), nil
	case "content-start", "content-delta":
		if d == nil || d.Message == nil || d.Message.Content == nil {
			return nil, nil
		}
		c := d.Message.Content
		if c.Thinking != "" {
			return s.chunk(openai.Delta{Reasoning: openai.Ptr(c.Thinking)}), nil
		}
		if c.Text != "" {
			return s.chunk(openai.Delta{Content: openai.Ptr(c.Text)}), nil
		}
	case "tool-plan-delta":
		if d != nil && d.Message != nil && d.Message.ToolPlan != "" {
			return s.chunk(openai.Delta{Reasoning: openai.Ptr(d.Message.ToolPlan)}), nil
		}
	case "tool-call-start":
		if d == nil || d.Message == nil || d.Message.ToolCalls == nil {
			return nil, nil
		}
		tc := d.Message.ToolCalls
		n := len(s.tools)
		s.tools[e.Index] = n
		return s.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
			Index:    openai.Ptr(n),
			ID:       tc.ID,
			Type:     "function",
			Function: openai.FunctionCall{Name: tc.Function.Name, Arguments: tc.Function.Arguments},
		}}}), nil
	case "tool-call-delta":
		if d == nil || d.Message == nil || d.Message.ToolCalls == nil {
			return nil, nil
		}
		n, ok := s.tools[e.Index]
		if args := d.Message.ToolCalls.Function.Arguments; ok && args != "" {
			return s.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
				Index:    openai.Ptr(n),
				Function: openai.FunctionCall{Arguments: args},
			}}}), nil
		}
	case "message-end":
		native := "COMPLETE"
		var u *usage
		if d != nil {
			if d.FinishReason != "" {
				native = d.FinishReason
			}
			if d.Error != "" {
				return nil, streamError(s.name, native, d.Error, data)
			}
			u = d.Usage
		}
		c := s.chunk(openai.Delta{})
		c.Choices[0].FinishReason = openai.Ptr(finishReason(native))
		c.Choices[0].NativeFinishReason = openai.Ptr(native)
		c.Usage = u.openai()
		s.err = io.EOF // the next call ends the stream
		return c, nil
	}
	// content-end, tool-call-end, citations, debug and unknown events
	// carry nothing.
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

// readError classifies the end of the body: any end before message-end
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
