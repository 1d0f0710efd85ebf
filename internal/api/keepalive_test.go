package api

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedRecorder is a ResponseRecorder safe to read while a keep-alive
// writes to it.
type lockedRecorder struct {
	mu  sync.Mutex
	rec *httptest.ResponseRecorder
}

func newLockedRecorder() *lockedRecorder { return &lockedRecorder{rec: httptest.NewRecorder()} }

func (l *lockedRecorder) Header() http.Header { return l.rec.Header() }

func (l *lockedRecorder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rec.Write(p)
}

func (l *lockedRecorder) WriteHeader(code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec.WriteHeader(code)
}

func (l *lockedRecorder) Flush() {}

func (l *lockedRecorder) comments() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.rec.Body.String(), ": "+keepAliveComment+"\n\n")
}

func TestKeepAliveCommitsAndRepeats(t *testing.T) {
	w := newLockedRecorder()
	k := startKeepAlive(w, 5*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for w.comments() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !k.stop() {
		t.Fatal("stop reports an uncommitted response after comments were sent")
	}
	if n := w.comments(); n < 3 {
		t.Fatalf("%d comments in 5s at a 5ms interval", n)
	}
	if w.rec.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("committed %d %q", w.rec.Code, w.Header().Get("Content-Type"))
	}
}

func TestKeepAliveNothingAfterStop(t *testing.T) {
	w := newLockedRecorder()
	k := startKeepAlive(w, time.Millisecond)
	time.Sleep(10 * time.Millisecond)
	k.stop()
	n := w.comments()
	time.Sleep(20 * time.Millisecond)
	if m := w.comments(); m != n {
		t.Fatalf("%d comments written after stop returned", m-n)
	}
	if k.stop() != (n > 0) {
		t.Fatal("a second stop disagrees with the first")
	}
}

func TestKeepAliveUncommittedBeforeInterval(t *testing.T) {
	w := newLockedRecorder()
	k := startKeepAlive(w, time.Hour)
	if k.stop() || w.comments() != 0 || w.rec.Code != http.StatusOK || len(w.Header()) != 0 {
		t.Fatal("a keep-alive stopped before its interval wrote to the response")
	}
	if startKeepAlive(w, 0).stop() || w.comments() != 0 {
		t.Fatal("a disabled keep-alive wrote to the response")
	}
}

// TestKeepAliveHoldsNoGoroutine: streams waiting for a slow upstream must
// not cost a goroutine (and its stack) each.
func TestKeepAliveHoldsNoGoroutine(t *testing.T) {
	const n = 200
	before := runtime.NumGoroutine()
	ks := make([]*keepAlive, n)
	for i := range ks {
		ks[i] = startKeepAlive(newLockedRecorder(), time.Hour)
	}
	during := runtime.NumGoroutine()
	for _, k := range ks {
		k.stop()
	}
	if during-before >= n/2 {
		t.Fatalf("%d waiting keep-alives hold %d goroutines", n, during-before)
	}
}
