package openai

import (
	"bytes"
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
		run := i
		for i+8 <= len(b) && plainWord(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
			if i-run >= longRun {
				end, ok := scanLong(b, i, &info)
				return end, info, ok
			}
		}
		if i >= len(b) {
			return 0, info, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, info, true
		case c == '\\':
			n := escapeLen(b[i:])
			if n == 0 {
				return 0, info, false
			}
			info.escaped = true
			i += n
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

// escapeLen returns the length of the escape sequence that starts b, a
// backslash, or 0 if it is not one JSON has.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if hex4(b[2:]) < 0 {
			return 0
		}
		return 6
	}
	return 0
}

// longRun is how far scanString goes word by word before it takes a
// string for a long one (a prompt) and hands it to scanLong.
const longRun = 64

// scanLong goes on with scanString from b[i], inside a long string: it
// finds the closing quote and each backslash with bytes.IndexByte (vector
// instructions) and checks the bytes between for control characters 32 at
// a time, where scanString's word loop looks for all three 8 at a time.
func scanLong(b []byte, i int, info *strInfo) (end int, ok bool) {
	q := -1 // the next '"' at or after i, once found
	for {
		if q < i {
			k := bytes.IndexByte(b[i:], '"')
			if k < 0 {
				return 0, false
			}
			q = i + k
		}
		run := b[i:q]
		if k := bytes.IndexByte(run, '\\'); k >= 0 {
			run = run[:k]
		}
		nonASCII, ok := plainRun(run)
		if !ok {
			return 0, false
		}
		info.nonASCII = info.nonASCII || nonASCII
		i += len(run)
		if i == q {
			return q + 1, true
		}
		n := escapeLen(b[i:]) // b[i] is a backslash
		if n == 0 {
			return 0, false
		}
		info.escaped = true
		i += n // past q if the escape was \", which sends for the next quote
	}
}

// plainRun reports whether s has no control character, and whether it has
// bytes ≥ 0x80.
func plainRun(s []byte) (nonASCII, ok bool) {
	var high, less uint64
	for len(s) >= 32 {
		x0 := binary.LittleEndian.Uint64(s)
		x1 := binary.LittleEndian.Uint64(s[8:])
		x2 := binary.LittleEndian.Uint64(s[16:])
		x3 := binary.LittleEndian.Uint64(s[24:])
		high |= x0 | x1 | x2 | x3
		less |= (x0-lsb*0x20)&^x0 | (x1-lsb*0x20)&^x1 | (x2-lsb*0x20)&^x2 | (x3-lsb*0x20)&^x3
		s = s[32:]
	}
	for len(s) >= 8 {
		x := binary.LittleEndian.Uint64(s)
		high |= x
		less |= (x - lsb*0x20) &^ x
		s = s[8:]
	}
	for _, c := range s {
		high |= uint64(c)
		if c < 0x20 {
			less |= msb
		}
	}
	return high&msb != 0, less&msb == 0
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
