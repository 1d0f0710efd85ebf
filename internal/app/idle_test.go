package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/bench"
	"github.com/switchyard-dev/switchyard/internal/config"
)

// Environment variables of TestIdleStreamMemory.
const (
	// idleStreamsEnv sets how many streams are held open (default
	// defaultIdleStreams).
	idleStreamsEnv = "SWITCHYARD_IDLE_STREAMS"
	// idlePromptEnv sets the size of each stream's prompt in bytes
	// (default defaultIdlePrompt, as in switchyard bench), to see what a
	// stream keeps of its request while it lasts.
	idlePromptEnv = "SWITCHYARD_IDLE_PROMPT_BYTES"
	// idleProfileEnv names a file that receives a heap profile taken with
	// the streams open through the gateway; the file named with ".base"
	// appended receives one taken before, with only the direct streams
	// open.
	idleProfileEnv = "SWITCHYARD_IDLE_HEAP_PROFILE"
	// idleGoroutinesEnv names a file that receives every goroutine's
	// stack with the streams open through the gateway.
	idleGoroutinesEnv = "SWITCHYARD_IDLE_GOROUTINES"
)

const (
	defaultIdleStreams = 500
	defaultIdlePrompt  = 256
	// idleStreamGoroutines is what an open stream may keep running in the
	// gateway: net/http's two on the client's connection (the handler and
	// the connection's background reader), and nothing of the gateway's
	// own (package h1 reads a plain-HTTP upstream on the handler's
	// goroutine).
	idleStreamGoroutines = 2
	// idleStreamBudget is what the gateway may hold per open idle stream,
	// heap and goroutine stacks included: today's figure (35.5-36 KiB, 10
	// of them stacks: the handler's 8 and the background reader's 2; up to
	// 38.7 in a noisy run) plus a little, so that a regression shows.
	// Issue 8's target is 40 KiB of resident memory per stream; switchyard
	// bench measures the process's RSS (some 1-2 KiB above this, the
	// garbage between collections) and httputil.ReverseProxy at 55-56 KiB.
	// Two regressions show here first:
	// the handler's stack passing 8 KiB on its way to the upstream (it
	// doubles to 16 and stays so for as long as the stream lasts: a frame
	// grown on the path of api's Server.run, openStream and relay,
	// router's each, openaicompat's send, h1's RoundTrip; a dial is made
	// on a goroutine of its own for that reason), and something keeping
	// the request's bodies alive (provider.Send drops Response.Request).
	idleStreamBudget = 41 << 10
)

// TestIdleStreamMemory measures what the gateway holds per open idle
// stream: the client streams through it from an upstream that sends one
// chunk and then stays silent. Client and upstream run in this process
// too, so their share is measured alone first, with the same streams sent
// to the upstream directly, and subtracted. Every stream must get its
// first chunk, and the gateway's share must stay within idleStreamBudget.
func TestIdleStreamMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens hundreds of connections")
	}
	if raceEnabled {
		t.Skip("the race detector changes what goroutines and allocations cost")
	}
	n := envInt(t, idleStreamsEnv, defaultIdleStreams)
	prompt := envInt(t, idlePromptEnv, defaultIdlePrompt)
	profile := os.Getenv(idleProfileEnv)
	if profile != "" {
		runtime.MemProfileRate = 1 // every allocation, for exact attributions
	}
	up := httptest.NewServer(bench.NewUpstream(bench.UpstreamOptions{}))
	t.Cleanup(up.Close)

	dir := t.TempDir()
	path := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(path, []byte(idleConfig(up.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(dir, "switchyard.db")
	base, key, _ := runApp(t, cfg, func(string) string { return "" })

	direct := &idleTarget{
		url:    up.URL + "/v1/chat/completions",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer k"}},
		body:   bench.ChatBody(bench.ModelIdle, true, prompt),
	}
	gateway := &idleTarget{
		url:    base + "/chat/completions",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}},
		body:   bench.ChatBody("bench/idle", true, prompt),
	}
	// Warm both paths up: pools, caches and the store's first writes are
	// not per-stream costs.
	for _, tg := range []*idleTarget{direct, gateway} {
		m := tg.open(t, 8)
		m.close()
	}

	own := direct.open(t, n)
	if profile != "" {
		writeHeapProfile(t, profile+".base") // for go tool pprof -diff_base
	}
	gw := gateway.open(t, n)
	if profile != "" {
		writeHeapProfile(t, profile)
	}
	if p := os.Getenv(idleGoroutinesEnv); p != "" {
		writeGoroutines(t, p)
	}
	t.Logf("%d streams: client+upstream %.1f KiB (%.1f KiB of stacks) and %.1f goroutines each; "+
		"gateway %.1f KiB (%.1f KiB of stacks) and %.1f goroutines each",
		n, kib(own.perStream()), kib(own.stackPerStream()), own.goroutinesPerStream(),
		kib(gw.perStream()-own.perStream()), kib(gw.stackPerStream()-own.stackPerStream()),
		gw.goroutinesPerStream()-own.goroutinesPerStream())
	gw.close()
	own.close()
	if own.opened != n || gw.opened != n {
		t.Fatalf("first chunks: %d of %d direct, %d of %d through the gateway (first error: %v)",
			own.opened, n, gw.opened, n, gw.err)
	}
	if g := gw.goroutinesPerStream() - own.goroutinesPerStream(); g > idleStreamGoroutines+0.05 {
		t.Errorf("the gateway runs %.2f goroutines per idle stream, want at most %d", g, idleStreamGoroutines)
	}
	if prompt > defaultIdlePrompt {
		return // the budget is for the default prompt
	}
	if per := gw.perStream() - own.perStream(); per > idleStreamBudget {
		t.Errorf("the gateway holds %.1f KiB per idle stream, want at most %d KiB", kib(per), idleStreamBudget>>10)
	}
}

