package openaicompat

import (
	"encoding/json"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/bench"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// benchRequest is a client's request as the API decodes it: switchyard
// bench's body with a prompt of promptBytes.
func benchRequest(tb testing.TB, promptBytes int) *provider.Request {
	tb.Helper()
	var chat openai.ChatRequest
	if err := json.Unmarshal(bench.ChatBody("bench/gpt", false, promptBytes), &chat); err != nil {
		tb.Fatal(err)
	}
	return &provider.Request{Chat: &chat, UpstreamModel: "bench-gpt"}
}

// BenchmarkEncode is the building of the upstream body of a non-streamed
// request, for each of switchyard bench's prompt sizes.
func BenchmarkEncode(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1KB", 1 << 10}, {"100KB", 100 << 10}} {
		req := benchRequest(b, size.bytes)
		a := newAdapter(b, "openai", "http://upstream.invalid/v1", "key").(*Adapter)
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.bytes))
			for b.Loop() {
				if _, _, err := a.encode(req, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
