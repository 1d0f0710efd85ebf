package h2

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// silentServer is an HTTPS server whose HTTP/2 connections open (settings
// exchanged) and then read frames without ever answering one, as a peer
// the network dropped would: no response, no PING ACK.
type silentServer struct {
	*httptest.Server
	opened, closed atomic.Int32
	requests       atomic.Int32 // HEADERS frames read
}

func newSilentServer(t *testing.T) *silentServer {
	s := &silentServer{}
	s.Server = newFramingServer(t, s.serve)
	return s
}

func (s *silentServer) serve(c net.Conn) {
	s.opened.Add(1)
	defer s.closed.Add(1)
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	fr := http2.NewFramer(c, c)
	if fr.WriteSettings() != nil {
		return
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return // the client closed it
		}
		if _, ok := f.(*http2.HeadersFrame); ok {
			s.requests.Add(1)
		}
	}
}

// TestDeadConnectionClosed checks that a connection on which a request was
// given up is pinged, and closed when nothing answers within PingTimeout:
// its other streams fail, and the next request goes out on a new
// connection instead of into the dead one.
func TestDeadConnectionClosed(t *testing.T) {
	checkLeaks(t)
	srv := newSilentServer(t)
	tr := newTransport(t, srv.Server)
	tr.PingTimeout = 100 * time.Millisecond

	// A request that waits, on the same connection, for as long as the
	// test: it must fail once the connection is found dead.
	waiting := goRoundTrip(tr, newRequest(t, "GET", srv.URL+"/waits", nil))
	eventually(t, "the first request to reach the server", func() bool { return srv.requests.Load() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := newRequest(t, "GET", srv.URL+"/given-up", nil).WithContext(ctx)
	if _, err := tr.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RoundTrip of a request whose context ended: %v; want context.DeadlineExceeded", err)
	}
	err := awaitErr(t, waiting, "the waiting request to fail")
	if err == nil {
		t.Fatal("the request waiting on the dead connection got a response")
	}
	t.Logf("waiting request: %v", err)
	eventually(t, "the server to see the connection closed", func() bool { return srv.closed.Load() == 1 })
	if srv.opened.Load() != 1 {
		t.Errorf("the server saw %d connections; want 1", srv.opened.Load())
	}

	// The next request opens a new connection (which stays silent too).
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	tr.RoundTrip(newRequest(t, "GET", srv.URL+"/next", nil).WithContext(ctx2))
	if n := srv.opened.Load(); n != 2 {
		t.Errorf("the server saw %d connections after the dead one closed; want 2", n)
	}
}

// TestLiveConnectionKept checks that a connection whose upstream answers
// the PING is kept after a request on it was given up.
func TestLiveConnectionKept(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	srv, k := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		ok(w, r)
	})
	defer close(release)
	tr := newTransport(t, srv)
	// Long enough for a loaded machine's server to answer the PING.
	tr.PingTimeout = 500 * time.Millisecond
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Fatalf("first request: %q", body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := tr.RoundTrip(newRequest(t, "GET", srv.URL+"/slow", nil).WithContext(ctx)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RoundTrip of a request whose context ended: %v", err)
	}
	c := onlyConn(t, tr)
	eventually(t, "the health check to start", c.pinging.Load)
	eventually(t, "the health check to end", func() bool { return !c.pinging.Load() })
	if _, body := do(t, tr, "GET", srv.URL+"/ok", ""); body != "ok" {
		t.Fatalf("request after the health check: %q", body)
	}
	if opened, closed := k.counts(); opened != 1 || closed != 0 {
		t.Errorf("the server saw %d connections opened, %d closed; want 1, 0", opened, closed)
	}
}

// onlyConn is tr's one pooled connection.
func onlyConn(t *testing.T, tr *Transport) *conn {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var all []*conn
	for _, list := range tr.conns {
		all = append(all, list...)
	}
	if len(all) != 1 {
		t.Fatalf("the transport holds %d connections; want 1", len(all))
	}
	return all[0]
}
