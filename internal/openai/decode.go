package openai

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unsafe"
)

// DecodeChatRequest decodes body, a client's request, into req, which it
// resets first: the result, and any error, are json.Unmarshal's into a
// zero ChatRequest. It gets there in about one pass over the bytes instead
// of encoding/json's several: the messages, where a request's size is, and
// the commonest scalar fields are checked and read directly, keeping each
// text content's JSON literal for adapters that forward it unchanged (see
// Message.AppendJSON); only the other fields go through encoding/json. A
// body that is not valid JSON, or that has a shape the direct reading
// leaves to encoding/json (a value of the wrong type, a repeated or
// differently spelled key, deep nesting), is decoded again by
// json.Unmarshal for its exact result or error.
//
// Text content shares body's memory (the prompt is not copied), so body
// must not be modified afterwards. The other strings are copies, so that
// what outlives the request (its model in a usage record, say) does not
// keep the body.
func DecodeChatRequest(body []byte, req *ChatRequest) error {
	*req = ChatRequest{}
	if decodeChat(body, req) {
		return nil
	}
	*req = ChatRequest{}
	return json.Unmarshal(body, req)
}

// maxDepth bounds the nesting the direct reading follows; deeper bodies
// are left to encoding/json (whose own limit is 10,000).
const maxDepth = 1000

// reader checks and reads JSON directly. Its methods return false where
// the body is not valid JSON or not of the shape they read; the caller
// then falls back to encoding/json.
type reader struct {
	b     []byte
	s     string // b's bytes, not copied: strings read are its substrings
	i     int
	depth int
	keyAt int // where the key of the member being read starts
}

// decodeChat reads body into req: the messages and the commonest scalar
// fields directly, the other members through json.Unmarshal of an object
// made of them alone.
func decodeChat(body []byte, req *ChatRequest) bool {
	d := chatDecoder{reader: reader{b: body, s: unsafe.String(unsafe.SliceData(body), len(body))}, req: req}
	d.space()
	if d.peek() != '{' || !d.object(d.member) {
		return false
	}
	d.space()
	if d.i != len(body) {
		return false
	}
	return d.others.n == 0 || json.Unmarshal(d.others.object(body), req) == nil
}

// chatDecoder reads the members of a request object.
type chatDecoder struct {
	reader
	req    *ChatRequest
	seen   int     // the fields read directly so far, as bits
	others members // the members left to encoding/json
}

// member reads the member named by key, or records it for encoding/json.
func (d *chatDecoder) member(key []byte, info strInfo) bool {
	if info.escaped {
		return false // a key that might spell a field read directly
	}
	r, req := &d.reader, d.req
	name := key[1 : len(key)-1]
	field := -1
	for i, f := range topFields {
		if string(name) == f {
			field = i
			break
		}
		if bytes.EqualFold(name, []byte(f)) {
			return false // encoding/json matches keys without case
		}
	}
	if field < 0 {
		start := r.keyAt
		if !r.skip() {
			return false
		}
		d.others.add(start, r.i)
		return true
	}
	if d.seen&(1<<field) != 0 {
		return false // a repeated key
	}
	d.seen |= 1 << field
	switch field {
	case fieldMessages:
		return r.messages(&req.Messages)
	case fieldModel:
		return r.str(&req.Model)
	case fieldStream:
		return r.boolean(&req.Stream)
	case fieldMaxTokens:
		return r.intPtr(&req.MaxTokens)
	case fieldMaxCompletionTokens:
		return r.intPtr(&req.MaxCompletionTokens)
	case fieldTemperature:
		return r.floatPtr(&req.Temperature)
	default: // fieldTopP
		return r.floatPtr(&req.TopP)
	}
}

// The fields of ChatRequest read directly: the messages, and the scalars
// nearly every request sets.
const (
	fieldMessages = iota
	fieldModel
	fieldStream
	fieldMaxTokens
	fieldMaxCompletionTokens
	fieldTemperature
	fieldTopP
)

// topFields are their JSON names, indexed as above.
var topFields = [...]string{"messages", "model", "stream", "max_tokens", "max_completion_tokens", "temperature", "top_p"}

