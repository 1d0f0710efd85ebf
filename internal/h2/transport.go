// Package h2 is a lean HTTP/2 client transport for upstreams reached over
// HTTPS: the hosted providers.
//
// net/http's HTTP/2 client starts a goroutine for every request, which
// writes it and then waits for the stream's end, and keeps some 3.5 KiB of
// state and channels per stream: a stream that waits on a slow model holds
// some 9 KiB of it (docs/performance.md). Here the caller's goroutine
// writes the request (its HEADERS and DATA frames leave in one write when
// the flow-control windows allow) and waits for the response's head; one
// goroutine per connection reads its frames and hands each stream its data.
// A stream that waits holds its state, its response and nothing else: the
// buffer its data arrives in goes back to a pool once read.
//
// Frames are read and written by golang.org/x/net/http2's Framer, header
// blocks coded by its hpack package; this package keeps the connections,
// the streams and their flow control. What it does not do it hands to
// Fallback (net/http's Transport): plain HTTP, requests through a proxy,
// bodies of unknown length, Expect: 100-continue, protocol upgrades,
// requests that set Connection themselves, and hosts that do not offer
// HTTP/2 when the connection is made (remembered for an hour). It does not
// ask for compressed responses, as package h1 does not.
package h2

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/switchyard-dev/switchyard/internal/h1"
)

// Transport is an http.RoundTripper; see the package doc. Fallback and
// Dial are required. It is safe for concurrent use.
type Transport struct {
	// Fallback sends the requests this transport does not (see the
	// package doc).
	Fallback http.RoundTripper
	// Dial opens a TCP connection to a "host:port".
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is the base TLS configuration (nil: the defaults, the
	// system's roots); it is cloned, with ServerName and NextProtos set
	// for each host.
	TLSConfig *tls.Config
	// HandshakeTimeout bounds a new connection's TLS handshake and its
	// exchange of HTTP/2 settings (default 10 s).
	HandshakeTimeout time.Duration
	// Proxy, when set, names the proxy of a request as
	// http.Transport.Proxy does; a request with one goes to Fallback.
	Proxy func(*http.Request) (*url.URL, error)
	// IdleTimeout closes a connection that carried no stream this long
	// (default 90 s).
	IdleTimeout time.Duration
	// PingTimeout is how long a connection on which a request was given
	// up (its context ended) may stay silent after a PING before it is
	// closed as dead (default 15 s).
	PingTimeout time.Duration

	mu      sync.Mutex
	conns   map[string][]*conn   // by host:port
	dialing map[string]*dialCall // a connection being made, by host:port
	h1Only  map[string]time.Time // hosts that did not offer HTTP/2, and since when
}

var _ http.RoundTripper = (*Transport)(nil)

const (
	defaultHandshakeTimeout = 10 * time.Second
	defaultIdleTimeout      = 90 * time.Second
	defaultPingTimeout      = 15 * time.Second
	// h1Memory is how long a host that did not offer HTTP/2 is sent to
	// Fallback before it is asked again.
	h1Memory = time.Hour
	// writeTimeout bounds each write to a connection: an upstream that
	// reads nothing for this long has its connection closed, as a
	// stream's caller cannot be interrupted in a blocked write.
	writeTimeout = 30 * time.Second
	userAgent    = "Go-http-client/2.0"
	// maxRetries bounds how often a request the upstream refused unseen
	// (REFUSED_STREAM, a GOAWAY below its stream) is sent again.
	maxRetries = 3
)

// Flow control and limits this client announces.
const (
	// streamWindow is how much of a response the upstream may send ahead
	// of what its reader took: a completion's body, or a stream's events
	// for a while, without a WINDOW_UPDATE.
	streamWindow = 1 << 20
	// connWindow is the connection's window; each stream's bounds what
	// it buffers, and the connection's credit is returned as data comes.
	connWindow = 1 << 30
	// maxHeaderList bounds a response's header fields, as
	// http.Transport.MaxResponseHeaderBytes does.
	maxHeaderList = 1 << 20
	// maxReadFrame is the largest frame read: the protocol's default,
	// which this client does not raise.
	maxReadFrame = 16 << 10
	// initialWindow is the protocol's window until SETTINGS say more.
	initialWindow = 65535
	// maxStreamID is the last client stream ID; a connection past it
	// takes no new streams.
	maxStreamID = 1<<31 - 1
	// defaultMaxStreams is the limit on concurrent streams when the
	// upstream's settings name none.
	defaultMaxStreams = 1000
)

// RoundTrip sends req and returns its response, whose body reads from the
// stream; closing the body before its end resets the stream, and its
// connection serves the next request.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.handles(req) {
		return t.Fallback.RoundTrip(req)
	}
	if err := h1.CheckRequest(req); err != nil {
		closeBody(req)
		return nil, err
	}
	key := hostPort(req.URL)
	for attempt := 0; ; attempt++ {
		c, err := t.get(req.Context(), key)
		if errors.Is(err, errNoHTTP2) {
			return t.Fallback.RoundTrip(req)
		}
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, sent, err := c.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		if attempt+1 >= maxRetries || !retryable(req, err) || req.Context().Err() != nil {
			closeBody(req)
			return nil, err
		}
		if sent && hasBody(req) {
			if req.GetBody == nil {
				return nil, err
			}
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			r := *req
			r.Body = body
			req = &r
		}
	}
}

