package h2

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// This file tests the transport against a scripted HTTP/2 server: the test
// reads what the client sends, frame by frame, and writes the frames its
// script calls for, so that it can do what net/http's server never does
// (GOAWAY below an open stream, PUSH_PROMISE, too much DATA, a malformed
// :status, ...).

// scriptCert is a self-signed certificate for 127.0.0.1, made once.
var scriptCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "h2 script server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})

// scriptServer is a TLS listener offering only "h2" whose connections are
// driven by the test: every connection it accepts, and every frame read on
// one, is an event on events, in the order they happened on the connection.
type scriptServer struct {
	t        *testing.T
	ln       net.Listener
	tlsConf  *tls.Config
	roots    *x509.CertPool
	settings []http2.Setting // the server's first SETTINGS on each connection
	events   chan event
	done     chan struct{}
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

// event is a connection accepted (f and err nil), a frame read on it (f),
// or the end of its reading (err).
type event struct {
	c   *sconn
	f   *inFrame
	err error
}

// inFrame is a frame the server read, copied out of the Framer's buffers.
type inFrame struct {
	Type         http2.FrameType
	Flags        http2.Flags
	StreamID     uint32
	Length       uint32
	Data         []byte              // DATA
	Fields       []hpack.HeaderField // HEADERS, decoded
	Invalid      error               // HEADERS whose block the Framer found invalid
	Settings     []http2.Setting     // SETTINGS
	Ping         [8]byte             // PING
	Increment    uint32              // WINDOW_UPDATE
	Code         http2.ErrCode       // RST_STREAM, GOAWAY
	LastStreamID uint32              // GOAWAY
}

func (f *inFrame) endStream() bool { return f.Flags.Has(http2.FlagDataEndStream) }

// values are the values of the header field name, in order.
func (f *inFrame) values(name string) []string {
	var vs []string
	for _, hf := range f.Fields {
		if hf.Name == name {
			vs = append(vs, hf.Value)
		}
	}
	return vs
}

func (f *inFrame) value(name string) string {
	if vs := f.values(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// sconn is one connection of a scriptServer.
type sconn struct {
	s              *scriptServer
	nc             net.Conn
	fr             *http2.Framer
	clientSettings map[http2.SettingID]uint32 // the client's first SETTINGS

	wmu  sync.Mutex // guards the framer's writes, enc and hbuf
	enc  *hpack.Encoder
	hbuf bytes.Buffer

	mu  sync.Mutex
	log []inFrame // every frame read, in order
}

// newScriptServer starts a script server whose first SETTINGS on each
// connection carry settings.
func newScriptServer(t *testing.T, settings ...http2.Setting) *scriptServer {
	t.Helper()
	cert, err := scriptCert()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	s := &scriptServer{
		t:        t,
		ln:       ln,
		tlsConf:  &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}},
		roots:    roots,
		settings: settings,
		events:   make(chan event, 1024),
		done:     make(chan struct{}),
	}
	s.wg.Go(s.accept)
	t.Cleanup(s.close)
	return s
}

func (s *scriptServer) url(path string) string { return "https://" + s.ln.Addr().String() + path }

// close stops the server, closes its connections and waits for its
// goroutines.
func (s *scriptServer) close() {
	close(s.done)
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *scriptServer) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		select {
		case <-s.done:
			nc.Close()
		default:
			s.conns = append(s.conns, nc)
		}
		s.mu.Unlock()
		s.wg.Go(func() { s.serve(nc) })
	}
}

