package openai

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// stringLiterals are JSON string literals, valid and not, that the string
// functions are held to encoding/json on.
var stringLiterals = []string{
	`""`, `"a"`, `"plain ASCII text that is longer than one word"`,
	`"tab\tnew\nline\r\"quote\" back\\slash \/ \b \f"`,
	`"\u00e9\u00E9 é 日本語 🙂 \ud83d\ude42"`,
	`"lone high \ud83d then text"`, `"lone low \ude42"`, `"high then high \ud83d\ud83d"`,
	`"high at end \ud83d"`, `"\ufffd escaped replacement"`, "\"\xef\xbf\xbd literal replacement\"",
	"\"invalid \xff utf-8 \xc3\"", "\"truncated \xe6\x97\"", "\"\xed\xa0\x80 encoded surrogate\"",
	`"<html> & ' \u2028 \u2029"`, "\"raw \u2028 and \u2029 separators\"", `"\u0000 nul"`,
	`"unterminated`, `"bad escape \x"`, `"bad unicode \u12g4"`, `"short unicode \u12"`,
	"\"control \x01 char\"", "\"newline \n raw\"", `"ends in backslash\"`, `"quote " inside"`,
	`"\'"`, `"` + strings.Repeat("0123456789abcdef", 20) + `"`,
	`"` + strings.Repeat("x", 37) + `\n` + strings.Repeat("y", 29) + `"`,
	`"` + strings.Repeat("long ", 30) + `\"quoted\" é \u00e9` + strings.Repeat("x", 40) + `"`,
	`"` + strings.Repeat("long ", 30) + "\x01" + `"`,
}

// checkLiteral holds scanString and unquote to encoding/json on lit.
func checkLiteral(t *testing.T, lit string) {
	t.Helper()
	b := []byte(lit)
	end, info, ok := scanString(b, 0)
	valid := json.Valid(b) && len(b) > 1 && b[0] == '"' && b[len(b)-1] == '"'
	if ok && end == len(b) != valid {
		t.Fatalf("scanString(%q) = %d, %v; json.Valid says %v", lit, end, ok, valid)
	}
	if !valid {
		if ok && end == len(b) {
			t.Fatalf("scanString accepted %q, which encoding/json rejects", lit)
		}
		return
	}
	var want string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	got, exact := unquote(lit, info)
	if got != want {
		t.Fatalf("unquote(%q) = %q, want %q", lit, got, want)
	}
	if wantExact := utf8.Valid(b) && !loneSurrogate(lit); exact != wantExact {
		t.Fatalf("unquote(%q): exact = %v, want %v", lit, exact, wantExact)
	}
	if info.escaped != strings.Contains(lit, `\`) {
		t.Fatalf("scanString(%q): escaped = %v", lit, info.escaped)
	}
}

// loneSurrogate reports whether the valid literal lit has a \u escape of
// a surrogate that is not the first or second half of a pair.
func loneSurrogate(lit string) bool {
	surrogate := func(i int) (hi, lo bool) {
		if i+6 > len(lit) || lit[i:i+2] != `\u` {
			return false, false
		}
		v, err := strconv.ParseUint(lit[i+2:i+6], 16, 32)
		return err == nil && 0xd800 <= v && v < 0xdc00, err == nil && 0xdc00 <= v && v < 0xe000
	}
	for i := 1; i < len(lit)-1; i++ {
		if lit[i] != '\\' {
			continue
		}
		hi, lo := surrogate(i)
		switch {
		case hi:
			if _, lo2 := surrogate(i + 6); !lo2 {
				return true
			}
			i += 11
		case lo:
			return true
		default:
			i++ // the escaped character
		}
	}
	return false
}

func TestStringLiterals(t *testing.T) {
	for _, lit := range stringLiterals {
		checkLiteral(t, lit)
	}
}

// TestUnquoteExact pins which literals unquote reports as exact.
func TestUnquoteExact(t *testing.T) {
	for lit, want := range map[string]bool{
		`"plain"`:                   true,
		`"esc\n\u00e9\ud83d\ude42"`: true,
		"\"é\"":                     true,
		`"\ufffd"`:                  true,
		`"\ud83d"`:                  false,
		`"\ude42x"`:                 false,
		"\"\xff\"":                  false,
		"\"\xed\xa0\x80\"":          false, // a surrogate encoded in UTF-8 is invalid UTF-8
	} {
		b := []byte(lit)
		_, info, ok := scanString(b, 0)
		if !ok {
			t.Fatalf("scanString(%q) failed", lit)
		}
		if _, exact := unquote(lit, info); exact != want {
			t.Errorf("unquote(%q): exact = %v, want %v", lit, exact, want)
		}
	}
}

func FuzzUnquote(f *testing.F) {
	for _, lit := range stringLiterals {
		f.Add(lit)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		if len(lit) == 0 || lit[0] != '"' {
			lit = `"` + lit
		}
		checkLiteral(t, lit)
	})
}

