package gemini

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// decoder is the provider.Decoder of Gemini's SSE stream: each event is a
// whole GenerateContentResponse carrying only new parts.
//
// Gemini sends no terminator: the stream ends when the connection closes.
// Finish reasons and usage are therefore held back and sent on one final
// chunk at the close (End), so that a finishReason: STOP that arrives apart
// from its functionCall still maps to tool_calls, and usage is the last,
// complete one.
type decoder struct {
	name    string
	sn      *sniffer // the error lines of the body, outside SSE's fields
	created int64
	exclude bool

	id, model string
	usage     *usageMetadata
	ids       callIDs
	cands     map[int]*candidateState
	blocked   string // promptFeedback.blockReason
}

// candidateState is what the stream has said of one candidate.
type candidateState struct {
	*turn
	started bool   // the role was sent
	finish  string // native finish reason
}

var _ provider.Decoder = (*decoder)(nil)

func newDecoder(name string, sn *sniffer, created int64, exclude bool) *decoder {
	return &decoder{name: name, sn: sn, created: created, exclude: exclude, cands: make(map[int]*candidateState)}
}

// Decode handles one event: an error object ends the stream with that
// error; a response yields a chunk of deltas when it carries content.
func (d *decoder) Decode(ev provider.Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	data := bytes.TrimSpace(ev.Data)
	if len(data) == 0 || string(data) == "[DONE]" {
		return out, false, nil
	}
	var resp response
	if err := json.Unmarshal(data, &resp); err != nil {
		return out, false, provider.Malformed(d.name, "event", data, err)
	}
	if resp.Error != nil {
		return out, false, inBandError(d.name, data)
	}
	if c := d.handle(&resp); c != nil {
		out = append(out, c)
	}
	return out, false, nil
}

// handle converts one streamed response into a chunk of deltas, or nil
// when it carries nothing to send yet.
func (d *decoder) handle(r *response) *openai.Chunk {
	if r.ResponseID != "" {
		d.id = r.ResponseID
		d.ids.response(r.ResponseID)
	}
	if r.ModelVersion != "" {
		d.model = r.ModelVersion
	}
	if r.UsageMetadata != nil {
		d.usage = r.UsageMetadata
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		d.blocked = r.PromptFeedback.BlockReason
	}
	var choices []openai.ChunkChoice
	for pos := range r.Candidates {
		cand := &r.Candidates[pos]
		idx := cand.index(pos)
		st := d.cands[idx]
		if st == nil {
			st = &candidateState{turn: newTurn(&d.ids, d.exclude)}
			d.cands[idx] = st
		}
		if cand.FinishReason != "" {
			st.finish = cand.FinishReason
		}
		var parts delta
		st.read(cand.parts(), &parts)
		if parts.empty() {
			continue
		}
		od := openai.Delta{ToolCalls: parts.calls, ReasoningDetails: openai.ReasoningDetailsJSON(parts.details)}
		if parts.hasText {
			od.Content = openai.Ptr(parts.text.String())
		}
		if parts.hasReasoning {
			od.Reasoning = openai.Ptr(parts.reasoning.String())
		}
		if !st.started {
			st.started = true
			od.Role = "assistant"
		}
		choices = append(choices, openai.ChunkChoice{Index: idx, Delta: od})
	}
	if len(choices) == 0 {
		return nil
	}
	c := d.chunk()
	c.Choices = choices
	return c
}

// End is called when the upstream closed the stream: after a finishReason
// (or a blocked prompt) it yields the final chunk with the finish reasons
// and usage; before one the stream was cut short. An error line outside
// the SSE fields wins over both.
func (d *decoder) End(out []*openai.Chunk) ([]*openai.Chunk, error) {
	if e := d.sn.error(d.name); e != nil {
		return out, e
	}
	var idxs []int
	for i, st := range d.cands {
		if st.finish != "" {
			idxs = append(idxs, i)
		}
	}
	if len(idxs) == 0 && d.blocked == "" {
		return out, provider.Truncated(d.name, "a finishReason")
	}
	c := d.chunk()
	if len(idxs) == 0 {
		c.Choices = []openai.ChunkChoice{{
			FinishReason:       openai.Ptr(openai.FinishContentFilter),
			NativeFinishReason: openai.Ptr(d.blocked),
		}}
	}
	slices.Sort(idxs)
	for _, i := range idxs {
		st := d.cands[i]
		c.Choices = append(c.Choices, openai.ChunkChoice{
			Index:              i,
			FinishReason:       openai.Ptr(finishReason(st.finish, st.calls > 0)),
			NativeFinishReason: openai.Ptr(st.finish),
		})
	}
	c.Usage = d.usage.openai()
	return append(out, c), nil
}

func (d *decoder) chunk() *openai.Chunk {
	return &openai.Chunk{
		ID:      d.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: d.created,
		Model:   d.model,
		Choices: []openai.ChunkChoice{},
	}
}
