package anthropic

import (
	"bytes"
	"encoding/json"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// finalEvent names the terminal stream event in truncation errors.
const finalEvent = "message_stop"

// event is one streamed event of any type (protocols.md §2.3).
type event struct {
	Type         string        `json:"type"`
	Message      *message      `json:"message"`
	Index        int           `json:"index"`
	ContentBlock *contentBlock `json:"content_block"`
	Delta        *eventDelta   `json:"delta"`
	Usage        *usage        `json:"usage"`
}

// eventDelta is the delta of a content_block_delta or message_delta event.
type eventDelta struct {
	Type        string  `json:"type"`
	Text        string  `json:"text"`
	PartialJSON string  `json:"partial_json"`
	Thinking    string  `json:"thinking"`
	Signature   string  `json:"signature"`
	StopReason  *string `json:"stop_reason"`
}

// blockKind is what an open content block yields.
type blockKind int

const (
	kindTool      blockKind = iota + 1 // a tool call for the client
	kindJSON                           // the json_object tool: content
	kindReasoning                      // thinking: reasoning and details
)

// openBlock is a content block seen in content_block_start: its kind and
// its ordinal among the tool calls (kindTool) or the reasoning details
// (kindReasoning).
type openBlock struct {
	kind blockKind
	n    int
}

// decoder is the provider.Decoder of Anthropic's SSE stream: message_stop
// is the terminal event; error events are in-band *provider.Errors; pings
// and content_block_stop carry nothing.
type decoder struct {
	name    string
	opts    decodeOptions
	created int64

	id, model  string
	usage      usage
	stopReason string
	// blocks maps a content block's index (its position in the message)
	// to what it yields; OpenAI's tool call index counts tool calls only.
	blocks              map[int]openBlock
	calls, reasoningOrd int
	// delta is the delta fastEvent reads into, reused from event to
	// event: handle keeps none of it but its strings.
	delta eventDelta
}

var _ provider.Decoder = (*decoder)(nil)

func newDecoder(name string, created int64, opts decodeOptions) *decoder {
	return &decoder{name: name, created: created, opts: opts, blocks: make(map[int]openBlock)}
}

// Decode converts one SSE event (ev.Type is the event: name, when any).
func (d *decoder) Decode(ev provider.Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	data := bytes.TrimSpace(ev.Data)
	if ev.Type == "error" {
		return out, false, inBandError(d.name, data)
	}
	if ev.Type == "ping" || len(data) == 0 {
		return out, false, nil
	}
	var e event
	if d.fastEvent(data, &e) {
		return d.handle(&e, data, out)
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return out, false, provider.Malformed(d.name, "event", data, err)
	}
	if e.Type == "" {
		e.Type = ev.Type
	}
	return d.handle(&e, data, out)
}

// End reports a body that ended before message_stop.
func (d *decoder) End(out []*openai.Chunk) ([]*openai.Chunk, error) {
	return out, provider.Truncated(d.name, finalEvent)
}

// handle converts one decoded event.
func (d *decoder) handle(e *event, data []byte, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	switch e.Type {
	case "error":
		return out, false, inBandError(d.name, data)
	case "message_start":
		if e.Message == nil {
			break
		}
		d.id, d.model = e.Message.ID, e.Message.Model
		d.usage.merge(e.Message.Usage)
		return append(out, d.chunk(openai.Delta{Role: "assistant", Content: openai.Ptr("")})), false, nil
	case "content_block_start":
		if e.ContentBlock != nil {
			out = d.blockStart(e.Index, e.ContentBlock, out)
		}
	case "content_block_delta":
		if e.Delta == nil {
			break
		}
		b := d.blocks[e.Index]
		switch dl := e.Delta; dl.Type {
		case "text_delta":
			out = d.content(dl.Text, out)
		case "thinking_delta":
			if b.kind == kindReasoning && dl.Thinking != "" {
				out = d.reasoning(dl.Thinking, openai.ReasoningDetail{Type: openai.ReasoningText, Text: dl.Thinking, Index: b.n}, out)
			}
		case "signature_delta":
			if b.kind == kindReasoning && dl.Signature != "" {
				out = d.reasoning("", openai.ReasoningDetail{Type: openai.ReasoningText, Signature: dl.Signature, Index: b.n}, out)
			}
		case "input_json_delta":
			switch {
			case dl.PartialJSON == "":
			case b.kind == kindJSON:
				out = d.content(dl.PartialJSON, out)
			case b.kind == kindTool:
				out = append(out, d.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
					Index:    openai.Ptr(b.n),
					Function: openai.FunctionCall{Arguments: dl.PartialJSON},
				}}}))
			}
		}
		// citations_delta and unknown deltas: nothing for the client.
	case "message_delta":
		if e.Delta != nil && e.Delta.StopReason != nil {
			d.stopReason = *e.Delta.StopReason
		}
		d.usage.merge(e.Usage)
	case "message_stop":
		c := d.chunk(openai.Delta{})
		native := d.stopReason
		if native == "" {
			native = "end_turn"
		}
		c.Choices[0].FinishReason = openai.Ptr(finishReason(native, d.calls > 0))
		c.Choices[0].NativeFinishReason = openai.Ptr(native)
		c.Usage = d.usage.openai()
		return append(out, c), true, nil
	}
	// content_block_stop and unknown events carry nothing.
	return out, false, nil
}

// blockStart registers a content block and yields what its start carries.
func (d *decoder) blockStart(index int, b *contentBlock, out []*openai.Chunk) []*openai.Chunk {
	switch b.Type {
	case "text":
		return d.content(b.Text, out)
	case "thinking", "redacted_thinking":
		if d.opts.exclude {
			return out
		}
		n := d.reasoningOrd
		d.reasoningOrd++
		d.blocks[index] = openBlock{kindReasoning, n}
		if b.Type == "redacted_thinking" || b.Thinking != "" || b.Signature != "" {
			out = d.reasoning(b.Thinking, reasoningDetail(b, n), out)
		}
	case "tool_use":
		if d.opts.isJSONTool(b.Name) {
			d.blocks[index] = openBlock{kind: kindJSON}
			return out
		}
		n := d.calls
		d.calls++
		d.blocks[index] = openBlock{kindTool, n}
		out = append(out, d.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
			Index:    openai.Ptr(n),
			ID:       b.ID,
			Type:     "function",
			Function: openai.FunctionCall{Name: b.Name, Arguments: ""},
		}}}))
	}
	return out
}

// content appends a content delta of text, if any.
func (d *decoder) content(text string, out []*openai.Chunk) []*openai.Chunk {
	if text == "" {
		return out
	}
	return append(out, d.chunk(openai.Delta{Content: openai.Ptr(text)}))
}

// reasoning appends a reasoning delta: text (if any) and one detail.
func (d *decoder) reasoning(text string, detail openai.ReasoningDetail, out []*openai.Chunk) []*openai.Chunk {
	detail.Format = openai.FormatAnthropic
	delta := openai.Delta{ReasoningDetails: openai.ReasoningDetailsJSON([]openai.ReasoningDetail{detail})}
	if text != "" {
		delta.Reasoning = openai.Ptr(text)
	}
	return append(out, d.chunk(delta))
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