// stringValues are strings that appendString is held to encoding/json on.
var stringValues = []string{
	"", "plain", "quote \" backslash \\ slash /", "\b\f\n\r\t\x00\x01\x1f\x7f",
	"<html> & 'apostrophe'", "\u2028\u2029", "é 日本語 🙂", "\xff invalid \xc3", "\xed\xa0\x80",
	"\ufffd", strings.Repeat("long ", 100),
}

func checkAppendString(t *testing.T, s string) {
	t.Helper()
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(sb.String(), "\n")
	if got := string(appendString([]byte("x"), s)); got != "x"+want {
		t.Fatalf("appendString(%q) = %s, want %s", s, got[1:], want)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range stringValues {
		checkAppendString(t, s)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringValues {
		f.Add(s)
	}
	f.Fuzz(checkAppendString)
}

// TestPlainWord checks the eight-byte test against a byte loop, on words
// made of the bytes at the edges of what needs attention.
func TestPlainWord(t *testing.T) {
	edges := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 'a', 0x7e, 0x7f, 0x80, 0x81, 0xc3, 0xfe, 0xff}
	rng := rand.New(rand.NewPCG(1, 2))
	var w [8]byte
	for range 200000 {
		want := true
		for i := range w {
			if rng.IntN(4) == 0 {
				w[i] = edges[rng.IntN(len(edges))]
			} else {
				w[i] = byte(0x20 + rng.IntN(0x5f))
			}
			c := w[i]
			want = want && c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		}
		if got := plainWord(binary.LittleEndian.Uint64(w[:])); got != want {
			t.Fatalf("plainWord(% x) = %v, want %v", w, got, want)
		}
	}
}

// TestLongStringLiterals holds scanString's long-string path (scanLong,
// past longRun plain bytes) to encoding/json: an escape, a control
// character, a byte ≥ 0x80, an escaped quote or a missing end at every
// offset around the hand-over and the 32- and 8-byte steps of plainRun.
func TestLongStringLiterals(t *testing.T) {
	inserts := []string{`\n`, `\"`, `\\`, `\u00e9`, `\ud83d\ude42`, "\x01", "\x1f", "é", "\xff", `\x`, `\u12`, "\x7f", `"`}
	for _, n := range []int{longRun - 9, longRun - 1, longRun, longRun + 1, longRun + 7, longRun + 8, longRun + 31, longRun + 32, longRun + 33, 300} {
		prefix := strings.Repeat("a", n)
		for _, ins := range inserts {
			for _, tail := range []int{0, 1, 7, 8, 31, 32, 40, 100} {
				lit := `"` + prefix + ins + strings.Repeat("b", tail)
				checkLiteral(t, lit+`"`)
				checkLiteral(t, lit)                 // unterminated
				checkLiteral(t, lit+ins+`"`)         // two of them
				checkLiteral(t, lit+`\"`+prefix+`"`) // an escaped quote, then more
			}
		}
	}
}