// handles reports whether req is one this transport sends itself.
func (t *Transport) handles(req *http.Request) bool {
	if req.URL == nil || req.URL.Scheme != "https" || !h1.Plain(req, t.Proxy) {
		return false
	}
	key := hostPort(req.URL)
	t.mu.Lock()
	since, ok := t.h1Only[key]
	if ok && time.Since(since) > h1Memory {
		delete(t.h1Only, key)
		ok = false
	}
	t.mu.Unlock()
	return !ok
}

// CloseIdleConnections closes the connections that carry no stream, this
// transport's and Fallback's.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	var idle []*conn
	for _, list := range t.conns {
		for _, c := range list {
			c.mu.Lock()
			if c.active == 0 {
				idle = append(idle, c)
			}
			c.mu.Unlock()
		}
	}
	t.mu.Unlock()
	for _, c := range idle {
		c.closeIfIdle()
	}
	if ci, ok := t.Fallback.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// errNoHTTP2 is a host that did not offer HTTP/2: its requests go to
// Fallback.
var errNoHTTP2 = errors.New("h2: the upstream does not offer HTTP/2")

// dialCall is a connection being made; the requests that wait for it
// share its outcome.
type dialCall struct {
	done chan struct{}
	err  error
}

// get returns a connection to key with room for a stream, counted in
// its active streams, dialing one if none has room.
func (t *Transport) get(ctx context.Context, key string) (*conn, error) {
	for {
		t.mu.Lock()
		for _, c := range t.conns[key] {
			if c.reserve() {
				t.mu.Unlock()
				return c, nil
			}
		}
		d := t.dialing[key]
		if d == nil {
			d = &dialCall{done: make(chan struct{})}
			if t.dialing == nil {
				t.dialing = make(map[string]*dialCall)
			}
			t.dialing[key] = d
			// The dial and handshake run on a goroutine of their own:
			// the caller's (a stream's handler, deep in its call) would
			// keep the stack they take for as long as its stream lasts,
			// and the waiters are served whoever gives up.
			go t.dial(key, d)
		}
		t.mu.Unlock()
		select {
		case <-d.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if d.err != nil {
			return nil, d.err
		}
	}
}

// dial makes a connection to key and adds it to the pool, or records
// why it could not.
func (t *Transport) dial(key string, d *dialCall) {
	timeout := t.HandshakeTimeout
	if timeout <= 0 {
		timeout = defaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := t.connect(ctx, key)
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.dialing, key)
	switch {
	case errors.Is(err, errNoHTTP2):
		if t.h1Only == nil {
			t.h1Only = make(map[string]time.Time)
		}
		t.h1Only[key] = time.Now()
	case err == nil:
		if t.conns == nil {
			t.conns = make(map[string][]*conn)
		}
		t.conns[key] = append(t.conns[key], c)
		go c.readLoop()
	}
	d.err = err
	close(d.done)
}

// connect dials key, shakes hands and exchanges settings.
func (t *Transport) connect(ctx context.Context, key string) (*conn, error) {
	host, _, err := net.SplitHostPort(key)
	if err != nil {
		return nil, err
	}
	raw, err := t.Dial(ctx, "tcp", key)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{}
	if t.TLSConfig != nil {
		cfg = t.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.NextProtos = []string{"h2", "http/1.1"}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	state := tc.ConnectionState()
	if state.NegotiatedProtocol != "h2" {
		tc.Close()
		return nil, errNoHTTP2
	}
	c := newConn(t, key, tc, &state)
	deadline, _ := ctx.Deadline()
	tc.SetDeadline(deadline)
	if err := c.handshake(); err != nil {
		c.idleT.Stop()
		tc.Close()
		return nil, fmt.Errorf("h2: opening the connection to %s: %w", key, err)
	}
	tc.SetDeadline(time.Time{})
	return c, nil
}

// idleTimeout is IdleTimeout or its default.
func (t *Transport) idleTimeout() time.Duration {
	if t.IdleTimeout > 0 {
		return t.IdleTimeout
	}
	return defaultIdleTimeout
}

// remove drops c from the pool.
func (t *Transport) remove(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	list := t.conns[c.key]
	for i, o := range list {
		if o == c {
			t.conns[c.key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(t.conns[c.key]) == 0 {
		delete(t.conns, c.key)
	}
}

// conn is one HTTP/2 connection to an upstream.
type conn struct {
	t     *Transport
	key   string
	nc    net.Conn
	tls   *tls.ConnectionState
	fr    *http2.Framer // reads on readLoop's goroutine; writes under wmu
	idleT *time.Timer   // closes it once idle too long; guarded by mu

	frames  atomic.Uint64 // frames read
	pinging atomic.Bool   // a health check is on (checkHealth)

	// Guarded by wmu: what writes frames.
	wmu  sync.Mutex
	bw   *bufio.Writer
	henc *hpack.Encoder
	hbuf bytes.Buffer

	mu   sync.Mutex
	cond sync.Cond // on mu: a send window opened, or a stream ended
	// streams are the open ones by ID; active counts them and the
	// streams reserved for requests about to be sent.
	streams    map[uint32]*stream
	active     int
	nextID     uint32
	maxStreams int    // the upstream's MAX_CONCURRENT_STREAMS
	maxFrame   int    // the upstream's MAX_FRAME_SIZE
	peerWindow int32  // the upstream's INITIAL_WINDOW_SIZE for new streams
	sendWindow int32  // the connection's send window
	recvUnsent uint32 // connection credit taken but not yet returned
	goingAway  bool   // GOAWAY came: no new streams
	err        error  // the connection failed or closed: no stream at all
}

func newConn(t *Transport, key string, nc net.Conn, state *tls.ConnectionState) *conn {
	c := &conn{t: t, key: key, nc: nc, tls: state, nextID: 1, maxStreams: defaultMaxStreams,
		maxFrame: 16 << 10, peerWindow: initialWindow, sendWindow: initialWindow,
		streams: make(map[uint32]*stream)}
	c.cond.L = &c.mu
	c.bw = bufio.NewWriterSize(writeDeadliner{nc}, 16<<10)
	c.fr = http2.NewFramer(c.bw, nc)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.fr.MaxHeaderListSize = maxHeaderList
	c.fr.SetMaxReadFrameSize(maxReadFrame)
	c.henc = hpack.NewEncoder(&c.hbuf)
	c.idleT = time.AfterFunc(t.idleTimeout(), c.closeIfIdle) // stopped by reserve
	return c
}

// writeDeadliner bounds each write to its connection by writeTimeout.
type writeDeadliner struct{ nc net.Conn }

func (w writeDeadliner) Write(p []byte) (int, error) {
	w.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	return w.nc.Write(p)
}

// handshake sends the client's preface and settings, and reads the
// upstream's settings, which must come first.
func (c *conn) handshake() error {
	if _, err := c.bw.WriteString(http2.ClientPreface); err != nil {
		return err
	}
	err := c.fr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: streamWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: maxHeaderList},
	)
	if err == nil {
		err = c.fr.WriteWindowUpdate(0, connWindow-initialWindow)
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		return err
	}
	f, err := c.fr.ReadFrame()
	if err != nil {
		return err
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		return fmt.Errorf("the upstream's first frame is %v, not SETTINGS", f.Header().Type)
	}
	return c.settings(sf)
}

// reserve counts a stream about to be sent on c, if c has room for it.
func (c *conn) reserve() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || c.goingAway || c.active >= c.maxStreams || c.nextID+2*uint32(c.active) > maxStreamID {
		return false
	}
	c.active++
	c.idleT.Stop()
	return true
}

// releaseLocked uncounts a stream of c's (reserved or open), and starts
// the idle timer of a connection left with none, or closes it if it is
// going away; c.mu is held.
func (c *conn) releaseLocked() {
	c.active--
	if c.active > 0 {
		return
	}
	if c.goingAway && c.err == nil {
		c.err = errConnClosed
		go c.nc.Close() // not under mu: readLoop ends the rest
		return
	}
	c.idleT.Reset(c.t.idleTimeout())
}

// closeIfIdle closes c if it carries no stream.
func (c *conn) closeIfIdle() {
	c.mu.Lock()
	if c.active > 0 || c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = errConnClosed
	c.mu.Unlock()
	c.t.remove(c)
	c.nc.Close()
}

var (
	errConnClosed   = errors.New("h2: connection closed")
	errReadOnClosed = errors.New("h2: read on closed response body")
	errBodyLength   = errors.New("h2: the request body's length differs from its ContentLength")
)

// refusedError is a request the upstream did not process: it may be sent
// again on another connection.
type refusedError struct{ err error }

func (e refusedError) Error() string { return e.err.Error() }
func (e refusedError) Unwrap() error { return e.err }

// staleError is a request on a connection that served others before,
// which failed with nothing of the request's answer come: most likely the
// upstream closed it as the request left (its idle timeout racing ours).
type staleError struct{ err error }

func (e staleError) Error() string { return e.err.Error() }
func (e staleError) Unwrap() error { return e.err }

// retryable reports whether req, failed with err, may be sent again on
// another connection: the upstream refused it unprocessed, or its
// connection went stale under it and req may be replayed (h1.Replayable).
func retryable(req *http.Request, err error) bool {
	if errors.As(err, new(refusedError)) {
		return true
	}
	return errors.As(err, new(staleError)) && h1.Replayable(req)
}

// roundTrip sends req as a new stream on c (reserved by get) and waits
// for the head of its response. sent reports whether any of req's body was
// read.
func (c *conn) roundTrip(req *http.Request) (resp *http.Response, sent bool, err error) {
	ctx := req.Context()
	s := &stream{c: c, req: req, wantLen: -1, recvWindow: streamWindow, ready: make(chan struct{}, 1)}
	s.stop = context.AfterFunc(ctx, func() { s.cancel(ctx.Err()) })
	sent, err = c.write(s, req)
	if err != nil {
		s.stop()
		s.reset(http2.ErrCodeCancel, err)
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, sent, err
	}
	resp, err = s.awaitHead()
	if err != nil {
		s.stop()
		s.reset(http2.ErrCodeCancel, err)
		return nil, sent, err
	}
	if resp.Body == http.NoBody {
		s.stop()
	}
	return resp, sent, nil
}

// write sends req's head and body on stream s. Its frames are buffered
// and leave in one write, but when a send window closes on the body.
func (c *conn) write(s *stream, req *http.Request) (sent bool, err error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.err != nil || c.goingAway {
		err := c.err
		if err == nil {
			err = errConnClosed
		}
		c.releaseLocked()
		c.mu.Unlock()
		return false, refusedError{err}
	}
	s.id = c.nextID
	s.reused = s.id > 1
	c.nextID += 2
	s.sendWindow = c.peerWindow
	c.streams[s.id] = s
	s.open = true
	maxFrame := c.maxFrame
	c.mu.Unlock()

	body := hasBody(req)
	c.hbuf.Reset()
	encodeHeaders(c.henc, req)
	block := c.hbuf.Bytes()
	first := block
	if len(first) > maxFrame {
		first = first[:maxFrame]
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: s.id, BlockFragment: first,
		EndStream: !body, EndHeaders: len(first) == len(block)}); err != nil {
		return false, c.writeFailed(s, err)
	}
	for rest := block[len(first):]; len(rest) > 0; {
		n := min(len(rest), maxFrame)
		if err := c.fr.WriteContinuation(s.id, n == len(rest), rest[:n]); err != nil {
			return false, c.writeFailed(s, err)
		}
		rest = rest[n:]
	}
	if body {
		if err := c.writeBody(s, req); err != nil {
			return true, err
		}
	}
	if err := c.bw.Flush(); err != nil {
		return body, c.writeFailed(s, err)
	}
	return body, nil
}

// writeFailed fails c, whose writes for s failed: its streams end, and s
// with err.
func (c *conn) writeFailed(s *stream, err error) error {
	c.nc.Close() // readLoop fails the streams
	return s.connErr(fmt.Errorf("h2: writing to %s: %w", c.key, err))
}

// connErr is the error s ends with when its connection fails with err:
// stale if the connection served streams before and nothing came for s.
func (s *stream) connErr(err error) error {
	if s.reused && !s.heard.Load() {
		return staleError{err}
	}
	return err
}

// writeBody sends req's body as DATA frames on s, within the send windows
// and the upstream's frame size; wmu is held, and let go while a window
// is closed.
func (c *conn) writeBody(s *stream, req *http.Request) error {
	defer req.Body.Close()
	var src io.Reader = req.Body
	if pb, ok := req.Body.(interface{ Buffers() [][]byte }); ok {
		bufs := net.Buffers(pb.Buffers())
		src = &bufs
	}
	chunk := chunks.Get().(*[]byte)
	defer chunks.Put(chunk)
	left := req.ContentLength
	for left > 0 {
		n, err := c.sendRoom(s, left)
		if err != nil {
			return err
		}
		if n == 0 {
			// The stream ended before its body did: end this side too (a
			// cancelled request's reset may come twice; that is harmless).
			if err := c.fr.WriteRSTStream(s.id, http2.ErrCodeCancel); err != nil {
				return c.writeFailed(s, err)
			}
			return nil
		}
		p := (*chunk)[:n]
		if _, err := io.ReadFull(src, p); err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				err = errBodyLength
			}
			return err
		}
		left -= int64(n)
		if err := c.fr.WriteData(s.id, left == 0, p); err != nil {
			return c.writeFailed(s, err)
		}
	}
	var probe [1]byte
	if n, _ := src.Read(probe[:]); n > 0 {
		return errBodyLength // the body goes on past its length
	}
	return nil
}

