package openai

import (
	"strings"
	"testing"
)

// chatRequestJSON is a request as SDKs send it: a system and a user
// message (the user's of promptBytes), sampling parameters, streaming
// with usage, and OpenRouter provider preferences.
func chatRequestJSON(promptBytes int) []byte {
	prompt := strings.Repeat("The ledger moved to append-only storage. ", promptBytes/41+1)[:promptBytes]
	return []byte(`{"model":"openai/gpt-4o-mini","messages":[` +
		`{"role":"system","content":"You are a concise assistant. Answer in one short sentence."},` +
		`{"role":"user","content":"` + prompt + `"}],` +
		`"temperature":0.7,"max_tokens":256,"stream":true,"stream_options":{"include_usage":true},` +
		`"provider":{"order":["openai","azure"],"allow_fallbacks":true}}`)
}

// BenchmarkDecodeChatRequest is the decoding of a client's request body,
// as the API does it for every request (api.decodeJSON, DecodeChatRequest).
func BenchmarkDecodeChatRequest(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1KB", 1 << 10}, {"100KB", 100 << 10}} {
		body := chatRequestJSON(size.bytes)
		b.Run(size.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var req ChatRequest
				if err := DecodeChatRequest(body, &req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
