// Package h1 is a lean HTTP/1.1 client transport for upstreams reached over
// plain HTTP: local inference servers (vLLM, Ollama, llama.cpp, TGI), a
// sidecar on the same host, a gateway in the same network.
//
// net/http's Transport runs two goroutines per connection (a read loop and
// a write loop) and hands every request and response between them and the
// caller. Here the caller's goroutine does it all: it writes the request,
// reads the response's head with http.ReadResponse, and reads the body
// straight from the connection's buffer. A request costs fewer wake-ups,
// a large body leaves in one writev instead of being copied through two
// buffers, and a stream that waits on a slow upstream holds its connection
// and one read buffer: no goroutines, no write buffer. A stream's body
// closed after its final event keeps its connection for the next request
// (body.CloseAtEnd), where a body closed before its end costs a new one.
//
// What it does not do it hands to Fallback (in the gateway package h2,
// then net/http's Transport): HTTPS (real providers, over HTTP/2),
// requests through a proxy, bodies of unknown length, Expect:
// 100-continue, protocol upgrades and requests that set Connection
// themselves.
package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Transport is an http.RoundTripper; see the package doc. Its zero value is
// not usable: Fallback and Dial are required. It is safe for concurrent use.
type Transport struct {
	// Fallback sends the requests this transport does not (see the
	// package doc).
	Fallback http.RoundTripper
	// Dial opens a connection to a "host:port".
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Proxy, when set, names the proxy of a request as
	// http.Transport.Proxy does; a request with one goes to Fallback.
	Proxy func(*http.Request) (*url.URL, error)
	// MaxIdlePerHost bounds the kept-alive connections to each host
	// (default 256).
	MaxIdlePerHost int
	// IdleTimeout closes a connection that stayed idle this long
	// (default 90 s).
	IdleTimeout time.Duration
	// ReadBufferSize is each connection's read buffer, kept for as long as
	// the connection is open (default 4 KiB).
	ReadBufferSize int

	mu   sync.Mutex
	idle map[string][]*conn // by host:port; the most recently used last
}

var _ http.RoundTripper = (*Transport)(nil)

const (
	defaultMaxIdlePerHost = 256
	defaultIdleTimeout    = 90 * time.Second
	defaultReadBuffer     = 4 << 10
	userAgent             = "Go-http-client/1.1"
)

// RoundTrip sends req and returns its response, whose body reads from the
// connection; closing the body before its end closes the connection, unless
// it is closed with CloseAtEnd (see body.CloseAtEnd).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.handles(req) {
		return t.Fallback.RoundTrip(req)
	}
	if err := CheckRequest(req); err != nil {
		closeBody(req)
		return nil, err
	}
	key := hostPort(req.URL)
	for retried := false; ; retried = true {
		c, err := t.get(req.Context(), key)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := c.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		if retried || !c.reused || !retryable(req, err) {
			closeBody(req)
			return nil, err
		}
		if hasBody(req) {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			req = cloneWithBody(req, body)
		}
	}
}

// retryable reports whether req, failed with err on a kept-alive
// connection, may be sent again on a new one, by net/http's rules: the
// upstream closed the connection as the request went out (its idle timeout
// racing ours), and either nothing of the request left and its body can be
// sent again, or nothing of a response came and the request is idempotent.
func retryable(req *http.Request, err error) bool {
	if hasBody(req) && req.GetBody == nil {
		return false // the body cannot be sent again
	}
	var nw nothingWritten
	if errors.As(err, &nw) {
		return true
	}
	return errors.Is(err, errClosedBeforeResponse) && Replayable(req)
}

// Replayable reports whether req may be sent again after a connection
// failed under it with no byte of its answer come, as net/http has it: its
// method is idempotent or it carries an idempotency key. Package h2 holds
// its requests to the same rule.
func Replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// hasBody reports whether req has a body to send.
func hasBody(req *http.Request) bool { return req.Body != nil && req.Body != http.NoBody }

// handles reports whether req is one this transport sends itself.
func (t *Transport) handles(req *http.Request) bool {
	return req.URL != nil && req.URL.Scheme == "http" && Plain(req, t.Proxy)
}