// chunks are the buffers request bodies are sent through, one frame at a
// time.
var chunks = sync.Pool{New: func() any { b := make([]byte, maxReadFrame); return &b }}

// sendRoom waits until s may send some of its left bytes and takes that
// much of both send windows: at most a frame's worth. It returns 0 if the
// stream ended meanwhile: the upstream answered before the body's end, or
// the request was cancelled. Called with wmu held; while it waits the
// frames buffered so far leave and wmu is let go, so that other streams
// can write.
func (c *conn) sendRoom(s *stream, left int64) (int, error) {
	for {
		c.mu.Lock()
		if err := c.err; err != nil {
			c.mu.Unlock()
			return 0, s.connErr(err)
		}
		if !s.open {
			c.mu.Unlock()
			return 0, nil
		}
		n := min(int64(c.sendWindow), int64(s.sendWindow), int64(c.maxFrame), maxReadFrame, left)
		if n > 0 {
			c.sendWindow -= int32(n)
			s.sendWindow -= int32(n)
			c.mu.Unlock()
			return int(n), nil
		}
		c.mu.Unlock()
		if err := c.bw.Flush(); err != nil {
			return 0, c.writeFailed(s, err)
		}
		c.wmu.Unlock()
		c.mu.Lock()
		for c.err == nil && s.open && (c.sendWindow <= 0 || s.sendWindow <= 0) {
			c.cond.Wait()
		}
		c.mu.Unlock()
		c.wmu.Lock()
	}
}

