package ollama

import (
	"encoding/json"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// finalLine names the terminal NDJSON line in truncation errors.
const finalLine = "the done:true line"

// decoder is the provider.Decoder of Ollama's NDJSON stream: every line is
// a chatResponse, the one with done:true is the last, and an {"error":…}
// line is an in-band error.
type decoder struct {
	a          *Adapter
	id         string
	callPrefix string // of synthesised tool call ids
	calls      int    // tool calls seen so far: the next one's number and index
	role       bool   // the role was sent
	exclude    bool   // drop the thinking
}

var _ provider.Decoder = (*decoder)(nil)

func newDecoder(a *Adapter, exclude bool) *decoder {
	d := &decoder{a: a, exclude: exclude}
	d.id, d.callPrefix = newIDs()
	return d
}

// Decode converts one line into one chunk; done:true ends the stream.
func (d *decoder) Decode(ev provider.Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	var r chatResponse
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		return out, false, d.a.malformed(ev.Data, err)
	}
	if r.Error != "" {
		return out, false, d.a.inBand(r.Error, ev.Data)
	}
	return append(out, d.chunk(&r)), r.Done, nil
}

// End reports a body that ended before the done:true line.
func (d *decoder) End(out []*openai.Chunk) ([]*openai.Chunk, error) {
	return out, provider.Truncated(d.a.name, finalLine)
}

// chunk converts one line. The last (done:true) carries the finish reason
// and the usage.
func (d *decoder) chunk(r *chatResponse) *openai.Chunk {
	delta := openai.Delta{}
	if !d.role {
		delta.Role, d.role = "assistant", true
	}
	thinking := r.Message.Thinking
	if d.exclude {
		thinking = ""
	}
	if r.Message.Content != "" || (!r.Done && len(r.Message.ToolCalls) == 0 && thinking == "") {
		delta.Content = openai.Ptr(r.Message.Content)
	}
	if thinking != "" {
		delta.Reasoning = openai.Ptr(thinking)
	}
	delta.ToolCalls = r.toolCalls(d.callPrefix, &d.calls, true)
	c := &openai.Chunk{
		ID:      d.id,
		Object:  openai.ObjectChatCompletionChunk,
		Created: r.created(),
		Model:   r.Model,
		Choices: []openai.ChunkChoice{{Delta: delta}},
	}
	if r.Done {
		reason, native := finish(r.DoneReason, d.calls > 0)
		c.Choices[0].FinishReason, c.Choices[0].NativeFinishReason = openai.Ptr(reason), native
		c.Usage = r.usage()
	}
	return c
}
