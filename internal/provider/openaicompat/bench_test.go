package openaicompat

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// streamBody20 is an OpenAI stream of 20 chunks: role, 17 content deltas,
// finish, usage; then [DONE].
func streamBody20() []byte {
	words := make([]string, 17)
	for i := range words {
		words[i] = " word"
	}
	return providertest.StreamBody(providertest.OpenAI, providertest.WithReplyChunks(words...))
}

func BenchmarkStreamNext(b *testing.B) {
	body := streamBody20()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s := newStream(ctx, "bench", io.NopCloser(bytes.NewReader(body)), translation{})
		n := 0
		for {
			_, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 20 {
			b.Fatalf("%d chunks, want 20", n)
		}
	}
}

// TestStreamAllocs pins the allocations of reading a stream: about two per
// chunk (the decoded chunk and its text) plus the reader's set-up
// (measured: 55, 71 before decodeFast).
func TestStreamAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	body := streamBody20()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		s := newStream(ctx, "allocs", io.NopCloser(bytes.NewReader(body)), translation{})
		for {
			if _, err := s.Next(); err != nil {
				break
			}
		}
	})
	const limit = 60
	if allocs > limit {
		t.Errorf("%v allocations for a 20-chunk stream, want at most %d", allocs, limit)
	}
}
