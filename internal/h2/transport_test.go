package h2

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// bound is how long a test waits for anything before it fails: generous,
// as machines are noisy (and slower under -race); no test asserts on speed.
const bound = 10 * time.Second

// TestMain checks, once every test and benchmark has run, that none left a
// goroutine behind; checkLeaks does it for each test, to name the culprit.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// checkLeaks fails t if, once all its cleanups have run (the transport's
// connections and the servers closed), a goroutine it started is left. Call
// it first, so that its cleanup runs last.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// countingRT counts the requests and the CloseIdleConnections calls it is
// given, and hands the requests to rt.
type countingRT struct {
	rt        http.RoundTripper
	calls     atomic.Int32
	closeIdle atomic.Int32
}

func (c *countingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.rt.RoundTrip(req)
}

func (c *countingRT) CloseIdleConnections() {
	c.closeIdle.Add(1)
	if ci, ok := c.rt.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tracker counts a test server's connections as its ConnState hook sees
// them.
type tracker struct {
	mu     sync.Mutex
	opened int
	closed int
}

func (k *tracker) hook(_ net.Conn, s http.ConnState) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch s {
	case http.StateNew:
		k.opened++
	case http.StateClosed, http.StateHijacked:
		k.closed++
	}
}

func (k *tracker) counts() (opened, closed int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.opened, k.closed
}

// newServer starts an HTTPS test server speaking HTTP/2 (unless configure
// turns it off) whose connections are counted; configure, if given, sets up
// the server before it starts.
func newServer(tb testing.TB, h http.HandlerFunc, configure ...func(*httptest.Server)) (*httptest.Server, *tracker) {
	tb.Helper()
	k := &tracker{}
	s := httptest.NewUnstartedServer(h)
	s.EnableHTTP2 = true
	s.Config.ConnState = k.hook
	for _, f := range configure {
		f(s)
	}
	s.StartTLS()
	tb.Cleanup(s.Close)
	return s, k
}

// withHTTP2 sets the server's HTTP/2 limits.
func withHTTP2(c http.HTTP2Config) func(*httptest.Server) {
	return func(s *httptest.Server) { s.Config.HTTP2 = &c }
}

// rootCAs is the pool that trusts srv's certificate.
func rootCAs(srv *httptest.Server) *x509.CertPool {
	return srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

// newTransportFallback is a transport that trusts srv, whose Fallback is
// srv's own client transport, counted.
func newTransportFallback(tb testing.TB, srv *httptest.Server) (*Transport, *countingRT) {
	tb.Helper()
	fb := &countingRT{rt: srv.Client().Transport}
	tr := &Transport{
		Fallback:  fb,
		Dial:      (&net.Dialer{}).DialContext,
		TLSConfig: &tls.Config{RootCAs: rootCAs(srv)},
	}
	tb.Cleanup(tr.CloseIdleConnections)
	return tr, fb
}

// newTransport is the transport under test, for requests it must send
// itself: at the end of the test, any request that went to Fallback fails
// the test, so that no test passes by way of net/http.
func newTransport(t *testing.T, srv *httptest.Server) *Transport {
	t.Helper()
	tr, fb := newTransportFallback(t, srv)
	t.Cleanup(func() {
		if n := fb.calls.Load(); n != 0 {
			t.Errorf("%d requests went to Fallback", n)
		}
	})
	return tr
}

// trackBody is a request body that records its Close.
type trackBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackBody) Close() error { b.closed.Store(true); return nil }

