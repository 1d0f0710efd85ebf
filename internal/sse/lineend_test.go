package sse

import (
	"bytes"
	"testing"
)

// TestLineEnd holds lineEnd to bytes.IndexAny, which it replaces.
func TestLineEnd(t *testing.T) {
	for _, s := range []string{
		"", "data", "\n", "\r", "\r\n", "\n\r", "a\nb\rc", "a\rb\nc", "data: x\r\n\r\n",
		"a long line of data well past sixteen bytes\n", "a long line of data well past sixteen bytes\r\nmore\n",
		"no end at all in this rather longer line of text",
	} {
		if got, want := lineEnd([]byte(s)), bytes.IndexAny([]byte(s), "\r\n"); got != want {
			t.Errorf("lineEnd(%q) = %d, want %d", s, got, want)
		}
	}
}

func FuzzLineEnd(f *testing.F) {
	f.Add([]byte("data: x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := lineEnd(b), bytes.IndexAny(b, "\r\n"); got != want {
			t.Errorf("lineEnd(%q) = %d, want %d", b, got, want)
		}
	})
}
