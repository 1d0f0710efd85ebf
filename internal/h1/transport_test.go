package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// bound is how long a test waits for anything before it fails: generous,
// as machines are noisy; no test asserts on speed.
const bound = 5 * time.Second

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

// newTransport is the transport under test. Its Fallback counts its calls:
// at the end of the test, any request that went there fails the test, so a
// test cannot pass by way of net/http.
func newTransport(t *testing.T) *Transport {
	t.Helper()
	fb := &countingRT{rt: &http.Transport{}}
	tr := &Transport{Fallback: fb, Dial: (&net.Dialer{}).DialContext}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if n := fb.calls.Load(); n != 0 {
			t.Errorf("%d requests went to Fallback", n)
		}
	})
	return tr
}

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

// newServer starts a plain HTTP test server whose connections are counted;
// configure, if given, sets up its http.Server before it starts.
func newServer(t *testing.T, h http.HandlerFunc, configure ...func(*http.Server)) (*httptest.Server, *tracker) {
	t.Helper()
	k := &tracker{}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = k.hook
	for _, f := range configure {
		f(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, k
}

// rawSrv is a TCP server whose every connection is handled by a function
// of the test.
type rawSrv struct {
	addr     string
	accepted atomic.Int32
}

// rawServer starts a TCP server on loopback; handle gets each connection,
// which is closed once handle returns or the test ends.
func rawServer(t *testing.T, handle func(net.Conn)) *rawSrv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawSrv{addr: ln.Addr().String()}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// readHead reads a request's head up to its blank line.
func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" {
			return b.String(), nil
		}
	}
}

// headContentLength is the Content-Length of a request head, 0 if none.
func headContentLength(head string) int64 {
	for line := range strings.SplitSeq(head, "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(name, "Content-Length") {
			n, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			return n
		}
	}
	return 0
}

// captureServer answers every request with an empty 200 on a kept-alive
// connection, and sends each request's head on the channel it returns.
func captureServer(t *testing.T) (*rawSrv, <-chan string) {
	t.Helper()
	heads := make(chan string, 64)
	s := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			head, err := readHead(br)
			if err != nil {
				return
			}
			heads <- head
			if _, err := io.CopyN(io.Discard, br, headContentLength(head)); err != nil {
				return
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); err != nil {
				return
			}
		}
	})
	return s, heads
}

// trackBody is a request body that records its Close; it hides any
// io.WriterTo of the reader it wraps.
type trackBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackBody) Close() error { b.closed.Store(true); return nil }

// newRequest is a request whose context ends after bound, or with the test.
func newRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// roundTrip sends req, failing the test on an error.
func roundTrip(t *testing.T, rt http.RoundTripper, req *http.Request) *http.Response {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

// do sends a request and reads its response's body to its end.
func do(t *testing.T, rt http.RoundTripper, method, target, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	resp := roundTrip(t, rt, newRequest(t, method, target, rd))
	b, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); cerr != nil {
		t.Errorf("closing the body: %v", cerr)
	}
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	return resp, string(b)
}

// recv waits, within bound, for a value on ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(bound):
		t.Fatalf("timed out waiting for %s", what)
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

// hostKey is the key under which tr keeps connections to srv.
func hostKey(srv *httptest.Server) string { return srv.Listener.Addr().String() }

// idleCount is the number of idle connections tr keeps for key.
func idleCount(tr *Transport, key string) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.idle[key])
}

// barrier holds the first n requests to h until all n have arrived, so
// that n connections are open at once.
func barrier(n int, h http.HandlerFunc) http.HandlerFunc {
	var (
		mu      sync.Mutex
		arrived int
	)
	all := make(chan struct{})
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-r.Context().Done():
			return
		}
		h(w, r)
	}
}

// ok reads the request's body and answers "ok".
func ok(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	io.WriteString(w, "ok")
}

// TestPost checks that a POST arrives whole (method, target, Host, length,
// body, headers, User-Agent) and that its response comes back intact.
func TestPost(t *testing.T) {
	type seen struct {
		method, uri, host, ua string
		contentLength         int64
		transferEncoding      []string
		foo                   []string
		body                  []byte
	}
	got := make(chan seen, 1)
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: reading the body: %v", err)
		}
		got <- seen{r.Method, r.RequestURI, r.Host, r.Header.Get("User-Agent"), r.ContentLength, r.TransferEncoding, r.Header.Values("X-Foo"), b}
		w.Header().Set("X-Reply", "yes")
		w.Header().Add("X-Multi", "1")
		w.Header().Add("X-Multi", "2")
		w.WriteHeader(http.StatusCreated)
		w.Write(append([]byte("reply:"), b...))
	})
	tr := newTransport(t)
	body := make([]byte, 1000)
	for i := range body {
		body[i] = byte(i) // every byte value, CR and LF among them
	}
	for _, tc := range []struct {
		name, ua, host, wantUA, wantHost string
	}{
		{name: "default User-Agent", wantUA: userAgent, wantHost: hostKey(srv)},
		{name: "caller's User-Agent", ua: "switchyard-test/1.0", wantUA: "switchyard-test/1.0", wantHost: hostKey(srv)},
		{name: "Host set", host: "upstream.example:8000", wantUA: userAgent, wantHost: "upstream.example:8000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, http.MethodPost, srv.URL+"/v1/chat?model=a%20b&x=1", bytes.NewReader(body))
			req.Header.Add("X-Foo", "one")
			req.Header.Add("X-Foo", "two, three")
			if tc.ua != "" {
				req.Header.Set("User-Agent", tc.ua)
			}
			req.Host = tc.host
			resp := roundTrip(t, tr, req)
			defer resp.Body.Close()
			s := recv(t, got, "the request at the server")
			if s.method != http.MethodPost || s.uri != "/v1/chat?model=a%20b&x=1" || s.host != tc.wantHost {
				t.Errorf("server saw %s %s Host %q; want POST /v1/chat?model=a%%20b&x=1 Host %q", s.method, s.uri, s.host, tc.wantHost)
			}
			if s.ua != tc.wantUA {
				t.Errorf("server saw User-Agent %q; want %q", s.ua, tc.wantUA)
			}
			if s.contentLength != int64(len(body)) || len(s.transferEncoding) != 0 {
				t.Errorf("server saw ContentLength %d, Transfer-Encoding %q; want %d, none", s.contentLength, s.transferEncoding, len(body))
			}
			if !slices.Equal(s.foo, []string{"one", "two, three"}) {
				t.Errorf("server saw X-Foo %q", s.foo)
			}
			if !bytes.Equal(s.body, body) {
				t.Errorf("server saw a body of %d bytes, not the %d sent", len(s.body), len(body))
			}
			if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Reply") != "yes" || !slices.Equal(resp.Header.Values("X-Multi"), []string{"1", "2"}) {
				t.Errorf("response: %d %v", resp.StatusCode, resp.Header)
			}
			rb, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte("reply:"), body...); !bytes.Equal(rb, want) || resp.ContentLength != int64(len(want)) {
				t.Errorf("response body: %d bytes (ContentLength %d), want %d", len(rb), resp.ContentLength, len(want))
			}
		})
	}
	if opened, _ := k.counts(); opened != 1 {
		t.Errorf("the server saw %d connections; want 1", opened)
	}
}

