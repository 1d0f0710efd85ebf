package simulate

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// How often progress is shown: on a terminal the line is rewritten in
// place, elsewhere (a log file, CI) a new line is printed now and then.
const (
	ttyInterval  = 250 * time.Millisecond
	logInterval  = 5 * time.Second
	rateWindow   = 2 * time.Second // the rate shown is over about this long
	progressBars = 24              // the width of the bar
)

// snapshot is the state of a run that progress shows.
type snapshot struct {
	elapsed                time.Duration
	sent, ok, failed, busy int // busy: in flight
	burst                  bool
}

// sample is one point of the rate's window.
type sample struct {
	at   time.Duration
	sent int
}

// progress shows a run's progress on a writer.
type progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	// duration and requests bound the run, for the bar; zero is unbounded.
	duration time.Duration
	requests int
	samples  []sample
}

func newProgress(w io.Writer, duration time.Duration, requests int) *progress {
	p := &progress{w: w, tty: isTerminal(w), interval: logInterval, duration: duration, requests: requests}
	if p.tty {
		p.interval = ttyInterval
	}
	return p
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run shows progress every interval until done is closed, then once more
// for the end.
func (p *progress) run(done <-chan struct{}, snap func() snapshot) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			p.show(snap(), true)
			return
		case <-t.C:
			p.show(snap(), false)
		}
	}
}

// show writes one progress line: in place on a terminal (the last one
// ends the line), else as a line of its own.
func (p *progress) show(s snapshot, last bool) {
	if last {
		p.samples = p.samples[:0] // the rate of the whole run
	}
	if !p.tty {
		fmt.Fprintln(p.w, "simulate: "+p.line(s))
		return
	}
	end := ""
	if last {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r%s\x1b[K%s", p.line(s), end)
}

// line renders a snapshot.
func (p *progress) line(s snapshot) string {
	var b strings.Builder
	elapsed := s.elapsed.Round(100 * time.Millisecond).String()
	if p.tty {
		elapsed = fmt.Sprintf("%6s", elapsed) // the line is rewritten: keep it still
	}
	b.WriteString(elapsed)
	if f, ok := p.fraction(s); ok {
		done := int(f * progressBars)
		fmt.Fprintf(&b, " [%s%s] %3.0f%%", strings.Repeat("=", done), strings.Repeat(" ", progressBars-done), 100*f)
	}
	fmt.Fprintf(&b, "  sent %d  ok %d  failed %d  in flight %d  %.1f req/s", s.sent, s.ok, s.failed, s.busy, p.rate(s))
	if s.burst {
		b.WriteString("  (burst)")
	}
	return b.String()
}

// fraction returns how much of a bounded run is done: of its duration or
// of its requests, whichever ends it first.
func (p *progress) fraction(s snapshot) (float64, bool) {
	f, bounded := 0.0, false
	if p.duration > 0 {
		f, bounded = float64(s.elapsed)/float64(p.duration), true
	}
	if p.requests > 0 {
		f, bounded = max(f, float64(s.sent)/float64(p.requests)), true
	}
	return min(f, 1), bounded
}

// rate returns the rate of requests sent over the recent window, or since
// the start before there is a window.
func (p *progress) rate(s snapshot) float64 {
	p.samples = append(p.samples, sample{s.elapsed, s.sent})
	for len(p.samples) > 2 && s.elapsed-p.samples[1].at >= rateWindow {
		p.samples = p.samples[1:]
	}
	first := sample{}
	if len(p.samples) > 1 {
		first = p.samples[0]
	}
	dt := (s.elapsed - first.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(s.sent-first.sent) / dt
}
