package bench

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// UpstreamOptions configures the fake upstream.
type UpstreamOptions struct {
	// Chunks is how many chat chunks a stream yields once translated: a
	// role chunk, Chunks-2 content chunks and a finish chunk (default
	// 20, at least 3). OpenAI streams add a usage chunk and [DONE].
	Chunks int
	// ChunkInterval paces streams: the wait between two events. Zero
	// sends them back to back, each written and flushed on its own.
	ChunkInterval time.Duration
}

// Upstream models. The fake reads the model named in the request body:
// ModelIdle streams one chunk and then holds the stream open, silent, until
// the client leaves; any other model gets a complete answer.
const ModelIdle = "bench-idle"

// promptTokens is the prompt usage every answer reports (the fake does not
// count); completion tokens are one per word.
const promptTokens = 256

// Upstream is a zero-delay fake of an OpenAI-compatible API
// (POST /v1/chat/completions) and of Anthropic's Messages API
// (POST /v1/messages): non-streamed JSON answers and SSE streams, rendered
// once so that serving one costs little more than writing its bytes.
type Upstream struct {
	opts UpstreamOptions

	openaiJSON      []byte
	openaiStream    [][]byte
	anthropicJSON   []byte
	anthropicStream [][]byte

	bufs sync.Pool // *bytes.Buffer for request bodies
}

var _ http.Handler = (*Upstream)(nil)

// NewUpstream returns a fake upstream.
func NewUpstream(o UpstreamOptions) *Upstream {
	if o.Chunks < 3 {
		o.Chunks = 20
	}
	u := &Upstream{opts: o, bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
	words := replyWords(o.Chunks - 2)
	u.openaiJSON, u.openaiStream = renderOpenAI(words)
	u.anthropicJSON, u.anthropicStream = renderAnthropic(words)
	return u
}

// ServeHTTP answers a chat request in the dialect of its path.
func (u *Upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var anthropic bool
	switch {
	case r.Method != http.MethodPost:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case r.URL.Path == "/v1/chat/completions":
	case r.URL.Path == "/v1/messages":
		anthropic = true
	default:
		http.Error(w, "no such endpoint", http.StatusNotFound)
		return
	}
	buf := u.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(r.Body)
	body := buf.Bytes()
	stream := bytes.Contains(body, []byte(`"stream":true`))
	idle := bytes.Contains(body, []byte(`"model":"`+ModelIdle+`"`))
	if buf.Cap() <= 1<<20 {
		u.bufs.Put(buf)
	}
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case !stream && anthropic:
		writeBody(w, u.anthropicJSON)
	case !stream:
		writeBody(w, u.openaiJSON)
	case anthropic:
		u.stream(w, r, u.anthropicStream, idle)
	default:
		u.stream(w, r, u.openaiStream, idle)
	}
}

func writeBody(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.Write(b)
}

// stream writes events one by one, each flushed. An idle stream stops
// after the first and waits for the client to leave.
func (u *Upstream) stream(w http.ResponseWriter, r *http.Request, events [][]byte, idle bool) {
	h := w.Header()
	h["Content-Type"] = []string{"text/event-stream"}
	h["Cache-Control"] = []string{"no-cache"}
	rc := http.NewResponseController(w)
	for i, ev := range events {
		if i > 0 && u.opts.ChunkInterval > 0 {
			select {
			case <-time.After(u.opts.ChunkInterval):
			case <-r.Context().Done():
				return
			}
		}
		if _, err := w.Write(ev); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		if idle {
			<-r.Context().Done()
			return
		}
	}
}

// replyWords is the text of an answer, one word per content chunk.
func replyWords(n int) []string {
	vocab := []string{" The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", " and",
		" keeps", " running", " through", " the", " quiet", " field", " until", " dusk", "."}
	words := make([]string, n)
	for i := range words {
		words[i] = vocab[i%len(vocab)]
	}
	return words
}

func concat(words []string) string {
	var b bytes.Buffer
	for _, w := range words {
		b.WriteString(w)
	}
	return b.String()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // static shapes: cannot fail
	}
	return b
}

type obj = map[string]any

func sseData(payload []byte) []byte {
	return append(append([]byte("data: "), payload...), '\n', '\n')
}

func sseEvent(name string, payload []byte) []byte {
	return append([]byte("event: "+name+"\n"), sseData(payload)...)
}

// renderOpenAI renders the OpenAI answers: a chat.completion, and a
// stream of a role chunk, one chunk per word, a finish chunk, a usage
// chunk (as with stream_options.include_usage) and [DONE].
func renderOpenAI(words []string) (body []byte, events [][]byte) {
	const id, created, model, fp = "chatcmpl-bench0000000000000000000000", 1767225600, "bench-gpt", "fp_bench"
	usage := obj{
		"prompt_tokens": promptTokens, "completion_tokens": len(words), "total_tokens": promptTokens + len(words),
		"prompt_tokens_details":     obj{"cached_tokens": 0, "audio_tokens": 0},
		"completion_tokens_details": obj{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
	body = mustJSON(obj{
		"id": id, "object": "chat.completion", "created": created, "model": model, "system_fingerprint": fp,
		"choices": []obj{{"index": 0, "logprobs": nil, "finish_reason": "stop",
			"message": obj{"role": "assistant", "content": concat(words), "refusal": nil}}},
		"usage": usage, "service_tier": "default",
	})
	chunk := func(delta obj, finish any) []byte {
		return sseData(mustJSON(obj{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "system_fingerprint": fp,
			"choices": []obj{{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}))
	}
	events = append(events, chunk(obj{"role": "assistant", "content": "", "refusal": nil}, nil))
	for _, w := range words {
		events = append(events, chunk(obj{"content": w}, nil))
	}
	events = append(events, chunk(obj{}, "stop"))
	events = append(events, sseData(mustJSON(obj{
		"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "system_fingerprint": fp,
		"choices": []obj{}, "usage": usage,
	})))
	events = append(events, []byte("data: [DONE]\n\n"))
	return body, events
}

// renderAnthropic renders the Messages answers: a message, and the event
// sequence message_start, content_block_start, one content_block_delta per
// word, content_block_stop, message_delta, message_stop.
func renderAnthropic(words []string) (body []byte, events [][]byte) {
	const id, model = "msg_bench000000000000000000", "bench-claude"
	body = mustJSON(obj{
		"id": id, "type": "message", "role": "assistant", "model": model,
		"content":     []obj{{"type": "text", "text": concat(words)}},
		"stop_reason": "end_turn", "stop_sequence": nil,
		"usage": obj{"input_tokens": promptTokens, "output_tokens": len(words),
			"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
	})
	ev := func(name string, v obj) []byte {
		v["type"] = name
		return sseEvent(name, mustJSON(v))
	}
	events = append(events, ev("message_start", obj{"message": obj{
		"id": id, "type": "message", "role": "assistant", "model": model, "content": []obj{},
		"stop_reason": nil, "stop_sequence": nil,
		"usage": obj{"input_tokens": promptTokens, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
	}}))
	events = append(events, ev("content_block_start", obj{"index": 0, "content_block": obj{"type": "text", "text": ""}}))
	for _, w := range words {
		events = append(events, ev("content_block_delta", obj{"index": 0, "delta": obj{"type": "text_delta", "text": w}}))
	}
	events = append(events, ev("content_block_stop", obj{"index": 0}))
	events = append(events, ev("message_delta", obj{
		"delta": obj{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": obj{"output_tokens": len(words)},
	}))
	events = append(events, ev("message_stop", obj{}))
	return body, events
}