// TestRequestHead checks the head's framing fields on the wire: the
// request line, one Host, Content-Length only where due, Connection: close
// for req.Close, and no caller-set framing fields.
func TestRequestHead(t *testing.T) {
	srv, heads := captureServer(t)
	base := "http://" + srv.addr
	for _, tc := range []struct {
		name      string
		req       func(t *testing.T) *http.Request
		want, not []string
	}{
		{
			name: "GET without body",
			req:  func(t *testing.T) *http.Request { return newRequest(t, "GET", base+"/a?b=c", nil) },
			want: []string{"GET /a?b=c HTTP/1.1\r\n", "\r\nHost: " + srv.addr + "\r\n", "\r\nUser-Agent: " + userAgent + "\r\n"},
			not:  []string{"Content-Length", "Connection", "Transfer-Encoding"},
		},
		{
			name: "POST with NoBody",
			req:  func(t *testing.T) *http.Request { return newRequest(t, "POST", base+"/", http.NoBody) },
			want: []string{"POST / HTTP/1.1\r\n", "\r\nContent-Length: 0\r\n"},
			not:  []string{"Transfer-Encoding"},
		},
		{
			name: "PUT with body",
			req:  func(t *testing.T) *http.Request { return newRequest(t, "PUT", base+"/p", strings.NewReader("abc")) },
			want: []string{"PUT /p HTTP/1.1\r\n", "\r\nContent-Length: 3\r\n"},
		},
		{
			name: "Close",
			req: func(t *testing.T) *http.Request {
				r := newRequest(t, "GET", base+"/", nil)
				r.Close = true
				return r
			},
			want: []string{"\r\nConnection: close\r\n"},
		},
		{
			name: "caller's framing fields",
			req: func(t *testing.T) *http.Request {
				r := newRequest(t, "POST", base+"/", strings.NewReader("xy"))
				r.Header.Set("Content-Length", "999")
				r.Header.Set("Transfer-Encoding", "chunked")
				r.Header.Set("Host", "evil.example")
				r.Header.Set("Trailer", "X-T")
				r.Header.Add("X-Multi", "a")
				r.Header.Add("X-Multi", "b")
				return r
			},
			want: []string{"\r\nContent-Length: 2\r\n", "\r\nHost: " + srv.addr + "\r\n", "\r\nX-Multi: a\r\nX-Multi: b\r\n"},
			not:  []string{"999", "chunked", "evil.example", "Trailer"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTransport(t)
			resp := roundTrip(t, tr, tc.req(t))
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			head := recv(t, heads, "the request head")
			if strings.Count(head, "\r\nHost:") != 1 {
				t.Errorf("head has not one Host field:\n%s", head)
			}
			for _, w := range tc.want {
				if !strings.Contains(head, w) {
					t.Errorf("head lacks %q:\n%s", w, head)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(head, n) {
					t.Errorf("head has %q:\n%s", n, head)
				}
			}
		})
	}
}

// TestLargeBody checks that a 300 KiB body arrives as sent, whether it is
// written by its WriterTo (net.Buffers: a writev; bytes.Reader) or copied
// through the write buffer.
func TestLargeBody(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	var parts [][]byte
	for _, n := range []int{1, 4095, 100_000, 70_000, 3, 133_101} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		parts = append(parts, p)
	}
	want := bytes.Join(parts, nil)
	if len(want) != 300<<10 {
		t.Fatalf("the body has %d bytes", len(want))
	}
	type seen struct {
		contentLength int64
		body          []byte
	}
	got := make(chan seen, 1)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: reading the body: %v", err)
		}
		got <- seen{r.ContentLength, b}
		io.WriteString(w, strconv.Itoa(len(b)))
	})
	tr := newTransport(t)
	for _, tc := range []struct {
		name       string
		body       func() io.ReadCloser
		writerTo   bool
		noGetBody  bool
		wantLength string
	}{
		{name: "net.Buffers", writerTo: true, body: func() io.ReadCloser {
			b := net.Buffers(slices.Clone(parts)) // WriteTo consumes the slice, not the bytes
			return io.NopCloser(&b)
		}},
		{name: "bytes.Reader", writerTo: true, body: func() io.ReadCloser { return io.NopCloser(bytes.NewReader(want)) }},
		{name: "plain reader", body: func() io.ReadCloser { return io.NopCloser(struct{ io.Reader }{bytes.NewReader(want)}) }},
		{name: "pieces (Buffers)", writerTo: true, body: func() io.ReadCloser { return newPieces(parts) }},
		{name: "pieces in one", writerTo: true, body: func() io.ReadCloser { return newPieces([][]byte{want}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body()
			if _, isWT := body.(io.WriterTo); isWT != tc.writerTo {
				t.Fatalf("the body is an io.WriterTo: %v; the test wants %v", isWT, tc.writerTo)
			}
			req := newRequest(t, http.MethodPost, srv.URL+"/upload", body)
			req.ContentLength = int64(len(want))
			req.GetBody = func() (io.ReadCloser, error) { return tc.body(), nil }
			resp := roundTrip(t, tr, req)
			rb, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			s := recv(t, got, "the body at the server")
			if s.contentLength != int64(len(want)) || !bytes.Equal(s.body, want) {
				i := 0
				for i < min(len(s.body), len(want)) && s.body[i] == want[i] {
					i++
				}
				t.Errorf("server got %d bytes (ContentLength %d), first difference at %d; want the %d sent", len(s.body), s.contentLength, i, len(want))
			}
			if string(rb) != strconv.Itoa(len(want)) {
				t.Errorf("response body %q", rb)
			}
		})
	}
}

// TestKeepAlive checks that sequential requests whose bodies are read to
// their end and closed share one connection.
func TestKeepAlive(t *testing.T) {
	var (
		mu    sync.Mutex
		addrs = map[string]bool{}
	)
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		addrs[r.RemoteAddr] = true
		mu.Unlock()
		b, _ := io.ReadAll(r.Body)
		if r.URL.Query().Has("big") {
			w.Write(bytes.Repeat([]byte("z"), 20_000)) // chunked
			return
		}
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, b)
	})
	tr := newTransport(t)
	for i := range 6 {
		method, body := http.MethodGet, ""
		if i%2 == 1 {
			method, body = http.MethodPost, "body"+strconv.Itoa(i)
		}
		target := fmt.Sprintf("%s/r%d", srv.URL, i)
		want := fmt.Sprintf("%s /r%d %s", method, i, body)
		if i == 4 {
			target += "?big"
			want = strings.Repeat("z", 20_000)
		}
		if _, got := do(t, tr, method, target, body); got != want {
			t.Errorf("request %d: body %.40q; want %.40q", i, got, want)
		}
	}
	if opened, _ := k.counts(); opened != 1 {
		t.Errorf("the server saw %d connections; want 1", opened)
	}
	if len(addrs) != 1 {
		t.Errorf("requests came from %d addresses; want 1", len(addrs))
	}
	if n := idleCount(tr, hostKey(srv)); n != 1 {
		t.Errorf("%d idle connections; want 1", n)
	}
}

