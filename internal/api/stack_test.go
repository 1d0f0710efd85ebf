package api

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/debug"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/bench"
)

// stackChildEnv runs TestHandlerStack's requests in this process (the
// child) instead of starting one.
const stackChildEnv = "SWITCHYARD_TEST_STACK_CHILD"

// TestHandlerStack: a request to an OpenAI-compatible upstream, streamed
// or not, is served within an 8 KiB handler stack. net/http serves each
// connection on one goroutine, whose stack doubles when a call needs more
// and is halved only while less than a quarter of it is in use: a
// handler that passed 8 KiB on its way to the upstream kept 16 KiB for as
// long as its stream lasted (idle streams cost 68 KiB each instead of
// 58). The frames on that path are kept small for this (see Server.run,
// router.each, openaicompat's Adapter.send).
//
// debug.SetMaxStack makes a goroutine that needs more than 8 KiB a fatal
// error, so the requests run in a child process; its output names the
// path that went deep. (Requests to Anthropic still pass 8 KiB: its
// request translator's frames are larger.)
func TestHandlerStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation deepens every frame")
	}
	if os.Getenv(stackChildEnv) != "" {
		serveWithinStack(t, 8<<10)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHandlerStack$", "-test.count=1")
	cmd.Env = append(os.Environ(), stackChildEnv+"=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("serving within an 8 KiB stack: %v\n%s", err, out)
	}
}

// serveWithinStack serves streamed and non-streamed requests, each on a
// new connection (so on a new goroutine), with every goroutine's stack
// limited to limit bytes.
func serveWithinStack(t *testing.T, limit int) {
	up := httptest.NewServer(bench.NewUpstream(bench.UpstreamOptions{}))
	defer up.Close()
	// Billing's flusher goes deep into SQLite: it must not flush while
	// the limit holds.
	gw := newBenchGateway(t, up.URL, &http.Client{Transport: &http.Transport{}}, time.Hour)
	srv := httptest.NewServer(gw.handler)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}}
	do := func(stream bool) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/chat/completions",
			bytes.NewReader(bench.ChatBody(benchModelOpenAI, stream, 1<<10)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+gw.key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body)
		}
	}
	do(true) // warm up: first-use initialisation is not the request path
	do(false)
	defer debug.SetMaxStack(debug.SetMaxStack(limit))
	for range 20 {
		do(true)
		do(false)
	}
}
