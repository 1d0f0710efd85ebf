package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchyard-dev/switchyard/internal/openai/openaitest"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// finalError checks that a stream ended with exactly one in-band error
// chunk and no [DONE], and returns that chunk's error object.
func finalError(t *testing.T, s sseStream) map[string]any {
	t.Helper()
	if len(s.data) == 0 {
		t.Fatal("empty stream")
	}
	for _, d := range s.data {
		if d == "[DONE]" {
			t.Fatalf("a failed stream sent [DONE]: %q", s.data)
		}
	}
	for _, d := range s.data[:len(s.data)-1] {
		if strings.Contains(d, `"error"`) {
			t.Fatalf("error before the last chunk: %s", d)
		}
	}
	last := decodeMap(t, []byte(s.data[len(s.data)-1]))
	errObj, ok := last["error"].(map[string]any)
	if !ok {
		t.Fatalf("last chunk has no error: %v", last)
	}
	choices := last["choices"].([]any)
	if len(choices) != 1 || choices[0].(map[string]any)["finish_reason"] != "error" {
		t.Fatalf("last chunk choices %v", choices)
	}
	for _, k := range []string{"code", "message"} {
		if errObj[k] == nil {
			t.Fatalf("error chunk without %s: %v", k, errObj)
		}
	}
	return errObj
}

func TestMidStreamErrorIsInBand(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("a b c d e f"),
		providertest.WithMidStreamError(3, `{"error":{"message":"upstream exploded","type":"server_error","code":null}}`))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	resp := e.post("/api/v1/chat/completions", streamBody(modelA))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	s := readStream(t, resp.Body)
	got := finalError(t, s)
	if msg := got["message"].(string); !strings.Contains(msg, "upstream exploded") {
		t.Fatalf("message %q", msg)
	}
	if len(s.data) < 2 {
		t.Fatalf("no content before the error: %q", s.data)
	}
	// The chunks before the error are valid chat chunks.
	for _, d := range s.data[:len(s.data)-1] {
		openaitest.Validate(t, "CreateChatCompletionStreamResponse", []byte(d))
	}
	e.generation(resp.Header.Get("X-Generation-Id"))
}

func TestTruncatedStreamIsAnError(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("a b c d e f"), providertest.WithDropAfter(3))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	s := readStream(t, e.post("/api/v1/chat/completions", streamBody(modelA)).Body)
	finalError(t, s)
}

func TestStalledStreamTimesOutInBand(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("a b c d e f"),
		providertest.WithStallAfter(2, 30*time.Second))
	e := newEnv(t, envOptions{idle: 300 * time.Millisecond,
		upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	start := time.Now()
	s := readStream(t, e.post("/api/v1/chat/completions", streamBody(modelA)).Body)
	got := finalError(t, s)
	if code := got["code"].(json.Number).String(); code != "408" {
		t.Fatalf("code %s, want 408: %v", code, got)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("stream took %s to time out", d)
	}
	if !fake.Last().WaitCanceled(5 * time.Second) {
		t.Fatal("the stalled upstream request was not cancelled")
	}
}

func TestKeepAliveWhileWaiting(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("late"), providertest.WithHang(400*time.Millisecond))
	e := newEnv(t, envOptions{keepAlive: 50 * time.Millisecond,
		upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	resp := e.post("/api/v1/chat/completions", streamBody(modelA))
	s := readStream(t, resp.Body)
	if len(s.comments) == 0 || s.comments[0] != "SWITCHYARD PROCESSING" {
		t.Fatalf("comments %q", s.comments)
	}
	if s.data[len(s.data)-1] != "[DONE]" {
		t.Fatalf("stream %q", s.data)
	}
}

func TestAllFailAfterKeepAliveIsInBand(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithHang(300*time.Millisecond),
		providertest.WithStatus(503, `{"error":{"message":"no capacity"}}`))
	e := newEnv(t, envOptions{keepAlive: 30 * time.Millisecond,
		upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	resp := e.post("/api/v1/chat/completions", streamBody(modelA))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d; keep-alives should have committed a 200", resp.StatusCode)
	}
	got := finalError(t, readStream(t, resp.Body))
	if !strings.Contains(got["message"].(string), "no capacity") {
		t.Fatalf("error %v", got)
	}
}

// TestClientDisconnectCancelsUpstream also proves that no goroutine outlives
// a cancelled stream: once the test's servers and store are closed, every
// goroutine it started must be gone.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Run("disconnect", testClientDisconnect)
	goleak.VerifyNone(t, before)
}

func testClientDisconnect(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply(strings.Repeat("word ", 200)),
		providertest.WithChunkDelay(20*time.Millisecond))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/api/v1/chat/completions",
		strings.NewReader(streamBody(modelA)))
	req.Header.Set("Authorization", "Bearer "+e.key)
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	genID := resp.Header.Get("X-Generation-Id")
	br := bufio.NewReader(resp.Body)
	for i := 0; i < 3; i++ { // read a few events, then hang up
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	resp.Body.Close()
	client.CloseIdleConnections()

	if !fake.Last().WaitCanceled(5 * time.Second) {
		t.Fatal("the upstream request was not cancelled when the client left")
	}
	g := e.generation(genID)
	if !g.Cancelled || g.Cost <= 0 {
		t.Fatalf("cancelled generation %+v: want it recorded as cancelled and charged for what streamed", g)
	}
	e.srv.CloseClientConnections()
}