// TestResponsesWithoutBody checks that responses with no body (to HEAD, 204,
// 304, Content-Length 0) are whole at once and leave the connection to the
// next request.
func TestResponsesWithoutBody(t *testing.T) {
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/head":
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "0123456789")
		}
	})
	tr := newTransport(t)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"HEAD", "/head", 200},
		{"GET", "/204", 204},
		{"GET", "/304", 304},
		{"GET", "/empty", 200},
		{"HEAD", "/head", 200},
	} {
		resp, body := do(t, tr, tc.method, srv.URL+tc.path, "")
		if resp.StatusCode != tc.status || body != "" {
			t.Errorf("%s %s: %d %q; want %d and no body", tc.method, tc.path, resp.StatusCode, body, tc.status)
		}
		if tc.method == "HEAD" && resp.ContentLength != 10 {
			t.Errorf("HEAD: ContentLength %d; want 10", resp.ContentLength)
		}
	}
	if opened, _ := k.counts(); opened != 1 {
		t.Errorf("the server saw %d connections; want 1", opened)
	}
}

// TestSmallReadBuffer checks that a read buffer smaller than a header line
// and than the body still reads both whole.
func TestSmallReadBuffer(t *testing.T) {
	long := strings.Repeat("v", 3000)
	body := strings.Repeat("0123456789", 1000)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Long", long)
		io.WriteString(w, body)
	})
	tr := newTransport(t)
	tr.ReadBufferSize = 16
	for range 2 {
		resp, got := do(t, tr, "GET", srv.URL, "")
		if resp.Header.Get("X-Long") != long || got != body {
			t.Errorf("X-Long of %d bytes, body of %d; want %d and %d", len(resp.Header.Get("X-Long")), len(got), len(long), len(body))
		}
	}
	if n := idleCount(tr, hostKey(srv)); n != 1 {
		t.Errorf("%d idle connections; want 1", n)
	}
}

// TestLargeResponse checks that response bodies past maxHead (with a
// length, and chunked) are read whole, one after the other on one
// connection: the head's bound does not apply to bodies.
func TestLargeResponse(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{2}))
	want := make([]byte, 3*maxHead)
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("length") {
			w.Header().Set("Content-Length", strconv.Itoa(len(want)))
		}
		w.Write(want)
	})
	tr := newTransport(t)
	for _, q := range []string{"?length", "?chunked", "?length"} {
		resp, body := do(t, tr, "GET", srv.URL+q, "")
		if body != string(want) {
			t.Errorf("%s: %d bytes (ContentLength %d); want the %d sent", q, len(body), resp.ContentLength, len(want))
		}
	}
	if opened, _ := k.counts(); opened != 1 {
		t.Errorf("the server saw %d connections; want 1", opened)
	}
}

// TestCloseBeforeEnd checks that closing a streamed body before its end
// returns at once, closes the connection (the handler sees it) and that the
// next request goes on a new connection.
func TestCloseBeforeEnd(t *testing.T) {
	ended := make(chan struct{}, 1)
	release := make(chan struct{})
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stream" {
			io.WriteString(w, "ok")
			return
		}
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			ended <- struct{}{}
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	tr := newTransport(t)
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL+"/stream", nil))
	buf := make([]byte, len("data: 1\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "data: 1\n\n" {
		t.Fatalf("first event %q, %v", buf, err)
	}
	closed := make(chan error, 1)
	go func() { closed <- resp.Body.Close() }()
	if err := recv(t, closed, "Close to return"); err != nil {
		t.Errorf("Close: %v", err)
	}
	recv(t, ended, "the handler to see the connection closed")
	eventually(t, "the server to close the connection", func() bool { _, c := k.counts(); return c == 1 })
	if n := idleCount(tr, hostKey(srv)); n != 0 {
		t.Errorf("%d idle connections; want 0", n)
	}
	if _, body := do(t, tr, "GET", srv.URL+"/next", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
	if opened, _ := k.counts(); opened != 2 {
		t.Errorf("the server saw %d connections; want 2", opened)
	}
}

// TestReadAfterClose checks that a body read after Close fails, and that a
// second Close is harmless.
func TestReadAfterClose(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "0123456789") })
	tr := newTransport(t)
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL, nil))
	if err := resp.Body.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n, err := resp.Body.Read(make([]byte, 4)); n != 0 || !errors.Is(err, errReadOnClosed) {
		t.Errorf("Read after Close: %d, %v; want 0, %v", n, err, errReadOnClosed)
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestUpstreamClosedIdle checks that a kept-alive connection the upstream
// closed (its idle timeout) is not used: the next request goes on a new
// connection and succeeds.
func TestUpstreamClosedIdle(t *testing.T) {
	switch runtime.GOOS {
	case "windows", "plan9", "js", "wasip1":
		t.Skip("alive() cannot peek at a connection here (alive_other.go)")
	}
	srv, k := newServer(t, ok, func(s *http.Server) { s.IdleTimeout = 50 * time.Millisecond })
	tr := newTransport(t)
	key := hostKey(srv)
	if _, body := do(t, tr, "GET", srv.URL+"/1", ""); body != "ok" {
		t.Fatalf("first request: %q", body)
	}
	tr.mu.Lock()
	list := slices.Clone(tr.idle[key])
	tr.mu.Unlock()
	if len(list) != 1 {
		t.Fatalf("%d idle connections; want 1", len(list))
	}
	eventually(t, "the server to close the idle connection", func() bool { _, c := k.counts(); return c == 1 })
	// The server closed its end; wait for its FIN to reach ours, so that
	// what is tested is the transport's reaction to a closed connection.
	eventually(t, "alive() to see the connection closed", func() bool { return !list[0].alive() })
	if _, body := do(t, tr, "GET", srv.URL+"/2", ""); body != "ok" {
		t.Errorf("second request: %q", body)
	}
	if opened, _ := k.counts(); opened != 2 {
		t.Errorf("the server saw %d connections; want 2", opened)
	}
}

// TestConnectionClose checks that a connection is not kept after a response
// with Connection: close, or a request with Close: the next request opens
// a new one, and both succeed.
func TestConnectionClose(t *testing.T) {
	for _, tc := range []struct {
		name     string
		respond  bool // the response says Connection: close
		reqClose bool
	}{
		{name: "response", respond: true},
		{name: "request", reqClose: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.respond {
					w.Header().Set("Connection", "close")
				}
				io.WriteString(w, "ok "+r.URL.Path)
			})
			tr := newTransport(t)
			for i := range 2 {
				req := newRequest(t, "GET", fmt.Sprintf("%s/%d", srv.URL, i), nil)
				req.Close = tc.reqClose
				resp := roundTrip(t, tr, req)
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != fmt.Sprintf("ok /%d", i) || !resp.Close {
					t.Errorf("request %d: %q, %v, resp.Close %v", i, b, err, resp.Close)
				}
				if n := idleCount(tr, hostKey(srv)); n != 0 {
					t.Errorf("request %d: %d idle connections; want 0", i, n)
				}
			}
			if opened, _ := k.counts(); opened != 2 {
				t.Errorf("the server saw %d connections; want 2", opened)
			}
		})
	}
}

