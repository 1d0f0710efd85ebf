package health

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector returns a Prometheus collector of the health of every endpoint
// of r, labelled by provider and model:
//
//	switchyard_endpoint_uptime{window="5m|30m|1d"}           (only with requests in the window)
//	switchyard_endpoint_requests{window="5m|30m|1d"}
//	switchyard_endpoint_recent_outage                        (0 or 1)
//	switchyard_endpoint_latency_ms{window="5m|30m",quantile}  (only with data)
//	switchyard_endpoint_throughput_tps{window="5m|30m",quantile}
//	switchyard_endpoint_tool_call_error_rate                 (only with tool calls in 30 min)
//	switchyard_endpoint_breaker_state                        (0 closed, 1 half-open, 2 open)
//
// quantile is one of 0.5, 0.75, 0.9, 0.99. Values are read at scrape time.
func Collector(r *Registry) prometheus.Collector { return &collector{r: r} }

var (
	endpointLabels = []string{"provider", "model"}
	windowLabels   = []string{"provider", "model", "window"}
	quantileLabels = []string{"provider", "model", "window", "quantile"}

	uptimeDesc = prometheus.NewDesc("switchyard_endpoint_uptime",
		"Successes / (successes + errors) over the window; rate limits and client errors excluded.",
		windowLabels, nil)
	requestsDesc = prometheus.NewDesc("switchyard_endpoint_requests",
		"Requests counted in the uptime over the window (successes + errors).",
		windowLabels, nil)
	outageDesc = prometheus.NewDesc("switchyard_endpoint_recent_outage",
		"1 when at least 3 failures made at least half of the requests in the last 30 seconds.",
		endpointLabels, nil)
	latencyDesc = prometheus.NewDesc("switchyard_endpoint_latency_ms",
		"Time to first token in milliseconds, quantiles over the window.",
		quantileLabels, nil)
	throughputDesc = prometheus.NewDesc("switchyard_endpoint_throughput_tps",
		"Output tokens per second of generation, quantiles over the window.",
		quantileLabels, nil)
	toolErrorsDesc = prometheus.NewDesc("switchyard_endpoint_tool_call_error_rate",
		"Invalid tool calls / tool calls over the last 30 minutes.",
		endpointLabels, nil)
	breakerDesc = prometheus.NewDesc("switchyard_endpoint_breaker_state",
		"Circuit breaker state: 0 closed, 1 half-open, 2 open.",
		endpointLabels, nil)
)

// quantileNames are the quantile label values, matching quantiles.
var quantileNames = func() (q [len(quantiles)]string) {
	for i, v := range quantiles {
		q[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return q
}()

type collector struct{ r *Registry }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{uptimeDesc, requestsDesc, outageDesc,
		latencyDesc, throughputDesc, toolErrorsDesc, breakerDesc} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.r.Each(func(provider, model string, e *Endpoint) {
		collectEndpoint(ch, provider, model, e.Stats())
	})
}

// collectEndpoint sends the metrics of one endpoint.
func collectEndpoint(ch chan<- prometheus.Metric, provider, model string, s Stats) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v,
			append([]string{provider, model}, labels...)...)
	}
	for _, w := range []struct {
		name     string
		uptime   float64
		requests int64
	}{
		{"5m", s.Uptime5m, s.Requests5m},
		{"30m", s.Uptime30m, s.Requests30m},
		{"1d", s.Uptime1d, s.Requests1d},
	} {
		gauge(requestsDesc, float64(w.requests), w.name)
		if w.requests > 0 {
			gauge(uptimeDesc, w.uptime, w.name)
		}
	}
	gauge(outageDesc, b2f(s.RecentOutage))
	for _, d := range []struct {
		desc   *prometheus.Desc
		window string
		p      Percentiles
	}{
		{latencyDesc, "5m", s.Latency5m},
		{latencyDesc, "30m", s.Latency30m},
		{throughputDesc, "5m", s.Throughput5m},
		{throughputDesc, "30m", s.Throughput30m},
	} {
		if d.p.Count == 0 {
			continue
		}
		for i, v := range [...]float64{d.p.P50, d.p.P75, d.p.P90, d.p.P99} {
			gauge(d.desc, v, d.window, quantileNames[i])
		}
	}
	if s.ToolCalls30m > 0 {
		gauge(toolErrorsDesc, s.ToolCallErrorRate30m)
	}
	gauge(breakerDesc, breakerGauge(s.Breaker))
}

// breakerGauge is the metric value of a breaker state.
func breakerGauge(s BreakerState) float64 {
	switch s {
	case BreakerHalfOpen:
		return 1
	case BreakerOpen:
		return 2
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