// Plain reports whether req is a plain exchange, the kind this package
// and package h2 send themselves: a host to go to directly (proxy, if not
// nil, names none), a body of known length if any, and none of what
// changes how an exchange goes: CONNECT, Transfer-Encoding, Expect,
// Upgrade, Connection.
func Plain(req *http.Request, proxy func(*http.Request) (*url.URL, error)) bool {
	if req.URL == nil || req.URL.Host == "" || req.Method == http.MethodConnect {
		return false
	}
	if hasBody(req) && req.ContentLength <= 0 {
		return false // unknown length: chunked, which net/http does
	}
	if len(req.TransferEncoding) > 0 || req.Header.Get("Expect") != "" || req.Header.Get("Upgrade") != "" ||
		req.Header.Get("Connection") != "" {
		return false
	}
	if proxy != nil {
		if p, err := proxy(req); err != nil || p != nil {
			return false
		}
	}
	return true
}

// CloseIdleConnections closes the kept-alive connections, this
// transport's and Fallback's.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	for _, list := range idle {
		for _, c := range list {
			c.idle = false
		}
	}
	t.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.timer.Stop()
			c.close()
		}
	}
	if ci, ok := t.Fallback.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// get returns a kept-alive connection to key that is still open, or dials
// a new one.
func (t *Transport) get(ctx context.Context, key string) (*conn, error) {
	for {
		t.mu.Lock()
		list := t.idle[key]
		if len(list) == 0 {
			t.mu.Unlock()
			break
		}
		c := list[len(list)-1]
		list[len(list)-1] = nil
		t.idle[key] = list[:len(list)-1]
		c.idle = false
		t.mu.Unlock()
		c.timer.Stop()
		if c.settle() && c.alive() {
			c.reused = true
			return c, nil
		}
		c.close()
	}
	nc, err := t.dial(ctx, key)
	if err != nil {
		return nil, err
	}
	size := t.ReadBufferSize
	if size <= 0 {
		size = defaultReadBuffer
	}
	c := &conn{t: t, key: key, nc: nc, headLeft: -1}
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn() // nil (no reading ahead) if it has none
	}
	c.br = bufio.NewReaderSize(c, size)
	return c, nil
}

// dial opens a connection to key on a goroutine of its own: a dial takes
// 2.5 KB of stack, and the caller's goroutine (a stream's handler, deep in
// its call) would keep twice the stack it needs for as long as the stream
// lasts. New connections are the rare case; kept-alive ones cost nothing.
func (t *Transport) dial(ctx context.Context, key string) (net.Conn, error) {
	type dialed struct {
		nc  net.Conn
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		nc, err := t.Dial(ctx, "tcp", key)
		ch <- dialed{nc, err}
	}()
	d := <-ch
	return d.nc, d.err
}

// put keeps c for the next request to its host, or closes it.
func (t *Transport) put(c *conn) {
	c.keepAhead()
	limit, timeout := t.MaxIdlePerHost, t.IdleTimeout
	if limit <= 0 {
		limit = defaultMaxIdlePerHost
	}
	if timeout <= 0 {
		timeout = defaultIdleTimeout
	}
	t.mu.Lock()
	if len(t.idle[c.key]) >= limit {
		t.mu.Unlock()
		c.close()
		return
	}
	if t.idle == nil {
		t.idle = make(map[string][]*conn)
	}
	t.idle[c.key] = append(t.idle[c.key], c)
	c.idle = true
	if c.timer == nil {
		c.timer = time.AfterFunc(timeout, c.expire)
	} else {
		c.timer.Reset(timeout)
	}
	t.mu.Unlock()
}