// newRequest is a request whose context ends after bound, or with the test.
func newRequest(tb testing.TB, method, target string, body io.Reader) *http.Request {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	tb.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// roundTrip sends req, failing the test on an error.
func roundTrip(tb testing.TB, rt http.RoundTripper, req *http.Request) *http.Response {
	tb.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

// do sends a request and reads its response's body to its end.
func do(tb testing.TB, rt http.RoundTripper, method, target, body string) (*http.Response, string) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	resp := roundTrip(tb, rt, newRequest(tb, method, target, rd))
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	return resp, string(b)
}

type rtResult struct {
	resp *http.Response
	err  error
}

// goRoundTrip sends req on a goroutine of its own, for a test that acts
// (plays the server, cancels) while it waits.
func goRoundTrip(rt http.RoundTripper, req *http.Request) <-chan rtResult {
	ch := make(chan rtResult, 1)
	go func() {
		resp, err := rt.RoundTrip(req)
		ch <- rtResult{resp, err}
	}()
	return ch
}

// awaitResponse waits for ch's response, failing the test on an error.
func awaitResponse(t *testing.T, ch <-chan rtResult, what string) *http.Response {
	t.Helper()
	r := recv(t, ch, what)
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	return r.resp
}

// awaitErr waits for ch's outcome and returns its error, closing the
// body of a response that came instead.
func awaitErr(t *testing.T, ch <-chan rtResult, what string) error {
	t.Helper()
	r := recv(t, ch, what)
	if r.err == nil {
		r.resp.Body.Close()
	}
	return r.err
}

// recv waits, within bound, for a value on ch.
func recv[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(bound):
		tb.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// eventually polls cond until it holds, failing the test after bound.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// randomBytes is n bytes of a pseudo-random sequence fixed by seed.
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// ok reads the request's body and answers "ok".
func ok(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	io.WriteString(w, "ok")
}

const (
	event1 = "data: 1\n\n"
	event2 = "data: 2\n\n"
)

// events answers /stream with an event stream: event1, flushed, then, once
// next is closed, event2. Should the request's context end first, it says so
// on gone (buffered, if not nil). Any other path gets ok.
func events(next <-chan struct{}, gone chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stream" {
			ok(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, event1)
		w.(http.Flusher).Flush()
		select {
		case <-next:
			io.WriteString(w, event2)
		case <-r.Context().Done():
			if gone != nil {
				gone <- struct{}{}
			}
		}
	}
}

// readFirstEvent reads event1 from body, failing the test if it does not
// come within bound.
func readFirstEvent(t *testing.T, body io.Reader) {
	t.Helper()
	buf := make([]byte, len(event1))
	errc := make(chan error, 1)
	go func() { _, err := io.ReadFull(body, buf); errc <- err }()
	if err := recv(t, errc, "the first event"); err != nil || string(buf) != event1 {
		t.Fatalf("first event: %q, %v", buf, err)
	}
}

// TestPost checks that a POST arrives whole over HTTP/2 (method, target with
// query, Host, headers, multi-valued ones too, length, body) and that its
// response comes back intact: status, headers under canonical keys, body,
// length, protocol and Request.
func TestPost(t *testing.T) {
	checkLeaks(t)
	type seen struct {
		method, uri, host, auth, contentType string
		protoMajor                           int
		contentLength                        int64
		foo                                  []string
		body                                 []byte
	}
	got := make(chan seen, 1)
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: reading the body: %v", err)
		}
		got <- seen{r.Method, r.RequestURI, r.Host, r.Header.Get("Authorization"), r.Header.Get("Content-Type"),
			r.ProtoMajor, r.ContentLength, r.Header.Values("X-Foo"), b}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-42")
		w.Header().Add("X-Multi", "1")
		w.Header().Add("X-Multi", "2")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"echo":` + string(b) + `}`))
	})
	tr := newTransport(t, srv)
	body := `{"model":"gpt-x","messages":[{"role":"user","content":"hello"}],"stream":false}`
	for _, tc := range []struct{ name, host, wantHost string }{
		{name: "Host from the URL", wantHost: srv.Listener.Addr().String()},
		{name: "Host set", host: "api.example.com", wantHost: "api.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, http.MethodPost, srv.URL+"/v1/chat/completions?model=a%20b&x=1", strings.NewReader(body))
			req.Host = tc.host
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer sk-test")
			req.Header.Add("X-Foo", "one")
			req.Header.Add("X-Foo", "two, three")
			resp := roundTrip(t, tr, req)
			defer resp.Body.Close()
			s := recv(t, got, "the request at the server")
			if s.method != http.MethodPost || s.uri != "/v1/chat/completions?model=a%20b&x=1" || s.host != tc.wantHost {
				t.Errorf("server saw %s %s Host %q; want POST /v1/chat/completions?model=a%%20b&x=1 Host %q", s.method, s.uri, s.host, tc.wantHost)
			}
			if s.protoMajor != 2 {
				t.Errorf("server saw HTTP/%d; want HTTP/2", s.protoMajor)
			}
			if s.auth != "Bearer sk-test" || s.contentType != "application/json" {
				t.Errorf("server saw Authorization %q, Content-Type %q", s.auth, s.contentType)
			}
			if !slices.Equal(s.foo, []string{"one", "two, three"}) {
				t.Errorf("server saw X-Foo %q; want [one, two, three]", s.foo)
			}
			if string(s.body) != body || s.contentLength != int64(len(body)) {
				t.Errorf("server saw body %q (ContentLength %d); want %q (%d)", s.body, s.contentLength, body, len(body))
			}
			if resp.StatusCode != http.StatusCreated || resp.ProtoMajor != 2 {
				t.Errorf("response: %d HTTP/%d; want 201 HTTP/2", resp.StatusCode, resp.ProtoMajor)
			}
			if resp.Request != req {
				t.Errorf("resp.Request is not the request sent")
			}
			// Indexed, not Get: the keys must be canonical.
			if v := resp.Header["X-Request-Id"]; !slices.Equal(v, []string{"req-42"}) {
				t.Errorf("X-Request-Id %q; response headers %v", v, resp.Header)
			}
			if v := resp.Header["X-Multi"]; !slices.Equal(v, []string{"1", "2"}) {
				t.Errorf("X-Multi %q; want [1 2]", v)
			}
			if v := resp.Header["Content-Type"]; !slices.Equal(v, []string{"application/json"}) {
				t.Errorf("Content-Type %q", v)
			}
			rb, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the body: %v", err)
			}
			if want := `{"echo":` + body + `}`; string(rb) != want || resp.ContentLength != int64(len(want)) {
				t.Errorf("response body %q (ContentLength %d); want %q (%d)", rb, resp.ContentLength, want, len(want))
			}
		})
	}
	if opened, _ := k.counts(); opened != 1 {
		t.Errorf("the server saw %d connections; want 1", opened)
	}
}

// TestErrorStatuses checks that error statuses come back as responses, with
// their headers and bodies, not as errors.
func TestErrorStatuses(t *testing.T) {
	checkLeaks(t)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"code":%d}}`, code)
	})
	tr := newTransport(t, srv)
	for _, code := range []int{400, 401, 404, 429, 500, 503} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			resp, body := do(t, tr, "POST", fmt.Sprintf("%s/status/%d", srv.URL, code), `{"x":1}`)
			if want := fmt.Sprintf(`{"error":{"code":%d}}`, code); resp.StatusCode != code || body != want {
				t.Errorf("got %d %q; want %d %q", resp.StatusCode, body, code, want)
			}
			if code == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q; want 7", resp.Header.Get("Retry-After"))
			}
		})
	}
}

