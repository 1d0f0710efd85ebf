package health

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// benchOutcome is a typical successful streamed answer.
var benchOutcome = Outcome{Success: true, TTFT: 350 * time.Millisecond, OutputTokens: 420, Generation: 6 * time.Second, ToolCalls: 1}

func BenchmarkRecord(b *testing.B) {
	e := NewRegistry(Options{}).Endpoint("acme", "a/m")
	e.Record(benchOutcome) // allocates the windows
	b.ReportAllocs()
	for b.Loop() {
		e.Record(benchOutcome)
	}
}

// BenchmarkRecordParallel records from every P on one endpoint (the
// contended case) and on one endpoint per goroutine.
func BenchmarkRecordParallel(b *testing.B) {
	b.Run("shared", func(b *testing.B) {
		e := NewRegistry(Options{}).Endpoint("acme", "a/m")
		e.Record(benchOutcome)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				e.Record(benchOutcome)
			}
		})
	})
	b.Run("distinct", func(b *testing.B) {
		r := NewRegistry(Options{})
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			e := r.Endpoint("acme", fmt.Sprint("m", n.Add(1)))
			e.Record(benchOutcome)
			for pb.Next() {
				e.Record(benchOutcome)
			}
		})
	})
}

func BenchmarkEndpointLookup(b *testing.B) {
	r := NewRegistry(Options{})
	for i := range 10000 {
		r.Endpoint(fmt.Sprint("p", i%20), fmt.Sprint("m", i))
	}
	provider, model := "p7", "m4207"
	b.ReportAllocs()
	for b.Loop() {
		r.Endpoint(provider, model)
	}
}

func BenchmarkRecentOutage(b *testing.B) {
	e := NewRegistry(Options{}).Endpoint("acme", "a/m")
	e.Record(benchOutcome)
	b.ReportAllocs()
	for b.Loop() {
		e.RecentOutage()
	}
}

func BenchmarkAllow(b *testing.B) {
	b.Run("closed", func(b *testing.B) {
		e := NewRegistry(Options{}).Endpoint("acme", "a/m")
		b.ReportAllocs()
		for b.Loop() {
			e.Allow()
		}
	})
	b.Run("open", func(b *testing.B) {
		e := NewRegistry(Options{BreakerCooldown: time.Hour}).Endpoint("acme", "a/m")
		for range 3 {
			e.Record(errOutcome)
		}
		b.ReportAllocs()
		for b.Loop() {
			e.Allow()
		}
	})
}

func BenchmarkLatencyP50(b *testing.B) {
	e := NewRegistry(Options{}).Endpoint("acme", "a/m")
	for i := range 1000 {
		e.Record(Outcome{Success: true, TTFT: time.Duration(50+i) * time.Millisecond})
	}
	b.ReportAllocs()
	for b.Loop() {
		e.LatencyP50()
	}
}

func BenchmarkStats(b *testing.B) {
	e := NewRegistry(Options{}).Endpoint("acme", "a/m")
	for i := range 1000 {
		o := benchOutcome
		o.TTFT = time.Duration(50+i) * time.Millisecond
		e.Record(o)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Stats()
	}
}

func BenchmarkHistory(b *testing.B) {
	e := NewRegistry(Options{}).Endpoint("acme", "a/m")
	for i := range 1000 {
		o := benchOutcome
		o.TTFT = time.Duration(50+i) * time.Millisecond
		e.Record(o)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.History()
	}
}