// conn is one connection to an upstream.
type conn struct {
	t      *Transport
	key    string
	nc     net.Conn
	raw    syscall.RawConn // nc's descriptor, if it has one (a socket's)
	br     *bufio.Reader   // reads through c
	reused bool            // it served a request before this one

	// ahead holds what a read past br's buffer took during a burst
	// (conn.recv), not yet read through br; aheadBuf is the pooled buffer
	// it is in, held only until ahead is read.
	ahead    []byte
	aheadBuf *[]byte
	filled   bool // the last read from nc filled the buffer it was given

	written  int64 // bytes of the current request sent
	headLeft int   // bytes a response's head may still take; -1: reading a body
	// rest is the end of the last response, left unread when its body was
	// closed at its content's end (body.CloseAtEnd); settle reads it.
	rest io.Reader

	// Guarded by t.mu.
	idle  bool
	timer *time.Timer // closes it once idle too long
}

// expire closes c if it is still idle.
func (c *conn) expire() {
	t := c.t
	t.mu.Lock()
	if !c.idle {
		t.mu.Unlock()
		return
	}
	c.idle = false
	list := t.idle[c.key]
	for i, o := range list {
		if o == c {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			t.idle[c.key] = list[:len(list)-1]
			break
		}
	}
	t.mu.Unlock()
	c.close()
}

func (c *conn) close() { c.nc.Close() }

// pending is what waits on an idle connection (conn.peek).
type pending int

const (
	pendingNothing pending = iota // open, nothing came
	pendingBytes                  // bytes came
	pendingEnd                    // the upstream closed it, or it failed
	pendingUnknown                // it cannot be peeked at (not a socket)
)

// alive reports whether an idle connection can serve another request: the
// upstream has neither closed it nor sent anything unasked.
func (c *conn) alive() bool {
	p := c.peek()
	return p == pendingNothing || p == pendingUnknown
}

// Bounds on reading the end of a response left unread (conn.settle).
const (
	// restWait bounds the wait for bytes of it that are on their way:
	// some came, the rest is in the next packet.
	restWait = 5 * time.Millisecond
	// maxRest bounds its length: the framing of a chunked body's end is
	// a few bytes; a response that goes on is not at its end.
	maxRest = 4 << 10
)

// settle reads the end of the response c served last if it was left
// unread (body.CloseAtEnd), and reports whether c can serve another
// request. By the time c is taken again the end has come, or the upstream
// is not ending that response: c is then given up, at no wait when nothing
// of it came.
func (c *conn) settle() bool {
	rest := c.rest
	if rest == nil {
		return true
	}
	c.rest = nil
	switch c.peek() {
	case pendingBytes, pendingUnknown:
	default:
		return false
	}
	c.nc.SetReadDeadline(time.Now().Add(restWait))
	n, err := io.Copy(io.Discard, &io.LimitedReader{R: rest, N: maxRest + 1})
	c.nc.SetReadDeadline(time.Time{})
	return err == nil && n <= maxRest
}

// maxHead bounds a response's status line and header fields, as
// http.Transport.MaxResponseHeaderBytes does: an upstream sending headers
// without end must not take the gateway's memory with it.
const maxHead = 1 << 20

var errHeadTooLarge = fmt.Errorf("h1: the response's header fields pass %d bytes", maxHead)

// Read reads from the connection for c.br, within maxHead while the head
// of a response is read.
func (c *conn) Read(p []byte) (int, error) {
	if c.headLeft < 0 {
		return c.recv(p)
	}
	if c.headLeft == 0 {
		return 0, errHeadTooLarge
	}
	if len(p) > c.headLeft {
		p = p[:c.headLeft]
	}
	n, err := c.recv(p)
	c.headLeft -= n
	return n, err
}

// aheadSize is the buffer a read past br's takes during a burst.
const aheadSize = 16 << 10

var aheadBufs = sync.Pool{New: func() any { b := make([]byte, aheadSize); return &b }}

// recv reads from the connection into p. A connection keeps a small read
// buffer (br's, 1 KiB in the gateway) for as long as it is open, so that a
// stream waiting on its upstream holds little; but a burst, the events of
// a stream that came together or a response's head and body, would then
// take a system call a KiB, several where net/http's 4 KiB buffer takes
// one. So once a read has filled p, the next one first takes, without
// waiting, whatever else has come into a pooled buffer of aheadSize, and
// hands it out from there; the buffer goes back to the pool as soon as
// what it holds is read, so a stream that waits holds none.
func (c *conn) recv(p []byte) (int, error) {
	if len(c.ahead) == 0 && c.filled && len(p) < aheadSize {
		c.filled = false
		c.readAhead()
	}
	if len(c.ahead) > 0 {
		n := copy(p, c.ahead)
		c.ahead = c.ahead[n:]
		if len(c.ahead) == 0 {
			c.releaseAhead()
		}
		return n, nil
	}
	n, err := c.nc.Read(p)
	c.filled = n == len(p) && n > 0
	return n, err
}

