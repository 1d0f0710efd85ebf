package api

import (
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewGenerationID(t *testing.T) {
	shape := regexp.MustCompile(`^gen-(-?[0-9]+)-[a-zA-Z0-9]{20}$`)
	for _, unix := range []int64{1796502506, 0, -1, 1<<63 - 1, -1 << 63} {
		id := newGenerationID(unix)
		m := shape.FindStringSubmatch(id)
		if m == nil || m[1] != strconv.FormatInt(unix, 10) {
			t.Fatalf("newGenerationID(%d) = %q", unix, id)
		}
	}
	if a, b := newGenerationID(1), newGenerationID(1); a == b {
		t.Fatalf("two ids alike: %q", a)
	}
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(100, func() { newGenerationID(1796502506) }); n != 1 {
		t.Errorf("%v allocations per id, want 1 (the string)", n)
	}
}

// TestReadSized checks the body read into a buffer of its announced size:
// exact, shorter than announced (an error), longer (read on to its end),
// unknown, and a reader's own error.
func TestReadSized(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		r       io.Reader
		size    int64
		want    string
		wantErr error
	}{
		{"exact", strings.NewReader("0123456789"), 10, "0123456789", nil},
		{"shorter", strings.NewReader("0123"), 10, "0123", io.ErrUnexpectedEOF},
		{"empty though announced", strings.NewReader(""), 10, "", io.ErrUnexpectedEOF},
		{"longer", strings.NewReader("0123456789abcdef"), 10, "0123456789abcdef", nil},
		{"one byte longer", strings.NewReader("0123456789a"), 10, "0123456789a", nil},
		{"unknown size", strings.NewReader("0123456789"), -1, "0123456789", nil},
		{"reader error", io.MultiReader(strings.NewReader("01"), iotest.ErrReader(boom)), 10, "01", boom},
		{"error after the announced size", io.MultiReader(strings.NewReader("0123456789"), iotest.ErrReader(boom)), 10, "0123456789", boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readSized(tc.r, tc.size)
			if string(got) != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("readSized = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			if tc.name == "exact" && cap(got) != 10 {
				t.Errorf("buffer of %d bytes for a 10-byte body, want exactly 10", cap(got))
			}
		})
	}
}
