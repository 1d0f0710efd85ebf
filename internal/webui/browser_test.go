package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/switchyard-dev/switchyard/internal/app"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/demo"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
)

// chromiumPath is the browser the test drives (Debian's chromium).
const chromiumPath = "/usr/bin/chromium"

// browserServer is app.Run in demo mode with an account holding an API
// key and a management key.
type browserServer struct {
	base      string
	key, mgmt string
}

// reliableProfiles are the demo's providers without their simulated
// failures: a playground answer cut by one (a mid-stream failure ends the
// stream with an error) is the demo working, not the UI failing.
func reliableProfiles() []demo.Profile {
	ps := demo.DefaultProfiles()
	for i := range ps {
		ps[i].FailureRate, ps[i].MidStreamFailureRate = 0, 0
	}
	return ps
}

// startServer creates the keys in a fresh SQLite database, then runs the
// app on it as `switchyard serve --demo` does, on a random port.
func startServer(t *testing.T) *browserServer {
	t.Helper()
	db := filepath.Join(t.TempDir(), "switchyard.db")
	ctx := t.Context()
	st, err := storeopen.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	key, acct, err := app.CreateKey(ctx, st, app.KeyRequest{Name: "browser", Credits: 10 * money.NanoPerUSD})
	if err != nil {
		t.Fatal(err)
	}
	mgmt, _, err := app.CreateKey(ctx, st, app.KeyRequest{Name: "browser-admin", AccountID: acct.ID, Management: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	cfg := config.Default()
	cfg.Addr, cfg.DB, cfg.Demo = "127.0.0.1:0", db, true
	cfg.ShutdownTimeout = 10 * time.Second
	runCtx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(runCtx, cfg, app.Env{Logger: slog.New(slog.DiscardHandler),
			Getenv: func(string) string { return "" }, Ready: func(addr string) { ready <- addr },
			DemoProfiles: reliableProfiles()})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("app.Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("app.Run did not stop within 20s")
		}
	})
	select {
	case addr := <-ready:
		return &browserServer{base: "http://" + addr, key: key.Reveal(), mgmt: mgmt.Reveal()}
	case err := <-done:
		t.Fatalf("app.Run returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("app.Run did not listen within 30s")
	}
	return nil
}

// sendTraffic makes streamed and non-streamed requests from two apps so
// that the rankings have something to chart, and waits until they do.
func (s *browserServer) sendTraffic(t *testing.T) {
	t.Helper()
	models := []string{"openai/gpt-4o-mini", "meta-llama/llama-3.3-70b-instruct", "deepseek/deepseek-chat",
		"openai/gpt-4o-mini", "mistralai/mistral-small", "openai/gpt-4o-mini"}
	prompts := []string{"Write a Go function that reverses a slice.", "Translate 'good morning' into French.",
		"What is the capital of Australia?"}
	var wg sync.WaitGroup
	for i, m := range models {
		wg.Go(func() {
			body := fmt.Sprintf(`{"model":%q,"max_tokens":40,"stream":%t,"messages":[{"role":"user","content":%q}]}`,
				m, i%2 == 0, prompts[i%len(prompts)])
			req, _ := http.NewRequest(http.MethodPost, s.base+"/api/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+s.key)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("HTTP-Referer", fmt.Sprintf("https://app%d.example", i%2))
			req.Header.Set("X-Title", fmt.Sprintf("Example app %d", i%2))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("traffic: %v", err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, s.base+"/api/v1/datasets/rankings-daily?days=2", nil)
		req.Header.Set("Authorization", "Bearer "+s.mgmt)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte(`"model_permaslug"`)) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the rankings did not show the traffic within 10s")
}

// consoleLog collects the page's errors: console.error calls, uncaught
// exceptions and error entries of the browser log (CSP violations,
// failed loads).
type consoleLog struct {
	mu     sync.Mutex
	errors []string
}

func (c *consoleLog) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, a.Description+string(a.Value))
			}
			msg = "console.error: " + strings.Join(parts, " ")
		}
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			msg = "log (" + string(ev.Entry.Source) + "): " + ev.Entry.Text + " " + ev.Entry.URL
		}
	}
	if msg != "" {
		c.mu.Lock()
		c.errors = append(c.errors, msg)
		c.mu.Unlock()
	}
}

// take returns the errors collected since the last call.
func (c *consoleLog) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.errors
	c.errors = nil
	return out
}

