package anthropic

import (
	"context"
	"testing"
)

// TestStreamAllocs pins the allocations of translating a stream: measured
// 332 for 20 chunks (23 events), about 14 per event, against about 3.5 per
// chunk in openaicompat: json.Unmarshal into the generic event (its
// pointer fields and strings) on top of the chunk and its text. The
// ceiling is today's figure, so that it can only go down.
func TestStreamAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	body := streamBody20()
	ctx := context.Background()
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if n, err = readStream(ctx, body); err != nil {
			t.Fatal(err)
		}
	})
	if n != 20 {
		t.Fatalf("%d chunks, want 20", n)
	}
	const limit = 340
	if allocs > limit {
		t.Errorf("%v allocations for a 20-chunk stream, want at most %d", allocs, limit)
	}
}