func TestStreamLongChunkAndCRLF(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // one 200 KiB delta: no 64 KiB line limit anywhere
	fake := providertest.NewOpenAI(t, providertest.WithReplyChunks("start ", long), providertest.WithCRLF(),
		providertest.WithKeepAlive("keep-alive"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	s := readStream(t, e.post("/api/v1/chat/completions", streamBody(modelA)).Body)
	var text strings.Builder
	for _, d := range s.data[:len(s.data)-1] {
		var c struct {
			Choices []struct {
				Delta struct{ Content string }
			}
		}
		json.Unmarshal([]byte(d), &c)
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
		}
	}
	if text.String() != "start "+long {
		t.Fatalf("reassembled %d bytes, want %d", text.Len(), len(long)+6)
	}
}

func TestErrorFinishReasonIsInBand(t *testing.T) {
	fake := providertest.New(t, providertest.DeepSeek, providertest.WithReply("a b c"),
		providertest.WithFinishReason("insufficient_system_resource"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	got := finalError(t, readStream(t, e.post("/api/v1/chat/completions", streamBody(modelA)).Body))
	if !strings.Contains(got["message"].(string), "insufficient_system_resource") {
		t.Fatalf("error %v", got)
	}
}

// flushCounter is a ResponseWriter that counts flushes and shows what was
// written so far.
type flushCounter struct {
	http.ResponseWriter
	mu      sync.Mutex
	flushes int
	sent    bytes.Buffer // what was flushed
	pending bytes.Buffer
}

func (f *flushCounter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pending.Write(p)
}

func (f *flushCounter) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushes++
	f.sent.Write(f.pending.Bytes())
	f.pending.Reset()
}

func (f *flushCounter) flushed() (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent.String(), f.flushes
}

// TestStreamFlushes: chunks an upstream sends together leave in fewer
// flushes than chunks, and a chunk never waits unflushed while the
// upstream is silent.
func TestStreamFlushes(t *testing.T) {
	pieces := make([]string, 20)
	for i := range pieces {
		pieces[i] = fmt.Sprintf("w%d ", i)
	}
	t.Run("coalesced", func(t *testing.T) {
		fake := providertest.NewOpenAI(t, providertest.WithReplyChunks(pieces...), providertest.WithBurst())
		e := newEnv(t, envOptions{upstreams: []upstream{{slug: "p", fake: fake, prompt: "0.000001"}}})
		w := &flushCounter{ResponseWriter: httptest.NewRecorder()}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/chat/completions", strings.NewReader(streamBody(modelA)))
		req.Header.Set("Authorization", "Bearer "+e.key)
		e.api.Handler().ServeHTTP(w, req)
		w.Flush()
		body, n := w.flushed()
		if !strings.Contains(body, "w19 ") || !strings.Contains(body, "[DONE]") {
			t.Fatalf("stream %q", body)
		}
		t.Logf("%d flushes for %d chunks", n, len(pieces))
		if n >= len(pieces) {
			t.Errorf("%d flushes for %d chunks sent together, want fewer", n, len(pieces))
		}
	})
	t.Run("nothing waits unflushed", func(t *testing.T) {
		fake := providertest.NewOpenAI(t, providertest.WithReplyChunks(pieces...), providertest.WithStallAfter(3, 2*time.Second))
		e := newEnv(t, envOptions{upstreams: []upstream{{slug: "p", fake: fake, prompt: "0.000001"}}})
		w := &flushCounter{ResponseWriter: httptest.NewRecorder()}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/chat/completions", strings.NewReader(streamBody(modelA)))
		req.Header.Set("Authorization", "Bearer "+e.key)
		done := make(chan struct{})
		go func() { e.api.Handler().ServeHTTP(w, req); close(done) }()
		// During the stall, what the upstream sent before it is out.
		deadline := time.Now().Add(1500 * time.Millisecond)
		for {
			body, _ := w.flushed()
			if strings.Contains(body, "w1 ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("during the upstream's stall the client has only %q: a chunk waited unflushed", body)
			}
			time.Sleep(10 * time.Millisecond)
		}
		<-done
	})
}