// TestCancelWaitingForHead checks that cancelling a request whose response
// has not begun makes RoundTrip return context.Canceled.
func TestCancelWaitingForHead(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // then the server watches the connection for its close
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	tr := newTransport(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL, strings.NewReader("body"))
	errc := make(chan error, 1)
	go func() {
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	recv(t, entered, "the handler")
	cancel()
	if err := recv(t, errc, "RoundTrip to return"); !errors.Is(err, context.Canceled) {
		t.Errorf("RoundTrip: %v; want context.Canceled", err)
	}
	if n := idleCount(tr, hostKey(srv)); n != 0 {
		t.Errorf("%d idle connections; want 0", n)
	}
	eventually(t, "the server to see the connection closed", func() bool { _, c := k.counts(); return c == 1 })
}

// TestCancelReadingBody checks that cancelling a request while its body
// streams makes Read return context.Canceled.
func TestCancelReadingBody(t *testing.T) {
	release := make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	tr := newTransport(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp := roundTrip(t, tr, req)
	defer resp.Body.Close()
	buf := make([]byte, len("data: 1\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatalf("first event: %v", err)
	}
	for _, when := range []string{"Read blocked", "Read again"} {
		t.Run(when, func(t *testing.T) {
			errc := make(chan error, 1)
			go func() { _, err := resp.Body.Read(buf); errc <- err }()
			if when == "Read blocked" {
				time.Sleep(10 * time.Millisecond) // let Read block; the test holds either way
				cancel()
			}
			if err := recv(t, errc, "Read to return"); !errors.Is(err, context.Canceled) {
				t.Errorf("Read: %v; want context.Canceled", err)
			}
		})
	}
	if n := idleCount(tr, hostKey(srv)); n != 0 {
		t.Errorf("%d idle connections; want 0", n)
	}
}

// TestStreaming checks that a streamed body is read as it comes: the first
// event before the handler writes the second, then the second, then io.EOF.
func TestStreaming(t *testing.T) {
	next := make(chan struct{})
	release := sync.OnceFunc(func() { close(next) })
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-next:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "data: 2\n\n")
	})
	t.Cleanup(release)
	tr := newTransport(t)
	resp := roundTrip(t, tr, newRequest(t, "GET", srv.URL+"/events", nil))
	defer resp.Body.Close()
	first := make([]byte, len("data: 1\n\n"))
	errc := make(chan error, 1)
	go func() { _, err := io.ReadFull(resp.Body, first); errc <- err }()
	if err := recv(t, errc, "the first event (before the second is written)"); err != nil || string(first) != "data: 1\n\n" {
		t.Fatalf("first event: %q, %v", first, err)
	}
	release()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "data: 2\n\n" {
		t.Fatalf("rest: %q, %v", rest, err)
	}
	if n, err := resp.Body.Read(first); n != 0 || err != io.EOF {
		t.Errorf("Read at the end: %d, %v; want 0, io.EOF", n, err)
	}
	if n := idleCount(tr, hostKey(srv)); n != 1 {
		t.Errorf("%d idle connections; want 1", n)
	}
}

// TestFallback checks which requests go to Fallback: https, proxied, of
// unknown length, chunked, with Expect or Upgrade, CONNECT; and that plain
// ones do not.
func TestFallback(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(ok))
	t.Cleanup(tlsSrv.Close)
	srv, _ := newServer(t, ok)
	inner := tlsSrv.Client().Transport.(*http.Transport)
	t.Cleanup(inner.CloseIdleConnections)
	fb := &countingRT{rt: rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodConnect {
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
		}
		return inner.RoundTrip(r)
	})}
	tr := &Transport{Fallback: fb, Dial: (&net.Dialer{}).DialContext,
		Proxy: func(r *http.Request) (*url.URL, error) {
			switch r.Header.Get("X-Proxy") {
			case "yes":
				return url.Parse("http://proxy.invalid:3128")
			case "error":
				return nil, errors.New("no proxy settings")
			}
			return nil, nil
		}}
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
		{name: "https", method: "GET", target: tlsSrv.URL + "/", fallback: true},
		{name: "proxied", method: "GET", target: srv.URL, edit: withHeader("X-Proxy", "yes"), fallback: true},
		{name: "proxy error", method: "GET", target: srv.URL, edit: withHeader("X-Proxy", "error"), fallback: true},
		{name: "unknown length", method: "POST", target: srv.URL, body: io.NopCloser(strings.NewReader("abc")),
			edit: func(r *http.Request) { r.ContentLength = -1 }, fallback: true},
		{name: "zero ContentLength, body", method: "POST", target: srv.URL, body: struct{ io.Reader }{strings.NewReader("abc")}, fallback: true},
		{name: "chunked", method: "POST", target: srv.URL, body: strings.NewReader("abc"),
			edit: func(r *http.Request) { r.TransferEncoding = []string{"chunked"} }, fallback: true},
		{name: "Expect", method: "POST", target: srv.URL, body: strings.NewReader("abc"), edit: withHeader("Expect", "100-continue"), fallback: true},
		{name: "Upgrade", method: "GET", target: srv.URL, edit: func(r *http.Request) {
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
		}, fallback: true},
		{name: "CONNECT", method: "CONNECT", target: srv.URL, fallback: true},
		{name: "plain GET", method: "GET", target: srv.URL},
		{name: "plain POST", method: "POST", target: srv.URL, body: strings.NewReader("abc")},
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

// TestInformational checks that 1xx responses before the final one are
// skipped: the client gets the final status, headers and body, and the
// connection serves the next request.
func TestInformational(t *testing.T) {
	t.Run("http.Server 103", func(t *testing.T) {
		srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Del("Link")
			w.Header().Set("X-Final", "yes")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "final body")
		})
		tr := newTransport(t)
		for range 2 {
			resp, body := do(t, tr, "GET", srv.URL, "")
			if resp.StatusCode != 200 || resp.Header.Get("X-Final") != "yes" || body != "final body" {
				t.Errorf("response %d %v %q", resp.StatusCode, resp.Header, body)
			}
		}
		if opened, _ := k.counts(); opened != 1 {
			t.Errorf("the server saw %d connections; want 1", opened)
		}
	})
	t.Run("100, 102, 103", func(t *testing.T) {
		s := rawServer(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				if _, err := readHead(br); err != nil {
					return
				}
				_, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"+
					"HTTP/1.1 102 Processing\r\n\r\n"+
					"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"+
					"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				if err != nil {
					return
				}
			}
		})
		tr := newTransport(t)
		for range 2 {
			resp, body := do(t, tr, "GET", "http://"+s.addr, "")
			if resp.StatusCode != 200 || body != "ok" {
				t.Errorf("response %d %q", resp.StatusCode, body)
			}
		}
		if n := s.accepted.Load(); n != 1 {
			t.Errorf("the server accepted %d connections; want 1", n)
		}
	})
}