// serve shakes hands on nc, reads the client's preface and its first
// SETTINGS, sends the server's, then reads frames into events until the
// connection ends.
func (s *scriptServer) serve(nc net.Conn) {
	tc := tls.Server(nc, s.tlsConf)
	tc.SetDeadline(time.Now().Add(bound))
	if err := tc.Handshake(); err != nil {
		return
	}
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(tc, preface); err != nil {
		return
	}
	if string(preface) != http2.ClientPreface {
		s.t.Errorf("server: the client's preface is %q", preface)
		return
	}
	c := &sconn{s: s, nc: tc, fr: http2.NewFramer(tc, tc), clientSettings: map[http2.SettingID]uint32{}}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)
	f, err := c.fr.ReadFrame()
	if err != nil {
		return
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		s.t.Errorf("server: the client's first frame is %v, not SETTINGS", f.Header())
		return
	}
	sf.ForeachSetting(func(st http2.Setting) error { c.clientSettings[st.ID] = st.Val; return nil })
	tc.SetDeadline(time.Time{})
	// The server's preface, SETTINGS, must come first.
	if c.fr.WriteSettings(s.settings...) != nil || c.fr.WriteSettingsAck() != nil ||
		c.fr.WriteWindowUpdate(0, 1<<24) != nil { // room enough for any body sent here
		return
	}
	if !c.emit(event{c: c}) {
		return
	}
	for {
		f, err := c.fr.ReadFrame()
		if se, ok := errors.AsType[http2.StreamError](err); ok {
			if !c.emit(event{c: c, f: &inFrame{Type: http2.FrameHeaders, StreamID: se.StreamID, Invalid: se}}) {
				return
			}
			continue
		}
		if err != nil {
			c.emit(event{c: c, err: err})
			return
		}
		in := copyFrame(f)
		if in.Type == http2.FrameSettings && !f.(*http2.SettingsFrame).IsAck() {
			c.wmu.Lock()
			c.fr.WriteSettingsAck()
			c.wmu.Unlock()
		}
		if !c.emit(event{c: c, f: in}) {
			return
		}
	}
}

// copyFrame is what the test needs of f, which is only valid until the
// next ReadFrame.
func copyFrame(f http2.Frame) *inFrame {
	h := f.Header()
	in := &inFrame{Type: h.Type, Flags: h.Flags, StreamID: h.StreamID, Length: h.Length}
	switch f := f.(type) {
	case *http2.DataFrame:
		in.Data = bytes.Clone(f.Data())
	case *http2.MetaHeadersFrame:
		in.Fields = append([]hpack.HeaderField(nil), f.Fields...)
	case *http2.SettingsFrame:
		f.ForeachSetting(func(s http2.Setting) error { in.Settings = append(in.Settings, s); return nil })
	case *http2.PingFrame:
		in.Ping = f.Data
	case *http2.WindowUpdateFrame:
		in.Increment = f.Increment
	case *http2.RSTStreamFrame:
		in.Code = f.ErrCode
	case *http2.GoAwayFrame:
		in.Code, in.LastStreamID = f.ErrCode, f.LastStreamID
	}
	return in
}

// emit logs ev's frame and hands ev to the test; false if the server is
// closing.
func (c *sconn) emit(ev event) bool {
	if ev.f != nil {
		c.mu.Lock()
		c.log = append(c.log, *ev.f)
		c.mu.Unlock()
	}
	select {
	case c.s.events <- ev:
		return true
	case <-c.s.done:
		return false
	}
}

// frames is every frame read on c so far.
func (c *sconn) frames() []inFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]inFrame(nil), c.log...)
}

// expect waits, within bound, for an event that matches, dropping the
// others (they stay in their connection's log).
func (s *scriptServer) expect(t *testing.T, what string, match func(event) bool) event {
	t.Helper()
	timer := time.NewTimer(bound)
	defer timer.Stop()
	for {
		select {
		case ev := <-s.events:
			if match(ev) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("server: timed out waiting for %s", what)
		}
	}
}

// isNewConn matches a connection accepted.
func isNewConn(ev event) bool { return ev.f == nil && ev.err == nil }

// isEnd matches the end of c's reading: the client closed it.
func isEnd(c *sconn) func(event) bool {
	return func(ev event) bool { return ev.c == c && ev.err != nil }
}

// isFrame matches a frame of type typ on c (any connection if nil).
func isFrame(c *sconn, typ http2.FrameType) func(event) bool {
	return func(ev event) bool { return ev.f != nil && ev.f.Type == typ && (c == nil || ev.c == c) }
}

