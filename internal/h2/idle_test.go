package h2

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdleStreamCost holds what an idle stream costs in this transport,
// the reason it exists: streams that got their first event and wait for
// the next, through this transport and, for scale, net/http's HTTP/2
// client, to the same server in the same process. Per stream, this
// transport may run no goroutine of its own (the server runs one, its
// handler, for either client: net/http's client runs another, waiting for
// the stream's end) and keep at most idleHeapBudget of the heap it
// allocated (the stream, its response and the context hook: some 1.2 KiB
// today, read from a heap profile of every allocation).
func TestIdleStreamCost(t *testing.T) {
	if testing.Short() {
		t.Skip("holds hundreds of streams open")
	}
	const (
		n              = 300
		idleHeapBudget = 2 << 10
	)
	release := make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, withHTTP2(http.HTTP2Config{MaxConcurrentStreams: 2 * n}))
	defer close(release)
	ours := newTransport(t, srv)
	theirs := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: rootCAs(srv)}}
	t.Cleanup(theirs.CloseIdleConnections)

	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1 // every allocation, for exact attributions
	t.Cleanup(func() { runtime.MemProfileRate = rate })
	oursMem, oursG, oursHeap := idleCost(t, ours, srv.URL, n)
	theirsMem, theirsG, _ := idleCost(t, theirs, srv.URL, n)
	t.Logf("per idle stream, server included: this transport %.1f KiB (%.2f KiB of it allocated in package h2) "+
		"and %.2f goroutines, net/http's %.1f KiB and %.2f goroutines",
		oursMem/1024, oursHeap/1024, oursG, theirsMem/1024, theirsG)
	if oursG > 1.05 {
		t.Errorf("%.2f goroutines per idle stream, server's handler included; want 1: the transport runs none of its own", oursG)
	}
	if theirsG < 1.95 {
		t.Errorf("%.2f goroutines per idle stream through net/http's client; want 2 (is the measure broken?)", theirsG)
	}
	if raceEnabled {
		return // the race detector changes what allocations cost
	}
	if oursHeap > idleHeapBudget {
		t.Errorf("an idle stream keeps %.2f KiB allocated in package h2; want at most %d KiB", oursHeap/1024, idleHeapBudget>>10)
	}
}

// idleCost opens n streams through rt to url, each read to its first
// event, and returns what they added per stream once all are open: heap
// and stacks, goroutines, and the heap allocated in package h2 and still
// in use (with runtime.MemProfileRate 1); then it closes them.
func idleCost(t *testing.T, rt http.RoundTripper, url string, n int) (mem, goroutines, ownHeap float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	open := func() (io.Closer, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/idle", nil)
		if err != nil {
			return nil, err
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, 64)
		if _, err := io.ReadAtLeast(resp.Body, buf, len("data: 1\n\n")); err != nil {
			resp.Body.Close()
			return nil, err
		}
		return resp.Body, nil
	}
	// The connection and the pools are not a stream's cost.
	if b, err := open(); err != nil {
		t.Fatal(err)
	} else {
		b.Close()
	}
	before, gBefore := memInUse()
	ownBefore := heapAllocatedIn("github.com/switchyard-dev/switchyard/internal/h2.")
	var (
		mu     sync.Mutex
		bodies []io.Closer
		wg     sync.WaitGroup
		first  error
	)
	for range n {
		wg.Go(func() {
			b, err := open()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				first = err
				return
			}
			bodies = append(bodies, b)
		})
	}
	wg.Wait()
	time.Sleep(100 * time.Millisecond) // the server's handlers reach their wait
	after, gAfter := memInUse()
	ownAfter := heapAllocatedIn("github.com/switchyard-dev/switchyard/internal/h2.")
	for _, b := range bodies {
		b.Close()
	}
	if first != nil {
		t.Fatalf("opening %d idle streams: %v", n, first)
	}
	// The server's handlers see their streams reset and end: the next
	// measurement starts where this one did.
	eventually(t, "the streams' goroutines to end", func() bool { return runtime.NumGoroutine() <= gBefore })
	return float64(after-before) / float64(n), float64(gAfter-gBefore) / float64(n), float64(ownAfter-ownBefore) / float64(n)
}

// heapAllocatedIn is the heap in use, as of the last collection, that was
// allocated under a function whose name starts with prefix, the innermost
// such on the stack, outside tests (the test's server handler and requests
// are not the transport's).
func heapAllocatedIn(prefix string) int64 {
	var records []runtime.MemProfileRecord
	for {
		n, ok := runtime.MemProfile(records, false)
		if ok {
			records = records[:n]
			break
		}
		records = make([]runtime.MemProfileRecord, n+64)
	}
	var total int64
	for _, r := range records {
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if strings.HasPrefix(f.Function, prefix) {
				if !strings.HasSuffix(f.File, "_test.go") {
					total += r.InUseBytes()
				}
				break
			}
			if !more {
				break
			}
		}
	}
	return total
}

// memInUse returns the heap in use plus goroutine stacks after a full
// collection, and the number of goroutines.
func memInUse() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse, runtime.NumGoroutine()
}
