package openaicompat

import (
	"encoding/json"

	"github.com/switchyard-dev/switchyard/internal/provider/jsonscan"
)

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
	p := parser{jsonscan.New(data)}
	p.WS()
	if !p.completion(c) {
		return false
	}
	p.WS()
	return p.Done() && !c.failed()
}

// completion reads a chat.completion object into c.
func (p *parser) completion(c *completion) bool {
	return p.Object(completionFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "id":
			ok = p.StringField(c.ID.UnmarshalJSON)
		case "object": // as shared would read it, without a copy
			ok = p.plainString(&c.Object.s)
		case "model":
			ok = p.StringField(c.Model.UnmarshalJSON)
		case "system_fingerprint":
			ok = p.StringField(c.SystemFingerprint.UnmarshalJSON)
		case "service_tier":
			ok = p.StringField(c.ServiceTier.UnmarshalJSON)
		case "created":
			ok = p.Int64(&c.Created)
		case "choices":
			ok = p.choices(c)
		case "usage":
			ok = p.usage(&c.Usage)
		case "x_groq":
			ok = p.Null() || p.xGroq(&c.XGroq)
		case "error": // errors in band: json.Unmarshal's
			ok = p.Null()
		default:
			ok = p.Unknown(key, completionFields)
		}
		return ok
	})
}

// choices reads null or an array of at most one choice into c.Choices,
// kept in c.one.
func (p *parser) choices(c *completion) bool {
	if p.Null() {
		c.Choices = nil
		return true
	}
	n, ok := p.AtMostOne(func() bool { return p.choice(&c.one[0]) })
	c.Choices = c.one[:n]
	return ok
}

// choice reads one choice into ch.
func (p *parser) choice(ch *choice) bool {
	return p.Object(choiceFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "index":
			ok = p.IntField(&ch.Index)
		case "message":
			ok = p.Null() || p.message(&ch.Message)
		case "finish_reason":
			ok = p.optionalString(&ch.FinishReason)
		case "logprobs":
			ok = p.Null()
		case "delta": // a stream's: json.Unmarshal's
			ok = false
		default:
			ok = p.Unknown(key, choiceFields)
		}
		return ok
	})
}

// message reads a choice's message into m. Besides nulls, it takes a
// refusal, and the empty tool_calls (vLLM) and annotations (OpenAI)
// arrays that come with plain text.
func (p *parser) message(m *message) bool {
	return p.Object(messageFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "role":
			ok = p.plainString(&m.Role)
		case "content":
			ok = p.StringField(m.Content.UnmarshalJSON)
		case "reasoning":
			ok = p.StringField(m.Reasoning.UnmarshalJSON)
		case "reasoning_content":
			ok = p.StringField(m.ReasoningContent.UnmarshalJSON)
		case "refusal":
			ok = p.optionalString(&m.Refusal)
		case "tool_calls":
			ok = p.Null()
			if !ok && p.emptyArray() {
				m.ToolCalls, ok = []toolCall{}, true
			}
		case "annotations":
			ok = p.Null() || p.emptyRaw(&m.Annotations)
		case "reasoning_details":
			ok = p.Null()
		default:
			ok = p.Unknown(key, messageFields)
		}
		return ok
	})
}

// xGroq reads Groq's x_groq object (its request id, skipped, and usage)
// into a new *out. Errors are json.Unmarshal's.
func (p *parser) xGroq(out **xGroq) bool {
	x := new(xGroq)
	*out = x
	return p.Object(xGroqFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "usage":
			ok = p.usage(&x.Usage)
		case "error":
			ok = p.Null()
		default:
			ok = p.Unknown(key, xGroqFields)
		}
		return ok
	})
}

// emptyArray reads an empty array.
func (p *parser) emptyArray() bool {
	if !p.Open('[') {
		return false
	}
	p.WS()
	return p.Open(']')
}

// emptyRaw reads an empty array into a new *out, a copy of its bytes as
// json.RawMessage keeps them.
func (p *parser) emptyRaw(out **json.RawMessage) bool {
	start := p.Pos()
	if !p.emptyArray() {
		return false
	}
	raw := json.RawMessage(append([]byte(nil), p.Since(start)...))
	*out = &raw
	return true
}