// envInt reads a positive integer from the environment variable name, or
// returns def when it is unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// idleConfig declares the fake upstream's idle model as bench/idle.
func idleConfig(upstream string) string {
	return `providers:
  - slug: bench-openai
    name: Bench OpenAI
    protocol: openai
    base_url: ` + strconv.Quote(upstream+"/v1") + `
    api_key: k
    endpoints:
      - model: bench/idle
        upstream_model: ` + bench.ModelIdle + `
        pricing: { prompt: "0.00000015", completion: "0.0000006" }
        context_length: 1000000
`
}

// idleTarget is where idle streams are opened.
type idleTarget struct {
	url    string
	header http.Header
	body   []byte
}

// idleMeasure is a set of open streams and the memory they added.
type idleMeasure struct {
	n, opened       int
	err             error
	before, after   memUse // after a full collection
	gBefore, gAfter int    // goroutines
	cancel          func()
	bodies          []io.Closer
	transport       *http.Transport
}

// open opens n streams, waits for the first chunk of each, and measures
// the process's memory before and after.
func (tg *idleTarget) open(t *testing.T, n int) *idleMeasure {
	t.Helper()
	m := &idleMeasure{n: n, transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
	}}
	hc := &http.Client{Transport: m.transport}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.before, m.gBefore = inUse()
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, 64)
	)
	for range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := tg.openOne(ctx, hc, func(c io.Closer) {
				mu.Lock()
				m.bodies = append(m.bodies, c)
				mu.Unlock()
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if m.err == nil {
					m.err = err
				}
				return
			}
			m.opened++
		})
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // let handlers settle after the first flush
	m.after, m.gAfter = inUse()
	return m
}

func (tg *idleTarget) openOne(ctx context.Context, hc *http.Client, keep func(io.Closer)) error {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, tg.url, bytes.NewReader(tg.body))
	if err != nil {
		return err
	}
	hr.Header = tg.header.Clone()
	resp, err := hc.Do(hr)
	if err != nil {
		return err
	}
	keep(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var seen []byte
	buf := make([]byte, 512)
	for {
		k, err := resp.Body.Read(buf)
		seen = append(seen, buf[:k]...)
		if i := bytes.Index(seen, []byte("data:")); i >= 0 && bytes.Contains(seen[i:], []byte("\n\n")) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("stream ended before its first chunk: %w", err)
		}
	}
}

// perStream is the memory added per opened stream.
func (m *idleMeasure) perStream() float64 {
	if m.opened == 0 {
		return 0
	}
	return (float64(m.after.total()) - float64(m.before.total())) / float64(m.opened)
}

// stackPerStream is the part of perStream in goroutine stacks.
func (m *idleMeasure) stackPerStream() float64 {
	if m.opened == 0 {
		return 0
	}
	return (float64(m.after.stack) - float64(m.before.stack)) / float64(m.opened)
}

func (m *idleMeasure) goroutinesPerStream() float64 {
	if m.opened == 0 {
		return 0
	}
	return float64(m.gAfter-m.gBefore) / float64(m.opened)
}

// close ends the streams and waits for their connections to go.
func (m *idleMeasure) close() {
	m.cancel()
	for _, b := range m.bodies {
		b.Close()
	}
	m.transport.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > m.gBefore && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// inUse returns the heap in use plus goroutine stacks after a full
// collection, and the number of goroutines.
func inUse() (memUse, int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memUse{heap: ms.HeapInuse, stack: ms.StackInuse}, runtime.NumGoroutine()
}

// memUse is the memory a measurement reads.
type memUse struct{ heap, stack uint64 }

func (u memUse) total() uint64 { return u.heap + u.stack }

func writeHeapProfile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

func writeGoroutines(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("goroutine").WriteTo(f, 1); err != nil {
		t.Fatal(err)
	}
}

func kib(b float64) float64 { return b / 1024 }