// isStreamFrame matches a frame of type typ on stream id of c.
func isStreamFrame(c *sconn, typ http2.FrameType, id uint32) func(event) bool {
	return func(ev event) bool { return ev.c == c && ev.f != nil && ev.f.Type == typ && ev.f.StreamID == id }
}

// isRequest matches the HEADERS of a request for path, on any connection.
func isRequest(path string) func(event) bool {
	return func(ev event) bool {
		return ev.f != nil && ev.f.Type == http2.FrameHeaders && ev.f.value(":path") == path
	}
}

// write runs fn with c's framer, failing the test if it fails.
func (c *sconn) write(t *testing.T, what string, fn func(fr *http2.Framer) error) {
	t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(bound))
	if err := fn(c.fr); err != nil {
		t.Fatalf("server: writing %s: %v", what, err)
	}
}

// block encodes a header block of name, value pairs; wmu is held.
func (c *sconn) block(fields []string) []byte {
	c.hbuf.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		c.enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return bytes.Clone(c.hbuf.Bytes())
}

// headers sends a HEADERS frame of name, value pairs on stream id.
func (c *sconn) headers(t *testing.T, id uint32, end bool, fields ...string) {
	t.Helper()
	c.write(t, "HEADERS", func(fr *http2.Framer) error {
		return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.block(fields), EndStream: end, EndHeaders: true})
	})
}

// data sends a DATA frame on stream id.
func (c *sconn) data(t *testing.T, id uint32, end bool, p []byte) {
	t.Helper()
	c.write(t, "DATA", func(fr *http2.Framer) error { return fr.WriteData(id, end, p) })
}

// answer sends a whole 200 response with body on stream id.
func (c *sconn) answer(t *testing.T, id uint32, body string) {
	t.Helper()
	c.headers(t, id, false, ":status", "200", "content-type", "text/plain")
	c.data(t, id, true, []byte(body))
}

// ping sends a PING with data and waits for its ack.
func (c *sconn) ping(t *testing.T, data [8]byte) {
	t.Helper()
	c.write(t, "PING", func(fr *http2.Framer) error { return fr.WritePing(false, data) })
	ev := c.s.expect(t, "the PING's ack", func(ev event) bool {
		return ev.c == c && (ev.err != nil || ev.f != nil && ev.f.Type == http2.FramePing)
	})
	if ev.err != nil {
		t.Fatalf("the connection ended instead of acknowledging a PING: %v", ev.err)
	}
	if !ev.f.Flags.Has(http2.FlagPingAck) || ev.f.Ping != data {
		t.Fatalf("PING answered with flags %v, data %q; want an ack with %q", ev.f.Flags, ev.f.Ping, data)
	}
}

// scriptTransport is a transport that trusts s; any request it hands to
// Fallback fails, and fails the test.
func scriptTransport(t *testing.T, s *scriptServer) *Transport {
	t.Helper()
	fb := &countingRT{rt: rtFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("the request went to Fallback")
	})}
	tr := &Transport{Fallback: fb, Dial: (&net.Dialer{}).DialContext, TLSConfig: &tls.Config{RootCAs: s.roots}}
	t.Cleanup(func() {
		if n := fb.calls.Load(); n != 0 {
			t.Errorf("%d requests went to Fallback", n)
		}
	})
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

type readResult struct {
	b   []byte
	err error
}

// readBody reads body to its end (or error) within bound, and closes it.
func readBody(t *testing.T, body io.ReadCloser) ([]byte, error) {
	t.Helper()
	ch := make(chan readResult, 1)
	go func() {
		b, err := io.ReadAll(body)
		ch <- readResult{b, err}
	}()
	r := recv(t, ch, "the response's body")
	body.Close()
	return r.b, r.err
}

// expectNextOnNewConn checks that the next request after failed, a
// connection that failed, goes out on a new one and succeeds.
func expectNextOnNewConn(t *testing.T, tr *Transport, srv *scriptServer, failed *sconn) {
	t.Helper()
	ch := goRoundTrip(tr, newRequest(t, "GET", srv.url("/next"), nil))
	next := srv.expect(t, "the next request", isRequest("/next"))
	if next.c == failed {
		t.Fatal("the next request went on the failed connection")
	}
	next.c.answer(t, next.f.StreamID, "ok")
	expectOK(t, awaitResponse(t, ch, "the next request"), "ok")
}

