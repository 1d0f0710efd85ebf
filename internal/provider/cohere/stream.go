package cohere

import (
	"bytes"
	"encoding/json"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// finalEvent names the terminal stream event in truncation errors.
const finalEvent = "message-end"

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

// decoder is the provider.Decoder of Cohere's SSE stream (protocols.md
// §5.3): message-end is the terminal event and carries the finish reason,
// the usage or an in-band error; a trailing data: [DONE] is optional and
// ignored.
type decoder struct {
	name      string
	id, model string
	created   int64
	// exclude drops reasoning (thinking and tool plans) from the chunks.
	exclude bool
	// tools maps a tool call event's index to its OpenAI tool call index.
	tools map[int]int
}

var _ provider.Decoder = (*decoder)(nil)

func newDecoder(name, model string, created int64, exclude bool) *decoder {
	return &decoder{name: name, model: model, created: created, exclude: exclude, tools: make(map[int]int)}
}

// Decode converts one SSE event; events that carry nothing for the client
// yield no chunk.
func (d *decoder) Decode(ev provider.Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 || string(data) == "[DONE]" {
		// [DONE] after message-end is never read; before it, the body's
		// end decides (a truncation).
		return out, false, nil
	}
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return out, false, provider.Malformed(d.name, "event", data, err)
	}
	if e.Type == "" {
		e.Type = ev.Type
	}
	return d.handle(&e, data, out)
}

// End reports a body that ended before message-end.
func (d *decoder) End(out []*openai.Chunk) ([]*openai.Chunk, error) {
	return out, provider.Truncated(d.name, finalEvent)
}

// handle converts one decoded event.
func (d *decoder) handle(e *event, data []byte, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	delta := e.Delta
	msg := func() bool { return delta != nil && delta.Message != nil }
	switch e.Type {
	case "message-start":
		if e.ID != "" {
			d.id = e.ID
		}
		return append(out, d.chunk(openai.Delta{Role: "assistant", Content: openai.Ptr("")})), false, nil
	case "content-start", "content-delta":
		if !msg() || delta.Message.Content == nil {
			break
		}
		c := delta.Message.Content
		if c.Thinking != "" && !d.exclude {
			out = append(out, d.chunk(openai.Delta{Reasoning: openai.Ptr(c.Thinking)}))
		}
		if c.Text != "" {
			out = append(out, d.chunk(openai.Delta{Content: openai.Ptr(c.Text)}))
		}
	case "tool-plan-delta":
		if msg() && delta.Message.ToolPlan != "" && !d.exclude {
			out = append(out, d.chunk(openai.Delta{Reasoning: openai.Ptr(delta.Message.ToolPlan)}))
		}
	case "tool-call-start":
		if !msg() || delta.Message.ToolCalls == nil {
			break
		}
		tc := delta.Message.ToolCalls
		n := len(d.tools)
		d.tools[e.Index] = n
		out = append(out, d.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
			Index:    openai.Ptr(n),
			ID:       tc.ID,
			Type:     "function",
			Function: openai.FunctionCall{Name: tc.Function.Name, Arguments: tc.Function.Arguments},
		}}}))
	case "tool-call-delta":
		if !msg() || delta.Message.ToolCalls == nil {
			break
		}
		n, ok := d.tools[e.Index]
		if args := delta.Message.ToolCalls.Function.Arguments; ok && args != "" {
			out = append(out, d.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
				Index:    openai.Ptr(n),
				Function: openai.FunctionCall{Arguments: args},
			}}}))
		}
	case "message-end":
		native := "COMPLETE"
		var u *usage
		if delta != nil {
			if delta.FinishReason != "" {
				native = delta.FinishReason
			}
			if delta.Error != "" || native == "ERROR" {
				return out, true, streamError(d.name, native, delta.Error, data)
			}
			u = delta.Usage
		}
		c := d.chunk(openai.Delta{})
		finish := finishReason(native)
		if len(d.tools) > 0 && finish == openai.FinishStop {
			finish = openai.FinishToolCalls
		}
		c.Choices[0].FinishReason = openai.Ptr(finish)
		c.Choices[0].NativeFinishReason = openai.Ptr(native)
		c.Usage = u.openai()
		return append(out, c), true, nil
	}
	// content-end, tool-call-end, citations, debug and unknown events
	// carry nothing.
	return out, false, nil
}

func (d *decoder) chunk(delta openai.Delta) *openai.Chunk {
	return &openai.Chunk{
		ID:      d.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: d.created,
		Model:   d.model,
		Choices: []openai.ChunkChoice{{Index: 0, Delta: delta}},
	}
}
