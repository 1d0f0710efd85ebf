package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// slowServer answers after delay; streams send "first", wait delay, then
// "[DONE]".
func slowServer(t *testing.T, delay time.Duration, hits *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/stream" {
			io.WriteString(w, "data: first\n\n")
			w.(http.Flusher).Flush()
			time.Sleep(delay)
			io.WriteString(w, "data: [DONE]\n\n")
			return
		}
		if r.URL.Path == "/fail" {
			http.Error(w, "nope", http.StatusServiceUnavailable)
			return
		}
		time.Sleep(delay)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClosedLoop(t *testing.T) {
	var hits atomic.Int64
	srv := slowServer(t, 10*time.Millisecond, &hits)
	res := Closed(context.Background(), NewClient(4, nil), &Request{URL: srv.URL + "/", Body: []byte("{}")}, 4, 300*time.Millisecond)
	// 4 workers × 300 ms / 10 ms ≈ 120; the machine may be slower.
	if res.Errors != 0 || res.Requests < 20 || res.Requests > 130 || int64(res.Requests) != hits.Load() {
		t.Fatalf("%d requests, %d errors, %d hits: %s", res.Requests, res.Errors, hits.Load(), res.FirstError)
	}
	if p50 := res.Latency.P50(); p50 < 10*time.Millisecond {
		t.Errorf("p50 %s, below the server's 10 ms", p50)
	}
	if rps := res.RPS(); rps < 60 || rps > 450 {
		t.Errorf("%.0f requests/s from 4 workers on a 10 ms server", rps)
	}
}

func TestOpenLoop(t *testing.T) {
	var hits atomic.Int64
	srv := slowServer(t, 20*time.Millisecond, &hits)
	rq := &Request{URL: srv.URL + "/stream", Body: []byte("{}"), Stream: true, Done: []byte("[DONE]")}
	res := Open(context.Background(), NewClient(64, nil), rq, 200, 250*time.Millisecond)
	// 200/s for 250 ms: 50 requests, sent on schedule whatever the
	// answers take.
	if res.Requests != 50 || res.Errors != 0 || res.Dropped != 0 {
		t.Fatalf("%d requests, %d errors, %d dropped: %s", res.Requests, res.Errors, res.Dropped, res.FirstError)
	}
	if res.Elapsed < 250*time.Millisecond {
		t.Errorf("elapsed %s: the requests were not spread over the phase", res.Elapsed)
	}
	if ttfb, total := res.TTFB.P50(), res.Latency.P50(); ttfb <= 0 || total < ttfb+20*time.Millisecond {
		t.Errorf("TTFB p50 %s, total p50 %s: want the total 20 ms later", ttfb, total)
	}
	if res.Lag.Len() != 50 {
		t.Errorf("%d lag samples", res.Lag.Len())
	}
}

// TestOpenLoopChargesStalls: a request due while the target is stalled
// counts from when it was due, not from when the target took it.
func TestOpenLoopChargesStalls(t *testing.T) {
	var hits atomic.Int64
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			<-gate // the first request holds the only connection...
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}} // ...so the rest queue behind it
	go func() { time.Sleep(150 * time.Millisecond); close(gate) }()
	res := Open(context.Background(), hc, &Request{URL: srv.URL, Body: []byte("{}")}, 100, 100*time.Millisecond)
	if res.Requests != 10 {
		t.Fatalf("%d requests: %s", res.Requests, res.FirstError)
	}
	// Every request waited for the stall to end: the last was due at
	// 90 ms and answered after 150 ms.
	if fastest := res.Latency.Quantile(0); fastest < 50*time.Millisecond {
		t.Errorf("fastest request %s: the stall was not charged", fastest)
	}
}

func TestLoadErrors(t *testing.T) {
	var hits atomic.Int64
	srv := slowServer(t, 0, &hits)
	for _, rq := range []*Request{
		{URL: srv.URL + "/fail"},
		{URL: srv.URL + "/", Done: []byte("[DONE]")}, // answered "ok": cut short
		{URL: "http://127.0.0.1:1/"},                 // nothing listens
	} {
		res := Closed(context.Background(), NewClient(1, nil), rq, 1, 50*time.Millisecond)
		if res.Requests != 0 || res.Errors == 0 || res.FirstError == "" || res.Latency.Len() != 0 {
			t.Errorf("%s: %d requests, %d errors (%s)", rq.URL, res.Requests, res.Errors, res.FirstError)
		}
	}
}

func TestLastBytes(t *testing.T) {
	var tail []byte
	for _, p := range []string{"abc", "defgh", "ij", strings.Repeat("x", 10) + "end"} {
		tail = lastBytes(tail, []byte(p), 5)
	}
	if string(tail) != "xxend" {
		t.Errorf("tail %q", tail)
	}
	if tail = lastBytes(nil, []byte("ab"), 5); string(tail) != "ab" {
		t.Errorf("tail %q", tail)
	}
}

// TestResultAdd adds up the slices of a phase: counts, time, the first
// error and the samples of all of them.
func TestResultAdd(t *testing.T) {
	slice := func(from, to int, errs int, first string) *Result {
		r := &Result{Requests: to - from + 1, Errors: errs, Dropped: 1, FirstError: first, Elapsed: time.Second}
		for v := from; v <= to; v++ {
			r.Latency.Add(time.Duration(v) * time.Microsecond)
			r.TTFB.Add(time.Duration(v) * time.Nanosecond)
		}
		r.Latency.P50() // sorted: the next add must sort again
		return r
	}
	total := &Result{}
	total.add(slice(501, 1000, 0, ""))
	total.add(slice(1, 500, 2, "first"))
	total.add(slice(1001, 1000, 1, "second")) // no requests
	if total.Requests != 1000 || total.Errors != 3 || total.Dropped != 3 || total.FirstError != "first" ||
		total.Elapsed != 3*time.Second {
		t.Errorf("total: %d requests, %d errors (first %q), %d dropped, %s", total.Requests, total.Errors,
			total.FirstError, total.Dropped, total.Elapsed)
	}
	if total.Latency.Len() != 1000 || total.Latency.P50() != 500*time.Microsecond ||
		total.Latency.P99() != 990*time.Microsecond || total.TTFB.Max() != 1000*time.Nanosecond {
		t.Errorf("latency: %d samples, p50 %s, p99 %s; TTFB max %s", total.Latency.Len(), total.Latency.P50(),
			total.Latency.P99(), total.TTFB.Max())
	}
	if got := (CPU{Ticks: 10, Exec: 7}).Add(CPU{Ticks: 5, Exec: 2}); got != (CPU{Ticks: 15, Exec: 9}) {
		t.Errorf("CPU.Add = %+v", got)
	}
}