// expectOK checks that resp is a 200 whose body is want.
func expectOK(t *testing.T, resp *http.Response, want string) {
	t.Helper()
	b, err := readBody(t, resp.Body)
	if err != nil || resp.StatusCode != 200 || string(b) != want {
		t.Errorf("response %d %q, %v; want 200 %q", resp.StatusCode, b, err, want)
	}
}

// TestProtocolGoAway checks GOAWAY below an open stream: of two streams
// open on the connection, 1 and 3, with GOAWAY's last stream 1, stream 3 is
// sent again on a new connection and answered there; stream 1 is answered
// whole on the old connection; no new stream goes on the old connection
// after GOAWAY, which is closed once stream 1 ends.
func TestProtocolGoAway(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)

	aCh := goRoundTrip(tr, newRequest(t, "GET", srv.url("/a"), nil))
	sc1 := srv.expect(t, "the first connection", isNewConn).c
	a := srv.expect(t, "request /a", isRequest("/a"))
	bCh := goRoundTrip(tr, newRequest(t, "GET", srv.url("/b"), nil))
	b := srv.expect(t, "request /b", isRequest("/b"))
	if a.c != sc1 || b.c != sc1 || a.f.StreamID != 1 || b.f.StreamID != 3 {
		t.Fatalf("/a on stream %d, /b on stream %d, on the same connection: %t; want streams 1 and 3 of one connection",
			a.f.StreamID, b.f.StreamID, a.c == b.c)
	}

	sc1.write(t, "GOAWAY", func(fr *http2.Framer) error { return fr.WriteGoAway(1, http2.ErrCodeNo, nil) })
	// /b, beyond the last stream, is sent again: on a new connection.
	ev := srv.expect(t, "a second connection for /b", func(ev event) bool {
		return isNewConn(ev) || isFrame(sc1, http2.FrameHeaders)(ev)
	})
	if ev.f != nil {
		t.Fatalf("stream %d (%s) was opened on the connection that sent GOAWAY", ev.f.StreamID, ev.f.value(":path"))
	}
	sc2 := ev.c
	b2 := srv.expect(t, "request /b sent again", isRequest("/b"))
	if b2.c != sc2 {
		t.Fatalf("/b was sent again on the connection that sent GOAWAY")
	}
	sc2.answer(t, b2.f.StreamID, "b")
	expectOK(t, awaitResponse(t, bCh, "request /b"), "b")

	// A new request while stream 1 is open: not on the old connection.
	cCh := goRoundTrip(tr, newRequest(t, "GET", srv.url("/c"), nil))
	c := srv.expect(t, "request /c", isRequest("/c"))
	if c.c == sc1 {
		t.Fatalf("request /c opened stream %d on the connection that sent GOAWAY", c.f.StreamID)
	}
	c.c.answer(t, c.f.StreamID, "c")
	expectOK(t, awaitResponse(t, cCh, "request /c"), "c")

	// Stream 1, below GOAWAY's last stream, is answered as usual.
	sc1.answer(t, 1, "a")
	expectOK(t, awaitResponse(t, aCh, "request /a"), "a")
	srv.expect(t, "the old connection to be closed once its last stream ended", isEnd(sc1))
	var ids []uint32
	for _, f := range sc1.frames() {
		if f.Type == http2.FrameHeaders {
			ids = append(ids, f.StreamID)
		}
	}
	if len(ids) != 2 {
		t.Errorf("the old connection carried HEADERS on streams %v; want only 1 and 3", ids)
	}
}

