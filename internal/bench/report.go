package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Targets are the goals for a 2-core machine.
const (
	TargetCPURatio           = 1.5 // gateway CPU per request over the floor's
	TargetCPURatioTranslated = 2.0 // the same, translated to another protocol
	TargetAddedP50           = 100 * time.Microsecond
	TargetAddedP99           = 500 * time.Microsecond
	TargetIdleStreamBytes    = 40 << 10
)

// Markers delimit the generated part of a results file; text around them
// is kept when the file is updated.
const (
	beginMarker = "<!-- switchyard bench: begin generated results -->"
	endMarker   = "<!-- switchyard bench: end generated results -->"
)

// us renders a duration in whole microseconds.
func us(d time.Duration) string {
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// signedUS renders a difference in microseconds with its sign.
func signedUS(d time.Duration) string {
	if d < 0 {
		return fmt.Sprintf("−%d", -d.Microseconds())
	}
	return fmt.Sprintf("+%d", d.Microseconds())
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// pair renders p50 / p99 of s in microseconds.
func pair(s *Samples) string {
	return fmt.Sprintf("%d / %d", s.P50().Microseconds(), s.P99().Microseconds())
}

// quantiles renders p50 / p99 of h in microseconds, "—" without
// observations.
func quantiles(h *Histogram) string {
	if h.Count() == 0 {
		return "—"
	}
	return fmt.Sprintf("%d / %d", h.Quantile(0.50).Microseconds(), h.Quantile(0.99).Microseconds())
}

// added renders how much later the gateway's p50 and p99 are than base's.
func added(gw, base *Samples) string {
	return signedUS(gw.P50()-base.P50()) + " / " + signedUS(gw.P99()-base.P99())
}

// ratio renders a/b.
func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func check(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// Markdown writes the report's tables.
func (r *Report) Markdown(w io.Writer) {
	o := r.Options
	m := r.Machine
	fmt.Fprintf(w, "Run of %s on %s: %s, %d cores, %s, %s.\n\n", m.Date.Format("2006-01-02 15:04 MST"),
		hostname(), m.CPU, m.Cores, m.Kernel, m.GoVersion)
	fmt.Fprintf(w, "Phases of %s (warm-up %s)%s; fixed rate %g requests/s; max RPS searched up to %g/s with p99 < %s; "+
		"streams of %d chunks; RLIMIT_NOFILE %d.\n\n", o.Duration, o.Warmup, roundsNote(o), o.Rate, o.MaxRate,
		o.LatencyBound, o.Chunks, r.FileLimit)

	if len(r.Rows) > 0 {
		r.loadTables(w)
	}
	if len(r.Peak) > 0 {
		fmt.Fprintf(w, "\nPeak RSS over the whole run (VmHWM): ")
		var parts []string
		for _, name := range []string{"gateway", "floor proxy", "upstream"} {
			if v, ok := r.Peak[name]; ok {
				parts = append(parts, name+" "+mib(v))
			}
		}
		fmt.Fprintf(w, "%s.\n", strings.Join(parts, ", "))
	}

	if len(r.Idle) > 0 {
		writeIdle(w, r)
	}

	fmt.Fprintf(w, "\n### Targets\n\n")
	fmt.Fprintln(w, "| Target | Measured | |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, t := range r.Targets() {
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.Name, t.Measured, check(t.Met))
	}
}

// loadTables writes the tables of the load scenarios.
// roundsNote describes how the phases were cut into rounds, if they were.
func roundsNote(o Options) string {
	if o.Rounds <= 1 {
		return ""
	}
	return fmt.Sprintf(", each run as %d slices of %s taking turns with the other targets'", o.Rounds, o.Duration/time.Duration(o.Rounds))
}

func (r *Report) loadTables(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "### CPU per request\n\n")
	fmt.Fprintf(w, "Each process's CPU time (user + system, /proc) over the open-loop phase at %g/s, divided by the "+
		"requests answered; at c=1, over the closed-loop phase at concurrency 1 (idle wake-ups included). "+
		"Upstream: the fake upstream's own cost, for scale.\n\n", o.Rate)
	fmt.Fprintln(w, "| Scenario | upstream | floor | gateway | gateway ÷ floor | at c=1: floor | gateway | gateway ÷ floor | target |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, row := range r.Rows {
		d, f, g := row.Targets[Direct], row.Targets[Floor], row.Targets[Gateway]
		target := TargetCPURatio
		if row.Scenario.Protocol != ProtocolOpenAI {
			target = TargetCPURatioTranslated
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | ≤ %.1f× |\n", row.Scenario.Name,
			us(d.CPUPerRequest()), us(f.CPUPerRequest()), us(g.CPUPerRequest()),
			ratio(g.CPUPerRequest(), f.CPUPerRequest()),
			us(f.C1CPUPerRequest()), us(g.C1CPUPerRequest()), ratio(g.C1CPUPerRequest(), f.C1CPUPerRequest()), target)
	}

	for _, phase := range []struct {
		title string
		res   func(*TargetResult) *Result
	}{
		{"Latency at concurrency 1 (µs, p50 / p99)", func(t *TargetResult) *Result { return t.C1 }},
		{fmt.Sprintf("Latency at %g requests/s, open loop (µs, p50 / p99, from when each request was due)", o.Rate),
			func(t *TargetResult) *Result { return t.Rate }},
	} {
		fmt.Fprintf(w, "\n### %s\n\n", phase.title)
		fmt.Fprintln(w, "| Scenario | direct | floor | gateway | gateway − direct | gateway − floor | errors |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
		for _, row := range r.Rows {
			d, f, g := phase.res(row.Targets[Direct]), phase.res(row.Targets[Floor]), phase.res(row.Targets[Gateway])
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %d |\n", row.Scenario.Name,
				pair(&d.Latency), pair(&f.Latency), pair(&g.Latency),
				added(&g.Latency, &d.Latency), added(&g.Latency, &f.Latency), d.Errors+f.Errors+g.Errors)
		}
	}

	fmt.Fprintf(w, "\n### Time in the gateway, by its own account\n\n")
	fmt.Fprintln(w, "The gateway's histogram `switchyard_overhead_seconds` (a request's handler time less the time "+
		"spent waiting on its upstream: the attempt, and for a stream the reads of its chunks), read from its "+
		"`/metrics` before and after each phase. µs, p50 / p99, interpolated within the histogram's buckets "+
		"(10, 25, 50, 100, 250, 500 µs, 1 ms, …): coarse. Set against the latency tables, it tells the "+
		"gateway's own work from the waits it shares with the floor (the network path, the upstream, the machine's "+
		"scheduling).")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| Scenario | at c=1 | at %g/s | requests observed |\n", o.Rate)
	fmt.Fprintln(w, "|---|--:|--:|--:|")
	for _, row := range r.Rows {
		g := row.Targets[Gateway]
		fmt.Fprintf(w, "| %s | %s | %s | %d |\n", row.Scenario.Name, quantiles(g.C1Overhead), quantiles(g.RateOverhead),
			g.C1Overhead.Count()+g.RateOverhead.Count())
	}

	fmt.Fprintf(w, "\n### The billing flush, by its own account\n\n")
	fmt.Fprintln(w, "The gateway's billing metrics over each phase: the generation records written, the wall time "+
		"of the flushes that wrote them a record (waits for a core included: the flusher runs at low OS priority), "+
		"and how many of those flushes ran at the process's priority instead (`switchyard_billing_flushes_total`: "+
		"a late flush, or those after one that waited long for a core).")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| Scenario | at c=1 | at %g/s |\n", o.Rate)
	fmt.Fprintln(w, "|---|--:|--:|")
	for _, row := range r.Rows {
		g := row.Targets[Gateway]
		fmt.Fprintf(w, "| %s | %s | %s |\n", row.Scenario.Name, g.C1Flush, g.RateFlush)
	}

	fmt.Fprintf(w, "\n### Capacity, time to first byte, memory\n\n")
	fmt.Fprintf(w, "Max RPS: the highest rate tried whose p99 stayed under %s with no errors. "+
		"TTFB at concurrency 1 (µs, p50 / p99). Peak RSS: the highest VmRSS sampled during the scenario.\n\n", o.LatencyBound)
	fmt.Fprintln(w, "| Scenario | max RPS floor | max RPS gateway | TTFB floor | TTFB gateway | TTFB gateway − floor | peak RSS floor | peak RSS gateway |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, row := range r.Rows {
		f, g := row.Targets[Floor], row.Targets[Gateway]
		ttfbF, ttfbG, ttfbAdded := "—", "—", "—"
		if row.Scenario.Stream {
			ttfbF, ttfbG, ttfbAdded = pair(&f.C1.TTFB), pair(&g.C1.TTFB), added(&g.C1.TTFB, &f.C1.TTFB)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %s | %s | %s | %s | %s |\n", row.Scenario.Name, f.MaxRPS, g.MaxRPS,
			ttfbF, ttfbG, ttfbAdded, mib(f.PeakRSS), mib(g.PeakRSS))
	}
}

// TargetCheck is one target of the issue against what a run measured.
type TargetCheck struct {
	Name, Measured string
	Met            bool
}

// Targets checks the measurable targets.
func (r *Report) Targets() []TargetCheck {
	var out []TargetCheck
	for _, row := range r.Rows {
		f, g := row.Targets[Floor], row.Targets[Gateway]
		limit := TargetCPURatio
		if row.Scenario.Protocol != ProtocolOpenAI {
			limit = TargetCPURatioTranslated
		}
		fc, gc := f.CPUPerRequest(), g.CPUPerRequest()
		out = append(out, TargetCheck{
			Name:     fmt.Sprintf("%s: CPU/request ≤ %.1f× floor", row.Scenario.Name, limit),
			Measured: ratio(gc, fc),
			Met:      fc > 0 && float64(gc) <= limit*float64(fc),
		})
		p50, p99 := g.C1.Latency.P50()-f.C1.Latency.P50(), g.C1.Latency.P99()-f.C1.Latency.P99()
		out = append(out, TargetCheck{
			Name:     fmt.Sprintf("%s: added latency at c=1 over the floor, p50 ≤ +%d µs, p99 ≤ +%d µs", row.Scenario.Name, TargetAddedP50.Microseconds(), TargetAddedP99.Microseconds()),
			Measured: signedUS(p50) + " / " + signedUS(p99) + " µs",
			Met:      p50 <= TargetAddedP50 && p99 <= TargetAddedP99,
		})
	}
	for _, run := range r.Idle {
		i := run.Gateway
		if i == nil {
			continue
		}
		out = append(out, TargetCheck{
			Name: fmt.Sprintf("%d idle streams (upstream over %s): ≤ %d KiB each, none stalled", i.Wanted, run.Upstream,
				TargetIdleStreamBytes>>10),
			Measured: fmt.Sprintf("%.1f KiB each, %d stalled, %d failed%s", float64(i.PerStream())/1024, i.Stalled, i.Failed, floorScale(i, run.Floor)),
			Met:      i.Opened == i.Wanted && i.PerStream() <= TargetIdleStreamBytes,
		})
	}
	return out
}

// writeIdle writes the idle streams' table.
func writeIdle(w io.Writer, r *Report) {
	fmt.Fprintf(w, "\n### Idle streams\n\n")
	fmt.Fprintln(w, "Each stream gets its first chunk, then nothing. Per stream: the growth of the process's RSS "+
		"with all of them open, divided by their number; the floor holds the same streams for scale. Each "+
		"upstream connection carries one stream over HTTP/1.1; over HTTP/2 (TLS, as hosted providers are reached) "+
		"one carries up to the upstream's limit of concurrent streams (Go's server: 250).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| through | upstream | streams | opened | stalled | failed | time to open | RSS before → after | per stream | a request meanwhile |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, run := range r.Idle {
		for _, t := range []struct {
			name string
			res  *IdleResult
		}{{Floor, run.Floor}, {Gateway, run.Gateway}} {
			if i := t.res; i != nil {
				fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %s | %s → %s | %.1f KiB | %s |\n", t.name, run.Upstream,
					i.Wanted, i.Opened, i.Stalled, i.Failed, i.OpenTime.Round(time.Millisecond), mib(i.RSSBefore), mib(i.RSSAfter),
					float64(i.PerStream())/1024, us(i.Probe))
			}
		}
	}
	for _, run := range r.Idle {
		if i := run.Gateway; i != nil && i.Requested > i.Wanted {
			fmt.Fprintf(w, "\nOver %s, %d streams, not %d: RLIMIT_NOFILE (%d) must cover %d descriptors per stream in the "+
				"process that holds them, and could not be raised here.\n", run.Upstream, i.Wanted, i.Requested, r.FileLimit,
				run.FilesPerStream)
		}
		for _, i := range []*IdleResult{run.Floor, run.Gateway} {
			if i != nil && i.FirstError != "" {
				fmt.Fprintf(w, "\nFirst error over %s: `%s`\n", run.Upstream, i.FirstError)
			}
		}
	}
}

// floorScale renders the gateway's memory per idle stream relative to
// the floor's, when the floor's was measured.
func floorScale(gw, floor *IdleResult) string {
	if floor == nil || floor.PerStream() <= 0 {
		return ""
	}
	return fmt.Sprintf(" (floor %.1f KiB: %.2f×)", float64(floor.PerStream())/1024, float64(gw.PerStream())/float64(floor.PerStream()))
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "an unnamed host"
	}
	return "host " + h
}

// UpdateFile writes the report's tables into the file at path between
// the generated-results markers, keeping the text around them; a file
// without the markers (or none at all) gets preface, then the tables.
func UpdateFile(path, preface string, r *Report) error {
	var tables bytes.Buffer
	r.Markdown(&tables)
	generated := beginMarker + "\n\n" + tables.String() + "\n" + endMarker + "\n"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var out string
	b, rest, ok1 := strings.Cut(string(old), beginMarker)
	_, after, ok2 := strings.Cut(rest, endMarker)
	if ok1 && ok2 {
		out = b + generated + strings.TrimPrefix(after, "\n")
	} else {
		out = preface + "\n" + generated
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
