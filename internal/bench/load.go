package bench

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"
)

// Request is what the load generator sends, again and again.
type Request struct {
	URL    string
	Header http.Header // read concurrently, never modified
	Body   []byte
	// Stream marks an SSE answer: its time to first byte is measured.
	Stream bool
	// Done, when set, must be among the last bytes of a successful
	// answer ("[DONE]", "message_stop"): a stream cut short is an error.
	Done []byte
}

// Result is the outcome of one load phase.
type Result struct {
	Requests   int // answered successfully
	Errors     int
	Dropped    int // open loop: not sent, too many already in flight
	FirstError string
	// Elapsed is the phase's wall time, until the last answer.
	Elapsed time.Duration
	// Latency runs until the last byte of the answer; in an open loop,
	// from the time the request was due, not when it was sent.
	Latency Samples
	// TTFB runs until the first byte of a stream's body.
	TTFB Samples
	// Lag is, in an open loop, how late each request was sent: the load
	// generator's own scheduling noise, included in Latency.
	Lag Samples

	mu sync.Mutex
}

// add adds o, a later slice of the same phase, to r.
func (r *Result) add(o *Result) {
	r.Requests += o.Requests
	r.Errors += o.Errors
	r.Dropped += o.Dropped
	r.FirstError = cmp.Or(r.FirstError, o.FirstError)
	r.Elapsed += o.Elapsed
	r.Latency.add(&o.Latency)
	r.TTFB.add(&o.TTFB)
	r.Lag.add(&o.Lag)
}

// RPS is the rate of successful answers.
func (r *Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func (r *Result) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors++
	if r.FirstError == "" {
		r.FirstError = err.Error()
	}
}

func (r *Result) ok() {
	r.mu.Lock()
	r.Requests++
	r.mu.Unlock()
}

// NewClient returns the HTTP client the load generator uses for every
// target alike: keep-alive connections, enough of them idle for
// concurrency requests in flight, no compression. tlsConfig, if not nil,
// is its HTTPS configuration (HTTPS targets are reached over HTTP/2).
func NewClient(concurrency int, tlsConfig *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		TLSClientConfig:     tlsConfig,
		ForceAttemptHTTP2:   true,
	}}
}

// bufPool holds read buffers for answers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// do sends rq once; its latency counts from due.
func do(ctx context.Context, hc *http.Client, rq *Request, due time.Time, res *Result) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, rq.URL, bytes.NewReader(rq.Body))
	if err != nil {
		res.fail(err)
		return
	}
	hr.Header = rq.Header
	resp, err := hc.Do(hr)
	if err != nil {
		res.fail(err)
		return
	}
	defer resp.Body.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var (
		first time.Time
		tail  []byte // the last bytes read, for the Done check
		total int
	)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if first.IsZero() {
				first = time.Now()
			}
			total += n
			tail = lastBytes(tail, buf[:n], 64)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			res.fail(fmt.Errorf("reading the answer: %w", err))
			return
		}
	}
	end := time.Now()
	switch {
	case resp.StatusCode != http.StatusOK:
		res.fail(fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(tail)))
		return
	case rq.Done != nil && !bytes.Contains(tail, rq.Done):
		res.fail(fmt.Errorf("answer of %d bytes does not end with %q", total, rq.Done))
		return
	}
	res.Latency.Add(end.Sub(due))
	if rq.Stream && !first.IsZero() {
		res.TTFB.Add(first.Sub(due))
	}
	res.ok()
}

// lastBytes keeps the last n bytes of tail followed by p.
func lastBytes(tail, p []byte, n int) []byte {
	if len(p) >= n {
		return append(tail[:0], p[len(p)-n:]...)
	}
	tail = append(tail, p...)
	if len(tail) > n {
		tail = append(tail[:0], tail[len(tail)-n:]...)
	}
	return tail
}

// Closed runs a closed loop: concurrency workers each send rq, wait for
// the whole answer and send again, for d.
func Closed(ctx context.Context, hc *http.Client, rq *Request, concurrency int, d time.Duration) *Result {
	res := &Result{}
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				do(ctx, hc, rq, now, res)
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// maxInFlight bounds an open loop's requests in flight; past it a
// request is dropped (the target is saturated).
const maxInFlight = 4096

// Open runs an open loop: requests are due at a fixed rate (per second)
// for d, each sent at its time whatever the answers before it, and its
// latency counts from when it was due, so a target that stalls is charged
// for every request it delayed (no coordinated omission). The pacer sleeps
// on a locked OS thread with the kernel's timer (Go's timers wake up to a
// millisecond late); requests it is late for are sent at once.
func Open(ctx context.Context, hc *http.Client, rq *Request, rate float64, d time.Duration) *Result {
	res := &Result{}
	interval := time.Duration(float64(time.Second) / rate)
	n := int(d / interval)
	inFlight := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	paced := make(chan struct{})
	start := time.Now().Add(time.Millisecond)
	go func() {
		defer close(paced)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tightenTimerSlack()
		for i := 0; i < n && ctx.Err() == nil; i++ {
			due := start.Add(time.Duration(i) * interval)
			if wait := time.Until(due); wait > 0 {
				preciseSleep(wait)
			}
			select {
			case inFlight <- struct{}{}:
			default:
				res.mu.Lock()
				res.Dropped++
				res.mu.Unlock()
				continue
			}
			res.Lag.Add(time.Since(due))
			wg.Go(func() {
				defer func() { <-inFlight }()
				do(ctx, hc, rq, due, res)
			})
		}
	}()
	<-paced
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}