// members are the spans of an object's members to decode together, as
// one object made of them alone.
type members struct {
	spans [16][2]int // most objects have few
	more  [][2]int
	n     int
}

// add records the member body[start:end].
func (m *members) add(start, end int) {
	if m.n < len(m.spans) {
		m.spans[m.n] = [2]int{start, end}
	} else {
		m.more = append(m.more, [2]int{start, end})
	}
	m.n++
}

// object returns the members of b as an object.
func (m *members) object(b []byte) []byte {
	spans := m.spans[:min(m.n, len(m.spans))]
	size := 2 + m.n
	for _, s := range spans {
		size += s[1] - s[0]
	}
	for _, s := range m.more {
		size += s[1] - s[0]
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for _, list := range [2][][2]int{spans, m.more} {
		for _, s := range list {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, b[s[0]:s[1]]...)
		}
	}
	return append(out, '}')
}

// messages reads the messages array.
func (r *reader) messages(out *[]Message) bool {
	if r.peek() != '[' {
		return false
	}
	// Room for a system prompt and a user message, the most common
	// request: a stream keeps its request while it lasts, and two Messages
	// spare are 400 bytes of it. Longer conversations grow the slice.
	msgs := make([]Message, 0, 2)
	ok := r.array(func() bool {
		if r.peek() != '{' {
			return false
		}
		msgs = append(msgs, Message{})
		return r.message(&msgs[len(msgs)-1])
	})
	*out = msgs
	return ok
}

// Message members read directly, for spotting repeats.
const (
	seenRole = 1 << iota
	seenContent
	seenName
	seenToolCallID
	seenReasoning
)

// messageFields are Message's JSON names.
var messageFields = [...]string{"role", "content", "name", "tool_calls", "tool_call_id", "refusal", "reasoning", "reasoning_details"}

