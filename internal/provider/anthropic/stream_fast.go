package anthropic

import (
	"github.com/switchyard-dev/switchyard/internal/provider/jsonscan"
)

// Most of a stream is content_block_delta events of one shape:
//
//	{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"…"}}
//
// fastDelta reads those without encoding/json, whose reflection was most
// of the cost of relaying an Anthropic stream. It fills e as json.Unmarshal
// would and declines (false) anything else, valid JSON or not: another
// event type, a key it does not know (or knows but for case, which
// encoding/json would match), a repeated key, a null, a number that is not
// a plain integer. What it declines goes to encoding/json as before; the
// tests hold the two paths to the same result.
func (d *decoder) fastDelta(data []byte, e *event) bool {
	p := jsonscan.New(data)
	p.WS()
	ok := p.Object(eventFields, func(key []byte) bool {
		switch string(key) {
		case "type":
			if !p.Literal(`"content_block_delta"`) {
				return false
			}
			e.Type = "content_block_delta"
		case "index":
			if p.Null() || !p.IntField(&e.Index) {
				return false
			}
		case "delta":
			if !readDelta(&p, &d.delta) {
				return false
			}
			e.Delta = &d.delta
		default:
			return false
		}
		return true
	})
	p.WS()
	return ok && p.Done() && e.Type != "" && e.Delta != nil
}

// The keys fastDelta reads, of the event and of its delta.
var (
	eventFields = []string{"type", "index", "delta"}
	deltaFields = []string{"type", "text", "partial_json", "thinking", "signature"}
)

// readDelta reads the event's delta object into dl, afresh.
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
		}
		return false
	})
}

// deltaTypes are the literals of the delta types handle reads.
var deltaTypes = [...]string{`"text_delta"`, `"input_json_delta"`, `"thinking_delta"`, `"signature_delta"`}
