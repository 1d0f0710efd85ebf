package webui

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/health"
)

func ptr(v float64) *float64 { return &v }

func TestSparkline(t *testing.T) {
	pct := func(v float64) string { return percent(v) }
	if s := newSparkline("Uptime", make([]*float64, 60), 0, 1, pct); s != nil {
		t.Errorf("no data drew %+v", s)
	}
	// Minutes 0–2 on a fixed 0–1 scale, a gap, then a lone minute 5.
	values := []*float64{ptr(1), ptr(0.5), ptr(0), nil, nil, ptr(1), nil}
	s := newSparkline("Uptime", values, 0, 1, pct)
	if want := "M0 2.0 L1 10.0 L2 18.0"; s.Path != want {
		t.Errorf("path %q, want %q", s.Path, want)
	}
	if want := "M5 2.0 h0"; s.Dots != want {
		t.Errorf("dots %q, want %q", s.Dots, want)
	}
	if want := "Uptime per minute over the last hour: 0.0% to 100.0%, latest 100.0% (4 of 7 minutes with data)"; s.Label != want {
		t.Errorf("label %q, want %q", s.Label, want)
	}
	// Its own extremes; a value out of a fixed scale is clamped.
	s = newSparkline("Latency", []*float64{ptr(200), ptr(100), ptr(300)}, -1, -1, func(v float64) string { return fixed(0, v) })
	if want := "M0 10.0 L1 18.0 L2 2.0"; s.Path != want {
		t.Errorf("own scale: path %q, want %q", s.Path, want)
	}
	s = newSparkline("Uptime", []*float64{ptr(2), ptr(-1)}, 0, 1, pct)
	if want := "M0 2.0 L1 18.0"; s.Path != want {
		t.Errorf("clamped: path %q, want %q", s.Path, want)
	}
	// A flat line sits in the middle.
	s = newSparkline("Latency", []*float64{ptr(50), ptr(50)}, -1, -1, func(v float64) string { return fixed(0, v) })
	if want := "M0 10.0 L1 10.0"; s.Path != want {
		t.Errorf("flat: path %q, want %q", s.Path, want)
	}
}

func TestSparksOf(t *testing.T) {
	h := make([]health.HistoryPoint, health.HistoryMinutes)
	h[10] = health.HistoryPoint{Requests: 4, Uptime: 0.75}
	h[11] = health.HistoryPoint{Requests: 2, Uptime: 1, LatencyP50: 120, LatencyCount: 2}
	sp := sparksOf(h)
	if sp.Uptime == nil || sp.Latency == nil || sp.Throughput != nil {
		t.Fatalf("sparks %+v: want uptime and latency, no throughput", sp)
	}
	if want := "M10 6.0 L11 2.0"; sp.Uptime.Path != want {
		t.Errorf("uptime path %q, want %q", sp.Uptime.Path, want)
	}
	if sp.Latency.Path != "" || sp.Latency.Dots != "M11 10.0 h0" {
		t.Errorf("latency path %q and dots %q, want one dot", sp.Latency.Path, sp.Latency.Dots)
	}
}

// TestModelPageSparklines shows the live last hour of an endpoint with
// traffic as inline SVG, and none for an endpoint without.
func TestModelPageSparklines(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	const model = "openai/gpt-4o-mini"
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/models/"+model+"/endpoints", nil)
	var eps struct {
		Data struct {
			Endpoints []struct {
				Name string `json:"provider_name"`
				Slug string `json:"provider_slug"`
			} `json:"endpoints"`
		} `json:"data"`
	}
	e.apiJSON(t, req, &eps)
	if len(eps.Data.Endpoints) < 2 {
		t.Fatalf("%s has %d endpoints; the test needs two", model, len(eps.Data.Endpoints))
	}
	busy := eps.Data.Endpoints[0]
	ep := e.ui.health.Endpoint(busy.Slug, model)
	for range 3 {
		ep.Record(health.Outcome{Success: true, TTFT: 150 * time.Millisecond, OutputTokens: 40, Generation: time.Second})
	}
	ep.Record(health.Outcome{})

	page := e.client().get("/models/" + model)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("status %d", page.StatusCode)
	}
	rows := regexp.MustCompile(`(?s)<tr>\s*<td>(.*?)</tr>`).FindAllStringSubmatch(page.body, -1)
	seen := 0
	for _, row := range rows {
		name, _, _ := strings.Cut(row[1], "<")
		name = strings.TrimSpace(name)
		sparks := strings.Count(row[1], `<svg class="spark"`)
		switch {
		case strings.Contains(row[1], busy.Name+" ") || name == busy.Name:
			seen++
			if sparks != 3 {
				t.Errorf("%s (with traffic): %d sparklines, want 3", name, sparks)
			}
			for _, want := range []string{"Uptime per minute over the last hour: 75.0%", "Median latency per minute",
				"Median throughput per minute", `class="dots" d="M59 `, `vector-effect="non-scaling-stroke"`} {
				if !strings.Contains(row[1], want) {
					t.Errorf("%s: the row lacks %q", name, want)
				}
			}
			if m := regexp.MustCompile(`data-value="([^"]*)">75.0%`).FindStringSubmatch(row[1]); m == nil || m[1] != "0.75" {
				t.Errorf("%s: the uptime cell's data-value is %v, want 0.75", name, m)
			}
		case sparks != 0:
			t.Errorf("%s (no traffic): %d sparklines", name, sparks)
		}
	}
	if seen != 1 {
		t.Errorf("found %d rows of %s", seen, busy.Name)
	}
	if strings.Contains(page.body, " style=") {
		t.Error("the page has a style attribute (the CSP forbids them)")
	}
}
