package openai

import (
	"unicode/utf8"
	"unsafe"
)

// Unquote returns the value of lit, one JSON string literal (quotes
// included), decoded as json.Unmarshal decodes it into a string: escapes
// resolved, surrogate pairs joined, and invalid UTF-8 and lone surrogates
// replaced by U+FFFD. ok is false if lit is not a literal encoding/json
// accepts. It serves the upstream decoders, whose string fields with
// escapes (content with line breaks, mostly) went through json.Unmarshal.
// The value never shares lit's bytes.
func Unquote(lit []byte) (s string, ok bool) {
	if len(lit) < 2 || lit[0] != '"' {
		return "", false
	}
	end, info, ok := scanString(lit, 0)
	if !ok || end != len(lit) {
		return "", false
	}
	if !info.escaped && (!info.nonASCII || utf8.Valid(lit)) {
		return string(lit[1 : len(lit)-1]), true
	}
	// With escapes or invalid UTF-8, unquote builds the value afresh:
	// lit is only read, and need not be copied into a string first.
	s, _ = unquote(unsafe.String(unsafe.SliceData(lit), len(lit)), info)
	return s, true
}
