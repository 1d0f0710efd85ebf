package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// TestServeMemoryLimit: serve sets the runtime's memory limit from
// memory_limit (and restores it when it returns); while the live heap is
// past 80% of it, inference requests get 503 and switchyard_memory_short
// is 1, and once the heap is back under 70% they are served again.
func TestServeMemoryLimit(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT overrides memory_limit")
	}
	const limit = 256 << 20
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "switchyard.yaml")
	if err := os.WriteFile(cfgPath, []byte("memory_limit: 268435456\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := debug.SetMemoryLimit(-1)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--config", cfgPath, "--addr", "127.0.0.1:0",
			"--db", filepath.Join(dir, "serve.db"), "--log-level", "warn"}, &stdout, &stderr)
	}()
	base, key := awaitDemo(t, &stdout, &stderr, done)
	origin := strings.TrimSuffix(base, "/api/v1")
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Fatalf("memory limit while serving: %d, want %d", got, limit)
	}
	client := &http.Client{Timeout: 60 * time.Second}
	chat := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, origin+"/api/v1/chat/completions", strings.NewReader(
			`{"model":"openai/gpt-4o-mini","max_tokens":16,"provider":{"order":["demo-alpha","demo-beta"]},`+
				`"messages":[{"role":"user","content":"Hello!"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	awaitShort := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			runtime.GC() // the guard reads the live heap the last cycle found
			resp, err := client.Get(origin + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), "\nswitchyard_memory_short "+want+"\n") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("switchyard_memory_short is not %s after 10s (live heap %d MiB)", want, liveHeap()>>20)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	awaitShort("0")
	if live := liveHeap(); live > limit*6/10 {
		t.Skipf("the test process's live heap is %d MiB already, too close to the limit", live>>20)
	}
	// Ballast: the live heap to 90% of the limit.
	ballast := make([]byte, limit*9/10-int(liveHeap()))
	for i := range ballast {
		ballast[i] = 1 // resident, not just reserved
	}
	awaitShort("1")
	resp := chat()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("short of memory: status %d, Retry-After %q; want 503 and 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	runtime.KeepAlive(ballast)
	ballast = nil
	awaitShort("0")
	if resp := chat(); resp.StatusCode != http.StatusOK {
		t.Errorf("memory back: status %d, want 200", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\nstderr: %s", err, stderr.String())
	}
	client.CloseIdleConnections()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("memory limit after serve returned: %d, want %d as before", got, before)
	}
}

// liveHeap is the heap the last garbage collection found live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