// TestWithoutBody checks requests without a body: a GET, and a POST of
// http.NoBody, arrive with no body and a length of 0.
func TestWithoutBody(t *testing.T) {
	checkLeaks(t)
	type seen struct {
		method        string
		contentLength int64
		body          int
		err           error
	}
	got := make(chan seen, 1)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		got <- seen{r.Method, r.ContentLength, len(b), err}
		io.WriteString(w, "ok")
	})
	tr := newTransport(t, srv)
	for _, tc := range []struct {
		method string
		body   io.Reader
	}{
		{"GET", nil},
		{"POST", http.NoBody},
		{"DELETE", nil},
	} {
		t.Run(tc.method, func(t *testing.T) {
			resp := roundTrip(t, tr, newRequest(t, tc.method, srv.URL+"/x", tc.body))
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != "ok" || resp.StatusCode != 200 {
				t.Errorf("response %d %q, %v", resp.StatusCode, b, err)
			}
			s := recv(t, got, "the request at the server")
			if s.method != tc.method || s.contentLength != 0 || s.body != 0 || s.err != nil {
				t.Errorf("server saw %s with ContentLength %d, a body of %d bytes (%v); want %s, 0, 0", s.method, s.contentLength, s.body, s.err, tc.method)
			}
		})
	}
}

// TestResponseContentLength checks resp.ContentLength: the Content-Length
// the server sent, or -1 when it sent none.
func TestResponseContentLength(t *testing.T) {
	checkLeaks(t)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/with" {
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello")
			return
		}
		io.WriteString(w, "hel")
		w.(http.Flusher).Flush() // headers go out before the length is known
		io.WriteString(w, "lo")
	})
	tr := newTransport(t, srv)
	for _, tc := range []struct {
		path string
		want int64
	}{{"/with", 5}, {"/without", -1}} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := do(t, tr, "GET", srv.URL+tc.path, "")
			if body != "hello" || resp.ContentLength != tc.want {
				t.Errorf("body %q, ContentLength %d; want hello, %d", body, resp.ContentLength, tc.want)
			}
		})
	}
}

// TestStreaming checks that a streamed body is read as it comes: the first
// event before the handler writes the second, then the second, then io.EOF.
func TestStreaming(t *testing.T) {
	checkLeaks(t)
	next := make(chan struct{})
	release := sync.OnceFunc(func() { close(next) })
	srv, _ := newServer(t, events(next, nil))
	t.Cleanup(release)
	tr := newTransport(t, srv)
	resp := roundTrip(t, tr, newRequest(t, "POST", srv.URL+"/stream", strings.NewReader(`{"stream":true}`)))
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.ContentLength != -1 {
		t.Errorf("Content-Type %q, ContentLength %d; want text/event-stream, -1", ct, resp.ContentLength)
	}
	readFirstEvent(t, resp.Body) // before release: the body is not buffered whole
	release()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != event2 {
		t.Fatalf("rest: %q, %v; want %q", rest, err, event2)
	}
	if n, err := resp.Body.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Errorf("Read at the end: %d, %v; want 0, io.EOF", n, err)
	}
}

// TestLargeRequestBody checks that a request body far larger than the
// server's flow-control windows arrives whole: the client must wait for
// WINDOW_UPDATEs.
func TestLargeRequestBody(t *testing.T) {
	checkLeaks(t)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "reading the body: %v", err)
			return
		}
		fmt.Fprintf(w, "%x %d", h.Sum(nil), n)
	}, withHTTP2(http.HTTP2Config{MaxReceiveBufferPerStream: 16 << 10, MaxReceiveBufferPerConnection: 64 << 10}))
	tr := newTransport(t, srv)
	body := randomBytes(1<<20, 1)
	sum := sha256.Sum256(body)
	want := fmt.Sprintf("%s %d", hex.EncodeToString(sum[:]), len(body))
	resp := roundTrip(t, tr, newRequest(t, "POST", srv.URL+"/upload", bytes.NewReader(body)))
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || string(got) != want {
		t.Errorf("server read %d %q, %v; want 200 %q", resp.StatusCode, got, err, want)
	}
}

