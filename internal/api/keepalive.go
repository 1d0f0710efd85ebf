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
type keepAlive struct {
	mu        sync.Mutex
	w         http.ResponseWriter
	committed bool
	stopped   chan struct{}
	done      chan struct{}
}

// startKeepAlive starts sending comments every interval; interval <= 0
// disables them.
func startKeepAlive(w http.ResponseWriter, interval time.Duration) *keepAlive {
	k := &keepAlive{w: w, stopped: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		close(k.done)
		return k
	}
	go k.run(interval)
	return k
}

func (k *keepAlive) run(interval time.Duration) {
	defer close(k.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	sw := sse.NewWriter(k.w)
	for {
		select {
		case <-k.stopped:
			return
		case <-t.C:
			k.mu.Lock()
			if !k.committed {
				writeStreamHeaders(k.w)
				k.committed = true
			}
			err := sw.Comment(keepAliveComment)
			k.mu.Unlock()
			if err != nil {
				return // the client is gone; the request context says so too
			}
		}
	}
}

// stop ends the comments and reports whether the response was committed.
func (k *keepAlive) stop() (committed bool) {
	select {
	case <-k.stopped:
	default:
		close(k.stopped)
	}
	<-k.done
	k.mu.Lock()
	defer k.mu.Unlock()
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
