package anthropic

import (
	"github.com/switchyard-dev/switchyard/internal/openai"
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
	p := deltaParser{b: data}
	const (
		seenType = 1 << iota
		seenIndex
		seenDelta
	)
	seen := 0
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			if seen&seenType != 0 || !p.literal(`"content_block_delta"`) {
				return false
			}
			seen |= seenType
			e.Type = "content_block_delta"
		case "index":
			if seen&seenIndex != 0 || !p.integer(&e.Index) {
				return false
			}
			seen |= seenIndex
		case "delta":
			if seen&seenDelta != 0 || !p.delta(&d.delta) {
				return false
			}
			seen |= seenDelta
			e.Delta = &d.delta
		default:
			return false
		}
		return true
	})
	p.ws()
	return ok && p.i == len(p.b) && seen&(seenType|seenDelta) == seenType|seenDelta
}

// deltaParser reads the JSON of a content_block_delta from b[i:].
type deltaParser struct {
	b []byte
	i int
}

// delta reads the event's delta object into dl, afresh.
func (p *deltaParser) delta(dl *eventDelta) bool {
	*dl = eventDelta{}
	var seen [5]bool
	return p.object(func(key []byte) bool {
		var n int
		var dst *string
		switch string(key) {
		case "type":
			n, dst = 0, &dl.Type
		case "text":
			n, dst = 1, &dl.Text
		case "partial_json":
			n, dst = 2, &dl.PartialJSON
		case "thinking":
			n, dst = 3, &dl.Thinking
		case "signature":
			n, dst = 4, &dl.Signature
		default:
			return false
		}
		if seen[n] {
			return false
		}
		seen[n] = true
		if n == 0 {
			for _, lit := range deltaTypes {
				if p.literal(lit) {
					*dst = lit[1 : len(lit)-1] // not a string of its own
					return true
				}
			}
		}
		return p.str(dst)
	})
}

// deltaTypes are the literals of the delta types handle reads.
var deltaTypes = [...]string{`"text_delta"`, `"input_json_delta"`, `"thinking_delta"`, `"signature_delta"`}

// object reads an object, calling member with each key (plain ASCII, no
// escapes) once its colon is read; member reads the value.
func (p *deltaParser) object(member func(key []byte) bool) bool {
	p.ws()
	if !p.byte('{') {
		return false
	}
	p.ws()
	if p.byte('}') {
		return true
	}
	for {
		p.ws()
		start := p.i
		if start >= len(p.b) || p.b[start] != '"' {
			return false
		}
		end, escaped, nonASCII, ok := openai.ScanString(p.b, p.i)
		if !ok || escaped || nonASCII {
			return false
		}
		p.i = end
		p.ws()
		if !p.byte(':') {
			return false
		}
		p.ws()
		if !member(p.b[start+1 : end-1]) {
			return false
		}
		p.ws()
		if p.byte('}') {
			return true
		}
		if !p.byte(',') {
			return false
		}
	}
}

// str reads a string literal into *s.
func (p *deltaParser) str(s *string) bool {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return false
	}
	end, _, _, ok := openai.ScanString(p.b, p.i)
	if !ok {
		return false
	}
	v, ok := openai.Unquote(p.b[p.i:end])
	if !ok {
		return false
	}
	*s, p.i = v, end
	return true
}

// integer reads an integer of at most 18 digits (JSON's grammar: no
// leading zeros, no fraction or exponent) into *n.
func (p *deltaParser) integer(n *int) bool {
	i, neg := p.i, false
	if i < len(p.b) && p.b[i] == '-' {
		neg, i = true, i+1
	}
	start, v := i, 0
	for ; i < len(p.b) && '0' <= p.b[i] && p.b[i] <= '9'; i++ {
		v = v*10 + int(p.b[i]-'0')
	}
	digits := i - start
	if digits == 0 || digits > 18 || digits > 1 && p.b[start] == '0' {
		return false
	}
	if i < len(p.b) && (p.b[i] == '.' || p.b[i] == 'e' || p.b[i] == 'E') {
		return false
	}
	if neg {
		v = -v
	}
	*n, p.i = v, i
	return true
}

// literal reads lit exactly.
func (p *deltaParser) literal(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// byte reads c if it is next.
func (p *deltaParser) byte(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// ws skips JSON whitespace.
func (p *deltaParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}