// TestLargeResponseBody checks that an 8 MiB response read in small reads
// arrives whole and in order: the client must give the server back its
// flow-control credit as it reads.
func TestLargeResponseBody(t *testing.T) {
	checkLeaks(t)
	payload := randomBytes(8<<20, 2)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		for p := payload; len(p) > 0; {
			n := min(len(p), 64<<10)
			if _, err := w.Write(p[:n]); err != nil {
				return
			}
			p = p[n:]
		}
	})
	tr := newTransport(t, srv)
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL+"/big", nil))
	defer resp.Body.Close()
	got := make([]byte, 0, len(payload))
	buf := make([]byte, 1000)
	for {
		n, err := resp.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(got), err)
		}
		if len(got) > len(payload) {
			t.Fatalf("read %d bytes, more than the %d sent", len(got), len(payload))
		}
	}
	if !bytes.Equal(got, payload) {
		i := 0
		for i < min(len(got), len(payload)) && got[i] == payload[i] {
			i++
		}
		t.Fatalf("read %d bytes, first difference at offset %d; want the %d sent", len(got), i, len(payload))
	}
}

// TestConcurrentStreams checks that more requests at once than the server
// allows streams on a connection all succeed: the transport must open more
// connections rather than fail or exceed the limit.
func TestConcurrentStreams(t *testing.T) {
	checkLeaks(t)
	const (
		n          = 20
		maxStreams = 4
	)
	var (
		mu      sync.Mutex
		arrived int
	)
	all := make(chan struct{})
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			io.WriteString(w, "ok")
		case <-time.After(bound):
			mu.Lock()
			a := arrived
			mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "only %d of the %d requests reached the handler within %v", a, n, bound)
		case <-r.Context().Done():
		}
	}, withHTTP2(http.HTTP2Config{MaxConcurrentStreams: maxStreams}))
	tr := newTransport(t, srv)
	var wg sync.WaitGroup
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), 2*bound)
		t.Cleanup(cancel)
		req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/req/%d", srv.URL, i), strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || string(b) != "ok" {
				t.Errorf("request %d: %d %q, %v", i, resp.StatusCode, b, err)
			}
		})
	}
	wg.Wait()
	opened, _ := k.counts()
	if opened < n/maxStreams {
		t.Errorf("the server saw %d connections; at most %d streams each, %d requests at once need at least %d", opened, maxStreams, n, n/maxStreams)
	}
	t.Logf("%d connections for %d requests", opened, n)
}

// TestCancelReadingBody checks that cancelling a request while Read waits
// for its body makes Read return context.Canceled promptly, resets the
// stream (the handler's context ends), and leaves the transport usable.
func TestCancelReadingBody(t *testing.T) {
	checkLeaks(t)
	next := make(chan struct{})
	gone := make(chan struct{}, 1)
	srv, _ := newServer(t, events(next, gone))
	t.Cleanup(func() { close(next) })
	tr := newTransport(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/stream", nil)
	resp := roundTrip(t, tr, req)
	defer resp.Body.Close()
	readFirstEvent(t, resp.Body)
	errc := make(chan error, 1)
	go func() { _, err := resp.Body.Read(make([]byte, 64)); errc <- err }()
	time.Sleep(10 * time.Millisecond) // lets Read block; the test holds either way
	cancel()
	if err := recv(t, errc, "Read to return after the cancel"); !errors.Is(err, context.Canceled) {
		t.Errorf("Read: %v; want context.Canceled", err)
	}
	recv(t, gone, "the handler's context to end (RST_STREAM)")
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
}

// TestCancelWaitingForHeaders checks that a request whose context ends
// before its response's headers come makes RoundTrip return the context's
// error, and that a cancelled one resets its stream.
func TestCancelWaitingForHeaders(t *testing.T) {
	checkLeaks(t)
	entered := make(chan struct{}, 1)
	gone := make(chan struct{}, 1)
	release := make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			ok(w, r)
			return
		}
		io.ReadAll(r.Body)
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
			gone <- struct{}{}
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	tr := newTransport(t, srv)

	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/wait", strings.NewReader("body"))
		ch := goRoundTrip(tr, req)
		recv(t, entered, "the handler")
		cancel()
		if err := awaitErr(t, ch, "RoundTrip to return after the cancel"); !errors.Is(err, context.Canceled) {
			t.Errorf("RoundTrip: %v; want context.Canceled", err)
		}
		recv(t, gone, "the handler's context to end (RST_STREAM)")
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/wait", strings.NewReader("body"))
		if err := awaitErr(t, goRoundTrip(tr, req), "RoundTrip to return after the deadline"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RoundTrip: %v; want context.DeadlineExceeded", err)
		}
		select { // the handler, if the request got there, was let go
		case <-entered:
			recv(t, gone, "the handler's context to end (RST_STREAM)")
		default:
		}
	})
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
}

