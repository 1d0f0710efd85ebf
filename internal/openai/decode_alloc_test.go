package openai

import (
	"runtime"
	"testing"
)

// TestDecodeChatRequestAllocs pins the allocations of decoding a request
// with DecodeChatRequest (measured: 19 for a 1 KB prompt, the same for
// 100 KB; json.Unmarshal took 27): the model, the messages array, the
// temperature and max_tokens pointers, and about 15 of encoding/json's for
// the fields it is left (here stream_options and provider). The text is
// not copied: the bytes allocated do not grow with the prompt.
func TestDecodeChatRequestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const limit = 21
	const bytesLimit = 4 << 10
	for _, size := range []int{1 << 10, 100 << 10} {
		body := chatRequestJSON(size)
		var req ChatRequest
		decode := func() {
			req = ChatRequest{}
			if err := DecodeChatRequest(body, &req); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(50, decode)
		t.Logf("%d-byte prompt: %v allocations", size, allocs)
		if got := req.Messages[1].Content.Text; len(got) != size {
			t.Fatalf("decoded a %d-byte prompt, want %d", len(got), size)
		}
		if allocs > limit {
			t.Errorf("decoding a request with a %d-byte prompt: %v allocations, want at most %d", size, allocs, limit)
		}
		const runs = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			decode()
		}
		runtime.ReadMemStats(&after)
		if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > bytesLimit {
			t.Errorf("decoding a request with a %d-byte prompt allocates %d bytes, want at most %d", size, perRun, bytesLimit)
		}
	}
}
