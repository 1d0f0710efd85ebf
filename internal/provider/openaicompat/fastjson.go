package openaicompat

import (
	"bytes"
	"unicode/utf8"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Upstream JSON nearly always has one shape: a few strings and numbers,
// at most one choice whose delta (a stream's chunk) or message (a
// non-streamed body) carries text, and the usage. The parser below reads
// it without encoding/json, whose reflection and scanner were most of the
// cost of reading it: stream_fast.go reads chunks with it, and
// response_fast.go bodies. Both fill each field as encoding/json would,
// through the same UnmarshalJSON methods, and decline what they do not
// handle (tool calls, logprobs, several choices, errors, repeated or
// case-folded keys, anything unexpected), valid JSON or not, which then
// goes to encoding/json as before: the tests hold the two paths to the
// same result.

// The fields of each object read, as encoding/json matches them to keys
// (a test checks them against the structs). A key that is none of them
// but equal to one but for case, which encoding/json would match, sends
// the object to encoding/json.
var (
	completionFields      = []string{"id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage", "x_groq", "error"}
	choiceFields          = []string{"index", "message", "delta", "finish_reason", "logprobs"}
	messageFields         = []string{"role", "content", "refusal", "tool_calls", "reasoning", "reasoning_content", "reasoning_details", "annotations"}
	usageFields           = []string{"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "prompt_token_details", "completion_tokens_details", "prompt_cache_hit_tokens", "num_cached_tokens"}
	promptFields          = []string{"cached_tokens", "cache_write_tokens", "audio_tokens"}
	completionTokenFields = []string{"reasoning_tokens", "audio_tokens", "image_tokens"}
	xGroqFields           = []string{"usage", "error"}
)

// maxSkipDepth bounds the nesting of the unknown values the parser skips;
// deeper ones go to encoding/json.
const maxSkipDepth = 32

// parser reads JSON from b[i:]. Its methods report false for what the
// fast paths do not handle, valid JSON or not.
type parser struct {
	b []byte
	i int
}

// usage reads null or the usage into a new *out.
func (p *parser) usage(out **usage) bool {
	if p.null() {
		*out = nil
		return true
	}
	if p.peek() != '{' {
		return false
	}
	u := new(usage)
	*out = u
	return p.usageObject(u)
}

// usageObject reads a usage object into u, which does not escape: a
// stream's usage is converted at once (chunkUsage) and needs no
// allocation of its own.
func (p *parser) usageObject(u *usage) bool {
	return p.object(usageFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "prompt_tokens":
			ok = p.intField(&u.PromptTokens)
		case "completion_tokens":
			ok = p.intField(&u.CompletionTokens)
		case "total_tokens":
			ok = p.intField(&u.TotalTokens)
		case "prompt_cache_hit_tokens":
			ok = p.intField(&u.PromptCacheHitTokens)
		case "num_cached_tokens":
			ok = p.intField(&u.NumCachedTokens)
		case "prompt_tokens_details":
			ok = p.promptDetails(&u.PromptTokensDetails)
		case "prompt_token_details":
			ok = p.promptDetails(&u.PromptTokenDetails)
		case "completion_tokens_details":
			ok = p.completionDetails(&u.CompletionTokensDetails)
		default:
			ok = p.unknown(key, usageFields)
		}
		return ok
	})
}

// promptDetails reads null or prompt token details into *out.
func (p *parser) promptDetails(out **openai.PromptTokensDetails) bool {
	if p.null() {
		*out = nil
		return true
	}
	d := new(openai.PromptTokensDetails)
	*out = d
	return p.object(promptFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "cached_tokens":
			ok = p.intField(&d.CachedTokens)
		case "cache_write_tokens":
			ok = p.intField(&d.CacheWriteTokens)
		case "audio_tokens":
			ok = p.intField(&d.AudioTokens)
		default:
			ok = p.unknown(key, promptFields)
		}
		return ok
	})
}

// completionDetails reads null or completion token details into *out.
func (p *parser) completionDetails(out **openai.CompletionTokensDetails) bool {
	if p.null() {
		*out = nil
		return true
	}
	d := new(openai.CompletionTokensDetails)
	*out = d
	return p.object(completionTokenFields, func(key []byte) (ok bool) {
		switch string(key) {
		case "reasoning_tokens":
			ok = p.intField(&d.ReasoningTokens)
		case "audio_tokens":
			ok = p.intField(&d.AudioTokens)
		case "image_tokens":
			ok = p.intField(&d.ImageTokens)
		default:
			ok = p.unknown(key, completionTokenFields)
		}
		return ok
	})
}