// TestCloseBeforeEnd checks that closing a body before its end resets the
// stream (the handler's context ends) and keeps the connection: the next
// request goes on it.
func TestCloseBeforeEnd(t *testing.T) {
	checkLeaks(t)
	next := make(chan struct{})
	gone := make(chan struct{}, 1)
	srv, k := newServer(t, events(next, gone))
	t.Cleanup(func() { close(next) })
	tr := newTransport(t, srv)
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL+"/stream", nil))
	readFirstEvent(t, resp.Body)
	if err := resp.Body.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	recv(t, gone, "the handler's context to end (RST_STREAM)")
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
	if opened, closed := k.counts(); opened != 1 || closed != 0 {
		t.Errorf("the server saw %d connections opened, %d closed; want 1, 0", opened, closed)
	}
}

// TestNoHTTP2 checks that a host whose handshake does not pick h2 gets its
// requests through Fallback, whole, and that this is remembered: the second
// request goes straight there, without the transport dialing again. Another
// host still gets HTTP/2.
func TestNoHTTP2(t *testing.T) {
	checkLeaks(t)
	echo := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "HTTP/%d %s", r.ProtoMajor, b)
	}
	h1srv, _ := newServer(t, echo, func(s *httptest.Server) { s.EnableHTTP2 = false })
	h2srv, _ := newServer(t, echo)
	tr, fb := newTransportFallback(t, h1srv)
	var dials atomic.Int32 // the transport's own; Fallback dials by itself
	dial := tr.Dial
	tr.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	for i := range int32(2) {
		_, body := do(t, tr, "POST", h1srv.URL+"/v1/x", "hello")
		if body != "HTTP/1 hello" {
			t.Errorf("request %d: %q; want %q", i+1, body, "HTTP/1 hello")
		}
		if got := fb.calls.Load(); got != i+1 {
			t.Fatalf("after request %d, Fallback got %d requests; want %d", i+1, got, i+1)
		}
		if got := dials.Load(); got != 1 {
			t.Errorf("after request %d, the transport dialed %d times; want 1 (the handshake that found no h2)", i+1, got)
		}
	}
	resp, body := do(t, tr, "POST", h2srv.URL+"/v1/x", "hello")
	if body != "HTTP/2 hello" || resp.ProtoMajor != 2 {
		t.Errorf("HTTP/2 host: HTTP/%d %q; want HTTP/2 %q", resp.ProtoMajor, body, "HTTP/2 hello")
	}
	if got := fb.calls.Load(); got != 2 {
		t.Errorf("Fallback got the HTTP/2 host's request")
	}
}

// TestFallback checks which requests go to Fallback: plain http, through a
// proxy, bodies of unknown length, Expect, Upgrade, Connection,
// Transfer-Encoding, CONNECT; and that plain HTTPS ones do not.
func TestFallback(t *testing.T) {
	checkLeaks(t)
	srv, _ := newServer(t, ok)
	plain := httptest.NewServer(http.HandlerFunc(ok))
	t.Cleanup(plain.Close)
	inner := srv.Client().Transport
	fb := &countingRT{rt: rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodConnect {
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
		}
		return inner.RoundTrip(r)
	})}
	tr := &Transport{
		Fallback:  fb,
		Dial:      (&net.Dialer{}).DialContext,
		TLSConfig: &tls.Config{RootCAs: rootCAs(srv)},
		Proxy: func(r *http.Request) (*url.URL, error) {
			if r.Header.Get("X-Proxy") == "yes" {
				return url.Parse("http://proxy.invalid:3128")
			}
			return nil, nil
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	withHeader := func(k, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(k, v) } }
	for _, tc := range []struct {
		name     string
		method   string
		target   string
		body     io.Reader
		edit     func(*http.Request)
		fallback bool
	}{
		{name: "http", method: "GET", target: plain.URL + "/", fallback: true},
		{name: "proxied", method: "GET", target: srv.URL, edit: withHeader("X-Proxy", "yes"), fallback: true},
		{name: "zero ContentLength, body", method: "POST", target: srv.URL, body: struct{ io.Reader }{strings.NewReader("abc")}, fallback: true},
		{name: "unknown length", method: "POST", target: srv.URL, body: io.NopCloser(strings.NewReader("abc")),
			edit: func(r *http.Request) { r.ContentLength = -1 }, fallback: true},
		{name: "Expect", method: "POST", target: srv.URL, body: strings.NewReader("abc"), edit: withHeader("Expect", "100-continue"), fallback: true},
		{name: "Upgrade", method: "GET", target: srv.URL, edit: func(r *http.Request) {
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
		}, fallback: true},
		{name: "Connection", method: "GET", target: srv.URL, edit: withHeader("Connection", "close"), fallback: true},
		{name: "Transfer-Encoding", method: "POST", target: srv.URL, body: strings.NewReader("abc"),
			edit: func(r *http.Request) { r.TransferEncoding = []string{"chunked"} }, fallback: true},
		{name: "CONNECT", method: "CONNECT", target: srv.URL, fallback: true},
		{name: "https GET", method: "GET", target: srv.URL},
		{name: "https POST", method: "POST", target: srv.URL, body: strings.NewReader("abc")},
		{name: "https NoBody", method: "POST", target: srv.URL, body: http.NoBody},
		{name: "no proxy", method: "GET", target: srv.URL, edit: withHeader("X-Proxy", "no")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, tc.method, tc.target, tc.body)
			if tc.edit != nil {
				tc.edit(req)
			}
			before := fb.calls.Load()
			resp := roundTrip(t, tr, req)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || string(b) != "ok" {
				t.Errorf("response %d %q, %v", resp.StatusCode, b, err)
			}
			if got := fb.calls.Load() - before; got > 1 || (got == 1) != tc.fallback {
				t.Errorf("Fallback got %d requests; want it to get one: %v", got, tc.fallback)
			}
		})
	}
}

