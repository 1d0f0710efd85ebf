package simulate

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// Report is what a run did.
type Report struct {
	// BaseURL is the API base the run used, e.g. http://127.0.0.1:8080/api/v1.
	BaseURL string
	// Seed reproduces the run's choices (not the gateway's answers).
	Seed int64
	// Elapsed is the run's duration, the wait for the last answers
	// included.
	Elapsed time.Duration
	// Requests counts the requests sent: OK, plus the sum of Errors,
	// plus Cancelled. OK counts complete successful answers.
	Requests int
	OK       int
	// Errors counts failed requests by cause: the HTTP status ("503"),
	// "stream" for a stream that failed after its 200, "transport" for no
	// response, "timeout", or "invalid" for a 200 that is no completion.
	Errors map[string]int
	// Cancelled counts the requests cut short by the end of the run's
	// context.
	Cancelled int
	// Streamed and WithFallbacks count the requests that asked for a
	// stream and that listed fallback models.
	Streamed, WithFallbacks int
	// Waited counts the arrivals that found every concurrency slot busy
	// and waited for one: the rate the run reached was below its target.
	Waited int
	// Tokens and Spend add up the usage of every response that had one,
	// failed streams included (what they were charged).
	PromptTokens, CompletionTokens int64
	Spend                          money.Amount
	// LatencyP50 and LatencyP99 are of successful requests, from sending
	// the request to the end of the response.
	LatencyP50, LatencyP99 time.Duration
	// Apps are the synthetic apps the run sent traffic as.
	Apps []App
	// ByApp, ByModel (the first choice of each request) and ByCategory
	// (of its prompt) break the requests down; cancelled ones are left out.
	ByApp, ByModel, ByCategory map[string]Tally
}

// Tally counts the requests of an app, a model or a category.
type Tally struct {
	Requests, OK int
	Spend        money.Amount
}

// Errored returns the number of failed requests.
func (r *Report) Errored() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// stats accumulates outcomes into a Report. It is guarded by the runner.
type stats struct {
	rep       Report
	latencies []time.Duration
	// transportRun counts consecutive transport failures.
	transportRun int
}

func newStats(base string, seed int64, apps []App) *stats {
	return &stats{rep: Report{
		BaseURL: base, Seed: seed, Apps: apps, Errors: map[string]int{},
		ByApp: map[string]Tally{}, ByModel: map[string]Tally{}, ByCategory: map[string]Tally{},
	}}
}

func (s *stats) add(o outcome) {
	r := &s.rep
	r.Requests++
	if o.plan.stream {
		r.Streamed++
	}
	if o.plan.fallback {
		r.WithFallbacks++
	}
	r.PromptTokens += o.usage.PromptTokens
	r.CompletionTokens += o.usage.CompletionTokens
	r.Spend += o.cost
	if o.cancelled {
		r.Cancelled++
		return
	}
	ok := o.cause == ""
	if ok {
		r.OK++
		s.latencies = append(s.latencies, o.latency)
	} else {
		r.Errors[o.cause]++
	}
	if o.cause == causeTransport {
		s.transportRun++
	} else {
		s.transportRun = 0
	}
	tally(r.ByApp, o.plan.app.Name, ok, o.cost)
	tally(r.ByModel, o.plan.model, ok, o.cost)
	tally(r.ByCategory, o.plan.category, ok, o.cost)
}

func tally(m map[string]Tally, key string, ok bool, cost money.Amount) {
	t := m[key]
	t.Requests++
	if ok {
		t.OK++
	}
	t.Spend += cost
	m[key] = t
}

// report returns the report of a run that took elapsed.
func (s *stats) report(elapsed time.Duration, waited int) Report {
	r := s.rep
	r.Elapsed, r.Waited = elapsed, waited
	sorted := slices.Sorted(slices.Values(s.latencies))
	r.LatencyP50, r.LatencyP99 = percentile(sorted, 50), percentile(sorted, 99)
	r.Errors = maps.Clone(r.Errors)
	r.ByApp, r.ByModel, r.ByCategory = maps.Clone(r.ByApp), maps.Clone(r.ByModel), maps.Clone(r.ByCategory)
	return r
}

// percentile returns the p-th percentile of sorted by the nearest-rank
// method, 0 for none.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}

// Format writes the report as a summary and three tables: by app, by
// model and by category.
func (r *Report) Format(w io.Writer) error {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Requests) / r.Elapsed.Seconds()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Sent %d requests in %s (%.1f/s) to %s, seed %d.\n",
		r.Requests, r.Elapsed.Round(100*time.Millisecond), rate, r.BaseURL, r.Seed)
	fmt.Fprintf(&b, "  %d ok, %d failed%s", r.OK, r.Errored(), r.errorList())
	if r.Cancelled > 0 {
		fmt.Fprintf(&b, ", %d cancelled", r.Cancelled)
	}
	fmt.Fprintf(&b, "; %d streamed, %d with fallback models.\n", r.Streamed, r.WithFallbacks)
	fmt.Fprintf(&b, "  Tokens: %d prompt, %d completion. Spend: %s.\n", r.PromptTokens, r.CompletionTokens, usd(r.Spend))
	if r.OK > 0 {
		fmt.Fprintf(&b, "  Latency of successful requests: p50 %s, p99 %s.\n", roundLatency(r.LatencyP50), roundLatency(r.LatencyP99))
	}
	if r.Waited > 0 {
		fmt.Fprintf(&b, "  %d arrivals waited for one of the busy concurrency slots: more concurrency would reach the target rate.\n", r.Waited)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	private := map[string]bool{}
	for _, a := range r.Apps {
		private[a.Name] = a.Private
	}
	tables := []struct {
		title string
		rows  map[string]Tally
		label func(string) string
	}{
		{"APP", r.ByApp, func(name string) string {
			if private[name] {
				return name + " (private)"
			}
			return name
		}},
		{"MODEL", r.ByModel, nil},
		{"CATEGORY", r.ByCategory, nil},
	}
	for _, t := range tables {
		if err := writeTally(w, t.title, t.rows, t.label); err != nil {
			return err
		}
	}
	return nil
}

// errorList renders the error counts as " (503: 4, stream: 1)", most
// frequent first.
func (r *Report) errorList() string {
	if len(r.Errors) == 0 {
		return ""
	}
	keys := slices.SortedFunc(maps.Keys(r.Errors), func(a, b string) int {
		return cmp.Or(cmp.Compare(r.Errors[b], r.Errors[a]), strings.Compare(a, b))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + strconv.Itoa(r.Errors[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// writeTally writes a table of tallies, most requests first.
func writeTally(w io.Writer, title string, rows map[string]Tally, label func(string) string) error {
	if len(rows) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(rows), func(a, b string) int {
		return cmp.Or(cmp.Compare(rows[b].Requests, rows[a].Requests), strings.Compare(a, b))
	})
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tREQUESTS\tOK\tSPEND\n", title)
	for _, k := range keys {
		name := k
		if label != nil {
			name = label(k)
		}
		t := rows[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", name, t.Requests, t.OK, usd(t.Spend))
	}
	return tw.Flush()
}

// usd renders an amount exactly, as "$0.000123".
func usd(a money.Amount) string {
	if s, neg := strings.CutPrefix(a.String(), "-"); neg {
		return "-$" + s
	}
	return "$" + a.String()
}

// roundLatency rounds a latency to a readable precision.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}