// object reads an object whose members are fields: member reads the value
// of each, and reports false for what the fast path does not handle. A
// repeated key is declined (the json.Decoder handles it), as is a key
// member leaves to unknown that equals one of fields but for case.
func (p *parser) object(fields []string, member func(key []byte) bool) bool {
	if !p.open('{') {
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

// atMostOne reads an array of no element or one, which elem reads; n is
// how many it holds. An array of more is declined.
func (p *parser) atMostOne(elem func() bool) (n int, ok bool) {
	if !p.open('[') {
		return 0, false
	}
	p.ws()
	if p.open(']') {
		return 0, true
	}
	if !elem() {
		return 1, false
	}
	p.ws()
	return 1, p.open(']')
}

// once records that the field key (one of fields, or an unknown key) has
// been read, and reports false if it had been already: encoding/json
// handles repeated keys.
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

// unknown skips the value of a key that is none of fields. A key equal to
// one of them but for case is declined: encoding/json would decode it
// into that field.
func (p *parser) unknown(key []byte, fields []string) bool {
	for _, f := range fields {
		if equalFoldASCII(f, key) {
			return false
		}
	}
	return p.skip(0)
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
// has been read. Keys with escapes or bytes beyond ASCII are declined
// (encoding/json matches them to fields by Unicode case folding).
func (p *parser) key(first bool) (key []byte, more, ok bool) {
	p.ws()
	switch c := p.peek(); {
	case c == '}':
		p.i++
		return nil, false, true
	case !first && c == ',':
		p.i++
		p.ws()
	case !first:
		return nil, false, false
	}
	if p.peek() != '"' {
		return nil, false, false
	}
	start, special, valid := p.str()
	if !valid || special {
		return nil, false, false
	}
	key = p.b[start+1 : p.i-1]
	p.ws()
	if !p.open(':') {
		return nil, false, false
	}
	p.ws()
	return key, true, true
}

// str reads past the string literal at p.i (a '"'): it returns the
// index of its opening quote and whether it has escapes or bytes beyond
// ASCII; ok is false if encoding/json would reject it. The short strings
// of a body, plain ASCII, are read here; others by openai.ScanString.
func (p *parser) str() (start int, escapedOrNonASCII, ok bool) {
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

// stringField hands a string literal or null to unmarshal, the field's
// UnmarshalJSON, as encoding/json would.
func (p *parser) stringField(unmarshal func([]byte) error) bool {
	start := p.i
	if !p.null() {
		if p.peek() != '"' {
			return false
		}
		if _, _, valid := p.str(); !valid {
			return false
		}
	}
	return unmarshal(p.b[start:p.i]) == nil
}

// plainString reads a string without escapes and in valid UTF-8 into s
// (whose bytes are then the string's), or null, which leaves s as it is.
func (p *parser) plainString(s *string) bool {
	if p.null() {
		return true
	}
	v, ok := p.plain()
	if ok {
		*s = v
	}
	return ok
}

// optionalString reads a string as plainString does into a new *s, or
// null into a nil *s.
func (p *parser) optionalString(s **string) bool {
	if p.null() {
		*s = nil
		return true
	}
	v, ok := p.plain()
	if ok {
		*s = &v
	}
	return ok
}

// plain reads a string literal without escapes and in valid UTF-8. The
// values that recur on every stream are returned without allocating.
func (p *parser) plain() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	start, special, valid := p.str()
	if !valid {
		return "", false
	}
	v := p.b[start+1 : p.i-1]
	if special && (bytes.IndexByte(v, '\\') >= 0 || !utf8.Valid(v)) {
		return "", false
	}
	for _, s := range interned {
		if s == string(v) {
			return s, true
		}
	}
	return string(v), true
}

// interned are the strings plain returns without allocating.
var interned = [...]string{"assistant", "stop", "length", "tool_calls", openai.ObjectChatCompletion}

// intField reads an integer or null into n, as int64 does.
func (p *parser) intField(n *int) bool {
	v := int64(*n)
	ok := p.int64(&v)
	*n = int(v)
	return ok
}

// int64 reads an integer (at most 18 digits, so that it cannot overflow)
// into n, or null, which leaves n as it is. Numbers with a fraction or an
// exponent are declined: encoding/json rejects them for an integer field.
func (p *parser) int64(n *int64) bool {
	if p.null() {
		return true
	}
	neg := p.peek() == '-'
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
	if c := p.peek(); c == '.' || c == 'e' || c == 'E' {
		return false
	}
	if neg {
		v = -v
	}
	*n = v
	return true
}

// skip reads past any JSON value, checking it as strictly as
// encoding/json does.
func (p *parser) skip(depth int) bool {
	switch c := p.peek(); {
	case c == '"':
		_, _, valid := p.str()
		return valid
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return false
		}
		return p.skipComposite(depth)
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.null()
	}
	return p.number()
}

// skipComposite reads past an object or an array.
func (p *parser) skipComposite(depth int) bool {
	closing := byte('}')
	if p.b[p.i] == '[' {
		closing = ']'
	}
	p.i++
	p.ws()
	if p.peek() == closing {
		p.i++
		return true
	}
	for {
		if closing == '}' {
			if p.peek() != '"' {
				return false
			}
			if _, _, valid := p.str(); !valid {
				return false
			}
			p.ws()
			if !p.open(':') {
				return false
			}
			p.ws()
		}
		if !p.skip(depth + 1) {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case closing:
			p.i++
			return true
		default:
			return false
		}
	}
}

// number reads past a JSON number.
func (p *parser) number() bool {
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return false
	}
	if p.peek() == '.' {
		p.i++
		if !p.digits() {
			return false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits reads past one or more decimal digits.
func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// null reads a null literal if one is next.
func (p *parser) null() bool { return p.literal("null") }

// literal reads lit if it is next.
func (p *parser) literal(lit string) bool {
	if len(p.b)-p.i < len(lit) || string(p.b[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// open reads the byte c if it is next.
func (p *parser) open(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// peek returns the next byte, or 0 at the end.
func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// ws reads past white space.
func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}