// readAhead reads what has come on the connection into a pooled buffer,
// without waiting: nothing when nothing has come, or the connection has no
// descriptor to read that way, or the platform no way to (readsAhead). An
// error is left for the next read to meet.
func (c *conn) readAhead() {
	if !readsAhead || c.raw == nil {
		return
	}
	b := aheadBufs.Get().(*[]byte)
	n := c.readNow(*b)
	if n <= 0 {
		aheadBufs.Put(b)
		return
	}
	c.ahead, c.aheadBuf = (*b)[:n], b
	c.filled = n == len(*b)
}

// releaseAhead gives the read-ahead buffer back to the pool; ahead must
// hold nothing of it.
func (c *conn) releaseAhead() {
	c.ahead = nil
	if c.aheadBuf != nil {
		aheadBufs.Put(c.aheadBuf)
		c.aheadBuf = nil
	}
}

// keepAhead moves what is read ahead out of the pooled buffer, before c
// waits idle: the few bytes of a chunked body's end left unread by
// body.CloseAtEnd, or bytes the upstream sent unasked, for which the
// connection is given up when next taken (conn.alive).
func (c *conn) keepAhead() {
	c.filled = false
	if c.aheadBuf == nil {
		return
	}
	rest := bytes.Clone(c.ahead)
	c.releaseAhead()
	c.ahead = rest
}

// Write writes to the connection, counting what left.
func (c *conn) Write(p []byte) (int, error) {
	n, err := c.nc.Write(p)
	c.written += int64(n)
	return n, err
}

// roundTrip writes req on c and reads the head of its response.
func (c *conn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// Cancelling the request interrupts whatever c is blocked on.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	fail := func(err error) (*http.Response, error) {
		stop()
		c.close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	werr := c.write(req)
	if werr != nil {
		if c.written == 0 {
			return fail(nothingWritten{werr})
		}
		// The upstream may have answered before reading the whole
		// body (a 413, say) and closed: take that answer if it came.
		c.nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	}
	c.headLeft = maxHead
	buffered := c.br.Buffered() + len(c.ahead)
	resp, err := http.ReadResponse(c.br, req)
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(c.br, req) // 1xx: informational, the answer follows
	}
	nothing := buffered == 0 && c.headLeft == maxHead // not a byte of response came
	c.headLeft = -1
	switch {
	case err != nil && werr != nil:
		return fail(fmt.Errorf("h1: writing the request: %w", werr))
	case err != nil && nothing:
		// (ReadResponse calls that io.ErrUnexpectedEOF too.)
		return fail(fmt.Errorf("%w (%w)", errClosedBeforeResponse, err))
	case err != nil:
		return fail(fmt.Errorf("h1: reading the response: %w", err))
	case werr != nil:
		// Undo the wait above; a cancellation that came meanwhile has
		// set its own deadline after ours, or shows in ctx.
		c.nc.SetReadDeadline(time.Time{})
		if ctx.Err() != nil {
			return fail(nil) // closing the connection ends the body: no drain
		}
	}
	b := &body{rc: resp.Body, c: c, stop: stop, ctx: ctx,
		keep: werr == nil && !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols}
	if resp.Body == http.NoBody {
		b.finish(true)
		return resp, nil
	}
	resp.Body = b
	return resp, nil
}

