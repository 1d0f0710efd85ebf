package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.uber.org/goleak"

	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/demo"
	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// demoServer is a running app.Run in demo mode.
type demoServer struct {
	addr   string
	key    string
	stdout *syncbuf.Buffer
	cancel func()       // cancels Run's context
	stop   func() error // cancels Run's context and returns Run's error
}

// startDemo runs the app the way `switchyard serve --demo --addr
// 127.0.0.1:0` does, waits for it to listen and reads the demo key from
// what it printed.
func startDemo(t *testing.T) *demoServer {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(t.TempDir(), "switchyard.db")
	cfg.Demo = true
	cfg.ShutdownTimeout = 20 * time.Second

	ctx, cancel := context.WithCancel(t.Context())
	stdout := &syncbuf.Buffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, Env{
			Stdout: stdout,
			Logger: slog.New(slog.DiscardHandler),
			Getenv: func(string) string { return "" }, // no real provider credentials
			Ready:  func(addr string) { addrc <- addr },
		})
	}()
	s := &demoServer{stdout: stdout, cancel: cancel}
	var once sync.Once
	var runErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("Run did not return within 60s of its context being cancelled")
			}
		})
		return runErr
	}
	t.Cleanup(func() { s.stop() })

	select {
	case s.addr = <-addrc:
	case err := <-done:
		t.Fatalf("Run returned before listening: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not listen within 60s")
	}
	s.key = regexp.MustCompile(`sk-sy-v1-[0-9a-f]{64}`).FindString(stdout.String())
	if s.key == "" {
		t.Fatalf("no demo key printed:\n%s", stdout.String())
	}
	return s
}

