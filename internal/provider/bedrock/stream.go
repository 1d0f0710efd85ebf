package bedrock

import (
	"encoding/json"
	"net/http"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

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
			Text            *string `json:"text"`
			Signature       string  `json:"signature"`
			RedactedContent string  `json:"redactedContent"`
		} `json:"reasoningContent"`
	} `json:"delta"`
	StopReason string `json:"stopReason"`
	Usage      *usage `json:"usage"`
}

// decoder is the provider.Decoder of ConverseStream. Events come as
// messageStart, then per content block an optional contentBlockStart
// (toolUse blocks), contentBlockDeltas and a contentBlockStop, then
// messageStop (the stop reason) and last metadata (the usage): the finish
// chunk waits for metadata, the terminal event.
type decoder struct {
	name, id, model string
	created         int64
	opts            options

	tools      map[int]int // a toolUse block's content index → its tool call index
	jsonBlocks map[int]bool
	reasoning  map[int]int // a reasoning block's content index → its reasoning_details index
	stopReason string
	stopped    bool
}

var _ provider.Decoder = (*decoder)(nil)

func newDecoder(name, id, model string, created int64, opts options) *decoder {
	return &decoder{
		name: name, id: id, model: model, created: created, opts: opts,
		tools: make(map[int]int), jsonBlocks: make(map[int]bool), reasoning: make(map[int]int),
	}
}

// Decode implements provider.Decoder.
func (d *decoder) Decode(ev provider.Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	switch ev.MessageType {
	case "exception":
		return out, false, exceptionError(d.name, ev.ExceptionType, ev.Data)
	case "error":
		return out, false, &provider.Error{
			Provider: d.name, Status: http.StatusInternalServerError, Type: "server", Code: ev.ErrorCode,
			Message: provider.ClipMessage(ev.ErrorCode+": "+ev.ErrorMessage, maxMessage),
			Raw:     provider.ClipBytes(ev.Data, maxErrorBody),
		}
	case "event", "":
	default:
		return out, false, nil
	}
	var e streamEvent
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return out, false, provider.Malformed(d.name, "event", ev.Data, err)
	}
	switch ev.Type {
	case "messageStart":
		return append(out, d.chunk(openai.Delta{Role: "assistant", Content: openai.Ptr("")})), false, nil
	case "contentBlockStart":
		if e.Start == nil || e.Start.ToolUse == nil {
			break // other starts, and the {"start":{}} some send for text, carry nothing
		}
		if d.opts.jsonTool && e.Start.ToolUse.Name == jsonToolName {
			d.jsonBlocks[e.ContentBlockIndex] = true
			break
		}
		n := len(d.tools)
		d.tools[e.ContentBlockIndex] = n
		return append(out, d.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
			Index:    openai.Ptr(n),
			ID:       e.Start.ToolUse.ToolUseID,
			Type:     "function",
			Function: openai.FunctionCall{Name: e.Start.ToolUse.Name, Arguments: ""},
		}}})), false, nil
	case "contentBlockDelta":
		if c := d.delta(&e); c != nil {
			out = append(out, c)
		}
	case "messageStop":
		d.stopReason, d.stopped = e.StopReason, true
	case "metadata":
		if !d.stopped {
			return out, false, &provider.Error{Provider: d.name, Type: "provider_unavailable", Message: "upstream sent metadata before messageStop"}
		}
		c := d.chunk(openai.Delta{})
		native := d.stopReason
		if native == "" {
			native = "end_turn"
		}
		c.Choices[0].FinishReason = openai.Ptr(finishReason(native, len(d.tools)))
		c.Choices[0].NativeFinishReason = openai.Ptr(native)
		c.Usage = e.Usage.openai()
		return append(out, c), true, nil
	}
	// contentBlockStop and unknown events carry nothing.
	return out, false, nil
}

// delta converts a contentBlockDelta event: a chunk, or nil.
func (d *decoder) delta(e *streamEvent) *openai.Chunk {
	delta := e.Delta
	switch {
	case delta == nil:
	case delta.Text != nil:
		if *delta.Text != "" {
			return d.chunk(openai.Delta{Content: openai.Ptr(*delta.Text)})
		}
	case delta.ToolUse != nil:
		if delta.ToolUse.Input == "" {
			break
		}
		if d.jsonBlocks[e.ContentBlockIndex] {
			return d.chunk(openai.Delta{Content: openai.Ptr(delta.ToolUse.Input)})
		}
		if n, ok := d.tools[e.ContentBlockIndex]; ok {
			return d.chunk(openai.Delta{ToolCalls: []openai.ToolCall{{
				Index:    openai.Ptr(n),
				Function: openai.FunctionCall{Arguments: delta.ToolUse.Input},
			}}})
		}
	case delta.ReasoningContent != nil:
		rd := delta.ReasoningContent
		if d.opts.exclude || (rd.Text == nil || *rd.Text == "") && rd.Signature == "" && rd.RedactedContent == "" {
			break
		}
		index, ok := d.reasoning[e.ContentBlockIndex]
		if !ok {
			index = len(d.reasoning)
			d.reasoning[e.ContentBlockIndex] = index
		}
		rc := &reasoningContent{RedactedContent: rd.RedactedContent}
		if rd.RedactedContent == "" {
			rc.ReasoningText = &reasoningText{Signature: rd.Signature}
			if rd.Text != nil {
				rc.ReasoningText.Text = *rd.Text
			}
		}
		detail, text := reasoningDetail(rc, d.opts.format, index)
		out := openai.Delta{ReasoningDetails: openai.ReasoningDetailsJSON([]openai.ReasoningDetail{detail})}
		if text != "" {
			out.Reasoning = openai.Ptr(text)
		}
		return d.chunk(out)
	}
	return nil
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

// End implements provider.Decoder: the body ended before metadata, so the
// stream was cut short.
func (d *decoder) End(out []*openai.Chunk) ([]*openai.Chunk, error) {
	return out, provider.Truncated(d.name, "messageStop and metadata")
}