// write sends req's head and body; c.written counts what left. A body of
// up to inlineBody bytes leaves with the head in one write, one that holds
// its bytes in pieces (a Buffers method, as openai.Spliced's reader has)
// with the head in one writev, anything else after the head as its reader
// gives it.
func (c *conn) write(req *http.Request) error {
	c.written = 0
	buf := heads.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledHead {
			heads.Put(buf)
		}
	}()
	writeHead(buf, req)
	if !hasBody(req) {
		_, err := c.Write(buf.Bytes())
		return err
	}
	defer req.Body.Close()
	if pb, ok := req.Body.(interface{ Buffers() [][]byte }); ok {
		bufs := make(net.Buffers, 1, 8)
		bufs[0] = buf.Bytes()
		var n int64
		for _, p := range pb.Buffers() {
			bufs = append(bufs, p)
			n += int64(len(p))
		}
		if n != req.ContentLength {
			return errBodyLength
		}
		m, err := bufs.WriteTo(c.nc)
		c.written += m
		return err
	}
	if req.ContentLength <= inlineBody {
		buf.Grow(int(req.ContentLength))
		m, err := buf.ReadFrom(io.LimitReader(req.Body, req.ContentLength))
		if err != nil {
			return err
		}
		var probe [1]byte
		if n, _ := req.Body.Read(probe[:]); m != req.ContentLength || n > 0 {
			return errBodyLength // nothing past the length may follow
		}
		_, err = c.Write(buf.Bytes())
		return err
	}
	if _, err := c.Write(buf.Bytes()); err != nil {
		return err
	}
	lw := &limitedWriter{c: c, left: req.ContentLength}
	if _, err := io.Copy(lw, req.Body); err != nil {
		return err
	}
	if lw.left != 0 {
		return errBodyLength
	}
	return nil
}

// limitedWriter writes to c no more than left bytes: a body longer than its
// ContentLength must not put bytes on the connection the upstream would
// read as another request.
type limitedWriter struct {
	c    *conn
	left int64
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > w.left {
		return 0, errBodyLength
	}
	n, err := w.c.Write(p)
	w.left -= int64(n)
	return n, err
}

const (
	// inlineBody is the largest body copied behind the head to leave in
	// one write with it.
	inlineBody = 64 << 10
	// maxPooledHead bounds the buffers kept for the next request.
	maxPooledHead = inlineBody + 8<<10
)

// heads are the buffers requests are written through; a connection does
// not keep one while it waits for its response.
var heads = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4<<10)) }}

// writeHead writes req's request line and header fields.
func writeHead(b *bytes.Buffer, req *http.Request) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(req.URL.RequestURI())
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(hostHeader(req))
	b.WriteString("\r\n")
	skip := excluded
	if ua, ok := req.Header["User-Agent"]; !ok {
		b.WriteString("User-Agent: " + userAgent + "\r\n")
	} else if len(ua) == 0 || ua[0] == "" {
		skip = excludedWithUA // set empty: none at all, as net/http sends
	}
	if hasBody(req) || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		length := int64(0)
		if hasBody(req) {
			length = req.ContentLength
		}
		var num [20]byte
		b.WriteString("Content-Length: ")
		b.Write(strconv.AppendInt(num[:0], length, 10))
		b.WriteString("\r\n")
	}
	if req.Close {
		b.WriteString("Connection: close\r\n")
	}
	req.Header.WriteSubset(b, skip)
	b.WriteString("\r\n")
}

// excluded are the header fields writeHead writes itself, or not at all
// (a request setting Connection goes to Fallback).
var excluded = map[string]bool{
	"Host":              true,
	"Content-Length":    true,
	"Transfer-Encoding": true,
	"Trailer":           true,
	"Connection":        true,
}

var excludedWithUA = map[string]bool{
	"Host":              true,
	"Content-Length":    true,
	"Transfer-Encoding": true,
	"Trailer":           true,
	"Connection":        true,
	"User-Agent":        true,
}

// body is a response body read from its connection; at its end the
// connection goes back to the transport.
type body struct {
	rc   io.ReadCloser // http.ReadResponse's
	c    *conn
	stop func() bool // ends the context's hold on the connection
	ctx  context.Context
	keep bool // the connection may serve another request

	err    error       // the end Read met, returned again; Read's own
	done   atomic.Bool // finish ran
	closed atomic.Bool // Close was called
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, errReadOnClosed
	}
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.err = err
		b.finish(true)
	case err != nil:
		if ctxErr := b.ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		b.err = err
		b.finish(false)
	}
	return n, err
}