// readLoop reads c's frames until the connection fails or closes, then
// ends its streams.
func (c *conn) readLoop() {
	var err error
	for err == nil {
		var f http2.Frame
		f, err = c.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				// A malformed header block: that stream fails, the
				// connection goes on.
				if s := c.stream(se.StreamID); s != nil {
					s.reset(se.Code, fmt.Errorf("h2: %w", se))
				}
				err = nil
			}
			continue
		}
		c.frames.Add(1)
		err = c.dispatch(f)
	}
	if ce, ok := errors.AsType[http2.ConnectionError](err); ok {
		// The upstream broke the protocol: say how before hanging up.
		c.writeFrame(func() error { return c.fr.WriteGoAway(0, http2.ErrCode(ce), nil) })
	}
	c.fail(err)
}

// checkHealth pings c, on which a request was given up: a connection the
// network dropped without a word (a NAT's timeout, a host gone) reads
// nothing, and would take the requests sent on it until the kernel gave
// up on it, many minutes later. Any frame that comes within the timeout
// (the PING's ACK or another) shows it alive; if none does, c is closed
// and its streams fail.
func (c *conn) checkHealth() {
	if !c.pinging.CompareAndSwap(false, true) {
		return
	}
	seen := c.frames.Load()
	if err := c.writeFrame(func() error { return c.fr.WritePing(false, [8]byte{'h', 'e', 'a', 'l', 't', 'h'}) }); err != nil {
		c.nc.Close()
		return
	}
	timeout := c.t.PingTimeout
	if timeout <= 0 {
		timeout = defaultPingTimeout
	}
	time.AfterFunc(timeout, func() {
		defer c.pinging.Store(false)
		if c.frames.Load() != seen {
			return
		}
		c.mu.Lock()
		if c.err == nil {
			c.err = fmt.Errorf("h2: connection to %s: no frame came within %v of a PING", c.key, timeout)
		}
		c.mu.Unlock()
		c.nc.Close()
	})
}

