package bedrock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

const errTruncated = "upstream closed the stream before messageStop and metadata"

// streamEvent is the payload of any ConverseStream event.
type streamEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             *struct {
		ToolUse *struct {
			ToolUseID string `json:"toolUseId"`
			Name      string `json:"name"`
		} `json:"toolUse"`
	} `json:"start"`
	Delta *struct {
		Text    *string `json:"text"`
		ToolUse *struct {
			Input string `json:"input"`
		} `json:"toolUse"`
		ReasoningContent *struct {
			Text *string `json:"text"`
		} `json:"reasoningContent"`
	} `json:"delta"`
	StopReason string `json:"stopReason"`
	Usage      *usage `json:"usage"`
}

// stream decodes an AWS event-stream body and yields OpenAI chunks. It is
// not safe for concurrent use, except that Close may be called at any time.
type stream struct {
	ctx  context.Context
	name string
	body io.ReadCloser
	r    *bufio.Reader
	dec  *eventstream.Decoder
	buf  []byte

	id, model string
	created   int64
	// tools maps a toolUse block's content index to its OpenAI tool call index.
	tools      map[int]int
	stopReason string
	stopped    bool
	err        error // sticky

	closeOnce sync.Once
	closeErr  error
}

var _ provider.Stream = (*stream)(nil)

func newStream(ctx context.Context, name string, body io.ReadCloser, id, model string, created int64) *stream {
	return &stream{
		ctx: ctx, name: name, body: body, r: bufio.NewReader(body), dec: eventstream.NewDecoder(),
		id: id, model: model, created: created, tools: make(map[int]int),
	}
}

// Next returns the next chunk, io.EOF after the metadata event, or a
// *provider.Error.
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

func header(m *eventstream.Message, name string) string {
	if v := m.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

func (s *stream) next() (*openai.Chunk, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, provider.AsError(s.name, err)
	}
	for {
		msg, err := s.dec.Decode(s.r, s.buf)
		if err != nil {
			return nil, s.readError(err)
		}
		s.buf = msg.Payload[:0]
		switch mt := header(&msg, ":message-type"); mt {
		case "exception":
			return nil, exceptionError(s.name, header(&msg, ":exception-type"), msg.Payload)
		case "error":
			code, text := header(&msg, ":error-code"), header(&msg, ":error-message")
			return nil, &provider.Error{Provider: s.name, Status: 500, Type: "server", Code: code, Message: provider.ClipMessage(code+": "+text, maxMessage), Raw: provider.ClipBytes(msg.Payload, maxErrorBody)}
		case "event", "":
		default:
			continue
		}
		var e streamEvent
		if err := json.Unmarshal(msg.Payload, &e); err != nil {
			return nil, &provider.Error{
				Provider: s.name,
				Type:     "server",
				Message:  "upstream sent a malformed event: " + err.Error(),
				Raw:      provider.ClipMessage(string(msg.Payload), maxMessage),
				Err:      err,
			}
		}
		c, err := s.handle(header(&msg, ":event-type"), &e)
		if err != nil || c != nil {
			return c, err
		}
	}
}

// handle converts one event: a chunk, nothing (nil, nil), or an error.
func (s *stream) handle(typ string, e *streamEvent) (*openai.Chunk, error) {
	switch typ {
	case "messageStart":
		return s.chunk(openai.Delta{Role: "assistant", Content: openai.Ptr("")}), nil
	case "contentBlockStart":
		if e.Start != nil && e.Start.ToolUse != nil {
			n := len(s.tools)
			s.tools[e.ContentBlockIndex] = n
			return s.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
				Index:    openai.Ptr(n),
				ID:       e.Start.ToolUse.ToolUseID,
				Type:     "function",
				Function: openai.FunctionCall{Name: e.Start.ToolUse.Name, Arguments: ""},
			}}}), nil
		}
	case "contentBlockDelta":
		d := e.Delta
		switch {
		case d == nil:
		case d.Text != nil:
			if *d.Text != "" {
				return s.chunk(openai.Delta{Content: openai.Ptr(*d.Text)}), nil
			}
		case d.ToolUse != nil:
			n, ok := s.tools[e.ContentBlockIndex]
			if ok && d.ToolUse.Input != "" {
				return s.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
					Index:    openai.Ptr(n),
					Function: openai.FunctionCall{Arguments: d.ToolUse.Input},
				}}}), nil
			}
		case d.ReasoningContent != nil:
			if t := d.ReasoningContent.Text; t != nil && *t != "" {
				return s.chunk(openai.Delta{Reasoning: openai.Ptr(*t)}), nil
			}
		}
	case "messageStop":
		s.stopReason, s.stopped = e.StopReason, true
	case "metadata":
		// metadata comes last: the finish chunk waits for its usage.
		if !s.stopped {
			return nil, &provider.Error{Provider: s.name, Type: "provider_unavailable", Message: "upstream sent metadata before messageStop"}
		}
		c := s.chunk(openai.Delta{})
		native := s.stopReason
		if native == "" {
			native = "end_turn"
		}
		c.Choices[0].FinishReason = openai.Ptr(finishReason(native))
		c.Choices[0].NativeFinishReason = openai.Ptr(native)
		c.Usage = e.Usage.openai()
		s.err = io.EOF
		return c, nil
	}
	// contentBlockStop and unknown events carry nothing.
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

// readError classifies a decode failure: any end before metadata is an
// error, and so is a corrupt frame (bad CRC or lengths).
func (s *stream) readError(err error) error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return provider.AsError(s.name, ctxErr)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// No Err: an *Error wrapping io.EOF would read as a clean end.
		return &provider.Error{Provider: s.name, Type: "provider_unavailable", Message: errTruncated}
	}
	var ce eventstream.ChecksumError
	if errors.As(err, &ce) {
		return &provider.Error{Provider: s.name, Type: "server", Message: "upstream sent a corrupt event-stream frame: " + err.Error(), Err: err}
	}
	return provider.AsError(s.name, err)
}

// Close releases the upstream connection. It is safe to call twice.
func (s *stream) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.body.Close() })
	return s.closeErr
}
