package openai

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON string literals, read and written without encoding/json's
// reflection and state machine: a prompt is one long string, and scanning
// it byte by byte through encoding/json's scanner several times was most
// of a large request's cost. Reading checks the literal as strictly as
// encoding/json's scanner does and decodes it exactly as its unquote does;
// writing produces encoding/json's bytes with HTML escaping off. The tests
// hold both to encoding/json.

// Word-at-a-time tests on eight bytes of a string (SWAR).
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plainWord reports whether none of the eight bytes of x (little endian)
// needs attention inside a string literal: each is printable ASCII and
// neither '"' nor '\\'.
func plainWord(x uint64) bool {
	less := (x - lsb*0x20) & ^x & msb // some byte < 0x20 (exact as a whole)
	return x&msb|less|hasZero(x^(lsb*'"'))|hasZero(x^(lsb*'\\')) == 0
}

// hasZero is non-zero if some byte of v is zero.
func hasZero(v uint64) uint64 { return (v - lsb) & ^v & msb }

// strInfo is what scanning a string literal learned of it.
type strInfo struct {
	escaped  bool // it has backslash escapes
	nonASCII bool // it has bytes ≥ 0x80
}

// scanString checks the JSON string literal that starts at b[i], a '"',
// and returns the index just past its closing quote. ok is false if the
// literal is not one encoding/json accepts: unterminated, with a control
// character, or with an unknown escape. Bytes that are not UTF-8 are
// accepted, as encoding/json does (decoding replaces them).
func scanString(b []byte, i int) (end int, info strInfo, ok bool) {
	i++ // the opening quote
	for {
		for i+8 <= len(b) && plainWord(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			return 0, info, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, info, true
		case c == '\\':
			if i+1 >= len(b) {
				return 0, info, false
			}
			info.escaped = true
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b[i+2:]) < 0 {
					return 0, info, false
				}
				i += 6
			default:
				return 0, info, false
			}
		case c < 0x20:
			return 0, info, false
		case c >= utf8.RuneSelf:
			info.nonASCII = true
			i++
		default:
			i++
		}
	}
}

// hex4 returns the value of the four hex digits that start b, or -1.
func hex4[T []byte | string](b T) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for i := range 4 {
		c := b[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unquote returns the value of lit, a literal scanString accepted (quotes
// included), decoded as encoding/json decodes it: escapes resolved,
// surrogate pairs joined, and invalid UTF-8 and lone surrogates replaced by
// U+FFFD. Without escapes or invalid UTF-8 the value is a substring of lit.
// exact reports that nothing was replaced, so that lit is a JSON encoding
// of s that any decoder reads back as s.
func unquote(lit string, info strInfo) (s string, exact bool) {
	in := lit[1 : len(lit)-1]
	if !info.escaped && (!info.nonASCII || utf8.ValidString(in)) {
		return in, true
	}
	out := make([]byte, 0, len(in)+utf8.UTFMax)
	exact = true
	for r := 0; r < len(in); {
		c := in[r]
		switch {
		case c == '\\':
			switch e := in[r+1]; e {
			case 'u':
				rr := hex4(in[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, escapedRune(in[r:])); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						r += 6
						break
					}
					rr, exact = utf8.RuneError, false
				}
				out = utf8.AppendRune(out, rr)
			default:
				out = append(out, unescape[e])
				r += 2
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRuneInString(in[r:])
			if rr == utf8.RuneError && size == 1 {
				exact = false
			}
			out = utf8.AppendRune(out, rr)
			r += size
		}
	}
	return string(out), exact
}

// escapedRune returns the rune of the \uXXXX escape that starts s, or -1.
func escapedRune(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	return hex4(s[2:])
}

// unescape maps the letter of a one-letter escape to its byte.
var unescape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string literal, byte for byte as
// encoding/json writes it with HTML escaping off: ", \ and control
// characters escaped (\b \f \n \r \t by letter), invalid UTF-8 as \ufffd,
// and U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