// fail ends c: no new streams, and its streams end with err.
func (c *conn) fail(err error) {
	c.t.remove(c)
	c.mu.Lock()
	if c.err == nil {
		c.err = fmt.Errorf("h2: connection to %s: %w", c.key, err)
	}
	streams := make([]*stream, 0, len(c.streams))
	for _, s := range c.streams {
		streams = append(streams, s)
	}
	err = c.err
	c.idleT.Stop()
	c.cond.Broadcast()
	c.mu.Unlock()
	c.nc.Close()
	for _, s := range streams {
		s.end(s.connErr(err))
	}
}

// stream returns c's open stream id, or nil.
func (c *conn) stream(id uint32) *stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.streams[id]
}

// dispatch handles one frame on the read loop.
func (c *conn) dispatch(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.DataFrame:
		return c.data(f)
	case *http2.MetaHeadersFrame:
		if s := c.stream(f.StreamID); s != nil {
			s.headers(f)
		}
	case *http2.RSTStreamFrame:
		if s := c.stream(f.StreamID); s != nil {
			err := fmt.Errorf("h2: the upstream reset the stream: %w", http2.StreamError{StreamID: f.StreamID, Code: f.ErrCode})
			if f.ErrCode == http2.ErrCodeRefusedStream {
				err = refusedError{err}
			}
			s.end(err)
		}
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		if err := c.settings(f); err != nil {
			return err
		}
	case *http2.WindowUpdateFrame:
		return c.windowUpdate(f)
	case *http2.PingFrame:
		if !f.IsAck() {
			return c.writeFrame(func() error { return c.fr.WritePing(true, f.Data) })
		}
	case *http2.GoAwayFrame:
		c.goAway(f)
	case *http2.PushPromiseFrame:
		return http2.ConnectionError(http2.ErrCodeProtocol) // push was refused in the settings
	}
	return nil
}