// TestRunDemoWithOpenAISDK is the integration test of the real wiring: the
// official OpenAI Go SDK, pointed at a demo-mode server under both base
// paths with the key it printed, gets completions streamed and not, with
// usage and Switchyard's cost; the catalog endpoints answer without a key;
// and cancelling Run's context stops everything it started.
func TestRunDemoWithOpenAISDK(t *testing.T) {
	before := goleak.IgnoreCurrent()
	s := startDemo(t)
	out := s.stdout.String()
	if want := "http://" + s.addr + "/api/v1"; !strings.Contains(out, want) {
		t.Errorf("stdout does not give the base URL %s:\n%s", want, out)
	}
	if !strings.Contains(out, demo.ModelIDs()[0]) {
		t.Errorf("stdout does not name the demo models:\n%s", out)
	}

	transport := &http.Transport{}
	httpClient := &http.Client{Transport: transport}
	model := demo.ModelIDs()[0]
	// demo-alpha first (fast; its failures come before any byte, so they
	// fail over), then demo-beta, which never fails: every request succeeds
	// whatever the dice say.
	order := option.WithJSONSet("provider", map[string]any{"order": []string{"demo-alpha", "demo-beta"}})

	for _, base := range []string{"/api/v1", "/v1"} {
		t.Run(strings.TrimPrefix(base, "/"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			client := sdk.NewClient(
				option.WithBaseURL("http://"+s.addr+base),
				option.WithAPIKey(s.key),
				option.WithHTTPClient(httpClient),
				option.WithMaxRetries(0),
				option.WithRequestTimeout(90*time.Second),
			)
			params := sdk.ChatCompletionNewParams{
				Model:               model,
				Messages:            []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Hello from the SDK")},
				MaxCompletionTokens: sdk.Int(24),
			}

			resp, err := client.Chat.Completions.New(ctx, params, order)
			if err != nil {
				t.Fatalf("non-streamed: %v", err)
			}
			if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, "Simulated") {
				t.Fatalf("non-streamed content: %s", resp.RawJSON())
			}
			if resp.Model != model || !strings.HasPrefix(resp.ID, "gen-") {
				t.Errorf("model %q id %q", resp.Model, resp.ID)
			}
			if resp.Usage.PromptTokens <= 0 || resp.Usage.CompletionTokens <= 0 {
				t.Errorf("usage %s", resp.Usage.RawJSON())
			}
			if cost := rawCost(t, resp.Usage.JSON.ExtraFields["cost"].Raw()); cost <= 0 {
				t.Errorf("usage.cost %v in %s", cost, resp.Usage.RawJSON())
			}
			if p := resp.JSON.ExtraFields["provider"].Raw(); !strings.Contains(p, "(demo)") {
				t.Errorf("provider %s is not labelled simulated", p)
			}

			stream := client.Chat.Completions.NewStreaming(ctx, params, order)
			var acc sdk.ChatCompletionAccumulator
			var final sdk.ChatCompletionChunk
			chunks := 0
			for stream.Next() {
				chunk := stream.Current()
				chunks++
				if !acc.AddChunk(chunk) {
					t.Fatalf("chunk %d does not accumulate: %s", chunks, chunk.RawJSON())
				}
				final = chunk
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream after %d chunks: %v", chunks, err)
			}
			stream.Close()
			if len(acc.Choices) != 1 || !strings.Contains(acc.Choices[0].Message.Content, "Simulated") {
				t.Fatalf("streamed content %+v", acc.Choices)
			}
			// The last chunk carries the usage (and cost) and no choices.
			if len(final.Choices) != 0 || final.Usage.PromptTokens <= 0 || final.Usage.CompletionTokens <= 0 {
				t.Fatalf("final chunk %s", final.RawJSON())
			}
			if cost := rawCost(t, final.Usage.JSON.ExtraFields["cost"].Raw()); cost <= 0 {
				t.Errorf("final chunk usage.cost %v in %s", cost, final.RawJSON())
			}
			if acc.Usage.CompletionTokens != final.Usage.CompletionTokens {
				t.Errorf("accumulated usage %+v, final chunk %s", acc.Usage, final.Usage.RawJSON())
			}

			// A wrong key is the SDK's typed 401.
			bad := sdk.NewClient(option.WithBaseURL("http://"+s.addr+base), option.WithAPIKey("sk-sy-v1-"+strings.Repeat("0", 64)),
				option.WithHTTPClient(httpClient), option.WithMaxRetries(0))
			_, err = bad.Chat.Completions.New(ctx, params)
			var apiErr *sdk.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
				t.Errorf("bad key: %v", err)
			}
		})
	}

	t.Run("catalog without a key", func(t *testing.T) {
		var models struct {
			Data []struct {
				ID         string
				Switchyard struct {
					SimulatedProviders []string `json:"simulated_providers"`
				}
			}
		}
		getJSON(t, httpClient, "http://"+s.addr+"/api/v1/models", &models)
		simulated := map[string][]string{}
		for _, m := range models.Data {
			simulated[m.ID] = m.Switchyard.SimulatedProviders
		}
		for _, id := range demo.ModelIDs() {
			if len(simulated[id]) == 0 {
				t.Errorf("/models: demo model %s missing or without simulated providers (%d models listed)", id, len(models.Data))
			}
		}

		var provs struct{ Data []map[string]any }
		getJSON(t, httpClient, "http://"+s.addr+"/api/v1/providers", &provs)
		i := slices.IndexFunc(provs.Data, func(p map[string]any) bool { return p["slug"] == "demo-alpha" })
		if i < 0 {
			t.Fatalf("/providers lacks demo-alpha: %v", provs.Data)
		}
		if p := provs.Data[i]; p["simulated"] != true || p["routable"] != true {
			t.Errorf("demo-alpha: %v", p)
		}
	})

	transport.CloseIdleConnections()
	start := time.Now()
	if err := s.stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	t.Logf("Run returned %v after cancel", time.Since(start).Round(time.Millisecond))
	// Everything Run started (listener, demo providers, upstream
	// connections, store) is gone.
	goleak.VerifyNone(t, before)
}