// TestProtocolRefusedStreamBody checks that a request with a body whose
// stream is refused (RST_STREAM REFUSED_STREAM) is sent again, body and all
// (from GetBody), and succeeds.
func TestProtocolRefusedStreamBody(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	body := randomBytes(20000, 3) // more than a frame
	req := newRequest(t, "POST", srv.url("/upload"), bytes.NewReader(body))
	if req.GetBody == nil {
		t.Fatal("the request has no GetBody")
	}
	ch := goRoundTrip(tr, req)
	sc1 := srv.expect(t, "the connection", isNewConn).c
	first := srv.expect(t, "the request", isRequest("/upload"))
	if first.c != sc1 || first.f.StreamID != 1 {
		t.Fatalf("the request came on stream %d", first.f.StreamID)
	}
	sc1.write(t, "RST_STREAM", func(fr *http2.Framer) error { return fr.WriteRSTStream(1, http2.ErrCodeRefusedStream) })

	again := srv.expect(t, "the request sent again", func(ev event) bool {
		return isRequest("/upload")(ev) && !(ev.c == sc1 && ev.f.StreamID == 1)
	})
	if cl := again.f.values("content-length"); len(cl) != 1 || cl[0] != fmt.Sprint(len(body)) {
		t.Errorf("the request sent again has content-length %q; want %d", cl, len(body))
	}
	var got []byte
	for {
		d := srv.expect(t, "the body sent again", isStreamFrame(again.c, http2.FrameData, again.f.StreamID))
		got = append(got, d.f.Data...)
		if d.f.endStream() {
			break
		}
	}
	if !bytes.Equal(got, body) {
		t.Errorf("the server received a body of %d bytes the second time (equal: %t); want the %d sent",
			len(got), bytes.Equal(got, body), len(body))
	}
	again.c.answer(t, again.f.StreamID, "stored")
	expectOK(t, awaitResponse(t, ch, "the refused request"), "stored")
}

// TestProtocolFlowControl checks that the client keeps to the server's
// flow-control windows: an initial window of 10 bytes and small
// WINDOW_UPDATEs let a 1000-byte body through in frames none larger than
// the window, in order; a SETTINGS raising the initial window midway
// opens the window of the stream waiting on it.
func TestProtocolFlowControl(t *testing.T) {
	checkLeaks(t)
	const initial = 10
	srv := newScriptServer(t, http2.Setting{ID: http2.SettingInitialWindowSize, Val: initial})
	tr := scriptTransport(t, srv)
	body := randomBytes(1000, 4)
	ch := goRoundTrip(tr, newRequest(t, "POST", srv.url("/upload"), bytes.NewReader(body)))
	req := srv.expect(t, "the request", isRequest("/upload"))
	sc, id := req.c, req.f.StreamID

	window := int64(initial) // the stream's send window as the server counts it
	updates := []uint32{1, 7, 33, 100, 250}
	raised := false
	var got []byte
	var sizes []int
	for {
		d := srv.expect(t, fmt.Sprintf("DATA after %d bytes (window %d)", len(got), window), isStreamFrame(sc, http2.FrameData, id))
		sizes = append(sizes, int(d.f.Length))
		if int64(d.f.Length) > window {
			t.Fatalf("a DATA frame of %d bytes with a window of %d (frames so far %v)", d.f.Length, window, sizes)
		}
		window -= int64(d.f.Length)
		got = append(got, d.f.Data...)
		if d.f.endStream() {
			break
		}
		if len(got) >= len(body) {
			t.Fatalf("the body's %d bytes came without END_STREAM", len(got))
		}
		if window > 0 {
			continue
		}
		// The client has no window left: it waits.
		if len(updates) > 0 {
			inc := updates[0]
			updates = updates[1:]
			sc.write(t, "WINDOW_UPDATE", func(fr *http2.Framer) error { return fr.WriteWindowUpdate(id, inc) })
			window += int64(inc)
			continue
		}
		if raised {
			t.Fatalf("the client used more window than given")
		}
		// 1000 more for every stream: what is left of the body fits.
		raised = true
		sc.write(t, "SETTINGS", func(fr *http2.Framer) error {
			return fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: initial + 1000})
		})
		window += 1000
	}
	if !bytes.Equal(got, body) {
		t.Errorf("the server received %d bytes (equal: %t); want the %d sent, in order", len(got), bytes.Equal(got, body), len(body))
	}
	if len(updates) != 0 || !raised {
		t.Errorf("the body came whole before the windows given allowed it (frames %v)", sizes)
	}
	t.Logf("DATA frames: %v", sizes)
	sc.answer(t, id, "done")
	expectOK(t, awaitResponse(t, ch, "the request"), "done")
}