// message reads one message object: its strings and content directly,
// tool calls, refusal and reasoning details through json.Unmarshal.
func (r *reader) message(m *Message) bool {
	seen := 0
	var others members
	ok := r.object(func(key []byte, info strInfo) bool {
		if info.escaped {
			return false
		}
		name := key[1 : len(key)-1]
		var bit int
		var dst *string
		switch string(name) {
		case "role":
			bit, dst = seenRole, &m.Role
		case "content":
			bit = seenContent
		case "name":
			bit, dst = seenName, &m.Name
		case "tool_call_id":
			bit, dst = seenToolCallID, &m.ToolCallID
		case "reasoning":
			bit, dst = seenReasoning, &m.Reasoning
		case "tool_calls", "refusal", "reasoning_details":
			start := r.keyAt
			if !r.skip() {
				return false
			}
			others.add(start, r.i)
			return true
		default:
			for _, f := range messageFields {
				if bytes.EqualFold(name, []byte(f)) {
					return false // a field spelled in another case
				}
			}
			return r.skip() // ignored, as encoding/json does
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		if dst == nil {
			return r.content(&m.Content)
		}
		return r.str(dst)
	})
	return ok && (others.n == 0 || json.Unmarshal(others.object(r.b), m) == nil)
}

// str reads a string member into dst; null leaves it alone, as
// encoding/json does.
func (r *reader) str(dst *string) bool {
	switch r.peek() {
	case 'n':
		return r.literal("null")
	case '"':
		start := r.i
		end, info, ok := scanString(r.b, r.i)
		if !ok {
			return false
		}
		r.i = end
		*dst = ownString(r.s[start:end], info)
		return true
	}
	return false
}

// boolean reads a bool member; null leaves it alone, as encoding/json
// does.
func (r *reader) boolean(dst *bool) bool {
	switch r.peek() {
	case 't':
		*dst = true
		return r.literal("true")
	case 'f':
		*dst = false
		return r.literal("false")
	case 'n':
		return r.literal("null")
	}
	return false
}

// intPtr reads an optional int member as encoding/json does: null is nil,
// and a number must be an integer that fits.
func (r *reader) intPtr(dst **int) bool {
	lit, ok := r.numberOrNull()
	if !ok || lit == nil {
		*dst = nil
		return ok
	}
	n, err := strconv.ParseInt(string(lit), 10, strconv.IntSize)
	if err != nil {
		return false
	}
	v := int(n)
	*dst = &v
	return true
}

// floatPtr reads an optional float64 member as encoding/json does: null
// is nil, and a number must be within float64's range.
func (r *reader) floatPtr(dst **float64) bool {
	lit, ok := r.numberOrNull()
	if !ok || lit == nil {
		*dst = nil
		return ok
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return false
	}
	*dst = &f
	return true
}

// numberOrNull reads a number, returning its text, or null, returning nil.
func (r *reader) numberOrNull() ([]byte, bool) {
	switch c := r.peek(); {
	case c == 'n':
		return nil, r.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		start := r.i
		if !r.number() {
			return nil, false
		}
		return r.b[start:r.i], true
	}
	return nil, false
}

// ownString decodes lit into a string of its own, not of the body's
// memory; the roles cost no allocation.
func ownString(lit string, info strInfo) string {
	s, _ := unquote(lit, info)
	switch s {
	case "user":
		return "user"
	case "assistant":
		return "assistant"
	case "system":
		return "system"
	case "tool":
		return "tool"
	case "developer":
		return "developer"
	}
	if !info.escaped {
		return strings.Clone(s) // unquote returned a substring
	}
	return s
}

// content reads a message's content: a string directly, null, or an array
// of parts through Content.UnmarshalJSON.
func (r *reader) content(c *Content) bool {
	start := r.i
	switch r.peek() {
	case '"':
		end, info, ok := scanString(r.b, r.i)
		if !ok {
			return false
		}
		r.i = end
		c.setString(r.s[start:end], info)
		return true
	case 'n':
		*c = Content{}
		return r.literal("null")
	case '[':
		return r.skip() && c.UnmarshalJSON(r.b[start:r.i]) == nil
	}
	return false
}

func (r *reader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// space skips JSON whitespace.
func (r *reader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// object reads the object at r.i, calling member for each key (the
// literal, quotes included) with r.i at its value, which member must
// read. Whitespace around keys and values is skipped.
func (r *reader) object(member func(key []byte, info strInfo) bool) bool {
	if r.depth++; r.depth > maxDepth {
		return false
	}
	r.i++ // '{'
	r.space()
	if r.peek() == '}' {
		r.i++
		r.depth--
		return true
	}
	for {
		r.space()
		if r.peek() != '"' {
			return false
		}
		start := r.i
		end, info, ok := scanString(r.b, r.i)
		if !ok {
			return false
		}
		r.i = end
		r.space()
		if r.peek() != ':' {
			return false
		}
		r.i++
		r.space()
		r.keyAt = start
		if !member(r.b[start:end], info) {
			return false
		}
		r.space()
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			r.depth--
			return true
		default:
			return false
		}
	}
}

// array reads the array at r.i, calling elem with r.i at each element,
// which elem must read.
func (r *reader) array(elem func() bool) bool {
	if r.depth++; r.depth > maxDepth {
		return false
	}
	r.i++ // '['
	r.space()
	if r.peek() == ']' {
		r.i++
		r.depth--
		return true
	}
	for {
		r.space()
		if !elem() {
			return false
		}
		r.space()
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			r.depth--
			return true
		default:
			return false
		}
	}
}

// skip checks the value at r.i and moves past it.
func (r *reader) skip() bool {
	switch c := r.peek(); {
	case c == '"':
		end, _, ok := scanString(r.b, r.i)
		r.i = end
		return ok
	case c == '{':
		return r.object(func([]byte, strInfo) bool { return r.skip() })
	case c == '[':
		return r.array(r.skip)
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return r.number()
	}
	return false
}

// literal reads the literal word.
func (r *reader) literal(word string) bool {
	if !bytes.HasPrefix(r.b[r.i:], []byte(word)) {
		return false
	}
	r.i += len(word)
	return true
}

// number reads a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *reader) number() bool {
	b, i := r.b, r.i
	digits := func() bool {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	r.i = i
	return true
}
