package health

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrentRecordAndRead(t *testing.T) {
	// Writers record on a few shared endpoints while a reader takes
	// snapshots and the clock moves: under -race, and every outcome must
	// be counted exactly once in the end.
	clock := newFakeClock()
	r := NewRegistry(Options{Now: clock.Now, BreakerFailures: 1 << 30})
	const writers, perWriter, endpoints = 8, 2000, 3
	var done atomic.Bool
	var readers sync.WaitGroup
	readers.Go(func() {
		for !done.Load() {
			r.Each(func(_, _ string, e *Endpoint) {
				s := e.Stats()
				if s.Requests5m < 0 || s.Uptime30m < 0 || s.Uptime30m > 1 {
					t.Errorf("inconsistent snapshot %+v", s)
				}
				e.RecentOutage()
				e.LatencyP50()
				e.Allow()
			})
			clock.Advance(time.Millisecond)
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				e := r.Endpoint("p", fmt.Sprint("m", (w+i)%endpoints))
				e.Record(Outcome{Success: i%4 != 0, TTFT: time.Duration(1+i%500) * time.Millisecond, ToolCalls: 1})
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()

	var requests, ok, latencies, tools int64
	r.Each(func(_, _ string, e *Endpoint) {
		s := e.Stats()
		requests += s.Requests30m
		ok += int64(s.Uptime30m*float64(s.Requests30m) + 0.5)
		latencies += s.Latency30m.Count
		tools += s.ToolCalls30m
	})
	const total = writers * perWriter
	if requests != total || ok != total*3/4 || latencies != total || tools != total {
		t.Errorf("counted %d requests, %d successes, %d latencies, %d tool calls; want %d, %d, %d, %d",
			requests, ok, latencies, tools, total, total*3/4, total, total)
	}
}