// TestProtocolPing checks that a PING from the server is acknowledged with
// its 8 bytes.
func TestProtocolPing(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	ch := goRoundTrip(tr, newRequest(t, "GET", srv.url("/p"), nil))
	req := srv.expect(t, "the request", isRequest("/p"))
	req.c.ping(t, [8]byte{'p', 'i', 'n', 'g', 1, 2, 3, 4})
	req.c.ping(t, [8]byte{0xff, 0, 0xfe, 1, 0xfd, 2, 0xfc, 3})
	req.c.answer(t, req.f.StreamID, "pong")
	expectOK(t, awaitResponse(t, ch, "the request"), "pong")
	req.c.ping(t, [8]byte{9, 8, 7, 6, 5, 4, 3, 2}) // on an idle connection too
}

// TestProtocolRecvWindowExceeded checks that DATA beyond the stream window
// the client announced is a connection error: up to the window the
// connection is fine; one byte more and it is closed, the response's body
// fails, and the next request goes on a new connection.
func TestProtocolRecvWindowExceeded(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	ch := goRoundTrip(tr, newRequest(t, "GET", srv.url("/flood"), nil))
	sc1 := srv.expect(t, "the connection", isNewConn).c
	window := uint32(65535)
	if v, ok := sc1.clientSettings[http2.SettingInitialWindowSize]; ok {
		window = v
	}
	frameSize := uint32(16384)
	if v, ok := sc1.clientSettings[http2.SettingMaxFrameSize]; ok {
		frameSize = min(v, frameSize)
	}
	req := srv.expect(t, "the request", isRequest("/flood"))
	id := req.f.StreamID
	sc1.headers(t, id, false, ":status", "200")
	resp := awaitResponse(t, ch, "the request") // its body is not read: no credit goes back
	defer resp.Body.Close()
	chunk := bytes.Repeat([]byte("x"), int(frameSize))
	for left := window; left > 0; {
		n := min(left, frameSize)
		sc1.data(t, id, false, chunk[:n])
		left -= n
	}
	sc1.ping(t, [8]byte{'w', 'i', 'n', 'd', 'o', 'w'}) // all of the window is fine
	sc1.data(t, id, false, []byte("!"))
	srv.expect(t, "the connection to be closed after DATA beyond the stream's window", isEnd(sc1))
	for _, f := range sc1.frames() {
		if f.Type == http2.FrameGoAway {
			t.Logf("the client sent GOAWAY %v", f.Code)
		}
	}
	b, err := readBody(t, resp.Body)
	if err == nil {
		t.Errorf("the body read to its end (%d bytes) on a connection that failed", len(b))
	}
	if len(b) > int(window) {
		t.Errorf("the body read %d bytes, more than the window of %d", len(b), window)
	}

	expectNextOnNewConn(t, tr, srv, sc1)
}

// TestProtocolPushPromise checks that a PUSH_PROMISE, refused in the
// client's settings, is a connection error: the connection is closed, the
// request fails, and the next request succeeds on a new connection.
func TestProtocolPushPromise(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	ch := goRoundTrip(tr, newRequest(t, "GET", srv.url("/page"), nil))
	sc1 := srv.expect(t, "the connection", isNewConn).c
	if v, ok := sc1.clientSettings[http2.SettingEnablePush]; !ok || v != 0 {
		t.Errorf("the client's SETTINGS_ENABLE_PUSH: %d (set: %t); want 0", v, ok)
	}
	req := srv.expect(t, "the request", isRequest("/page"))
	sc1.write(t, "PUSH_PROMISE", func(fr *http2.Framer) error {
		return fr.WritePushPromise(http2.PushPromiseParam{StreamID: req.f.StreamID, PromiseID: 2, EndHeaders: true,
			BlockFragment: sc1.block([]string{":method", "GET", ":scheme", "https", ":authority", srv.ln.Addr().String(), ":path", "/style.css"})})
	})
	srv.expect(t, "the connection to be closed after PUSH_PROMISE", isEnd(sc1))
	if r := recv(t, ch, "the request"); r.err == nil {
		r.resp.Body.Close()
		t.Errorf("the request succeeded (%d) on a connection that got PUSH_PROMISE", r.resp.StatusCode)
	}

	expectNextOnNewConn(t, tr, srv, sc1)
}

