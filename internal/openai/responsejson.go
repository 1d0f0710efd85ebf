package openai

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// The non-streamed chat completion is written by hand as the chunks are
// (chunkjson.go), and for the same reason: encoding/json's reflection was
// a share of every non-streamed request. The gateway's writeJSON writes
// with json.Marshal, which escapes <, > and & for HTML; EscapeHTML adds
// those escapes to what an AppendJSON method wrote, so that the client
// gets json.Marshal's bytes. The tests hold both to encoding/json.

// AppendJSON appends r as JSON, as Chunk.AppendJSON appends a chunk: as
// json.Marshal would encode it but for HTML escaping, which it leaves
// out as a json.Encoder with SetEscapeHTML(false) does. The error is
// encoding/json's for SwitchyardRouting or for invalid raw JSON.
func (r *ChatResponse) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = appendHead(dst, r.ID, r.Object, r.Created, r.Model, r.Provider)
	dst = appendOptionalStrings(dst, r.SystemFingerprint, r.ServiceTier)
	dst = append(dst, `,"choices":`...)
	if dst, err = appendArray(dst, r.Choices, (*Choice).appendJSON); err != nil {
		return dst, err
	}
	if dst, err = appendTail(dst, r.Usage, nil); err != nil {
		return dst, err
	}
	if dst, err = appendRouting(dst, r.SwitchyardRouting); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendJSON appends the choice as JSON.
func (ch *Choice) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendInt(dst, int64(ch.Index), 10)
	dst = append(dst, `,"message":`...)
	if dst, err = ch.Message.appendJSON(dst); err != nil {
		return dst, err
	}
	dst = appendFinish(dst, ch.FinishReason, ch.NativeFinishReason)
	dst = append(dst, `,"logprobs":`...)
	// A nil json.RawMessage encodes as null; an empty one fails, as
	// appendRaw does.
	if ch.Logprobs == nil {
		dst = append(dst, "null"...)
	} else if dst, err = appendRaw(dst, ch.Logprobs); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendJSON appends the message as JSON. Content and refusal are
// always written, null when unset.
func (m *ResponseMessage) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"role":`...)
	dst = appendString(dst, m.Role)
	dst = append(dst, `,"content":`...)
	dst = appendNullable(dst, m.Content)
	dst = append(dst, `,"refusal":`...)
	dst = appendNullable(dst, m.Refusal)
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":`...)
		dst = appendToolCalls(dst, m.ToolCalls)
	}
	if m.Reasoning != nil {
		dst = append(dst, `,"reasoning":`...)
		dst = appendString(dst, *m.Reasoning)
	}
	if len(m.ReasoningDetails) > 0 {
		dst = append(dst, `,"reasoning_details":`...)
		if dst, err = appendRaw(dst, m.ReasoningDetails); err != nil {
			return dst, err
		}
	}
	if len(m.Annotations) > 0 {
		dst = append(dst, `,"annotations":`...)
		if dst, err = appendRaw(dst, m.Annotations); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// EscapeHTML escapes b[start:], JSON that an AppendJSON method wrote, as
// json.Marshal escapes what it writes: <, > and & as \u003c, \u003e and
// \u0026, and U+2028 and U+2029 (which raw JSON may carry unescaped) as
// \u2028 and \u2029. JSON has these bytes only inside strings, where the
// escapes stand for the same characters: the JSON means the same, and
// can be embedded in HTML. Without any, b is returned as it is, which is
// the usual case and costs one pass over the bytes.
func EscapeHTML(b []byte, start int) []byte {
	i := indexHTML(b, start)
	if i < 0 {
		return b
	}
	rest := bytes.Clone(b[i:])
	b = b[:i]
	last := 0
	for j := 0; j < len(rest); j++ {
		switch c := rest[j]; {
		case c == '<' || c == '>' || c == '&':
			b = append(b, rest[last:j]...)
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			last = j + 1
		case lineSeparator(rest, j):
			b = append(b, rest[last:j]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[rest[j+2]&0xF])
			j += 2
			last = j + 1
		}
	}
	return append(b, rest[last:]...)
}

// indexHTML returns the index of the first byte at or after i that
// EscapeHTML escapes, or -1. It skips eight bytes at a time while none
// of them is <, >, & or the first byte of U+2028 and U+2029.
func indexHTML(b []byte, i int) int {
	for i < len(b) {
		if i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if hasZero(x^(lsb*'<'))|hasZero(x^(lsb*'>'))|hasZero(x^(lsb*'&'))|hasZero(x^(lsb*0xE2)) == 0 {
				i += 8
				continue
			}
		}
		if c := b[i]; c == '<' || c == '>' || c == '&' || lineSeparator(b, i) {
			return i
		}
		i++
	}
	return -1
}

// lineSeparator reports whether U+2028 or U+2029 starts at b[i].
func lineSeparator(b []byte, i int) bool {
	return b[i] == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && b[i+2]&^1 == 0xA8
}