// canvasInk is a script counting the painted pixels of the first canvas
// in a chart figure.
const canvasInk = `(() => {
  const c = document.querySelector(%q + " canvas");
  if (!c || !c.width || !c.height) return 0;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
  return n;
})()`

// screenshotEnv, set to 1, makes TestBrowser write its screenshots over
// the committed ones in testdata/screenshots (which the README shows); set
// to a directory, there. Otherwise they go to a temporary directory, so
// that a test run leaves the work tree as it was. Refresh the committed
// ones with
//
//	SWITCHYARD_SCREENSHOTS=1 CI=1 go test ./internal/webui -run TestBrowser
const screenshotEnv = "SWITCHYARD_SCREENSHOTS"

// screenshotDir is where TestBrowser writes its screenshots.
func screenshotDir(t *testing.T) string {
	switch dir := os.Getenv(screenshotEnv); dir {
	case "":
		return t.TempDir()
	case "1":
		return filepath.Join("testdata", "screenshots")
	default:
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
}

// pageTiming is how fast a page was served and painted, in milliseconds
// from the start of its navigation.
type pageTiming struct {
	Page string  `json:"page"`
	FCP  float64 `json:"fcp"`    // first contentful paint
	TTFB float64 `json:"ttfb"`   // the response's first byte
	Done float64 `json:"served"` // the response's last byte
	Size int     `json:"size"`   // the page's bytes as transferred
}

// pageTimingJS is the page's pageTiming once it has painted (false before).
const pageTimingJS = `(() => {
  const p = performance.getEntriesByName("first-contentful-paint")[0];
  const n = performance.getEntriesByType("navigation")[0];
  if (!p || !n) return false;
  return {fcp: p.startTime, ttfb: n.responseStart, served: n.responseEnd, size: n.transferSize};
})()`

// logTimings logs the pages' timings for the README.
func logTimings(t *testing.T, timings []pageTiming) {
	for _, pt := range timings {
		t.Logf("%-18s first contentful paint %6.1f ms; first byte %5.1f ms, last %5.1f ms; %7d bytes",
			pt.Page, pt.FCP, pt.TTFB, pt.Done, pt.Size)
	}
}

// TestBrowser drives Chromium through every page of a demo server: no
// console errors or exceptions anywhere, charts drawn on the rankings,
// the playground streams a reply, a new key is shown once. It takes a
// 1280×800 screenshot of each page (see screenshotEnv for where).
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: install Debian's chromium (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s is missing: install Debian's chromium (apt-get install chromium) to run the browser test", chromiumPath)
	}
	s := startServer(t)
	s.sendTraffic(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	logs := &consoleLog{}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(logs.listen))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shots := screenshotDir(t)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkConsole := func(page string) {
		t.Helper()
		for _, e := range logs.take() {
			t.Errorf("%s: %s", page, e)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	// timings are each page's first contentful paint and serving time,
	// from the browser's own timing.
	var timings []pageTiming
	defer func() { logTimings(t, timings) }()
	visit := func(name, path, want string) {
		t.Helper()
		run(name, chromedp.Navigate(s.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if h := text("main h1"); !strings.Contains(h, want) {
			t.Errorf("%s: heading %q, want %q", name, h, want)
		}
		pt, err := chromedp.Run(ctx, chromedp.Poll[pageTiming](pageTimingJS, chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			t.Errorf("%s: no first contentful paint within 5s: %v", name, err)
			return
		}
		pt.Page = name
		timings = append(timings, pt)
	}
	signIn := func(key string) {
		t.Helper()
		run("sign in", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(s.base+"/signin"),
			chromedp.WaitVisible(chromedp.CSS("#key")), chromedp.SetValue(chromedp.CSS("#key"), key),
			chromedp.Click(chromedp.CSS("main form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("header .key-label")))
	}

	// Signed out: the catalog and the sign-in page.
	run("viewport", chromedp.EmulateViewport(1280, 800))
	visit("signin", "/signin", "Sign in")
	shot("signin")
	checkConsole("signin")

	// The management key: every page but the playground.
	signIn(s.mgmt)
	visit("models", "/models", "Models")
	shot("models")
	checkConsole("models")

	// On a phone the page fits the screen's width (tables scroll inside
	// their frames).
	run("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	visit("models on a phone", "/models?q=gpt", "Models")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if width > 390 {
		t.Errorf("on a 390 px wide phone the models page is %d px wide", width)
	}
	shot("models-phone")
	run("desktop", chromedp.EmulateViewport(1280, 800))

	visit("model", "/models/openai/gpt-4o-mini", "GPT-4o")
	run("model chart", chromedp.WaitVisible(chromedp.CSS("figure.chart.drawn canvas")))
	// The endpoints that served the traffic show their last hour.
	sparks, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll("#endpoints-table svg.spark path:is(.line, .dots)").length`))
	if err != nil {
		t.Fatal(err)
	}
	if sparks < 3 {
		t.Errorf("model: %d sparklines in the endpoints table, want at least 3", sparks)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`(() => { document.getElementById("endpoints-h").scrollIntoView(); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	shot("model")
	checkConsole("model")

	visit("rankings", "/rankings", "Rankings")
	for _, fig := range []string{"#chart-overtime", "#chart-authors", "#chart-categories", "#chart-value"} {
		run("rankings chart "+fig, chromedp.WaitVisible(chromedp.CSS(fig+" canvas")))
		ink, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(canvasInk, fig)))
		if err != nil {
			t.Fatalf("reading %s: %v", fig, err)
		}
		if ink == 0 {
			t.Errorf("rankings: chart %s has an empty canvas", fig)
		}
	}
	shot("rankings")
	checkConsole("rankings")

	visit("activity", "/activity", "Activity")
	run("activity chart", chromedp.WaitVisible(chromedp.CSS("#chart-tokens canvas")))
	shot("activity")
	checkConsole("activity")

	visit("keys", "/keys", "API keys")
	run("create key", chromedp.SetValue(chromedp.CSS("#name"), "from the browser"),
		chromedp.SetValue(chromedp.CSS("#limit"), "5"),
		chromedp.Click(chromedp.CSS("#create-key button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#new-key-value")))
	newKey := text("#new-key-value")
	if !strings.HasPrefix(newKey, "sk-sy-v1-") {
		t.Errorf("keys: the new key shown is %q", newKey)
	}
	shot("keys")
	run("reload keys", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#keys-table")))
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	if newKey != "" && strings.Contains(html, newKey) {
		t.Error("keys: the new key is shown again after a reload")
	}
	if !strings.Contains(html, "from the browser") {
		t.Error("keys: the new key is not listed")
	}
	checkConsole("keys")

	visit("credits", "/credits", "Credits")
	shot("credits")
	checkConsole("credits")

	visit("admin", "/admin", "Admin")
	shot("admin")
	checkConsole("admin")

	// The API key: the playground streams from the demo providers.
	run("sign out", chromedp.Click(chromedp.CSS("header form button")),
		chromedp.WaitVisible(chromedp.CSS(`header a[href^="/signin"]`)))
	signIn(s.key)
	visit("playground", "/playground?model=openai/gpt-4o-mini", "Playground")
	run("chat", chromedp.SetValue(chromedp.CSS("#pg-message"), "Say <img src=x onerror=alert(1)> in **bold** and `code`"),
		chromedp.Click(chromedp.CSS("#pg-send")))
	meta, err := chromedp.Run(ctx, chromedp.Poll[string](
		`(() => { const m = document.querySelector("#pg-pane-0 .meta"); return m && m.textContent.includes("tokens") ? m.textContent : false; })()`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("playground: no finished answer: %v", err)
	}
	answer := text("#pg-pane-0 .msg.assistant")
	if len(strings.TrimSpace(answer)) == 0 {
		t.Error("playground: the answer is empty")
	}
	// The model's text is text: the quoted tag is shown, not parsed; the
	// Markdown became elements.
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(() => {
	  const a = document.querySelector("#pg-pane-0 .msg.assistant");
	  return [a.querySelectorAll("img").length, a.querySelectorAll("strong").length, a.querySelectorAll("code").length];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, "<img src=x") || counts[0] != 0 || counts[1] == 0 || counts[2] == 0 {
		t.Errorf("playground: answer %q has %d img, %d strong, %d code elements; want the tag as text, bold and code",
			answer, counts[0], counts[1], counts[2])
	}
	if !strings.Contains(meta, "$") || !strings.Contains(meta, "ms") {
		t.Errorf("playground: the answer's details %q lack latency or cost", meta)
	}
	shot("playground")
	checkConsole("playground")
}
