// Package jsonscan reads upstream JSON of a known, usual shape without
// encoding/json, for the adapters' fast paths (openaicompat's chunks and
// bodies, anthropic's stream deltas). A Scanner's methods report false for
// what a fast path does not handle, valid JSON or not: the caller then
// leaves the value to encoding/json, and its tests hold the two paths to
// the same result. What a Scanner accepts, it accepts as strictly as
// encoding/json: strings by openai.ScanString's rules, integers without a
// fraction or an exponent, keys matched exactly (a key that differs from
// a field only by case, which encoding/json would match, is declined).
package jsonscan

import (
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// maxSkipDepth bounds the nesting of the unknown values Skip reads past;
// deeper ones are declined.
const maxSkipDepth = 32

// Scanner reads JSON from a byte slice, from its position on.
type Scanner struct {
	b []byte
	i int
}

// New returns a Scanner at the start of b.
func New(b []byte) Scanner { return Scanner{b: b} }

// Pos is the position of the next byte to read.
func (p *Scanner) Pos() int { return p.i }

// Since returns what was read from start, a position, on.
func (p *Scanner) Since(start int) []byte { return p.b[start:p.i] }

// Done reports whether everything was read.
func (p *Scanner) Done() bool { return p.i == len(p.b) }

// Object reads an object whose members are fields: member reads the value
// of each, and reports false for what the fast path does not handle. A
// repeated key of fields is declined (encoding/json keeps the last), as
// are keys with escapes or bytes beyond ASCII (encoding/json matches those
// to fields by Unicode case folding); Unknown declines a key that equals
// one of fields but for case.
func (p *Scanner) Object(fields []string, member func(key []byte) bool) bool {
	if !p.Open('{') {
		return false
	}
	var seen uint16
	for first := true; ; first = false {
		key, more, ok := p.key(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		if !member(key) || !once(&seen, key, fields) {
			return false
		}
	}
}

// AtMostOne reads an array of no element or one, which elem reads; n is
// how many it holds. An array of more is declined.
func (p *Scanner) AtMostOne(elem func() bool) (n int, ok bool) {
	if !p.Open('[') {
		return 0, false
	}
	p.WS()
	if p.Open(']') {
		return 0, true
	}
	if !elem() {
		return 1, false
	}
	p.WS()
	return 1, p.Open(']')
}

// once records that the field key (one of fields, or an unknown key) has
// been read, and reports false if it had been already.
func once(seen *uint16, key []byte, fields []string) bool {
	for i, f := range fields {
		if f == string(key) {
			bit := uint16(1) << i
			if *seen&bit != 0 {
				return false
			}
			*seen |= bit
			return true
		}
	}
	return true
}

// Unknown skips the value of a key that is none of fields. A key equal to
// one of them but for case is declined: encoding/json would decode it
// into that field.
func (p *Scanner) Unknown(key []byte, fields []string) bool {
	for _, f := range fields {
		if equalFoldASCII(f, key) {
			return false
		}
	}
	return p.Skip()
}

// equalFoldASCII reports whether a and b are equal under ASCII case
// folding; the fields' names and the keys compared with them are ASCII.
func equalFoldASCII(a string, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// key reads up to an object member's value: it returns the member's key,
// or more = false at the end of the object. first tells whether a member
// has been read.
func (p *Scanner) key(first bool) (key []byte, more, ok bool) {
	p.WS()
	switch c := p.Peek(); {
	case c == '}':
		p.i++
		return nil, false, true
	case !first && c == ',':
		p.i++
		p.WS()
	case !first:
		return nil, false, false
	}
	if p.Peek() != '"' {
		return nil, false, false
	}
	start, special, valid := p.Str()
	if !valid || special {
		return nil, false, false
	}
	key = p.b[start+1 : p.i-1]
	p.WS()
	if !p.Open(':') {
		return nil, false, false
	}
	p.WS()
	return key, true, true
}

// Str reads past the string literal at the position (a '"'): it returns
// the index of its opening quote and whether it has escapes or bytes
// beyond ASCII; ok is false if encoding/json would reject it. Short plain
// ASCII strings are read here; others by openai.ScanString.
func (p *Scanner) Str() (start int, escapedOrNonASCII, ok bool) {
	start = p.i
	i := start + 1
	for i < len(p.b) && plainByte[p.b[i]] {
		i++
	}
	if i < len(p.b) && p.b[i] == '"' {
		p.i = i + 1
		return start, false, true
	}
	end, escaped, nonASCII, valid := openai.ScanString(p.b, start)
	p.i = end
	return start, escaped || nonASCII, valid
}

// plainByte tells the bytes that stand for themselves in a string
// literal: printable ASCII but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// String reads a string literal into *s, decoded as encoding/json decodes
// it (openai.Unquote); a value of anything else is declined.
func (p *Scanner) String(s *string) bool {
	if p.Peek() != '"' {
		return false
	}
	start, _, valid := p.Str()
	if !valid {
		return false
	}
	v, ok := openai.Unquote(p.b[start:p.i])
	if ok {
		*s = v
	}
	return ok
}

// StringField hands a string literal or null to unmarshal, the field's
// UnmarshalJSON, as encoding/json would.
func (p *Scanner) StringField(unmarshal func([]byte) error) bool {
	start := p.i
	if !p.Null() {
		if p.Peek() != '"' {
			return false
		}
		if _, _, valid := p.Str(); !valid {
			return false
		}
	}
	return unmarshal(p.b[start:p.i]) == nil
}

// IntField reads an integer or null into n, as Int64 does.
func (p *Scanner) IntField(n *int) bool {
	v := int64(*n)
	ok := p.Int64(&v)
	*n = int(v)
	return ok
}

// Int64 reads an integer (at most 18 digits, so that it cannot overflow)
// into n, or null, which leaves n as it is. Numbers with a fraction or an
// exponent are declined: encoding/json rejects them for an integer field.
func (p *Scanner) Int64(n *int64) bool {
	if p.Null() {
		return true
	}
	neg := p.Peek() == '-'
	if neg {
		p.i++
	}
	start := p.i
	var v int64
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		v = v*10 + int64(p.b[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > 18 || digits > 1 && p.b[start] == '0' {
		return false
	}
	if c := p.Peek(); c == '.' || c == 'e' || c == 'E' {
		return false
	}
	if neg {
		v = -v
	}
	*n = v
	return true
}

// Skip reads past any JSON value, checking it as strictly as
// encoding/json does.
func (p *Scanner) Skip() bool { return p.skip(0) }

func (p *Scanner) skip(depth int) bool {
	switch c := p.Peek(); {
	case c == '"':
		_, _, valid := p.Str()
		return valid
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return false
		}
		return p.skipComposite(depth)
	case c == 't':
		return p.Literal("true")
	case c == 'f':
		return p.Literal("false")
	case c == 'n':
		return p.Null()
	}
	return p.number()
}

// skipComposite reads past an object or an array.
func (p *Scanner) skipComposite(depth int) bool {
	closing := byte('}')
	if p.b[p.i] == '[' {
		closing = ']'
	}
	p.i++
	p.WS()
	if p.Peek() == closing {
		p.i++
		return true
	}
	for {
		if closing == '}' {
			if p.Peek() != '"' {
				return false
			}
			if _, _, valid := p.Str(); !valid {
				return false
			}
			p.WS()
			if !p.Open(':') {
				return false
			}
			p.WS()
		}
		if !p.skip(depth + 1) {
			return false
		}
		p.WS()
		switch p.Peek() {
		case ',':
			p.i++
			p.WS()
		case closing:
			p.i++
			return true
		default:
			return false
		}
	}
}

// number reads past a JSON number.
func (p *Scanner) number() bool {
	if p.Peek() == '-' {
		p.i++
	}
	switch c := p.Peek(); {
	case c == '0':
		p.i++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return false
	}
	if p.Peek() == '.' {
		p.i++
		if !p.digits() {
			return false
		}
	}
	if c := p.Peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.Peek(); c == '+' || c == '-' {
			p.i++
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits reads past one or more decimal digits.
func (p *Scanner) digits() bool {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// Null reads a null literal if one is next.
func (p *Scanner) Null() bool { return p.Literal("null") }

// Literal reads lit if it is next.
func (p *Scanner) Literal(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// Open reads the byte c if it is next.
func (p *Scanner) Open(c byte) bool {
	if p.Peek() != c {
		return false
	}
	p.i++
	return true
}

// Peek returns the next byte, or 0 at the end.
func (p *Scanner) Peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// WS reads past white space.
func (p *Scanner) WS() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}