// TestServerReset checks that a stream the server resets midway (its
// handler aborted after a flush) ends its body with an error, not io.EOF,
// and that the next request succeeds.
func TestServerReset(t *testing.T) {
	checkLeaks(t)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			ok(w, r)
			return
		}
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	tr := newTransport(t, srv)
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL+"/abort", nil))
	b, err := io.ReadAll(resp.Body) // io.ReadAll returns nil at io.EOF
	resp.Body.Close()
	if err == nil {
		t.Errorf("the body of a reset stream read to its end: %q", b)
	}
	if !strings.HasPrefix("partial", string(b)) {
		t.Errorf("the body read %q; want a prefix of %q", b, "partial")
	}
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
}

// TestServerClosedConnection checks that after the server drops its
// connections the transport goes on: a request that may be replayed (an
// idempotency key, a body that can be sent again) succeeds, on a new
// connection or, if it went out on the dead one before the read loop saw
// it die, sent again; one that may not be replayed succeeds or fails, and
// the next succeeds either way.
func TestServerClosedConnection(t *testing.T) {
	checkLeaks(t)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	tr := newTransport(t, srv)
	if _, body := do(t, tr, "POST", srv.URL+"/echo", "first"); body != "first" {
		t.Fatalf("first request: %q", body)
	}
	for i := range 3 {
		srv.CloseClientConnections()
		want := fmt.Sprintf("after close %d", i+1)
		req := newRequest(t, "POST", srv.URL+"/echo", bytes.NewReader([]byte(want)))
		req.Header.Set("Idempotency-Key", want)
		if req.GetBody == nil {
			t.Fatal("the request has no GetBody")
		}
		resp := roundTrip(t, tr, req)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != want {
			t.Fatalf("request with an idempotency key after close %d: %q, %v; want %q", i+1, b, err, want)
		}

		srv.CloseClientConnections()
		req = newRequest(t, "POST", srv.URL+"/echo", bytes.NewReader([]byte(want)))
		if resp, err := tr.RoundTrip(req); err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && string(b) != want {
				t.Fatalf("request without a key after close %d: %q; want %q", i+1, b, want)
			}
		}
		if _, body := do(t, tr, "POST", srv.URL+"/echo", want); body != want {
			t.Fatalf("the request after it: %q; want %q", body, want)
		}
	}
}

// TestCloseIdleConnections checks that CloseIdleConnections leaves a
// connection with an open stream alone, closes one without, and calls
// Fallback's CloseIdleConnections.
func TestCloseIdleConnections(t *testing.T) {
	checkLeaks(t)
	next := make(chan struct{})
	release := sync.OnceFunc(func() { close(next) })
	srv, k := newServer(t, events(next, nil))
	t.Cleanup(release)
	tr, fb := newTransportFallback(t, srv)
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL+"/stream", nil))
	defer resp.Body.Close()
	readFirstEvent(t, resp.Body)
	tr.CloseIdleConnections() // the connection has a stream open: it stays
	if got := fb.closeIdle.Load(); got != 1 {
		t.Errorf("Fallback's CloseIdleConnections called %d times; want 1", got)
	}
	release()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != event2 {
		t.Fatalf("rest of the stream after CloseIdleConnections: %q, %v; want %q", rest, err, event2)
	}
	resp.Body.Close()
	if opened, closed := k.counts(); opened != 1 || closed != 0 {
		t.Fatalf("the server saw %d connections opened, %d closed; want 1, 0", opened, closed)
	}
	tr.CloseIdleConnections()
	eventually(t, "the server to see the idle connection closed", func() bool { _, c := k.counts(); return c == 1 })
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
	if calls := fb.calls.Load(); calls != 0 {
		t.Errorf("%d requests went to Fallback", calls)
	}
}

// TestIdleTimeout checks that IdleTimeout closes a connection once it has
// had no stream for that long, and not while a stream is open.
func TestIdleTimeout(t *testing.T) {
	checkLeaks(t)
	next := make(chan struct{})
	release := sync.OnceFunc(func() { close(next) })
	srv, k := newServer(t, events(next, nil))
	t.Cleanup(release)
	tr := newTransport(t, srv)
	tr.IdleTimeout = 100 * time.Millisecond
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL+"/stream", nil))
	defer resp.Body.Close()
	readFirstEvent(t, resp.Body)
	// Not synchronization: the time for a wrongly applied timeout to fire.
	time.Sleep(4 * tr.IdleTimeout)
	if _, closed := k.counts(); closed != 0 {
		t.Fatalf("the connection was closed while a stream was open")
	}
	release()
	if rest, err := io.ReadAll(resp.Body); err != nil || string(rest) != event2 {
		t.Fatalf("rest: %q, %v; want %q", rest, err, event2)
	}
	resp.Body.Close()
	eventually(t, "the idle connection to be closed by IdleTimeout", func() bool { _, c := k.counts(); return c == 1 })
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
	if opened, _ := k.counts(); opened != 2 {
		t.Errorf("the server saw %d connections; want 2", opened)
	}
}

