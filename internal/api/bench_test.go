package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/bench"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/anthropic"
	"github.com/switchyard-dev/switchyard/internal/provider/openaicompat"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

// The benchmark gateway's models: one behind an OpenAI-compatible
// provider, one behind an Anthropic one (translated), and one whose
// streams idle after their first chunk.
const (
	benchModelOpenAI    = "bench/gpt"
	benchModelAnthropic = "bench/claude"
	benchModelIdle      = "bench/idle" // streams one chunk, then nothing
)

// benchGateway is the API as switchyard serve wires it (SQLite store,
// billing, generation records, usage rollups, metrics, JSON logging),
// minus the config file: upstreams reach the transport given, and the
// server is driven directly or through handler.
type benchGateway struct {
	api     *Server
	handler http.Handler
	key     string
}

// newBenchGateway builds a gateway whose adapters use hc to reach
// upstream (a base URL without /v1).
func newBenchGateway(tb testing.TB, upstream string, hc *http.Client, flush time.Duration) *benchGateway {
	tb.Helper()
	pricing := catalog.Pricing{Prompt: money.MustRate("0.00000015"), Completion: money.MustRate("0.0000006")}
	file := &catalog.File{Providers: []catalog.Provider{
		{Slug: "bench-openai", Name: "Bench OpenAI", Protocol: catalog.ProtocolOpenAI, BaseURL: upstream + "/v1"},
		{Slug: "bench-anthropic", Name: "Bench Anthropic", Protocol: catalog.ProtocolAnthropic, BaseURL: upstream + "/v1"},
	}}
	for _, m := range []struct{ id, provider, upstream string }{
		{benchModelOpenAI, "bench-openai", "bench-gpt"},
		{benchModelAnthropic, "bench-anthropic", "bench-claude"},
		{benchModelIdle, "bench-openai", bench.ModelIdle},
	} {
		file.Models = append(file.Models, catalog.Model{ID: m.id, CanonicalSlug: m.id, Name: m.id, ContextLength: 1 << 20,
			InputModalities: []string{"text"}, OutputModalities: []string{"text"}, Tokenizer: "Other",
			Endpoints: []catalog.Endpoint{{Provider: m.provider, UpstreamModel: m.upstream, Pricing: pricing,
				ContextLength: 1 << 20, SupportedParameters: []string{"max_tokens", "temperature", "stream"}}}})
	}
	cat, err := catalog.New(file)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil)) // logging on, as served
	adapters := provider.NewRegistry()
	adapters.Register(catalog.ProtocolOpenAI, openaicompat.New)
	adapters.Register(catalog.ProtocolAnthropic, anthropic.New)
	clients := map[string]provider.Provider{}
	for _, p := range file.Providers {
		c, err := adapters.New(provider.Config{Slug: p.Slug, Name: p.Name, Protocol: p.Protocol, BaseURL: p.BaseURL,
			APIKey: "upstream-key", HTTPClient: hc, Logger: logger})
		if err != nil {
			tb.Fatal(err)
		}
		clients[p.Slug] = c
	}
	rt := router.New(cat, router.Options{Clients: clients, Adapters: adapters, FirstByteTimeout: 10 * time.Second,
		RequestTimeout: 10 * time.Second, StreamIdleTimeout: 10 * time.Second, Logger: logger})
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	reg := prometheus.NewRegistry()
	s := New(Options{Catalog: cat, Router: rt, Store: st, Logger: logger, MaxBodyBytes: 16 << 20,
		KeepAliveInterval: 3 * time.Second, Metrics: reg, Registerer: reg, FlushInterval: flush, UsageFlushInterval: flush})
	tb.Cleanup(s.Close)
	ctx := context.Background()
	acct, err := st.CreateAccount(ctx, "bench", 1_000_000*money.NanoPerUSD)
	if err != nil {
		tb.Fatal(err)
	}
	key, hash, label := apikey.New()
	if _, err := st.CreateKey(ctx, store.NewKey{AccountID: acct.ID, Hash: hash, Name: "bench", Label: label}); err != nil {
		tb.Fatal(err)
	}
	return &benchGateway{api: s, handler: s.Handler(), key: key.Reveal()}
}

// BenchmarkGateway is one request through the whole gateway, over
// loopback HTTP to a zero-delay fake upstream (package bench's), for each
// scenario of switchyard bench. It is the profile behind BENCHMARKS.md:
//
//	go test -run='^$' -bench='Gateway/json-1k' -benchtime=5000x -cpuprofile=cpu.out ./internal/api
//	go tool pprof -top cpu.out
//
// The CPU figures include the fake upstream and the client, which run in
// the same process; switchyard bench measures the gateway's alone.
func BenchmarkGateway(b *testing.B) {
	up := httptest.NewServer(bench.NewUpstream(bench.UpstreamOptions{}))
	defer up.Close()
	gw := newBenchGateway(b, up.URL, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}, 100*time.Millisecond)
	srv := httptest.NewServer(gw.handler)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
	for _, sc := range bench.Scenarios {
		model := benchModelOpenAI
		if sc.Protocol == bench.ProtocolAnthropic {
			model = benchModelAnthropic
		}
		body := bench.ChatBody(model, sc.Stream, sc.PromptBytes)
		b.Run(sc.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/chat/completions", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+gw.key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d, %v: %s", resp.StatusCode, err, out)
				}
				if sc.Stream && !bytes.HasSuffix(out, []byte("data: [DONE]\n\n")) {
					b.Fatalf("stream without [DONE]: %s", out)
				}
			}
		})
	}
}

// BenchmarkHandler is the gateway's own work for one request, without the
// network: the upstream is in memory (a recorded answer of package
// bench's fake) and the client a discarding writer. Its profile is the
// gateway's alone:
//
//	go test -run='^$' -bench='Handler/json-1k$' -cpuprofile=cpu.out ./internal/api
func BenchmarkHandler(b *testing.B) {
	for _, sc := range bench.Scenarios {
		model, path := benchModelOpenAI, "/v1/chat/completions"
		if sc.Protocol == bench.ProtocolAnthropic {
			model, path = benchModelAnthropic, "/v1/messages"
		}
		contentType := "application/json"
		if sc.Stream {
			contentType = "text/event-stream"
		}
		gw := newBenchGateway(b, "http://upstream.invalid", replaying(recorded(b, path, sc.Stream, 20), contentType), 100*time.Millisecond)
		body := bench.ChatBody(model, sc.Stream, sc.PromptBytes)
		w := &discardWriter{h: http.Header{}}
		b.Run(sc.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				gw.serve(b, w, body, sc.Stream)
			}
		})
	}
}