// TestInvalidHeaders checks that a request with a header field name that is
// not a token, or a value with CR, LF or NUL, is refused, its body closed,
// and nothing sent.
func TestInvalidHeaders(t *testing.T) {
	var calls atomic.Int32
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		ok(w, r)
	})
	tr := newTransport(t)
	for _, tc := range []struct{ name, key, value string }{
		{"space in name", "Bad Name", "v"},
		{"colon in name", "Bad:Name", "v"},
		{"CRLF in name", "X-A\r\nX-B", "v"},
		{"empty name", "", "v"},
		{"CRLF in value", "X-Value", "a\r\nX-Injected: 1"},
		{"LF in value", "X-Value", "a\nX-Injected: 1"},
		{"CR in value", "X-Value", "a\rb"},
		{"NUL in value", "X-Value", "a\x00b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &trackBody{Reader: strings.NewReader("abc")}
			req := newRequest(t, "POST", srv.URL, body)
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
	// have seen its connection first.
	if _, body := do(t, tr, "GET", srv.URL, ""); body != "ok" {
		t.Errorf("valid request: %q", body)
	}
	if opened, _ := k.counts(); opened != 1 || calls.Load() != 1 {
		t.Errorf("the server saw %d connections and %d requests; want 1 and 1", opened, calls.Load())
	}
}

// TestHeadTooLarge checks that a response head without end (header lines,
// one header value, 1xx responses) fails with errHeadTooLarge once it
// passes maxHead, rather than being read on.
func TestHeadTooLarge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix string
		unit   string // repeated after prefix
		// the part of unit where the maxHead cut is meant to fall: a
		// value, so the line read up to it still parses (a cut in a field
		// name gives a malformed-header error instead)
		valueStart, valueEnd int
	}{
		{name: "header lines", prefix: "HTTP/1.1 200 OK\r\n", unit: "X-Filler: " + strings.Repeat("a", 990) + "\r\n", valueStart: 10, valueEnd: 1000},
		{name: "header value", prefix: "HTTP/1.1 200 OK\r\nX-Filler: ", unit: strings.Repeat("a", 1024), valueStart: 0, valueEnd: 1024},
		{name: "1xx responses", unit: "HTTP/1.1 103 Early Hints\r\nLink: <" + strings.Repeat("a", 962) + ">\r\n\r\n", valueStart: 33, valueEnd: 995},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if off := (maxHead - len(tc.prefix)) % len(tc.unit); off <= tc.valueStart || off >= tc.valueEnd {
				t.Fatalf("the test's cut falls at %d of its unit, outside [%d, %d)", off, tc.valueStart, tc.valueEnd)
			}
			s := rawServer(t, func(c net.Conn) {
				if _, err := readHead(bufio.NewReader(c)); err != nil {
					return
				}
				if _, err := io.WriteString(c, tc.prefix); err != nil {
					return
				}
				unit := []byte(tc.unit)
				for sent := len(tc.prefix); sent < 2*maxHead; sent += len(unit) {
					if _, err := c.Write(unit); err != nil {
						return
					}
				}
				io.Copy(io.Discard, c) // until the client hangs up
			})
			tr := newTransport(t)
			resp, err := tr.RoundTrip(newRequest(t, "GET", "http://"+s.addr, nil))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("RoundTrip: %d with %d header fields; want an error", resp.StatusCode, len(resp.Header))
			}
			if !errors.Is(err, errHeadTooLarge) {
				t.Errorf("RoundTrip: %v; want %v", err, errHeadTooLarge)
			}
		})
	}
}

// TestIdleTimeout checks that a connection idle for IdleTimeout is closed
// and leaves the idle pool.
func TestIdleTimeout(t *testing.T) {
	srv, k := newServer(t, ok)
	tr := newTransport(t)
	tr.IdleTimeout = 50 * time.Millisecond
	do(t, tr, "GET", srv.URL, "")
	eventually(t, "the server to see the idle connection closed", func() bool { _, c := k.counts(); return c == 1 })
	if n := idleCount(tr, hostKey(srv)); n != 0 {
		t.Errorf("%d idle connections; want 0", n)
	}
	// And the transport goes on.
	if _, body := do(t, tr, "GET", srv.URL, ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
}

// TestMaxIdlePerHost checks that of 5 connections open at once, 2 are kept
// once their requests end, and the others closed.
func TestMaxIdlePerHost(t *testing.T) {
	const n = 5
	srv, k := newServer(t, barrier(n, ok))
	tr := newTransport(t)
	tr.MaxIdlePerHost = 2
	var wg sync.WaitGroup
	for range n {
		req := newRequest(t, "GET", srv.URL, nil)
		wg.Go(func() {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != "ok" {
				t.Errorf("body %q, %v", b, err)
			}
		})
	}
	wg.Wait()
	if got := idleCount(tr, hostKey(srv)); got != 2 {
		t.Errorf("%d idle connections; want 2", got)
	}
	if opened, _ := k.counts(); opened != n {
		t.Errorf("the server saw %d connections; want %d", opened, n)
	}
	eventually(t, "the server to see 3 connections closed", func() bool { _, c := k.counts(); return c == n-2 })
}

// TestConcurrent checks, under -race, 20 goroutines sending 20 requests each
// with random bodies that the server echoes: every response is its
// request's body.
func TestConcurrent(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: %v", err)
		}
		w.Write(b) // chunked past 2 KiB
	})
	tr := newTransport(t)
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 20 {
				body := make([]byte, rng.IntN(4096))
				for j := range body {
					body[j] = byte(rng.Uint32())
				}
				req, err := http.NewRequestWithContext(t.Context(), "POST", fmt.Sprintf("%s/%d/%d", srv.URL, g, i), bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Errorf("%d/%d: %v", g, i, err)
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || !bytes.Equal(got, body) {
					t.Errorf("%d/%d: got %d bytes (%v); want the %d sent", g, i, len(got), err, len(body))
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestTruncatedBody checks that a body the upstream cuts short fails with
// io.ErrUnexpectedEOF and that its connection is not kept.
func TestTruncatedBody(t *testing.T) {
	s := rawServer(t, func(c net.Conn) {
		if _, err := readHead(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
	})
	tr := newTransport(t)
	resp := roundTrip(t, tr, newRequest(t, "GET", "http://"+s.addr, nil))
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) || string(b) != "0123456789" {
		t.Errorf("body %q, %v; want 0123456789, %v", b, err, io.ErrUnexpectedEOF)
	}
	if n := idleCount(tr, s.addr); n != 0 {
		t.Errorf("%d idle connections; want 0", n)
	}
}

// TestEarlyAnswer checks that an upstream answering 413 and closing before
// it read a large body does not make RoundTrip hang; a response, if any, is
// the 413.
func TestEarlyAnswer(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 8<<20)
	for _, tc := range []struct {
		name string
		body func() io.Reader
	}{
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(big) }},
		{"plain reader", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(big)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := rawServer(t, func(c net.Conn) {
				if _, err := readHead(bufio.NewReader(c)); err != nil {
					return
				}
				io.WriteString(c, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			})
			tr := newTransport(t)
			req := newRequest(t, "POST", "http://"+s.addr+"/upload", tc.body())
			req.ContentLength = int64(len(big))
			type result struct {
				resp *http.Response
				err  error
			}
			done := make(chan result, 1)
			go func() {
				resp, err := tr.RoundTrip(req)
				done <- result{resp, err}
			}()
			r := recv(t, done, "RoundTrip to return")
			if r.err != nil {
				t.Logf("RoundTrip: %v", r.err)
			} else {
				io.Copy(io.Discard, r.resp.Body)
				r.resp.Body.Close()
				if r.resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("status %d; want 413", r.resp.StatusCode)
				}
			}
			if n := idleCount(tr, s.addr); n != 0 {
				t.Errorf("%d idle connections; want 0", n)
			}
		})
	}
}