// TestLargeHeaders checks header blocks larger than a frame, so split over
// CONTINUATION frames: a 100 KB response header and a 40 KB request header
// arrive intact.
func TestLargeHeaders(t *testing.T) {
	checkLeaks(t)
	big := strings.Repeat("0123456789abcdef", 100_000/16)
	reqBig := strings.Repeat("fedcba9876543210", 40_000/16)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", big)
		w.Header().Set("X-After", "after")
		fmt.Fprintf(w, "%t", r.Header.Get("X-Req-Big") == reqBig)
	})
	tr := newTransport(t, srv)
	req := newRequest(t, "GET", srv.URL+"/h", nil)
	req.Header.Set("X-Req-Big", reqBig)
	resp := roundTrip(t, tr, req)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "true" {
		t.Errorf("the server saw the 40 KB request header intact: %q, %v; want true", b, err)
	}
	if got := resp.Header.Get("X-Big"); got != big || resp.Header.Get("X-After") != "after" {
		t.Errorf("X-Big of %d bytes (intact: %t), X-After %q; want %d bytes, after", len(got), got == big, resp.Header.Get("X-After"), len(big))
	}
	if _, body := do(t, tr, "GET", srv.URL+"/h", ""); body != "false" {
		t.Errorf("next request: %q", body)
	}
}

// TestTrailers checks that trailers do not break the body: it reads whole
// to io.EOF, and the trailers, if exposed, are right.
func TestTrailers(t *testing.T) {
	checkLeaks(t)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "data: [DONE]\n\n")
		w.Header().Set("X-Checksum", "abc")
		w.Header().Set(http.TrailerPrefix+"X-Usage", "42")
	})
	tr := newTransport(t, srv)
	resp, body := do(t, tr, "GET", srv.URL+"/t", "")
	if body != "data: 1\n\ndata: [DONE]\n\n" {
		t.Errorf("body %q", body)
	}
	for k, want := range map[string]string{"X-Checksum": "abc", "X-Usage": "42"} {
		if v, ok := resp.Trailer[k]; ok && !slices.Equal(v, []string{want}) {
			t.Errorf("trailer %s %q; want %q", k, v, want)
		}
	}
	if _, body := do(t, tr, "GET", srv.URL+"/t", ""); body != "data: 1\n\ndata: [DONE]\n\n" {
		t.Errorf("next request: %q", body)
	}
}

// rawH2Server starts an HTTPS test server whose HTTP/2 connections are
// served by a bare framer instead of net/http: it answers every request 200
// "ok", even one whose header block is invalid, and records every header
// block it receives.
type rawH2Server struct {
	*httptest.Server
	mu     sync.Mutex
	blocks []string // each header block received, or the error found in it
}

func newRawH2Server(t *testing.T) *rawH2Server {
	s := &rawH2Server{}
	s.Server = newFramingServer(t, s.serve)
	return s
}

// newFramingServer starts an HTTPS test server whose HTTP/2 connections,
// once TLS has chosen "h2", are served by serve instead of net/http.
func newFramingServer(t *testing.T, serve func(net.Conn)) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(http.NotFoundHandler())
	s.EnableHTTP2 = true
	s.Config.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){
		"h2": func(_ *http.Server, c *tls.Conn, _ http.Handler) { serve(c) },
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *rawH2Server) record(block string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks = append(s.blocks, block)
}

func (s *rawH2Server) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.blocks)
}

func (s *rawH2Server) serve(c net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if fr.WriteSettings() != nil {
		return
	}
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	answered := map[uint32]bool{}
	answer := func(id uint32) error {
		if answered[id] {
			return nil
		}
		answered[id] = true
		hbuf.Reset()
		enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hbuf.Bytes(), EndHeaders: true}); err != nil {
			return err
		}
		return fr.WriteData(id, true, []byte("ok"))
	}
	for {
		f, err := fr.ReadFrame()
		if se, isStream := errors.AsType[http2.StreamError](err); isStream {
			// An invalid header block: sent all the same.
			s.record("invalid: " + se.Error())
			if answer(se.StreamID) != nil {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() && fr.WriteSettingsAck() != nil {
				return
			}
		case *http2.PingFrame:
			if !f.IsAck() && fr.WritePing(true, f.Data) != nil {
				return
			}
		case *http2.MetaHeadersFrame:
			var b strings.Builder
			for _, hf := range f.Fields {
				fmt.Fprintf(&b, "%s: %q; ", hf.Name, hf.Value)
			}
			s.record(b.String())
			if f.StreamEnded() && answer(f.StreamID) != nil {
				return
			}
		case *http2.DataFrame:
			if f.StreamEnded() && answer(f.StreamID) != nil {
				return
			}
		}
	}
}

