package openaicompat

import (
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider/jsonscan"
)

// A stream's chunks nearly all have one shape: a few strings and numbers,
// and at most one choice whose delta carries a bit of text, or no choice
// and the usage. decodeFast reads that shape with the parser of
// fastjson.go, without encoding/json, whose reflection and scanner were
// most of the cost of relaying a stream, and leaves everything else (tool
// calls, logprobs, several choices, errors, anything unexpected) to the
// json.Decoder path. It reads each field into the type that path decodes
// it into, through the same UnmarshalJSON methods, converts it as
// completion.chunk does, and declines whatever that path would reject:
// the tests hold the two paths to the same chunk.

// fastChunk is the one allocation of a chunk decodeFast reads: the chunk,
// its choice, and the upstream's strings it points to.
type fastChunk struct {
	out    openai.Chunk
	choice [1]openai.ChunkChoice

	id, object, model, fingerprint, tier shared
	content, reasoning, reasoningContent text
}

// decodeFast decodes data, one chunk, as decode and completion.chunk
// would; ok is false if it leaves the chunk to them. finished reports a
// choice's finish_reason. A chunk that repeats the previous one but for
// its string literals is read from the template the previous one left
// (stream_template.go); any other is parsed, and may leave one.
func (d *decoder) decodeFast(data []byte) (c *openai.Chunk, finished, ok bool) {
	fc := d.spare // what the last chunk declined left
	d.spare = nil
	if fc == nil {
		fc = new(fastChunk)
	}
	if d.tmpl.read(fc, data) {
		c, finished = fc.result()
		return c, finished, true
	}
	*fc = fastChunk{}
	rep := &d.rep
	fc.id.last, fc.object.last, fc.model.last = &rep.id, &rep.object, &rep.model
	fc.fingerprint.last, fc.tier.last = &rep.fingerprint, &rep.tier
	fc.out.Choices = fc.choice[:0]
	p := streamParser{parser: parser{jsonscan.New(data)}}
	p.WS()
	// Nothing may follow the value, not even white space, which the
	// json.Decoder path rejects too (Decode trims the data beforehand).
	if !p.chunk(fc) || !p.Done() || fc.object.s == "error" {
		d.spare = fc
		d.tmpl.forget()
		return nil, false, false
	}
	d.tmpl = d.tmpl.remember(data, fc, &p.lits)
	c, finished = fc.result()
	return c, finished, true
}

// result completes the chunk fc was read into and returns it; finished
// reports a choice's finish_reason.
func (fc *fastChunk) result() (c *openai.Chunk, finished bool) {
	out := &fc.out
	out.ID, out.Object, out.Model = fc.id.s, openai.ObjectChatCompletionChunk, fc.model.s
	out.SystemFingerprint, out.ServiceTier = fc.fingerprint.s, fc.tier.s
	if len(out.Choices) == 0 {
		return out, false
	}
	delta := &out.Choices[0].Delta
	delta.Content = fc.content.ptr()
	switch { // as message.reasoning chooses
	case fc.reasoning.s != "":
		delta.Reasoning = &fc.reasoning.s
	case fc.reasoningContent.s != "":
		delta.Reasoning = &fc.reasoningContent.s
	}
	return out, out.Choices[0].FinishReason != nil
}

// streamParser is the parser of a chunk, noting its string literals for
// a template as it goes.
type streamParser struct {
	parser
	lits literals
}

// chunk reads a chunk object into fc.
func (p *streamParser) chunk(fc *fastChunk) bool {
	return p.Object(completionFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "id":
			ok = p.StringField(fc.id.UnmarshalJSON)
		case "object":
			ok = p.StringField(fc.object.UnmarshalJSON)
		case "model":
			ok = p.StringField(fc.model.UnmarshalJSON)
		case "system_fingerprint":
			ok = p.StringField(fc.fingerprint.UnmarshalJSON)
		case "service_tier":
			ok = p.StringField(fc.tier.UnmarshalJSON)
		case "created":
			ok = p.Int64(&fc.out.Created)
		case "choices":
			ok = p.chunkChoices(fc)
		case "usage":
			ok = p.chunkUsage(&fc.out.Usage)
		case "x_groq", "error": // errors in band: the json.Decoder's
			ok = p.Null()
		default:
			ok = p.unknown(key, completionFields)
		}
		return ok
	})
}

// chunkChoices reads null or an array of at most one choice.
func (p *streamParser) chunkChoices(fc *fastChunk) bool {
	fc.out.Choices = fc.choice[:0]
	if p.Null() {
		return true
	}
	n, ok := p.AtMostOne(func() bool { return p.chunkChoice(fc) })
	fc.out.Choices = fc.choice[:n]
	return ok
}

// chunkChoice reads one choice into fc.choice[0].
func (p *streamParser) chunkChoice(fc *fastChunk) bool {
	ch := &fc.choice[0]
	return p.Object(choiceFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "index":
			ok = p.IntField(&ch.Index)
		case "delta":
			ok = p.Null() || p.delta(fc)
		case "finish_reason":
			var native *string
			ok = p.optionalString(&native)
			ch.FinishReason, ch.NativeFinishReason = finish(native)
		case "logprobs":
			ok = p.Null()
		case "message":
			ok = false
		default:
			ok = p.unknown(key, choiceFields)
		}
		return ok
	})
}

// delta reads a choice's delta into fc.
func (p *streamParser) delta(fc *fastChunk) bool {
	d := &fc.choice[0].Delta
	return p.Object(messageFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "role":
			ok = p.plainString(&d.Role)
		case "content":
			ok = p.text(&fc.content, textContent)
		case "reasoning":
			ok = p.text(&fc.reasoning, textReasoning)
		case "reasoning_content":
			ok = p.text(&fc.reasoningContent, textReasoningContent)
		case "refusal", "tool_calls", "reasoning_details", "annotations":
			ok = p.Null()
		default:
			ok = p.unknown(key, messageFields)
		}
		return ok
	})
}

// text reads one of the delta's text fields into t, noting the literal
// of a string.
func (p *streamParser) text(t *text, f textField) bool {
	start := p.Pos()
	if !p.StringField(t.UnmarshalJSON) {
		return false
	}
	if t.set {
		p.lits.note(start, p.Pos(), f)
	}
	return true
}

// unknown skips the value of a key none of fields is, as Unknown does,
// noting it if it is a string: OpenAI's "obfuscation", different in
// every chunk.
func (p *streamParser) unknown(key []byte, fields []string) bool {
	start := p.Pos()
	if !p.Unknown(key, fields) {
		return false
	}
	if p.Since(start)[0] == '"' {
		p.lits.note(start, p.Pos(), textNone)
	}
	return true
}

// chunkUsage reads null or the usage into *out, folded into OpenAI's
// shape as completion.usage folds it.
func (p *parser) chunkUsage(out **openai.Usage) bool {
	if p.Null() {
		*out = nil
		return true
	}
	var u usage
	if !p.usageObject(&u) {
		return false
	}
	c := completion{Usage: &u}
	*out = c.usage()
	return true
}
