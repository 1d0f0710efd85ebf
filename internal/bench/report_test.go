package bench

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func result(n int, p50, p99 time.Duration) *Result {
	r := &Result{Requests: n}
	for i := range 100 {
		d := p50
		if i >= 98 {
			d = p99
		}
		r.Latency.Add(d)
		r.TTFB.Add(d / 2)
	}
	return r
}

func testReport() *Report {
	row := func(sc Scenario, floorCPU, gwCPU time.Duration, gwP50 time.Duration) Row {
		const n = 1000
		return Row{Scenario: sc, Targets: map[string]*TargetResult{
			Direct: {C1: result(n, 100*time.Microsecond, 300*time.Microsecond), Rate: result(n, 200*time.Microsecond, time.Millisecond), CPU: CPU{Exec: n * 50 * time.Microsecond}},
			Floor:  {C1: result(n, 300*time.Microsecond, time.Millisecond), Rate: result(n, 400*time.Microsecond, 2*time.Millisecond), CPU: CPU{Exec: n * floorCPU}, MaxRPS: 4000, PeakRSS: 20 << 20},
			Gateway: {C1: result(n, gwP50, 1200*time.Microsecond), Rate: result(n, 600*time.Microsecond, 3*time.Millisecond), CPU: CPU{Exec: n * gwCPU}, MaxRPS: 2000, PeakRSS: 40 << 20,
				C1Overhead: &Histogram{Bounds: []float64{100e-6, 250e-6, math.Inf(1)}, Counts: []uint64{500, 1000, 1000}},
				C1Flush:    &Flush{Records: 1000, Flushes: 10, Normal: 1, Seconds: 0.05}},
		}}
	}
	return &Report{
		Machine: Machine{CPU: "Test CPU", Cores: 2, Kernel: "Linux test", GoVersion: "go1.26", Date: time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)},
		Options: QuickOptions(),
		Rows: []Row{
			row(Scenarios[0], 100*time.Microsecond, 140*time.Microsecond, 350*time.Microsecond), // 1.4×, +50 µs: met
			row(Scenarios[6], 100*time.Microsecond, 250*time.Microsecond, 500*time.Microsecond), // 2.5×, +200 µs: missed
		},
		Idle: []IdleRun{
			{Upstream: upstreamHTTP1, FilesPerStream: 2, // fewer than asked for: RLIMIT_NOFILE
				Gateway: &IdleResult{Wanted: 90, Requested: 100, Opened: 90, RSSBefore: 10 << 20, RSSAfter: 10<<20 + 90*30<<10},
				Floor:   &IdleResult{Wanted: 90, Requested: 100, Opened: 90, RSSBefore: 5 << 20, RSSAfter: 5<<20 + 90*24<<10}},
			{Upstream: upstreamHTTP2, FilesPerStream: 1, // over 40 KiB, and one stalled
				Gateway: &IdleResult{Wanted: 100, Requested: 100, Opened: 99, Stalled: 1, RSSBefore: 10 << 20, RSSAfter: 10<<20 + 99*42<<10},
				Floor:   &IdleResult{Wanted: 100, Requested: 100, Opened: 100, RSSBefore: 5 << 20, RSSAfter: 5<<20 + 100*28<<10}},
		},
		Peak: map[string]int64{"gateway": 50 << 20},
	}
}

func TestTargets(t *testing.T) {
	got := testReport().Targets()
	want := []struct {
		prefix, measured string
		met              bool
	}{
		{"json-1k: CPU", "1.40×", true},
		{"json-1k: added latency", "+50 / +200 µs", true},
		{"anthropic-sse20-1k: CPU/request ≤ 2.0×", "2.50×", false},
		{"anthropic-sse20-1k: added latency", "+200 / +200 µs", false},
		{"90 idle streams (upstream over HTTP/1.1): ≤ 40 KiB", "30.0 KiB each, 0 stalled, 0 failed (floor 24.0 KiB: 1.25×)", true},
		{"100 idle streams (upstream over HTTP/2 over TLS): ≤ 40 KiB", "42.0 KiB each, 1 stalled, 0 failed (floor 28.0 KiB: 1.50×)", false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d targets: %+v", len(got), got)
	}
	for i, w := range want {
		if g := got[i]; !strings.HasPrefix(g.Name, w.prefix) || g.Measured != w.measured || g.Met != w.met {
			t.Errorf("target %d = %+v, want %s… %q met=%v", i, g, w.prefix, w.measured, w.met)
		}
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	testReport().Markdown(&b)
	md := b.String()
	for _, want := range []string{
		"Test CPU, 2 cores",
		"| json-1k | 50 µs | 100 µs | 140 µs | 1.40× |",
		"| json-1k | 100 / 300 | 300 / 1000 | 350 / 1200 | +250 / +900 | +50 / +200 | 0 |",
		"| anthropic-sse20-1k | 4000 | 2000 | 150 / 500 | 250 / 600 | +100 / +100 | 20.0 MiB | 40.0 MiB |",
		"| 100 | 100 | 0 | 0 |",
		"| json-1k | 100 / 247 | — | 1000 |", // none observed at the rate: a dash, not 0 / 0
		"| json-1k | 1000 records, 50 µs a record, 1 of 10 flushes at normal priority | — |",
		"| anthropic-sse20-1k: CPU/request ≤ 2.0× floor | 2.50× | **missed** |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestUpdateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	r := testReport()
	if err := UpdateFile(path, "# Benchmarks\n\nIntro.\n", r); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	// Text written around the markers by hand survives the next run.
	edited := strings.Replace(string(b), endMarker+"\n", endMarker+"\n\n## Notes\n\nHand-written.\n", 1)
	edited = strings.Replace(edited, "Intro.", "Intro, edited.", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Machine.CPU = "Other CPU"
	if err := UpdateFile(path, "ignored preface", r); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	got := string(b)
	for _, want := range []string{"Intro, edited.", "## Notes\n\nHand-written.", "Other CPU"} {
		if !strings.Contains(got, want) {
			t.Errorf("updated file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Test CPU") || strings.Contains(got, "ignored preface") || strings.Count(got, beginMarker) != 1 {
		t.Errorf("the generated section was not replaced once:\n%s", got)
	}
}

// TestMarkdownIdleOnly: a run of the idle streams alone has no empty load
// tables.
func TestMarkdownIdleOnly(t *testing.T) {
	r := testReport()
	r.Rows = nil
	var b bytes.Buffer
	r.Markdown(&b)
	md := b.String()
	if strings.Contains(md, "### CPU per request") || strings.Contains(md, "### Capacity") {
		t.Errorf("load tables without load scenarios:\n%s", md)
	}
	for _, want := range []string{"### Idle streams",
		"| floor | HTTP/1.1 | 90 | 90 | 0 | 0 | 0s | 5.0 MiB → 7.1 MiB | 24.0 KiB |",
		"| gateway | HTTP/1.1 | 90 | 90 | 0 | 0 |",
		"| floor | HTTP/2 over TLS | 100 | 100 | 0 | 0 |",
		"| gateway | HTTP/2 over TLS | 100 | 99 | 1 | 0 |",
		"Over HTTP/1.1, 90 streams, not 100: RLIMIT_NOFILE (0) must cover 2 descriptors per stream",
		"90 idle streams (upstream over HTTP/1.1): ≤ 40 KiB each", "100 idle streams (upstream over HTTP/2 over TLS): ≤ 40 KiB each"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