// TestInvalidHeaders checks that a request with a header field name that is
// not a token, or a value with CR, LF or NUL, is refused, its body closed,
// and nothing of it sent: the server, which would answer it, never sees it.
func TestInvalidHeaders(t *testing.T) {
	checkLeaks(t)
	srv := newRawH2Server(t)
	tr := newTransport(t, srv.Server)
	for _, tc := range []struct{ name, key, value string }{
		{"space in name", "Bad Name", "v"},
		{"colon in name", "Bad:Name", "v"},
		{"pseudo-header name", ":path", "/admin"},
		{"CRLF in name", "X-A\r\nX-B", "v"},
		{"empty name", "", "v"},
		{"CRLF in value", "X-Value", "a\r\nX-Injected: 1"},
		{"LF in value", "X-Value", "a\nb"},
		{"CR in value", "X-Value", "a\rb"},
		{"NUL in value", "X-Value", "a\x00b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &trackBody{Reader: strings.NewReader("abc")}
			req := newRequest(t, "POST", srv.URL+"/x", body)
			req.ContentLength = 3
			req.Header[tc.key] = []string{tc.value}
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("RoundTrip sent header %q: %q", tc.key, tc.value)
			}
			if !body.closed.Load() {
				t.Errorf("the request body was not closed")
			}
		})
	}
	// A valid request now: had any of the above been sent, the server would
	// have recorded it first.
	req := newRequest(t, "GET", srv.URL+"/valid", nil)
	req.Header.Set("X-Valid", "yes")
	resp := roundTrip(t, tr, req)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "ok" {
		t.Errorf("valid request: %q, %v", b, err)
	}
	got := srv.received()
	if len(got) != 1 || !strings.Contains(got[0], `x-valid: "yes"`) {
		t.Errorf("the server received header blocks %q; want only the valid request's", got)
	}
}

// TestHandshakeTimeout checks that a server that never completes the TLS
// handshake fails the request after HandshakeTimeout, not never.
func TestHandshakeTimeout(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { io.Copy(io.Discard, c) }) // reads the ClientHello, answers nothing
			wg.Go(func() { <-stop; c.Close() })
		}
	})
	fb := &countingRT{rt: rtFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("fallback called") })}
	tr := &Transport{Fallback: fb, Dial: (&net.Dialer{}).DialContext, HandshakeTimeout: 100 * time.Millisecond}
	t.Cleanup(tr.CloseIdleConnections)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "https://"+ln.Addr().String()+"/", nil)
	if err := awaitErr(t, goRoundTrip(tr, req), "RoundTrip to give up on the handshake"); err == nil {
		t.Errorf("RoundTrip succeeded against a server that never completes the handshake")
	}
	if n := fb.calls.Load(); n != 0 {
		t.Errorf("%d requests went to Fallback", n)
	}
}

// TestDialError checks that a failed dial is RoundTrip's error and that the
// request body is closed.
func TestDialError(t *testing.T) {
	checkLeaks(t)
	dialErr := errors.New("dial refused by the test")
	fb := &countingRT{rt: rtFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("fallback called") })}
	tr := &Transport{Fallback: fb, Dial: func(context.Context, string, string) (net.Conn, error) { return nil, dialErr }}
	body := &trackBody{Reader: strings.NewReader("abc")}
	req := newRequest(t, "POST", "https://upstream.invalid/x", body)
	req.ContentLength = 3
	if _, err := tr.RoundTrip(req); !errors.Is(err, dialErr) {
		t.Errorf("RoundTrip: %v; want %v", err, dialErr)
	}
	if !body.closed.Load() {
		t.Errorf("the request body was not closed")
	}
	if n := fb.calls.Load(); n != 0 {
		t.Errorf("%d requests went to Fallback", n)
	}
}

// benchHandler answers like a small non-streamed completion.
func benchHandler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"id":"c1","choices":[{"message":{"role":"assistant","content":"hi"}}]}`)
}

// benchRoundTrip sends a small POST and reads its response, b.N times.
func benchRoundTrip(b *testing.B, rt http.RoundTripper, target string) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"hello"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest("POST", target, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || resp.ProtoMajor != 2 {
			b.Fatalf("response: %d HTTP/%d, %v", resp.StatusCode, resp.ProtoMajor, err)
		}
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	srv, _ := newServer(b, benchHandler)
	tr, fb := newTransportFallback(b, srv)
	benchRoundTrip(b, tr, srv.URL+"/v1/chat/completions")
	if n := fb.calls.Load(); n != 0 {
		b.Errorf("%d requests went to Fallback", n)
	}
}

func BenchmarkRoundTripNetHTTP(b *testing.B) {
	srv, _ := newServer(b, benchHandler)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: rootCAs(srv)}, ForceAttemptHTTP2: true}
	b.Cleanup(tr.CloseIdleConnections)
	benchRoundTrip(b, tr, srv.URL+"/v1/chat/completions")
}
