package openai

import (
	"encoding/json"
	"testing"
)

// checkUnquote holds Unquote to json.Unmarshal into a string, and checks
// that its value does not change with lit's bytes.
func checkUnquote(t *testing.T, lit string) {
	t.Helper()
	b := []byte(lit)
	got, ok := Unquote(b)
	var want string
	err := json.Unmarshal(b, &want)
	// json.Unmarshal allows white space around the literal; Unquote does not.
	if valid := err == nil && len(b) > 0 && b[0] == '"' && b[len(b)-1] == '"'; ok != valid {
		t.Fatalf("Unquote(%q): ok = %v; json.Unmarshal: %v", lit, ok, err)
	}
	if !ok {
		return
	}
	if got != want {
		t.Fatalf("Unquote(%q) = %q, want %q", lit, got, want)
	}
	clear(b)
	if got != want {
		t.Fatalf("Unquote(%q) = %q, which changed with the literal's bytes", lit, got)
	}
}

func TestUnquote(t *testing.T) {
	for _, lit := range append(stringLiterals, ``, `"`, `x`, `"a"b"`, `"a" `, ` "a"`, `null`, `"\n\n\u00e9\ud83d\ude42"`) {
		checkUnquote(t, lit)
	}
}

func FuzzUnquoteExported(f *testing.F) {
	for _, lit := range stringLiterals {
		f.Add(lit)
	}
	f.Fuzz(checkUnquote)
}