// TestBodyShorterThanContentLength checks that a body that ends before its
// ContentLength fails the request at once (not by the context's end) and
// that its connection, which the upstream reads as unfinished, is not kept.
func TestBodyShorterThanContentLength(t *testing.T) {
	srv, k := newServer(t, ok)
	tr := newTransport(t)
	for _, tc := range []struct {
		name string
		body io.Reader
		n    int
	}{
		{"buffered", struct{ io.Reader }{strings.NewReader("abc")}, 3},
		{"WriterTo", bytes.NewReader(make([]byte, 10_000)), 10_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, "POST", srv.URL, tc.body)
			req.ContentLength = int64(tc.n + 5)
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("RoundTrip: %d; want an error", resp.StatusCode)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("RoundTrip: %v; want the body's error, not the context's end", err)
			}
			if n := idleCount(tr, hostKey(srv)); n != 0 {
				t.Errorf("%d idle connections; want 0", n)
			}
		})
	}
	if _, body := do(t, tr, "GET", srv.URL, ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
	if opened, _ := k.counts(); opened != 3 {
		t.Errorf("the server saw %d connections; want 3", opened)
	}
}

// TestCloseIdleConnections checks that CloseIdleConnections closes the idle
// connections and calls Fallback's CloseIdleConnections.
func TestCloseIdleConnections(t *testing.T) {
	const n = 3
	srv, k := newServer(t, barrier(n, ok))
	tr := newTransport(t)
	fb := tr.Fallback.(*countingRT)
	var wg sync.WaitGroup
	for range n {
		req := newRequest(t, "GET", srv.URL, nil)
		wg.Go(func() {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	if got := idleCount(tr, hostKey(srv)); got != n {
		t.Fatalf("%d idle connections; want %d", got, n)
	}
	if _, c := k.counts(); c != 0 {
		t.Fatalf("the server saw %d connections closed before CloseIdleConnections", c)
	}
	tr.CloseIdleConnections()
	if got := idleCount(tr, hostKey(srv)); got != 0 {
		t.Errorf("%d idle connections after CloseIdleConnections", got)
	}
	if got := fb.closeIdle.Load(); got != 1 {
		t.Errorf("Fallback's CloseIdleConnections called %d times; want 1", got)
	}
	eventually(t, "the server to see the connections closed", func() bool { _, c := k.counts(); return c == n })
	if _, body := do(t, tr, "GET", srv.URL, ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
}

// TestDialError checks that a failed dial is RoundTrip's error and that the
// request body is closed.
func TestDialError(t *testing.T) {
	dialErr := errors.New("dial refused by the test")
	tr := newTransport(t)
	tr.Dial = func(context.Context, string, string) (net.Conn, error) { return nil, dialErr }
	body := &trackBody{Reader: strings.NewReader("abc")}
	req := newRequest(t, "POST", "http://upstream.invalid/x", body)
	req.ContentLength = 3
	if _, err := tr.RoundTrip(req); !errors.Is(err, dialErr) {
		t.Errorf("RoundTrip: %v; want %v", err, dialErr)
	}
	if !body.closed.Load() {
		t.Errorf("the request body was not closed")
	}
}

// flakyDialer dials connections that can be told to fail their writes. The
// wrapper hides syscall.Conn, so alive() cannot peek and takes an idle
// connection as open: a failed write then stands for an upstream that
// closed it just as it was taken.
type flakyDialer struct {
	mu    sync.Mutex
	conns []*flakyConn
}

type flakyConn struct {
	net.Conn
	// <0: writes go through; else the bytes let through before writes
	// fail with EPIPE
	failAfter atomic.Int64
}

func (c *flakyConn) Write(p []byte) (int, error) {
	n := c.failAfter.Load()
	if n < 0 {
		return c.Conn.Write(p)
	}
	m := 0
	if n > 0 {
		m, _ = c.Conn.Write(p[:min(int(n), len(p))])
		c.failAfter.Store(n - int64(m))
	}
	return m, syscall.EPIPE
}

func (d *flakyDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c := &flakyConn{Conn: nc}
	c.failAfter.Store(-1)
	d.mu.Lock()
	d.conns = append(d.conns, c)
	d.mu.Unlock()
	return c, nil
}

func (d *flakyDialer) dials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.conns)
}

// last is the connection dialled last.
func (d *flakyDialer) last() *flakyConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns[len(d.conns)-1]
}

// echo answers with the request's method and body.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	fmt.Fprintf(w, "%s %s", r.Method, b)
}

// TestRetry checks when a request that failed on a kept-alive connection
// is sent again on a new one: only if none of it left and its body can be
// had again (GetBody).
func TestRetry(t *testing.T) {
	for _, tc := range []struct {
		name      string
		warm      bool  // a first request leaves an idle connection
		failAfter int64 // then the connection's writes fail after these bytes
		getBody   bool
		wantDials int
		wantOK    bool
	}{
		{name: "reused, nothing written, GetBody", warm: true, getBody: true, wantDials: 2, wantOK: true},
		{name: "reused, nothing written, no GetBody", warm: true, wantDials: 1},
		{name: "reused, part written", warm: true, failAfter: 5, getBody: true, wantDials: 1},
		{name: "new connection, nothing written", getBody: true, wantDials: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := newServer(t, echo)
			d := &flakyDialer{}
			tr := newTransport(t)
			tr.Dial = d.dial
			if tc.warm {
				if _, body := do(t, tr, "POST", srv.URL, "warm"); body != "POST warm" {
					t.Fatalf("first request: %q", body)
				}
				d.last().failAfter.Store(tc.failAfter)
			} else {
				tr.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
					c, err := d.dial(ctx, network, addr)
					if err == nil {
						c.(*flakyConn).failAfter.Store(tc.failAfter)
					}
					return c, err
				}
			}
			req := newRequest(t, "POST", srv.URL, strings.NewReader("again"))
			if !tc.getBody {
				req.GetBody = nil
			}
			resp, err := tr.RoundTrip(req)
			if tc.wantOK {
				if err != nil {
					t.Fatalf("RoundTrip: %v", err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "POST again" {
					t.Errorf("body %q, %v", b, err)
				}
			} else {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("RoundTrip succeeded; want the write's error")
				}
				if tc.failAfter == 0 && !errors.Is(err, syscall.EPIPE) {
					t.Errorf("RoundTrip: %v; want %v", err, syscall.EPIPE)
				}
			}
			if got := d.dials(); got != tc.wantDials {
				t.Errorf("%d dials; want %d", got, tc.wantDials)
			}
		})
	}
}

