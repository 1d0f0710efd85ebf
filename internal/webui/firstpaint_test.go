package webui_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
)

// cpuMetrics are the renderer's main-thread CPU times (seconds) since the
// page's navigation: all tasks, scripts, layout and style.
func cpuMetrics(ctx context.Context, t *chromedp.Target) (map[string]float64, error) {
	res, err := cdp.Call(ctx, t, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, m := range res.Metrics {
		out[m.Name] = m.Value
	}
	return out, nil
}

func enableCPUMetrics(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
	_, err := cdp.Call(ctx, t, performance.Enable, performance.EnableParams{TimeDomain: performance.EnableTimeDomainThreadTicks})
	return chromedp.Void{}, err
}

// firstPaintEnv, set to a number of rounds, runs TestFirstPaint.
const firstPaintEnv = "SWITCHYARD_FIRST_PAINT"

// paintProbeJS is a page's first contentful paint, serving time, size
// and what blocked its rendering, once it has painted (false before).
const paintProbeJS = `(() => {
  const p = performance.getEntriesByName("first-contentful-paint")[0];
  const n = performance.getEntriesByType("navigation")[0];
  if (!p || !n) return false;
  const blocking = performance.getEntriesByType("resource")
    .filter(r => r.renderBlockingStatus === "blocking" && r.startTime < p.startTime)
    .map(r => r.name.replace(/^.*\/ui\/static\//, "").replace(/\?.*$/, "") + " " + Math.round(r.duration) + "ms");
  return {fcp: p.startTime, served: n.responseEnd, size: n.decodedBodySize,
    nodes: document.getElementsByTagName("*").length, blocking: blocking.join(", ")};
})()`

type paintProbe struct {
	FCP      float64 `json:"fcp"`
	Served   float64 `json:"served"`
	Size     int     `json:"size"`
	Nodes    int     `json:"nodes"`
	Blocking string  `json:"blocking"`
}

// TestFirstPaint measures each page's first contentful paint in headless
// Chromium over several rounds (SWITCHYARD_FIRST_PAINT=rounds) and logs
// the minimum and the median: on a shared machine single paints vary by
// hundreds of milliseconds with the load, and the minimum is the page's
// own cost. The first round loads the assets into the browser's cache, as
// a visitor's first page does; it is logged apart.
func TestFirstPaint(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv(firstPaintEnv))
	if rounds <= 0 {
		t.Skipf("set %s to a number of rounds to measure the pages' first paint", firstPaintEnv)
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is missing", chromiumPath)
	}
	s := startServer(t)
	s.sendTraffic(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Duration(rounds+1)*60*time.Second)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(s.base+"/signin"),
		chromedp.WaitVisible(chromedp.CSS("#key")), chromedp.SetValue(chromedp.CSS("#key"), s.mgmt),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .key-label"))); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/models", "/models?sort=used", "/models?sort=throughput", "/models/openai/gpt-4o-mini",
		"/rankings", "/activity", "/keys", "/credits", "/admin", "/playground", "/signin"}
	if _, err := chromedp.Run(ctx, enableCPUMetrics); err != nil {
		t.Fatal(err)
	}
	fcp := map[string][]float64{}
	cpu := map[string][]string{}
	served := map[string][]float64{}
	for round := 0; round <= rounds; round++ {
		for _, p := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(s.base+p)); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			probe, err := chromedp.Run(ctx, chromedp.Poll[paintProbe](paintProbeJS, chromedp.WithPollingTimeout(10*time.Second)))
			if err != nil {
				t.Fatalf("%s: no first contentful paint: %v", p, err)
			}
			after, err := chromedp.Run(ctx, cpuMetrics)
			if err != nil {
				t.Fatal(err)
			}
			ms := func(k string) float64 { return after[k] * 1000 }
			cpu[p] = append(cpu[p], fmt.Sprintf("task %.0f script %.0f layout %.0f style %.0f",
				ms("TaskDuration"), ms("ScriptDuration"), ms("LayoutDuration"), ms("RecalcStyleDuration")))
			if round == 0 {
				t.Logf("first visit %-28s FCP %6.1f ms, served %5.1f ms, %6d bytes, %5d elements; blocking: %s",
					p, probe.FCP, probe.Served, probe.Size, probe.Nodes, probe.Blocking)
				continue
			}
			fcp[p] = append(fcp[p], probe.FCP)
			served[p] = append(served[p], probe.Served)
		}
	}
	var rows []string
	for _, p := range pages {
		rows = append(rows, fmt.Sprintf("%-28s FCP min %6.1f median %6.1f ms; served min %5.1f median %5.1f ms",
			p, slices.Min(fcp[p]), median(fcp[p]), slices.Min(served[p]), median(served[p])))
	}
	t.Logf("over %d rounds:\n%s", rounds, strings.Join(rows, "\n"))
	for _, p := range pages {
		t.Logf("renderer CPU ms %-28s %s", p, strings.Join(cpu[p], " | "))
	}
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
