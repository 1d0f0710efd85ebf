// Package providertest provides fake upstreams for tests of adapters and of
// the packages above them: httptest servers that speak an upstream's wire
// protocol as protocols.md describes it, scripted by options, recording
// every request they receive.
//
// A fake of the OpenAI-compatible family answers POST …/chat/completions
// with a JSON body or, when the request says "stream": true, an SSE stream
// of a role chunk, reasoning and content (or tool-call) deltas, a finish
// chunk, a usage chunk when asked for, and data: [DONE]. Options inject
// the failures adapters must survive: error statuses, hangs, slow chunks,
// in-band errors, truncated and dropped streams, keep-alive comments, CRLF
// framing and oversized events.
//
//	fake := providertest.NewOpenAI(t, providertest.WithReply("hi"))
//	// point the code under test at fake.URL, then:
//	req := fake.Last()
//	if req.JSON["model"] != "gpt-4o" { … }
package providertest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fake is a fake upstream. Its methods are safe for concurrent use.
type Fake struct {
	// URL is the API root to configure as the provider's base URL; it
	// ends in /v1.
	URL string

	t    testing.TB
	srv  *httptest.Server
	stop chan struct{} // closed at cleanup: ends hangs and delays

	mu    sync.Mutex
	base  script
	queue []script
	reqs  []*Request
}

// Request is a request a fake received.
type Request struct {
	Method string
	Path   string
	Query  string // the raw query (Replay fakes only)
	Header http.Header
	Body   []byte
	// JSON is the decoded body; nil when it is not a JSON object.
	JSON map[string]any

	cancelOnce sync.Once
	canceled   chan struct{}
}

// Decode decodes the body into v (for instance an *openai.ChatRequest).
func (r *Request) Decode(v any) error { return json.Unmarshal(r.Body, v) }

// Canceled reports whether the fake saw the request's context cancelled
// (the client went away) before it had finished answering.
func (r *Request) Canceled() bool {
	select {
	case <-r.canceled:
		return true
	default:
		return false
	}
}

// WaitCanceled waits up to d for the request's context to be cancelled.
func (r *Request) WaitCanceled(d time.Duration) bool {
	select {
	case <-r.canceled:
		return true
	case <-time.After(d):
		return false
	}
}

func (r *Request) markCanceled() { r.cancelOnce.Do(func() { close(r.canceled) }) }

// NewOpenAI starts a fake of OpenAI's Chat Completions API. It is closed
// when the test ends.
func NewOpenAI(t testing.TB, opts ...Option) *Fake { return New(t, OpenAI, opts...) }

// New starts a fake that speaks dialect d. It is closed when the test ends.
func New(t testing.TB, d Dialect, opts ...Option) *Fake {
	t.Helper()
	f := &Fake{t: t, base: newScript(d), stop: make(chan struct{})}
	for _, o := range opts {
		o(&f.base)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL + "/v1"
	t.Cleanup(func() {
		close(f.stop)
		f.srv.Close()
	})
	return f
}

// Enqueue scripts the next unscripted request: it is answered with the
// fake's options plus opts. Enqueued scripts are used once, in order; for
// example a 503 then the default reply, to test failover.
func (f *Fake) Enqueue(opts ...Option) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.base.clone()
	for _, o := range opts {
		o(&s)
	}
	f.queue = append(f.queue, s)
}

// Requests returns the requests received so far, oldest first.
func (f *Fake) Requests() []*Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Request(nil), f.reqs...)
}

// Last returns the latest request. It fails the test if there is none.
func (f *Fake) Last() *Request {
	f.t.Helper()
	reqs := f.Requests()
	if len(reqs) == 0 {
		f.t.Fatalf("providertest: fake at %s received no request", f.URL)
	}
	return reqs[len(reqs)-1]
}

// next records r and returns the script to answer it with.
func (f *Fake) next(r *http.Request) (*Request, script, int) {
	body, _ := io.ReadAll(r.Body)
	rec := &Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		Header:   r.Header.Clone(),
		Body:     body,
		canceled: make(chan struct{}),
	}
	_ = json.Unmarshal(body, &rec.JSON)

	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, rec)
	s := f.base
	if len(f.queue) > 0 {
		s, f.queue = f.queue[0], f.queue[1:]
	}
	return rec, s, len(f.reqs)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	rec, s, n := f.next(r)
	defer func() {
		if r.Context().Err() != nil {
			rec.markCanceled()
		}
	}()
	if !f.wait(r, rec, s.hang) {
		return
	}
	for k, vs := range s.header {
		w.Header()[k] = vs
	}

	switch {
	case r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions"):
		writeJSON(w, http.StatusNotFound, errorBody(s.dialect, http.StatusNotFound))
		return
	case s.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+s.apiKey:
		writeJSON(w, http.StatusUnauthorized, errorBody(s.dialect, http.StatusUnauthorized))
		return
	case s.status != 0:
		body := s.errBody
		if body == "" {
			body = errorBody(s.dialect, s.status)
		}
		writeJSON(w, s.status, body)
		return
	case rec.JSON == nil:
		writeJSON(w, http.StatusBadRequest, errorBody(s.dialect, http.StatusBadRequest))
		return
	}
	if rej := validate(s.dialect, rec.JSON); rej != nil {
		writeJSON(w, rej.status, rej.body)
		return
	}

	rd := newRender(&s, rec.JSON, n)
	if rec.JSON["stream"] != true {
		writeJSON(w, http.StatusOK, string(rd.response()))
		return
	}
	f.stream(w, r, rec, &s, rd)
}

// stream writes the SSE answer event by event, flushing each (but with
// WithBurst).
func (f *Fake) stream(w http.ResponseWriter, r *http.Request, rec *Request, s *script, rd *render) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		return s.burst || rc.Flush() == nil
	}

	switch s.dialect {
	case OpenRouter:
		send(s.comments("OPENROUTER PROCESSING"))
	case DeepSeek:
		send(s.comments("keep-alive"))
	}
	events, end := rd.plan()
	for i, ev := range events {
		if i == s.stallAfter && !f.wait(r, rec, s.stall) {
			return
		}
		if !f.wait(r, rec, s.delay) || !send(s.frame(ev)) {
			return
		}
	}
	switch end {
	case endInBand:
		send(s.frame(rd.streamError()))
	case endDrop:
		panic(http.ErrAbortHandler) // the server drops the connection
	}
}

// wait sleeps for d unless the request is cancelled first, which it
// records. It reports whether to go on.
func (f *Fake) wait(r *http.Request, rec *Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		rec.markCanceled()
		return false
	case <-f.stop:
		return false
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