// TestRetryBodyless checks that a request without a body whose write
// failed before any byte left a kept-alive connection is sent again, as
// net/http does (its shouldRetryRequest: outgoingLength() == 0 ||
// GetBody != nil).
func TestRetryBodyless(t *testing.T) {
	srv, _ := newServer(t, echo)
	d := &flakyDialer{}
	tr := newTransport(t)
	tr.Dial = d.dial
	do(t, tr, "GET", srv.URL, "")
	d.last().failAfter.Store(0)
	resp, err := tr.RoundTrip(newRequest(t, "GET", srv.URL, nil))
	if err != nil {
		t.Fatalf("RoundTrip: %v; want it sent again on a new connection", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "GET " || d.dials() != 2 {
		t.Errorf("body %q after %d dials; want \"GET \" after 2", b, d.dials())
	}
}

// TestRetryServerClosedIdle checks that a GET whose kept-alive
// connection the upstream closed as the request went out (the request
// left whole; the connection ends before any byte of a response) is sent
// again on a new connection, as net/http does (errServerClosedIdle for a
// replayable request). Writing to a connection whose peer has just closed
// it succeeds (the bytes go to the socket's buffer), so this, not
// nothingWritten, is how that race shows.
func TestRetryServerClosedIdle(t *testing.T) {
	var conns atomic.Int32
	s := rawServer(t, func(c net.Conn) {
		first := conns.Add(1) == 1
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			if _, err := readHead(br); err != nil {
				return
			}
			if first && i == 1 {
				return // closes with the second request received, unanswered
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	tr := newTransport(t)
	do(t, tr, "GET", "http://"+s.addr, "")
	resp, err := tr.RoundTrip(newRequest(t, "GET", "http://"+s.addr, nil))
	if err != nil {
		t.Fatalf("RoundTrip: %v; want it sent again on a new connection", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || conns.Load() != 2 {
		t.Errorf("body %q after %d connections; want ok after 2", b, conns.Load())
	}
}

// TestEmptyMethod checks that a request with Method "" is sent as a GET,
// as http.Request documents for clients.
func TestEmptyMethod(t *testing.T) {
	srv, _ := newServer(t, echo)
	tr := newTransport(t)
	req := newRequest(t, "GET", srv.URL+"/x", nil)
	req.Method = ""
	resp := roundTrip(t, tr, req)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "GET " {
		t.Errorf("response %d %q; want 200 \"GET \"", resp.StatusCode, b)
	}
}

// TestRequestLineInjection checks that a Host, Method or opaque URL with
// CR/LF is refused, as net/http refuses it (invalid Host header, invalid
// method, control character in Request.URL), rather than sent as extra
// header fields.
func TestRequestLineInjection(t *testing.T) {
	var injected atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Injected") != "" {
			injected.Add(1)
		}
		ok(w, r)
	})
	tr := newTransport(t)
	for _, tc := range []struct {
		name string
		edit func(*http.Request)
	}{
		{"Host", func(r *http.Request) { r.Host = "example.com\r\nX-Injected: yes" }},
		{"Method", func(r *http.Request) { r.Method = "GET /x HTTP/1.1\r\nX-Injected: yes\r\nX-Pad:" }},
		{"URL.Opaque", func(r *http.Request) { r.URL.Opaque = "/x HTTP/1.1\r\nX-Injected: yes\r\nX-Pad: y" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := injected.Load()
			req := newRequest(t, "GET", srv.URL+"/path", nil)
			tc.edit(req)
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Errorf("RoundTrip sent it: %d", resp.StatusCode)
			}
			if injected.Load() != before {
				t.Errorf("the server saw an injected header field")
			}
		})
	}
}

// TestBodyLongerThanContentLength checks that no more than ContentLength
// bytes of a body are sent: the rest would be read by the upstream as the
// next request on the connection. net/http sends ContentLength bytes and
// fails ("http: ContentLength=N with Body length M").
func TestBodyLongerThanContentLength(t *testing.T) {
	got := make(chan []byte, 1)
	s := rawServer(t, func(c net.Conn) {
		b, _ := io.ReadAll(c) // all the client sends, until it closes; no answer
		got <- b
	})
	tr := newTransport(t)
	payload := bytes.Repeat([]byte("a"), 8<<10)
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	req := newRequest(t, "POST", "http://"+s.addr+"/first", bytes.NewReader(append(slices.Clone(payload), smuggled...)))
	req.ContentLength = int64(len(payload))
	if resp, err := tr.RoundTrip(req); err == nil {
		resp.Body.Close()
	}
	sent := recv(t, got, "the bytes the upstream got")
	_, body, _ := bytes.Cut(sent, []byte("\r\n\r\n"))
	if len(body) > len(payload) {
		t.Errorf("the upstream got a body of %d bytes for a ContentLength of %d; past it: %q", len(body), len(payload), body[len(payload):])
	}
}

// TestContentLengthWithoutBody checks that a request with ContentLength
// set but Body nil or http.NoBody does not announce bytes it never sends
// (the upstream would wait for them, or take the next request for them).
// net/http sends Content-Length: 0 for NoBody and refuses a nil Body
// ("http: Request.ContentLength=5 with nil Body").
func TestContentLengthWithoutBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"NoBody", http.NoBody},
		{"nil", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, heads := captureServer(t)
			tr := newTransport(t)
			req := newRequest(t, "POST", "http://"+s.addr, nil)
			if tc.body != nil {
				req.Body = http.NoBody
			}
			req.ContentLength = 5
			ctx, cancel := context.WithCancel(req.Context())
			defer cancel()
			req = req.WithContext(ctx)
			errc := make(chan error, 1)
			go func() {
				resp, err := tr.RoundTrip(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				errc <- err
			}()
			check := func(head string) {
				if strings.Contains(head, "Content-Length: 5\r\n") {
					t.Errorf("sent a head announcing 5 bytes and no body:\n%s", head)
				}
			}
			select {
			case head := <-heads:
				check(head)
				cancel() // unblocks a RoundTrip waiting for an answer
				recv(t, errc, "RoundTrip to return")
			case err := <-errc:
				if err == nil { // answered: the server has the head
					check(recv(t, heads, "the request head"))
				}
			case <-time.After(bound):
				t.Fatal("timed out")
			}
		})
	}
}

// pieces is a body that shows its bytes (a Buffers method), as
// openai.Spliced's reader does.
type pieces struct {
	left net.Buffers
	all  [][]byte
}

func newPieces(p [][]byte) *pieces                   { return &pieces{left: slices.Clone(p), all: p} }
func (p *pieces) Read(b []byte) (int, error)         { return p.left.Read(b) }
func (p *pieces) WriteTo(w io.Writer) (int64, error) { return p.left.WriteTo(w) }
func (p *pieces) Close() error                       { return nil }
func (p *pieces) Buffers() [][]byte                  { return p.all }