// Close ends the body. Before its end the connection is closed: the rest
// of the response is not waited for.
func (b *body) Close() error {
	b.closed.Store(true)
	b.finish(false)
	return nil
}

// CloseAtEnd closes a body its caller has read to the end its content
// marks (an event stream's final event, such as [DONE]) though the body
// has not reported its own end: what is left is the framing of the
// body's end (a chunked body's last chunk), which the upstream sends right
// behind that event. Close would give up the connection for those few
// bytes; CloseAtEnd keeps it, and the next request to take it reads them
// first (conn.settle). A body whose connection cannot serve another
// request is closed as Close does.
func (b *body) CloseAtEnd() error {
	b.closed.Store(true)
	if !b.done.CompareAndSwap(false, true) {
		return nil
	}
	if b.stop() && b.keep {
		b.c.rest = b.rc
		b.c.t.put(b.c)
		return nil
	}
	b.c.close()
	return nil
}

// finish releases the connection once: back to the transport if the body
// was read to its end and the connection can serve another request,
// closed otherwise.
func (b *body) finish(atEnd bool) {
	if !b.done.CompareAndSwap(false, true) {
		return
	}
	if b.stop() && atEnd && b.keep {
		b.c.t.put(b.c)
		return
	}
	b.c.close()
}

var (
	errReadOnClosed = errors.New("h1: read on closed response body")
	// errClosedBeforeResponse is an upstream ending the connection
	// without a byte of response.
	errClosedBeforeResponse = errors.New("h1: the upstream closed the connection before responding")
	errBodyLength           = errors.New("h1: the request body's length differs from its ContentLength")
)

// nothingWritten is a failure to write a request of which no byte left.
type nothingWritten struct{ err error }

func (e nothingWritten) Error() string { return "h1: writing the request: " + e.err.Error() }
func (e nothingWritten) Unwrap() error { return e.err }

// aLongTimeAgo is a deadline that has passed: setting it interrupts any
// read or write blocked on the connection.
var aLongTimeAgo = time.Unix(1, 0)

// hostPort is u's host with its port, the default one if u has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// hostHeader is the Host a request is sent with: req.Host, or its URL's.
func hostHeader(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// cloneWithBody is a shallow copy of req sending body.
func cloneWithBody(req *http.Request, body io.ReadCloser) *http.Request {
	r := *req
	r.Body = body
	return &r
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// CheckRequest refuses what would let a configured or forwarded value
// forge a request line or header fields, as net/http does: a method that
// is not a token, a host or request target with spaces or control
// characters, a field name that is not a token, a value with a line break.
// A ContentLength with no body to send is refused too. Package h2 holds
// its requests to the same rules.
func CheckRequest(req *http.Request) error {
	for i := 0; i < len(req.Method); i++ {
		if !isTokenByte(req.Method[i]) {
			return fmt.Errorf("http: invalid method %q", req.Method)
		}
	}
	if host := hostHeader(req); !printable(host) {
		return fmt.Errorf("http: invalid Host %q", host)
	}
	if uri := req.URL.RequestURI(); !printable(uri) {
		return fmt.Errorf("http: invalid request target %q", uri)
	}
	if req.Body == nil && req.ContentLength > 0 {
		return fmt.Errorf("http: ContentLength %d with no body", req.ContentLength)
	}
	for k, vs := range req.Header {
		if k == "" {
			return errors.New("http: empty header field name")
		}
		for i := 0; i < len(k); i++ {
			if !isTokenByte(k[i]) {
				return fmt.Errorf("http: invalid header field name %q", k)
			}
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if c := v[i]; c == '\r' || c == '\n' || c == 0 {
					return fmt.Errorf("http: invalid header field value for %q", k)
				}
			}
		}
	}
	return nil
}

// printable reports whether s is free of spaces and control characters.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// isTokenByte reports whether c may appear in an HTTP token (RFC 9110,
// section 5.6.2).
func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
