package health

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// newMetricsRegistry returns a registry with a busy endpoint (acme) whose
// breaker is open, and an idle one (zeta).
func newMetricsRegistry() *Registry {
	clock := newFakeClock()
	r := NewRegistry(Options{Now: clock.Now})
	r.Endpoint("zeta", "z/m")
	e := r.Endpoint("acme", "a/m")
	e.Record(Outcome{Success: true, TTFT: 100 * time.Millisecond, OutputTokens: 200, Generation: 2 * time.Second, ToolCalls: 4, ToolCallErrors: 1})
	clock.Advance(10 * time.Minute) // out of the 5-minute window
	e.Record(limitOutcome)
	for range 3 {
		e.Record(errOutcome)
	}
	return r
}

func TestCollector(t *testing.T) {
	want := `
# HELP switchyard_endpoint_breaker_state Circuit breaker state: 0 closed, 1 half-open, 2 open.
# TYPE switchyard_endpoint_breaker_state gauge
switchyard_endpoint_breaker_state{model="a/m",provider="acme"} 2
switchyard_endpoint_breaker_state{model="z/m",provider="zeta"} 0
# HELP switchyard_endpoint_recent_outage 1 when at least 3 failures made at least half of the requests in the last 30 seconds.
# TYPE switchyard_endpoint_recent_outage gauge
switchyard_endpoint_recent_outage{model="a/m",provider="acme"} 1
switchyard_endpoint_recent_outage{model="z/m",provider="zeta"} 0
# HELP switchyard_endpoint_requests Requests counted in the uptime over the window (successes + errors).
# TYPE switchyard_endpoint_requests gauge
switchyard_endpoint_requests{model="a/m",provider="acme",window="1d"} 4
switchyard_endpoint_requests{model="a/m",provider="acme",window="30m"} 4
switchyard_endpoint_requests{model="a/m",provider="acme",window="5m"} 3
switchyard_endpoint_requests{model="z/m",provider="zeta",window="1d"} 0
switchyard_endpoint_requests{model="z/m",provider="zeta",window="30m"} 0
switchyard_endpoint_requests{model="z/m",provider="zeta",window="5m"} 0
# HELP switchyard_endpoint_tool_call_error_rate Invalid tool calls / tool calls over the last 30 minutes.
# TYPE switchyard_endpoint_tool_call_error_rate gauge
switchyard_endpoint_tool_call_error_rate{model="a/m",provider="acme"} 0.25
# HELP switchyard_endpoint_uptime Successes / (successes + errors) over the window; rate limits and client errors excluded.
# TYPE switchyard_endpoint_uptime gauge
switchyard_endpoint_uptime{model="a/m",provider="acme",window="1d"} 0.25
switchyard_endpoint_uptime{model="a/m",provider="acme",window="30m"} 0.25
switchyard_endpoint_uptime{model="a/m",provider="acme",window="5m"} 0
`
	c := Collector(newMetricsRegistry())
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"switchyard_endpoint_breaker_state", "switchyard_endpoint_recent_outage",
		"switchyard_endpoint_requests", "switchyard_endpoint_tool_call_error_rate",
		"switchyard_endpoint_uptime"); err != nil {
		t.Error(err)
	}
	// The names and the quantile label of the distribution gauges are
	// Switchyard's published interface, which the linter would rather see
	// as summaries with base units: those two complaints are accepted.
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		accepted := (p.Metric == "switchyard_endpoint_latency_ms" || p.Metric == "switchyard_endpoint_throughput_tps") &&
			(strings.Contains(p.Text, "abbreviated units") || strings.Contains(p.Text, `"quantile" label`))
		if !accepted {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

func TestCollectorDistributions(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(Collector(newMetricsRegistry()))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// The one sample (100 ms, 100 tokens/s) is only in the 30-minute
	// window, at every quantile, of the busy endpoint.
	want := map[string]float64{"switchyard_endpoint_latency_ms": 100, "switchyard_endpoint_throughput_tps": 100}
	for _, f := range families {
		v, ok := want[f.GetName()]
		if !ok {
			continue
		}
		delete(want, f.GetName())
		quantiles := map[string]bool{}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["provider"] != "acme" || labels["window"] != "30m" {
				t.Errorf("%s: unexpected series %v", f.GetName(), labels)
			}
			quantiles[labels["quantile"]] = true
			if g := m.GetGauge().GetValue(); !within(g, v, 0.05) {
				t.Errorf("%s%v = %v, want about %v", f.GetName(), labels, g, v)
			}
		}
		if len(quantiles) != 4 || !quantiles["0.5"] || !quantiles["0.75"] || !quantiles["0.9"] || !quantiles["0.99"] {
			t.Errorf("%s: quantiles %v", f.GetName(), quantiles)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing families %v", want)
	}
}