// TestProtocolInformational checks that a 103 Early Hints before the final
// 200 is skipped: the response is the 200, with its headers and none of
// the 103's.
func TestProtocolInformational(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	ch := goRoundTrip(tr, newRequest(t, "GET", srv.url("/hints"), nil))
	req := srv.expect(t, "the request", isRequest("/hints"))
	sc, id := req.c, req.f.StreamID
	sc.headers(t, id, false, ":status", "103", "link", "</style.css>; rel=preload")
	sc.headers(t, id, false, ":status", "103", "link", "</app.js>; rel=preload")
	sc.headers(t, id, false, ":status", "200", "content-type", "text/plain", "x-final", "yes")
	sc.data(t, id, true, []byte("final"))
	resp := awaitResponse(t, ch, "the request")
	if resp.StatusCode != 200 || resp.Header.Get("X-Final") != "yes" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("response %d with headers %v; want 200 with X-Final and Content-Type", resp.StatusCode, resp.Header)
	}
	if v := resp.Header.Values("Link"); len(v) != 0 {
		t.Errorf("the 103's Link came into the final response: %q", v)
	}
	expectOK(t, resp, "final")
}

// TestProtocolMalformedStatus checks that a response with a :status that
// is not a number fails its request, resets its stream, and leaves the
// connection to the next request.
func TestProtocolMalformedStatus(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	ch := goRoundTrip(tr, newRequest(t, "GET", srv.url("/bad"), nil))
	req := srv.expect(t, "the request", isRequest("/bad"))
	sc, id := req.c, req.f.StreamID
	sc.headers(t, id, false, ":status", "abc", "content-type", "text/plain")
	if r := recv(t, ch, "the request"); r.err == nil {
		r.resp.Body.Close()
		t.Errorf("the request succeeded (%q) with :status abc", r.resp.Status)
	}
	rst := srv.expect(t, "RST_STREAM", func(ev event) bool {
		return isStreamFrame(sc, http2.FrameRSTStream, id)(ev) || isEnd(sc)(ev)
	})
	if rst.err != nil {
		t.Fatalf("the connection ended instead of the stream: %v", rst.err)
	}
	if rst.f.Code != http2.ErrCodeProtocol {
		t.Errorf("the stream was reset with %v; want PROTOCOL_ERROR", rst.f.Code)
	}

	ch = goRoundTrip(tr, newRequest(t, "GET", srv.url("/next"), nil))
	next := srv.expect(t, "the next request", isRequest("/next"))
	if next.c != sc {
		t.Errorf("the next request went on a new connection; want the same one")
	}
	next.c.answer(t, next.f.StreamID, "ok")
	expectOK(t, awaitResponse(t, ch, "the next request"), "ok")
}

