package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// IdleResult is the outcome of holding many idle streams open.
type IdleResult struct {
	// Wanted streams were opened, of the Requested: fewer when
	// RLIMIT_NOFILE cannot cover the descriptors a stream takes in the
	// gateway (IdleRun.FilesPerStream).
	Wanted, Requested int
	// Opened streams got their first chunk; Stalled were answered but no
	// chunk came within the deadline; Failed got an error or a status
	// other than 200.
	Opened, Stalled, Failed int
	FirstError              string
	// OpenTime is how long opening them all took.
	OpenTime time.Duration
	// RSSBefore and RSSAfter are the gateway's resident memory before the
	// first stream and with all of them open.
	RSSBefore, RSSAfter int64
	// Probe is the latency of one non-streamed request sent while all the
	// streams were open (0 if it failed).
	Probe time.Duration
}

// PerStream is the gateway's memory growth per open stream.
func (r *IdleResult) PerStream() int64 {
	if r.Opened == 0 {
		return 0
	}
	return (r.RSSAfter - r.RSSBefore) / int64(r.Opened)
}

// idleOpeners bounds the streams being opened at once (the listen backlog
// is finite).
const idleOpeners = 128

// idleTarget is where idleStreams opens its streams: the gateway's idle
// model, or the upstream's through the floor proxy.
type idleTarget struct {
	proc *process // whose memory is measured
	// url is the chat completions endpoint; probe a non-streamed request
	// to it, stream a request for the idle model.
	url           string
	header        http.Header
	probe, stream []byte
}

// gatewayIdleTarget is the gateway's idle model.
func gatewayIdleTarget(gw *process, key string) idleTarget {
	return idleTarget{proc: gw, url: "http://" + gw.addr + "/api/v1/chat/completions",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}},
		probe:  ChatBody(gatewayModelOpenAI, false, 1<<10), stream: ChatBody(gatewayModelIdle, true, 256)}
}

// floorIdleTarget is the upstream's idle model through the floor proxy.
func floorIdleTarget(proxy *process) idleTarget {
	return idleTarget{proc: proxy, url: "http://" + proxy.addr + "/v1/chat/completions",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + upstreamKey}},
		probe:  ChatBody(upstreamModelOpenAI, false, 1<<10), stream: ChatBody(ModelIdle, true, 256)}
}

// idleStreams opens n streams to t's idle model (the upstream sends one
// chunk, then nothing), checks that each gets its first chunk, measures
// the memory of t's process with all of them open, and closes them.
func idleStreams(ctx context.Context, t idleTarget, n int) (*IdleResult, error) {
	res := &IdleResult{Wanted: n}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: idleOpeners,
		DisableCompression:  true,
	}}
	defer hc.CloseIdleConnections()
	probe := &Request{URL: t.url, Header: t.header, Body: t.probe}
	// Warm the process up (store, adapters, pools), then let it settle.
	if w := Closed(ctx, hc, probe, 1, 200*time.Millisecond); w.Requests == 0 {
		return res, fmt.Errorf("warm-up failed: %s", w.FirstError)
	}
	time.Sleep(time.Second)
	m, err := ReadMemory(t.proc.Pid())
	if err != nil {
		return res, err
	}
	res.RSSBefore = m.RSS

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body := t.stream
	var (
		opened, failed atomic.Int64
		mu             sync.Mutex
		bodies         = make([]io.Closer, 0, n)
		wg             sync.WaitGroup
		sem            = make(chan struct{}, idleOpeners)
	)
	fail := func(err error) {
		failed.Add(1)
		mu.Lock()
		if res.FirstError == "" {
			res.FirstError = err.Error()
		}
		mu.Unlock()
	}
	open := func() {
		defer func() { <-sem }()
		hr, err := http.NewRequestWithContext(sctx, http.MethodPost, probe.URL, bytes.NewReader(body))
		if err != nil {
			fail(err)
			return
		}
		hr.Header = t.header
		resp, err := hc.Do(hr)
		if err != nil {
			if sctx.Err() == nil {
				fail(err)
			}
			return
		}
		mu.Lock()
		bodies = append(bodies, resp.Body)
		mu.Unlock()
		if resp.StatusCode != http.StatusOK {
			fail(fmt.Errorf("status %d", resp.StatusCode))
			return
		}
		if err := firstChunk(resp.Body); err != nil {
			if sctx.Err() == nil {
				fail(err)
			}
			return
		}
		opened.Add(1)
	}
	// Each opener holds its slot until its stream's first chunk; stalled
	// streams hold theirs until the deadline.
	start := time.Now()
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		defer wg.Wait()
		for range n {
			select {
			case sem <- struct{}{}:
			case <-sctx.Done():
				return
			}
			wg.Go(open)
		}
	}()
	select {
	case <-waited:
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
	res.OpenTime = time.Since(start)
	time.Sleep(time.Second)
	if m, err := ReadMemory(t.proc.Pid()); err == nil {
		res.RSSAfter = m.RSS
	}
	res.Opened, res.Failed = int(opened.Load()), int(failed.Load())
	res.Stalled = n - res.Opened - res.Failed
	if p := Closed(ctx, hc, probe, 1, 200*time.Millisecond); p.Requests > 0 {
		res.Probe = p.Latency.P50()
	}
	cancel()
	mu.Lock()
	for _, b := range bodies {
		b.Close()
	}
	mu.Unlock()
	<-waited
	return res, t.proc.alive()
}

// firstChunk reads until the first complete data event.
func firstChunk(r io.Reader) error {
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		seen = append(seen, buf[:n]...)
		if i := bytes.Index(seen, []byte("data:")); i >= 0 && bytes.Contains(seen[i:], []byte("\n\n")) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("stream ended before its first chunk: %w", err)
		}
	}
}