// writeFrame writes one frame from the read loop and sends it off.
func (c *conn) writeFrame(write func() error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	err := write()
	if err == nil {
		err = c.bw.Flush()
	}
	return err
}

// settings applies the upstream's settings and acknowledges them.
func (c *conn) settings(f *http2.SettingsFrame) error {
	c.mu.Lock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingMaxConcurrentStreams:
			c.maxStreams = int(min(s.Val, 1<<20))
		case http2.SettingMaxFrameSize:
			c.maxFrame = int(s.Val)
		case http2.SettingInitialWindowSize:
			delta := int32(s.Val) - c.peerWindow
			c.peerWindow = int32(s.Val)
			for _, st := range c.streams {
				st.sendWindow += delta
			}
		}
		return nil
	})
	c.cond.Broadcast()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.writeFrame(func() error {
		if v, ok := f.Value(http2.SettingHeaderTableSize); ok {
			c.henc.SetMaxDynamicTableSizeLimit(v)
		}
		return c.fr.WriteSettingsAck()
	})
}

// windowUpdate opens a send window.
func (c *conn) windowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &c.sendWindow
	if f.StreamID != 0 {
		s := c.streams[f.StreamID]
		if s == nil {
			return nil
		}
		w = &s.sendWindow
	}
	if int64(*w)+int64(f.Increment) > maxStreamID {
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	*w += int32(f.Increment)
	c.cond.Broadcast()
	return nil
}

// goAway stops new streams on c; those the upstream will not process end
// as refused, to be sent again elsewhere.
func (c *conn) goAway(f *http2.GoAwayFrame) {
	c.t.remove(c)
	c.mu.Lock()
	c.goingAway = true
	var refused []*stream
	for id, s := range c.streams {
		if id > f.LastStreamID {
			refused = append(refused, s)
		}
	}
	idle := c.active == 0 && c.err == nil
	if idle {
		c.err = errConnClosed
	}
	c.mu.Unlock()
	err := refusedError{fmt.Errorf("h2: the upstream is closing the connection (GOAWAY %v)", f.ErrCode)}
	for _, s := range refused {
		s.end(err)
	}
	if idle {
		c.nc.Close()
	}
}

// data hands a DATA frame to its stream, and returns the connection's
// credit for it: each stream's window bounds what it holds.
func (c *conn) data(f *http2.DataFrame) error {
	length := f.Header().Length
	var credit uint32
	c.mu.Lock()
	s := c.streams[f.StreamID]
	c.recvUnsent += length
	if c.recvUnsent >= connWindow/2 {
		credit, c.recvUnsent = c.recvUnsent, 0
	}
	c.mu.Unlock()
	if credit > 0 {
		if err := c.writeFrame(func() error { return c.fr.WriteWindowUpdate(0, credit) }); err != nil {
			return err
		}
	}
	if s != nil {
		return s.data(f, length)
	}
	return nil
}

// stream is one request and its response; it is the response's Body.
type stream struct {
	c     *conn
	id    uint32
	req   *http.Request
	stop  func() bool   // ends the request context's hold on it
	ready chan struct{} // a token when its state changed

	// Guarded by c.mu.
	open       bool  // counted in c.streams: neither side has ended it
	reused     bool  // its connection carried streams before it; set before it opens
	sendWindow int32 // what it may still send

	mu         sync.Mutex
	resp       *http.Response
	buf        *[]byte // data not yet read: (*buf)[off:]; from bufs
	off        int
	eos        bool  // the upstream ended the stream
	err        error // how it ended otherwise; the reader's to see
	closed     bool  // Close was called
	recvWindow int32 // what the upstream may still send
	unacked    int32 // read and not yet returned to the upstream
	wantLen    int64 // the response's Content-Length, or -1
	gotLen     int64
	heard      atomic.Bool // a frame of the upstream's came for it
}