// TestProtocolContentLengthMismatch checks that a body shorter or longer
// than its Content-Length ends with an error, not io.EOF; one as long ends
// with io.EOF.
func TestProtocolContentLengthMismatch(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	for _, tc := range []struct {
		name, length string
		frames       []string
		wantErr      bool
	}{
		{"shorter", "10", []string{"hello"}, true},
		{"longer", "5", []string{"hello", " world"}, true},
		{"shorter, empty", "3", []string{""}, true},
		{"exact", "11", []string{"hello", " world"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := goRoundTrip(tr, newRequest(t, "GET", srv.url("/cl"), nil))
			req := srv.expect(t, "the request", isRequest("/cl"))
			sc, id := req.c, req.f.StreamID
			sc.headers(t, id, false, ":status", "200", "content-length", tc.length)
			resp := awaitResponse(t, ch, "the request")
			for i, p := range tc.frames {
				sc.data(t, id, i == len(tc.frames)-1, []byte(p))
			}
			b, err := readBody(t, resp.Body)
			if tc.wantErr && err == nil {
				t.Errorf("a body of %d bytes with Content-Length %s read to io.EOF", len(b), tc.length)
			}
			if !tc.wantErr && (err != nil || string(b) != strings.Join(tc.frames, "")) {
				t.Errorf("body %q, %v; want %q", b, err, strings.Join(tc.frames, ""))
			}
		})
	}
}

// TestProtocolRequestHeaders checks the request's header block: the
// pseudo-header fields, names in lower case, no connection-specific fields
// nor Host, a default user-agent, content-length for a body, and
// Authorization as set (never indexed).
func TestProtocolRequestHeaders(t *testing.T) {
	checkLeaks(t)
	srv := newScriptServer(t)
	tr := scriptTransport(t, srv)
	req := newRequest(t, "POST", srv.url("/v1/x?y=1"), strings.NewReader("hello"))
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Proxy-Connection", "keep-alive")
	req.Header.Set("Te", "gzip")
	req.Header.Set("Host", "evil.example")
	req.Header.Set("Authorization", "Bearer sk-secret")
	req.Header.Set("X-Custom-Header", "v1")
	req.Header["X-MiXeD"] = []string{"m"}
	ch := goRoundTrip(tr, req)
	ev := srv.expect(t, "the request", isRequest("/v1/x?y=1"))
	f := ev.f
	if f.Invalid != nil {
		t.Fatalf("the request's header block is invalid: %v", f.Invalid)
	}
	var names []string
	for _, hf := range f.Fields {
		names = append(names, hf.Name)
		if hf.Name != strings.ToLower(hf.Name) {
			t.Errorf("field %q is not in lower case", hf.Name)
		}
	}
	t.Logf("fields: %q", names)
	for name, want := range map[string]string{
		":method": "POST", ":scheme": "https", ":authority": srv.ln.Addr().String(), ":path": "/v1/x?y=1",
		"content-length": "5", "x-custom-header": "v1", "x-mixed": "m", "authorization": "Bearer sk-secret",
	} {
		if got := f.values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s: %q; want [%q]", name, got, want)
		}
	}
	for _, name := range []string{"keep-alive", "proxy-connection", "te", "host", "connection", "transfer-encoding", "upgrade"} {
		if got := f.values(name); len(got) != 0 {
			t.Errorf("%s was sent: %q", name, got)
		}
	}
	if ua := f.values("user-agent"); len(ua) != 1 || ua[0] == "" {
		t.Errorf("user-agent: %q; want one, by default", ua)
	}
	for _, hf := range f.Fields {
		if hf.Name == "authorization" && !hf.Sensitive {
			t.Errorf("authorization was not sent never-indexed")
		}
	}
	ev.c.answer(t, f.StreamID, "ok")
	expectOK(t, awaitResponse(t, ch, "the request"), "ok")

	// A user-agent set is sent instead of the default; a GET has no
	// content-length.
	req = newRequest(t, "GET", srv.url("/ua"), nil)
	req.Header.Set("User-Agent", "custom/1")
	ch = goRoundTrip(tr, req)
	ev = srv.expect(t, "the second request", isRequest("/ua"))
	if ua := ev.f.values("user-agent"); len(ua) != 1 || ua[0] != "custom/1" {
		t.Errorf("user-agent: %q; want [custom/1]", ua)
	}
	if cl := ev.f.values("content-length"); len(cl) != 0 {
		t.Errorf("a GET without a body sent content-length %q", cl)
	}
	ev.c.answer(t, ev.f.StreamID, "ok")
	expectOK(t, awaitResponse(t, ch, "the second request"), "ok")
}
