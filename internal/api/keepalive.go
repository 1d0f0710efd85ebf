package api

import (
	"net/http"
	"sync"
	"time"

	"github.com/switchyard-dev/switchyard/internal/sse"
)

// keepAliveComment is sent while a stream waits for its upstream, like
// OpenRouter's ": OPENROUTER PROCESSING". Clients skip comment lines.
const keepAliveComment = "SWITCHYARD PROCESSING"

// keepAlive writes SSE comments while the router looks for an upstream that
// answers, so that clients and proxies with idle timeouts keep the
// connection. The first comment commits the response: status 200 and the
// event-stream headers. After stop returns, the caller owns the writer.
//
// A waiting stream holds a runtime timer, not a goroutine: each comment is
// written by the timer's function, which arms the timer again. Thousands of
// streams waiting on slow upstreams thus cost no goroutine stacks.
type keepAlive struct {
	mu        sync.Mutex
	w         http.ResponseWriter
	interval  time.Duration
	timer     *time.Timer // nil when comments are disabled
	committed bool
	stopped   bool // no comment may be written any more
}

// startKeepAlive starts sending comments every interval; interval <= 0
// disables them.
func startKeepAlive(w http.ResponseWriter, interval time.Duration) *keepAlive {
	k := &keepAlive{w: w, interval: interval}
	if interval > 0 {
		k.mu.Lock() // the timer's function must see k.timer set
		k.timer = time.AfterFunc(interval, k.tick)
		k.mu.Unlock()
	}
	return k
}

// tick writes one comment and arms the next, unless stop came first or the
// client is gone.
func (k *keepAlive) tick() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	if !k.committed {
		writeStreamHeaders(k.w)
		k.committed = true
	}
	if err := sse.NewWriter(k.w).Comment(keepAliveComment); err != nil {
		return // the client is gone; the request context says so too
	}
	k.timer.Reset(k.interval)
}

// stop ends the comments and reports whether the response was committed.
// A comment being written when stop is called is finished first; none is
// written after stop returns.
func (k *keepAlive) stop() (committed bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.timer != nil {
		k.timer.Stop()
	}
	return k.committed
}

// writeStreamHeaders commits a 200 event-stream response.
func writeStreamHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell nginx-style proxies not to buffer
	w.WriteHeader(http.StatusOK)
}