// bufs hold streams' data until read, and go back once it is read.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, maxReadFrame); return &b }}

// signal tells the stream's waiter that its state changed.
func (s *stream) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// awaitHead waits for the response's head.
func (s *stream) awaitHead() (*http.Response, error) {
	for {
		s.mu.Lock()
		resp, err := s.resp, s.err
		s.mu.Unlock()
		switch {
		case resp != nil:
			return resp, nil
		case err != nil:
			return nil, err
		}
		<-s.ready
	}
}

// headers takes a HEADERS frame: the response's head, an informational
// head before it, or trailers (ignored).
func (s *stream) headers(f *http2.MetaHeadersFrame) {
	s.heard.Store(true)
	s.mu.Lock()
	trailers := s.resp != nil
	s.mu.Unlock()
	if trailers {
		if f.StreamEnded() {
			s.end(nil)
		}
		return
	}
	status := f.PseudoValue("status")
	code, err := strconv.Atoi(status)
	switch {
	case err != nil || code < 100 || code > 999:
		s.reset(http2.ErrCodeProtocol, fmt.Errorf("h2: malformed response status %q", status))
		return
	case code == http.StatusSwitchingProtocols:
		s.reset(http2.ErrCodeProtocol, errors.New("h2: 101 Switching Protocols over HTTP/2"))
		return
	case code < 200:
		return // informational: the answer follows
	}
	fields := f.RegularFields()
	h := make(http.Header, len(fields))
	for _, hf := range fields {
		k := textproto.CanonicalMIMEHeaderKey(hf.Name)
		h[k] = append(h[k], hf.Value)
	}
	resp := &http.Response{
		Status:        status + " " + http.StatusText(code),
		StatusCode:    code,
		Proto:         "HTTP/2.0",
		ProtoMajor:    2,
		Header:        h,
		ContentLength: -1,
		Request:       s.req,
		TLS:           s.c.tls,
		Body:          s,
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			resp.ContentLength = n
		}
	}
	want := resp.ContentLength
	if f.StreamEnded() {
		resp.Body = http.NoBody
		if s.req.Method != http.MethodHead {
			resp.ContentLength = 0
		}
	}
	s.mu.Lock()
	s.resp, s.wantLen = resp, want
	s.mu.Unlock()
	s.signal()
	if f.StreamEnded() {
		s.end(nil)
	}
}

