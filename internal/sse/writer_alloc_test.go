package sse_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/sse"
)

// flushRecorder is an http.ResponseWriter that discards what it is sent
// and counts flushes.
type flushRecorder struct {
	h       http.Header
	n       int
	flushes int
}

func (f *flushRecorder) Header() http.Header         { return f.h }
func (f *flushRecorder) WriteHeader(int)             {}
func (f *flushRecorder) Write(p []byte) (int, error) { f.n += len(p); return len(p), nil }
func (f *flushRecorder) Flush()                      { f.flushes++ }

// TestWriterAllocs pins the relay of one event to the client: written and
// flushed without allocating (measured: 0).
func TestWriterAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	data := []byte(strings.SplitN(openAIStream, "\n", 2)[0][len("data: "):])
	rec := &flushRecorder{h: http.Header{}}
	w := sse.NewWriter(rec)
	allocs := testing.AllocsPerRun(1000, func() {
		if err := w.Data(data); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("%v allocations per event written, want 0", allocs)
	}
	if want := 1001 * (len("data: ") + len(data) + 2); rec.n != want || rec.flushes != 1001 {
		t.Errorf("wrote %d bytes in %d flushes, want %d in 1001", rec.n, rec.flushes, want)
	}
}
