package openai

import (
	"encoding/json"
	"testing"
)

// TestDecodeChatRequestAllocs pins the allocations of decoding a request
// (measured: 27 for a 1 KB prompt, the same for 100 KB): a handful per
// message and field, none that grows with the prompt but its one copy.
func TestDecodeChatRequestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const limit = 30
	var small float64
	for _, size := range []int{1 << 10, 100 << 10} {
		body := chatRequestJSON(size)
		var req ChatRequest
		allocs := testing.AllocsPerRun(50, func() {
			req = ChatRequest{}
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%d-byte prompt: %v allocations", size, allocs)
		if got := req.Messages[1].Content.Text; len(got) != size {
			t.Fatalf("decoded a %d-byte prompt, want %d", len(got), size)
		}
		if allocs > limit {
			t.Errorf("decoding a request with a %d-byte prompt: %v allocations, want at most %d", size, allocs, limit)
		}
		if small == 0 {
			small = allocs
		} else if allocs > small+2 {
			t.Errorf("a 100 KB prompt costs %v allocations, a 1 KB one %v: decoding allocates per byte", allocs, small)
		}
	}
}