// data takes a DATA frame of length bytes (padding included).
func (s *stream) data(f *http2.DataFrame, length uint32) error {
	p := f.Data()
	s.heard.Store(true)
	s.mu.Lock()
	if s.resp == nil || s.eos {
		s.mu.Unlock()
		s.reset(http2.ErrCodeProtocol, errors.New("h2: DATA outside a response's body"))
		return nil
	}
	if int64(length) > int64(s.recvWindow) {
		s.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	s.recvWindow -= int32(length)
	s.unacked += int32(length) - int32(len(p)) // padding: returned with the rest
	s.gotLen += int64(len(p))
	if !s.closed && s.err == nil && len(p) > 0 {
		if s.buf == nil {
			s.buf = bufs.Get().(*[]byte)
		}
		b := *s.buf
		if s.off > 0 && len(b)+len(p) > cap(b) {
			n := copy(b, b[s.off:])
			b, s.off = b[:n], 0
		}
		*s.buf = append(b, p...)
	}
	s.mu.Unlock()
	s.signal()
	if f.StreamEnded() {
		s.end(nil)
	}
	return nil
}

// end ends the stream on the wire: the upstream ended it (err nil), reset
// it, or its connection failed (err).
func (s *stream) end(err error) {
	s.close()
	s.mu.Lock()
	if err == nil {
		s.eos = true
	} else if s.err == nil && !s.eos {
		s.err = err
	}
	s.mu.Unlock()
	s.signal()
}

// close takes the stream off its connection, if it is on it, and reports
// whether it was.
func (s *stream) close() bool {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !s.open {
		return false
	}
	s.open = false
	delete(c.streams, s.id)
	c.releaseLocked()
	c.cond.Broadcast()
	return true
}

// reset ends the stream from this side: RST_STREAM with code, if the
// stream is still open, and err for its reader.
func (s *stream) reset(code http2.ErrCode, err error) {
	c := s.c
	wasOpen := s.close()
	s.mu.Lock()
	if s.err == nil && !s.eos {
		s.err = err
	}
	s.releaseBuf()
	s.mu.Unlock()
	s.signal()
	if wasOpen {
		c.writeFrame(func() error { return c.fr.WriteRSTStream(s.id, code) })
	}
}

// cancel ends the stream for its request's context, and checks that its
// connection is alive.
func (s *stream) cancel(err error) {
	s.reset(http2.ErrCodeCancel, err)
	s.c.checkHealth()
}

// releaseBuf gives the stream's buffer back; s.mu is held.
func (s *stream) releaseBuf() {
	if s.buf != nil {
		*s.buf = (*s.buf)[:0]
		bufs.Put(s.buf)
		s.buf, s.off = nil, 0
	}
}

// Read reads the response's body; the credit of what it read goes back
// to the upstream once a quarter of the stream's window was read.
func (s *stream) Read(p []byte) (int, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return 0, errReadOnClosed
		}
		if s.buf != nil && s.off < len(*s.buf) {
			n := copy(p, (*s.buf)[s.off:])
			s.off += n
			if s.off == len(*s.buf) {
				s.releaseBuf()
			}
			s.unacked += int32(n)
			credit := int32(0)
			if s.unacked >= streamWindow/4 && !s.eos && s.err == nil {
				credit, s.unacked = s.unacked, 0
				s.recvWindow += credit
			}
			s.mu.Unlock()
			if credit > 0 {
				s.c.writeFrame(func() error { return s.c.fr.WriteWindowUpdate(s.id, uint32(credit)) })
			}
			return n, nil
		}
		switch {
		case s.err != nil:
			err := s.err
			s.mu.Unlock()
			return 0, err
		case s.eos:
			err := io.EOF
			if s.wantLen >= 0 && s.gotLen != s.wantLen {
				err = fmt.Errorf("h2: the response's body has %d bytes, its Content-Length says %d", s.gotLen, s.wantLen)
				s.err = err
			}
			s.mu.Unlock()
			s.stop()
			return 0, err
		}
		s.mu.Unlock()
		<-s.ready
	}
}

// Close ends the body; before its end the stream is reset, and its
// connection goes on.
func (s *stream) Close() error {
	s.stop()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.reset(http2.ErrCodeCancel, errReadOnClosed)
	return nil
}

// encodeHeaders writes req's header block: the pseudo-header fields, then
// its fields in lower case but those HTTP/2 does not carry.
func encodeHeaders(enc *hpack.Encoder, req *http.Request) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	enc.WriteField(hpack.HeaderField{Name: ":method", Value: method})
	enc.WriteField(hpack.HeaderField{Name: ":scheme", Value: "https"})
	enc.WriteField(hpack.HeaderField{Name: ":authority", Value: host})
	enc.WriteField(hpack.HeaderField{Name: ":path", Value: req.URL.RequestURI()})
	ua := true
	for k, vs := range req.Header {
		name, ok := lowerNames[k]
		if !ok {
			name = strings.ToLower(k)
		}
		switch name {
		case "host", "content-length", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te":
			continue
		case "user-agent":
			ua = false
			if len(vs) == 0 || vs[0] == "" {
				continue // set empty: none at all, as net/http sends
			}
		}
		sensitive := name == "authorization" || name == "x-api-key" || name == "proxy-authorization"
		for _, v := range vs {
			enc.WriteField(hpack.HeaderField{Name: name, Value: v, Sensitive: sensitive})
		}
	}
	if ua {
		enc.WriteField(hpack.HeaderField{Name: "user-agent", Value: userAgent})
	}
	if hasBody(req) || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		length := int64(0)
		if hasBody(req) {
			length = req.ContentLength
		}
		var num [20]byte
		enc.WriteField(hpack.HeaderField{Name: "content-length", Value: string(strconv.AppendInt(num[:0], length, 10))})
	}
}

// lowerNames spares encodeHeaders a lower-casing of the usual fields.
var lowerNames = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{"Accept", "Anthropic-Beta", "Anthropic-Version", "Authorization",
		"Content-Type", "Http-Referer", "Openai-Organization", "Openai-Project", "User-Agent",
		"X-Api-Key", "X-Goog-Api-Key", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token",
		"X-Title", "Idempotency-Key"} {
		m[k] = strings.ToLower(k)
	}
	return m
}()

// hasBody reports whether req has a body to send.
func hasBody(req *http.Request) bool { return req.Body != nil && req.Body != http.NoBody }

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// hostPort is u's host with its port, the default one if u has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "443")
}
