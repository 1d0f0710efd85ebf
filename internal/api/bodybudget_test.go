package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestInflightBodyBudget holds one request's body in flight (its upstream
// hangs) and sends more: those past the budget get 503 with Retry-After
// before their bodies are read, whether or not they announce their
// length, and reach no upstream; once the first request is done, its
// bytes are given back and the next request is served.
func TestInflightBodyBudget(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithHang(300*time.Millisecond))
	e := newEnv(t, envOptions{maxBody: 2048, upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}},
		options: func(o *Options) { o.MaxInflightBodyBytes = 3000 }})
	body := `{"model":"` + modelA + `","messages":[{"role":"user","content":"` + strings.Repeat("x", 1800) + `"}]}`

	var wg sync.WaitGroup
	var first *http.Response
	wg.Go(func() {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		first = resp
	})
	deadline := time.Now().Add(5 * time.Second)
	for len(fake.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if len(fake.Requests()) == 0 {
		t.Fatal("the first request never reached the upstream")
	}

	for _, chunked := range []bool{false, true} {
		var r io.Reader = strings.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // no length: sent chunked
		}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions", r)
		req.Header.Set("Authorization", "Bearer "+e.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got := errorEnvelope(t, resp, http.StatusServiceUnavailable)
		resp.Body.Close()
		if md, _ := got["metadata"].(map[string]any); md["error_type"] != "overloaded" {
			t.Errorf("chunked=%v: metadata %v, want error_type overloaded", chunked, got["metadata"])
		}
		if ra := resp.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("chunked=%v: Retry-After %q, want 1", chunked, ra)
		}
	}
	wg.Wait()
	if first == nil || first.StatusCode != http.StatusOK {
		t.Fatalf("the request admitted first: %v", first)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Fatalf("%d requests reached the upstream, want only the first", n)
	}

	drained(t, &e.api.bodies)
	resp := e.post("/api/v1/chat/completions", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the first finished: status %d, want 200", resp.StatusCode)
	}
	// Refused, too large and broken bodies give back what they took too.
	// One announced over the limit is refused before the budget, so even
	// with the budget taken it is a 413, not a 503. (The request before
	// gives its bytes back as its handler returns, which can be after its
	// client has read the response: drained first, or take could find the
	// budget short, take nothing, and give back what it never took.)
	drained(t, &e.api.bodies)
	if !e.api.bodies.take(2900) {
		t.Fatal("could not take 2900 of the body budget with no request in flight")
	}
	errorEnvelope(t, e.post("/api/v1/chat/completions", strings.Repeat("x", 4096)), http.StatusRequestEntityTooLarge)
	e.api.bodies.give(2900)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions",
		io.MultiReader(strings.NewReader(strings.Repeat("x", 4096)))) // chunked: found too large reading
	req.Header.Set("Authorization", "Bearer "+e.key)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		errorEnvelope(t, resp, http.StatusRequestEntityTooLarge)
		resp.Body.Close()
	}
	errorEnvelope(t, e.post("/api/v1/chat/completions", `{"model":`), http.StatusBadRequest)
	errorEnvelope(t, e.post("/api/v1/chat/completions", ""), http.StatusBadRequest)
	drained(t, &e.api.bodies)
}

// drained waits until the requests before have given back their body
// bytes: a handler gives them back as it returns, which can be just after
// its client has read the response.
func drained(t *testing.T, b *bodyBudget) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); b.used.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d body bytes still taken with no request in flight", b.used.Load())
		}
	}
}

func TestBudgetReader(t *testing.T) {
	b := &bodyBudget{limit: 100}
	br := &budgetReader{r: strings.NewReader(strings.Repeat("x", 60)), b: b}
	got, err := io.ReadAll(io.LimitReader(br, 60))
	if err != nil || len(got) != 60 {
		t.Fatalf("read %d bytes, %v; want 60", len(got), err)
	}
	if used := b.used.Load(); used != 60 || br.taken != 60 {
		t.Fatalf("taken %d, budget used %d; want the 60 bytes read", br.taken, used)
	}
	// 60 of 100 used: a read into 50 free bytes is refused, and stays so.
	if n, err := br.Read(make([]byte, 50)); n != 0 || err == nil {
		t.Fatalf("Read past the budget = %d, %v; want an error", n, err)
	}
	if _, err := br.Read(make([]byte, 1)); err == nil {
		t.Fatal("a reader refused once read again")
	}
	b.give(br.taken)
	if used := b.used.Load(); used != 0 {
		t.Fatalf("budget used %d after giving back, want 0", used)
	}
	// A read into a buffer larger than the budget left takes no more than
	// budgetReadSize.
	big := &bodyBudget{limit: budgetReadSize + 10}
	br = &budgetReader{r: strings.NewReader("0123456789"), b: big}
	if n, err := br.Read(make([]byte, 1<<20)); n != 10 || err != nil {
		t.Fatalf("Read into a large buffer = %d, %v; want the 10 bytes", n, err)
	}
	if !(&bodyBudget{}).take(1 << 40) {
		t.Fatal("an unbounded budget refused")
	}
}

// TestBodyReadTimeout trickles a body slower than body_read_timeout: the
// client gets 408 and the budget its announced length took is given back.
// A stream that lasts longer than the timeout, on a connection whose body
// arrived in time, is not cut by it.
func TestBodyReadTimeout(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReplyChunks("a", "b", "c"), providertest.WithChunkDelay(150*time.Millisecond))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}},
		options: func(o *Options) { o.BodyReadTimeout, o.MaxInflightBodyBytes = 200*time.Millisecond, 1<<20 }})

	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":", e.key)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body: %v", err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d for a trickled body, want 408", resp.StatusCode)
	}
	resp.Body.Close()
	if used := e.api.bodies.used.Load(); used != 0 {
		t.Fatalf("%d body bytes still taken after the timeout", used)
	}

	stream := e.post("/api/v1/chat/completions", `{"model":"`+modelA+`","stream":true,"messages":[{"role":"user","content":"Hi"}]}`)
	body := string(readAll(t, stream.Body))
	if stream.StatusCode != http.StatusOK || !strings.Contains(body, "[DONE]") {
		t.Fatalf("a stream longer than the body timeout: status %d, body %s", stream.StatusCode, body)
	}
}

// TestShortOfMemory: while the process is short of memory, inference
// requests get 503 with Retry-After before their body is read and reach
// no upstream; other endpoints still answer, and inference is served again
// once memory is back.
func TestShortOfMemory(t *testing.T) {
	fake := providertest.NewOpenAI(t)
	var short atomic.Bool
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}},
		options: func(o *Options) { o.MemoryShort = short.Load }})
	body := `{"model":"` + modelA + `","messages":[{"role":"user","content":"hi"}]}`

	short.Store(true)
	for _, path := range []string{"/api/v1/chat/completions", "/v1/completions"} {
		resp := e.post(path, body)
		got := errorEnvelope(t, resp, http.StatusServiceUnavailable)
		if md, _ := got["metadata"].(map[string]any); md["error_type"] != "overloaded" {
			t.Errorf("%s: metadata %v, want error_type overloaded", path, got["metadata"])
		}
		if ra := resp.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("%s: Retry-After %q, want 1", path, ra)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d requests reached the upstream while short of memory", n)
	}
	e.get("/api/v1/models", http.StatusOK)

	short.Store(false)
	if resp := e.post("/api/v1/chat/completions", body); resp.StatusCode != http.StatusOK {
		t.Fatalf("with memory back: status %d, want 200", resp.StatusCode)
	}
}