// TestRunDrainsStreamsOnShutdown cancels Run's context while a stream is
// in flight: the stream still ends normally, with its usage, and Run
// returns nil once it has; then nothing listens any more.
func TestRunDrainsStreamsOnShutdown(t *testing.T) {
	s := startDemo(t)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := sdk.NewClient(option.WithBaseURL("http://"+s.addr+"/api/v1"), option.WithAPIKey(s.key),
		option.WithHTTPClient(&http.Client{Transport: transport}), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	stream := client.Chat.Completions.NewStreaming(ctx, sdk.ChatCompletionNewParams{
		Model:               demo.ModelIDs()[0],
		Messages:            []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Drain me")},
		MaxCompletionTokens: sdk.Int(30), // demo-beta makes 40 tokens a second
	}, option.WithJSONSet("provider", map[string]any{"order": []string{"demo-beta"}}))
	defer stream.Close()
	if !stream.Next() {
		t.Fatalf("no first chunk: %v", stream.Err())
	}

	s.cancel() // Ctrl-C
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()

	var acc sdk.ChatCompletionAccumulator
	acc.AddChunk(stream.Current())
	var final sdk.ChatCompletionChunk
	after := 0
	for stream.Next() {
		final = stream.Current()
		acc.AddChunk(final)
		after++
	}
	t.Logf("%d chunks after the cancellation", after)
	if err := stream.Err(); err != nil {
		t.Fatalf("the stream was cut by the shutdown: %v", err)
	}
	if !strings.Contains(acc.Choices[0].Message.Content, "Simulated") || final.Usage.CompletionTokens != 30 {
		t.Fatalf("drained stream: content %q, final chunk %s", acc.Choices[0].Message.Content, final.RawJSON())
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return after the stream ended")
	}
	if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("still serving after Run returned")
	}
}

// TestRunRejectsInvalidConfig checks that a bad configuration is reported
// before anything starts: no database file, no listener, no output.
func TestRunRejectsInvalidConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Addr = "nope"
	cfg.DB = filepath.Join(t.TempDir(), "never-created.db")
	cfg.Demo = true
	var stdout syncbuf.Buffer
	ready := false
	err := Run(t.Context(), cfg, Env{Stdout: &stdout, Logger: slog.New(slog.DiscardHandler),
		Getenv: func(string) string { return "" }, Ready: func(string) { ready = true }})
	if err == nil || !strings.Contains(err.Error(), "addr") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Run: %v", err)
	}
	if ready || stdout.String() != "" {
		t.Fatalf("Run started anyway: ready %v, stdout %q", ready, stdout.String())
	}
	if m, _ := filepath.Glob(cfg.DB + "*"); len(m) != 0 {
		t.Fatalf("the store was opened: %v", m)
	}
}

// rawCost parses usage.cost as the gateway sent it (a JSON number).
func rawCost(t *testing.T, raw string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Errorf("usage.cost %q is not a number", raw)
		return 0
	}
	return v
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url) // no Authorization header
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestDemoShowsLiveHealth: after traffic to a --demo server, the model's
// endpoints carry live uptime, latency and throughput, and /metrics
// publishes the same per endpoint.
func TestDemoShowsLiveHealth(t *testing.T) {
	s := startDemo(t)
	model := demo.ModelIDs()[0]
	for range 6 {
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/api/v1/chat/completions",
			strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}],"max_tokens":8}`))
		req.Header.Set("Authorization", "Bearer "+s.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	resp, err := http.Get("http://" + s.addr + "/api/v1/models/" + model + "/endpoints")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Data struct {
			Endpoints []struct {
				Provider string   `json:"provider_slug"`
				Uptime   *float64 `json:"uptime_last_5m"`
				Latency  *struct {
					P50 float64 `json:"p50"`
				} `json:"latency_last_30m"`
			} `json:"endpoints"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, e := range body.Data.Endpoints {
		if e.Uptime != nil && e.Latency != nil && e.Latency.P50 > 0 {
			live++
		}
	}
	if live == 0 {
		t.Fatalf("no endpoint shows live health after traffic: %+v", body.Data.Endpoints)
	}
	resp, err = http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `switchyard_endpoint_uptime{model="`+model+`"`) {
		t.Fatalf("/metrics has no endpoint uptime for %s:\n%.2000s", model, metrics)
	}
}
