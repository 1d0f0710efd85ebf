package openaicompat

import "encoding/json"

// A non-streamed body nearly always has one shape too: {id, object,
// created, model, system_fingerprint, service_tier, choices: [one choice
// whose message has a role and text content, its finish_reason, null
// logprobs], usage}, with Groq's x_groq and the family's usage
// extensions. unmarshalFast reads that shape with the parser of
// fastjson.go into the completion json.Unmarshal would fill, and declines
// the rest (tool calls, several choices, logprobs, non-empty annotations,
// reasoning details, array content, errors, repeated or case-folded
// keys, anything unexpected), which decodeResponse leaves to
// json.Unmarshal. The same completion.failed and completion.response
// follow: the tests hold the two paths to the same response.

// unmarshalFast decodes data, a whole non-streamed body, into c, which
// must be zero, as json.Unmarshal would. It declines errors in band. If
// it reports false, c holds part of the body: the caller zeroes it
// before json.Unmarshal.
func (c *completion) unmarshalFast(data []byte) bool {
	p := parser{b: data}
	p.ws()
	if !p.completion(c) {
		return false
	}
	p.ws()
	return p.i == len(p.b) && !c.failed()
}

// completion reads a chat.completion object into c.
func (p *parser) completion(c *completion) bool {
	return p.object(completionFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "id":
			ok = p.stringField(c.ID.UnmarshalJSON)
		case "object": // as shared would read it, without a copy
			ok = p.plainString(&c.Object.s)
		case "model":
			ok = p.stringField(c.Model.UnmarshalJSON)
		case "system_fingerprint":
			ok = p.stringField(c.SystemFingerprint.UnmarshalJSON)
		case "service_tier":
			ok = p.stringField(c.ServiceTier.UnmarshalJSON)
		case "created":
			ok = p.int64(&c.Created)
		case "choices":
			ok = p.choices(c)
		case "usage":
			ok = p.usage(&c.Usage)
		case "x_groq":
			ok = p.null() || p.xGroq(&c.XGroq)
		case "error": // errors in band: json.Unmarshal's
			ok = p.null()
		default:
			ok = p.unknown(key, completionFields)
		}
		return ok
	})
}

// choices reads null or an array of at most one choice into c.Choices,
// kept in c.one.
func (p *parser) choices(c *completion) bool {
	if p.null() {
		c.Choices = nil
		return true
	}
	n, ok := p.atMostOne(func() bool { return p.choice(&c.one[0]) })
	c.Choices = c.one[:n]
	return ok
}

// choice reads one choice into ch.
func (p *parser) choice(ch *choice) bool {
	return p.object(choiceFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "index":
			ok = p.intField(&ch.Index)
		case "message":
			ok = p.null() || p.message(&ch.Message)
		case "finish_reason":
			ok = p.optionalString(&ch.FinishReason)
		case "logprobs":
			ok = p.null()
		case "delta": // a stream's: json.Unmarshal's
			ok = false
		default:
			ok = p.unknown(key, choiceFields)
		}
		return ok
	})
}

// message reads a choice's message into m. Besides nulls, it takes a
// refusal, and the empty tool_calls (vLLM) and annotations (OpenAI)
// arrays that come with plain text.
func (p *parser) message(m *message) bool {
	return p.object(messageFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "role":
			ok = p.plainString(&m.Role)
		case "content":
			ok = p.stringField(m.Content.UnmarshalJSON)
		case "reasoning":
			ok = p.stringField(m.Reasoning.UnmarshalJSON)
		case "reasoning_content":
			ok = p.stringField(m.ReasoningContent.UnmarshalJSON)
		case "refusal":
			ok = p.optionalString(&m.Refusal)
		case "tool_calls":
			ok = p.null()
			if !ok && p.emptyArray() {
				m.ToolCalls, ok = []toolCall{}, true
			}
		case "annotations":
			ok = p.null() || p.emptyRaw(&m.Annotations)
		case "reasoning_details":
			ok = p.null()
		default:
			ok = p.unknown(key, messageFields)
		}
		return ok
	})
}

// xGroq reads Groq's x_groq object (its request id, skipped, and usage)
// into a new *out. Errors are json.Unmarshal's.
func (p *parser) xGroq(out **xGroq) bool {
	x := new(xGroq)
	*out = x
	return p.object(xGroqFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "usage":
			ok = p.usage(&x.Usage)
		case "error":
			ok = p.null()
		default:
			ok = p.unknown(key, xGroqFields)
		}
		return ok
	})
}

// emptyArray reads an empty array.
func (p *parser) emptyArray() bool {
	if !p.open('[') {
		return false
	}
	p.ws()
	return p.open(']')
}

// emptyRaw reads an empty array into a new *out, a copy of its bytes as
// json.RawMessage keeps them.
func (p *parser) emptyRaw(out **json.RawMessage) bool {
	start := p.i
	if !p.emptyArray() {
		return false
	}
	raw := json.RawMessage(append([]byte(nil), p.b[start:p.i]...))
	*out = &raw
	return true
}
