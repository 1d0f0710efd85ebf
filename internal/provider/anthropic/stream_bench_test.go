package anthropic

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
)

// streamBody20 is an Anthropic stream that translates to 20 chat chunks:
// message_start (the role chunk), a text block of 18 deltas, then
// message_delta and message_stop (the finish chunk, with usage).
func streamBody20() []byte {
	var b bytes.Buffer
	event := func(name, data string) { fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", name, data) }
	event("message_start", `{"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant",`+
		`"model":"claude-bench","content":[],"stop_reason":null,"stop_sequence":null,`+
		`"usage":{"input_tokens":256,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}`)
	event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	event("ping", `{"type":"ping"}`)
	for range 18 {
		event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" word"}}`)
	}
	event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":18}}`)
	event("message_stop", `{"type":"message_stop"}`)
	return b.Bytes()
}

// readStream translates body as ChatStream does and returns the number
// of chunks.
func readStream(ctx context.Context, body []byte) (int, error) {
	r := bytes.NewReader(body)
	s := provider.NewStream(ctx, "bench", io.NopCloser(r), provider.SSEEvents(r), newDecoder("bench", 0, decodeOptions{}))
	n := 0
	for {
		_, err := s.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// BenchmarkStreamNext is the translation of a 20-chunk Anthropic stream
// into chat chunks.
func BenchmarkStreamNext(b *testing.B) {
	body := streamBody20()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if n, err := readStream(ctx, body); err != nil || n != 20 {
			b.Fatalf("%d chunks, %v; want 20", n, err)
		}
	}
}
