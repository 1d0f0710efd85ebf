package anthropic

import (
	"github.com/switchyard-dev/switchyard/internal/provider/jsonscan"
)

// Most of a stream is content_block_delta events of one shape:
//
//	{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}
//
// and its end is three small events:
//
//	{"type":"content_block_stop","index":0}
//	{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}
//	{"type":"message_stop"}
//
// and its start two (message_start, content_block_start of a text block).
// fastEvent reads those without encoding/json, whose reflection was most of
// the cost of relaying an Anthropic stream (and, for the events of its end,
// some 10 µs a stream on the way to its last byte). It fills e as
// json.Unmarshal would and declines (false) anything else, valid JSON or
// not: another event type, a block other than text, a key that differs
// from a field only by case (which encoding/json would match), a repeated
// key, a null where a value is expected, a number that is not a plain
// integer, a usage field it does not read. Keys that no field matches are
// skipped, as encoding/json skips them, once checked as strictly. What it
// declines goes to encoding/json as before; the tests hold the two paths
// to the same result.
func (d *decoder) fastEvent(data []byte, e *event) bool {
	p := jsonscan.New(data)
	p.WS()
	ok := p.Object(eventFields, func(key []byte) bool {
		switch string(key) {
		case "type":
			for _, lit := range fastTypes {
				if p.Literal(lit) {
					e.Type = lit[1 : len(lit)-1] // not a string of its own
					return true
				}
			}
			return false
		case "index":
			return !p.Null() && p.IntField(&e.Index)
		case "delta":
			if p.Null() || !readDelta(&p, &d.delta) {
				return false
			}
			e.Delta = &d.delta
		case "usage":
			return readUsage(&p, &e.Usage)
		case "message":
			if p.Null() {
				return false
			}
			e.Message = new(message)
			return readMessage(&p, e.Message)
		case "content_block":
			if p.Null() {
				return false
			}
			e.ContentBlock = new(contentBlock)
			return readTextBlock(&p, e.ContentBlock)
		default:
			return p.Unknown(key, eventFields)
		}
		return true
	})
	p.WS()
	if !ok || !p.Done() {
		return false
	}
	switch e.Type {
	case "content_block_delta":
		return e.Delta != nil
	case "":
		return false // the type is the SSE event's name: encoding/json's path sets it
	}
	return true
}

// The keys fastEvent reads: every field of event and of the objects in it
// (those it declines included, so that a key differing from one only by
// case is declined).
var (
	eventFields   = []string{"type", "index", "delta", "usage", "message", "content_block"}
	deltaFields   = []string{"type", "text", "partial_json", "thinking", "signature", "stop_reason"}
	messageFields = []string{"id", "type", "role", "model", "content", "stop_reason", "usage"}
	blockFields   = []string{"type", "text", "thinking", "signature", "data", "id", "name", "input"}
	usageFields   = []string{"input_tokens", "output_tokens", "cache_creation_input_tokens",
		"cache_read_input_tokens", "output_tokens_details"}
)

// fastTypes are the literals of the event types fastEvent reads.
var fastTypes = [...]string{`"content_block_delta"`, `"content_block_stop"`, `"message_delta"`, `"message_stop"`,
	`"message_start"`, `"content_block_start"`}

// readMessage reads message_start's message into m, which is empty: its
// strings, an empty content (the only one a stream's start has; any other
// is declined), its stop reason and usage.
func readMessage(p *jsonscan.Scanner, m *message) bool {
	return p.Object(messageFields, func(key []byte) bool {
		switch string(key) {
		case "id":
			return p.String(&m.ID)
		case "type":
			return p.String(&m.Type)
		case "role":
			return p.String(&m.Role)
		case "model":
			return p.String(&m.Model)
		case "content":
			n, ok := p.AtMostOne(func() bool { return false })
			if !ok || n != 0 {
				return false
			}
			m.Content = []contentBlock{} // as encoding/json makes it: empty, not nil
			return true
		case "stop_reason":
			return readOpt(p, &m.StopReason, p.String)
		case "usage":
			return readUsage(p, &m.Usage)
		}
		return p.Unknown(key, messageFields) // stop_sequence, container
	})
}

// readTextBlock reads content_block_start's block into b, which is empty,
// if it has a type and text only (a text block); the other blocks' fields
// are declined.
func readTextBlock(p *jsonscan.Scanner, b *contentBlock) bool {
	return p.Object(blockFields, func(key []byte) bool {
		switch string(key) {
		case "type":
			return p.String(&b.Type)
		case "text":
			return p.String(&b.Text)
		}
		// The fields of other block types are declined (Unknown declines
		// any key equal to a field, but for case or not); keys of no
		// field, such as citations, skipped.
		return p.Unknown(key, blockFields)
	})
}

// readDelta reads an event's delta object into dl, afresh.
func readDelta(p *jsonscan.Scanner, dl *eventDelta) bool {
	*dl = eventDelta{}
	return p.Object(deltaFields, func(key []byte) bool {
		switch string(key) {
		case "type":
			for _, lit := range deltaTypes {
				if p.Literal(lit) {
					dl.Type = lit[1 : len(lit)-1] // not a string of its own
					return true
				}
			}
			return p.String(&dl.Type)
		case "text":
			return p.String(&dl.Text)
		case "partial_json":
			return p.String(&dl.PartialJSON)
		case "thinking":
			return p.String(&dl.Thinking)
		case "signature":
			return p.String(&dl.Signature)
		case "stop_reason":
			return readOpt(p, &dl.StopReason, p.String)
		}
		return p.Unknown(key, deltaFields) // stop_sequence, stop_details
	})
}

// deltaTypes are the literals of the delta types handle reads.
var deltaTypes = [...]string{`"text_delta"`, `"input_json_delta"`, `"thinking_delta"`, `"signature_delta"`}

// readUsage reads a usage object's token counts into a new *dst; a null
// is declined, and so is output_tokens_details; keys of no field
// (server_tool_use, service_tier) are skipped.
func readUsage(p *jsonscan.Scanner, dst **usage) bool {
	if p.Null() {
		return false
	}
	u := new(usage)
	*dst = u
	return p.Object(usageFields, func(key []byte) bool {
		switch string(key) {
		case "input_tokens":
			return readOpt(p, &u.InputTokens, p.IntField)
		case "output_tokens":
			return readOpt(p, &u.OutputTokens, p.IntField)
		case "cache_creation_input_tokens":
			return readOpt(p, &u.CacheCreationInputTokens, p.IntField)
		case "cache_read_input_tokens":
			return readOpt(p, &u.CacheReadInputTokens, p.IntField)
		case "output_tokens_details":
			return false
		}
		return p.Unknown(key, usageFields)
	})
}

// readOpt reads a value with read into a new *dst, or null, which leaves
// it nil, as encoding/json decodes a pointer field.
func readOpt[T any](p *jsonscan.Scanner, dst **T, read func(*T) bool) bool {
	if p.Null() {
		return true
	}
	v := new(T)
	if !read(v) {
		return false
	}
	*dst = v
	return true
}