// TestPiecesLength checks that a body in pieces whose length is not its
// ContentLength is refused before a byte of the request leaves.
func TestPiecesLength(t *testing.T) {
	var calls atomic.Int32
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	tr := newTransport(t)
	for _, n := range []int64{99_999, 100_001} {
		req := newRequest(t, http.MethodPost, srv.URL, newPieces([][]byte{make([]byte, 60_000), make([]byte, 40_000)}))
		req.ContentLength = n
		if resp, err := tr.RoundTrip(req); !errors.Is(err, errBodyLength) {
			if resp != nil {
				resp.Body.Close()
			}
			t.Errorf("ContentLength %d for 100,000 bytes: %v, want errBodyLength", n, err)
		}
	}
	do(t, tr, http.MethodGet, srv.URL, "")
	if c := calls.Load(); c != 1 {
		t.Errorf("the server saw %d requests, want only the last", c)
	}
}

// TestCloseAtEnd checks that a streamed body closed at its content's end
// (CloseAtEnd, after the [DONE] event) keeps its connection when the body's
// end follows, and that the next request does not use it when the end does
// not come, more content comes instead, or the response closes the
// connection.
func TestCloseAtEnd(t *testing.T) {
	const event = "data: [DONE]\n\n"
	chunk := func(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }
	for _, tc := range []struct {
		name   string
		close  bool   // the response says Connection: close
		length bool   // the response has a Content-Length instead of chunks
		rest   string // sent once the client closed the body
		reuse  bool
	}{
		{name: "end follows", rest: "0\r\n\r\n", reuse: true},
		// net/http's body reports its end with the last byte of a known
		// length: CloseAtEnd finds it done.
		{name: "known length", length: true, reuse: true},
		{name: "end never comes", reuse: false},
		{name: "more content", rest: chunk(strings.Repeat("x", 2*maxRest)) + "0\r\n\r\n", reuse: false},
		{name: "connection close", close: true, rest: "0\r\n\r\n", reuse: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closed := make(chan struct{})
			s := rawServer(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				for first := true; ; first = false {
					head, err := readHead(br)
					if err != nil {
						return
					}
					if !first || strings.Contains(head, "/next") {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
						continue
					}
					resp := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
					if tc.close {
						resp += "Connection: close\r\n"
					}
					if tc.length {
						resp += "Content-Length: " + strconv.Itoa(len(event)) + "\r\n\r\n" + event
					} else {
						resp += "Transfer-Encoding: chunked\r\n\r\n" + chunk(event)
					}
					io.WriteString(c, resp)
					select {
					case <-closed:
					case <-time.After(bound):
						return
					}
					io.WriteString(c, tc.rest)
				}
			})
			tr := newTransport(t)
			resp := roundTrip(t, tr, newRequest(t, "GET", "http://"+s.addr+"/stream", nil))
			buf := make([]byte, len(event))
			if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != event {
				t.Fatalf("event %q, %v", buf, err)
			}
			if err := resp.Body.(interface{ CloseAtEnd() error }).CloseAtEnd(); err != nil {
				t.Errorf("CloseAtEnd: %v", err)
			}
			if n, err := resp.Body.Read(buf); n != 0 || !errors.Is(err, errReadOnClosed) {
				t.Errorf("Read after CloseAtEnd: %d, %v; want 0, %v", n, err, errReadOnClosed)
			}
			if err := resp.Body.Close(); err != nil {
				t.Errorf("Close after CloseAtEnd: %v", err)
			}
			kept := idleCount(tr, s.addr)
			if want := map[bool]int{true: 0, false: 1}[tc.close]; kept != want {
				t.Errorf("%d idle connections after CloseAtEnd; want %d", kept, want)
			}
			close(closed)
			if tc.rest != "" && kept == 1 {
				eventually(t, "the rest of the body to arrive", func() bool {
					tr.mu.Lock()
					defer tr.mu.Unlock()
					return tr.idle[s.addr][0].peek() == pendingBytes
				})
			}
			if _, body := do(t, tr, "GET", "http://"+s.addr+"/next", ""); body != "ok" {
				t.Errorf("next request: %q", body)
			}
			want := int32(2)
			if tc.reuse {
				want = 1
			}
			if n := s.accepted.Load(); n != want {
				t.Errorf("the server accepted %d connections; want %d", n, want)
			}
			if n := idleCount(tr, s.addr); n != 1 {
				t.Errorf("%d idle connections after the next request; want 1", n)
			}
		})
	}
}

// readCounter is a socket whose blocking reads are counted; its
// descriptor stays reachable (syscall.Conn), so reads ahead go past it.
type readCounter struct {
	*net.TCPConn
	reads atomic.Int32
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.TCPConn.Read(p)
}

// TestReadAhead checks that a burst read through a small buffer takes a
// few reads of the socket, not one per buffer's worth, that what it
// delivers is the response as sent, and that neither a stream waiting
// between bursts nor an idle connection holds the read-ahead buffer.
func TestReadAhead(t *testing.T) {
	event := func(i int) string {
		return fmt.Sprintf("data: {\"i\":%d,\"text\":%q}\n\n", i, strings.Repeat("w", 200+i))
	}
	chunk := func(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }
	var burst, want strings.Builder
	for i := range 40 { // some 10 KiB
		burst.WriteString(chunk(event(i)))
		want.WriteString(event(i))
	}
	last := event(40)
	next := make(chan struct{})
	s := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for first := true; ; first = false {
			if _, err := readHead(br); err != nil {
				return
			}
			if !first {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				continue
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"+burst.String())
			select {
			case <-next:
			case <-time.After(bound):
				return
			}
			io.WriteString(c, chunk(last)+"0\r\n\r\n")
		}
	})
	var rc *readCounter
	tr := newTransport(t)
	tr.ReadBufferSize = 1 << 10
	tr.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		rc = &readCounter{TCPConn: nc.(*net.TCPConn)}
		return rc, nil
	}
	resp := roundTrip(t, tr, newRequest(t, "GET", "http://"+s.addr+"/stream", nil))
	c := resp.Body.(*body).c
	got := make([]byte, want.Len())
	// The burst has come whole before the first read but for the rarest
	// of schedulings: wait for it, so that the count below is the reader's.
	time.Sleep(50 * time.Millisecond)
	for off := 0; off < len(got); {
		n, err := resp.Body.Read(got[off:min(off+300, len(got))]) // as an SSE reader's small reads
		if err != nil {
			t.Fatalf("reading the burst: %v", err)
		}
		off += n
	}
	if string(got) != want.String() {
		t.Fatalf("the burst read differs from the one sent")
	}
	if n := rc.reads.Load(); n > 3 {
		t.Errorf("%d blocking reads of the socket for a burst of %d bytes through a 1 KiB buffer; want at most 3", n, burst.Len())
	}
	if c.aheadBuf != nil || len(c.ahead) != 0 {
		t.Errorf("a stream between bursts holds %d bytes read ahead in a pooled buffer", len(c.ahead))
	}
	close(next)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != last {
		t.Fatalf("the last event: %q, %v", rest, err)
	}
	resp.Body.Close()
	if idleCount(tr, s.addr) != 1 {
		t.Fatalf("the connection was not kept")
	}
	if c.aheadBuf != nil {
		t.Errorf("an idle connection holds the read-ahead buffer")
	}
	if _, body := do(t, tr, "GET", "http://"+s.addr+"/next", ""); body != "ok" {
		t.Errorf("next request: %q", body)
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("the server accepted %d connections; want 1", n)
	}
}
