package bench

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// TestRun runs the harness end to end with the switchyard binary, in short
// phases: the fake upstream, the floor and the gateway as processes of
// their own; a load scenario whose upstream is reached over HTTPS (HTTP/2,
// the gateway through internal/h2), which the load generator, the floor
// and the gateway trust through the harness's certificate alone; and the
// idle streams held through both over each of the upstream's listeners,
// plain HTTP/1.1 and HTTP/2 over TLS.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the switchyard binary and starts three servers")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "switchyard")
	if out, err := exec.Command(gotool, "build", "-o", exe, "github.com/switchyard-dev/switchyard/cmd/switchyard").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	o := QuickOptions()
	o.Exe, o.Dir, o.Scenarios, o.IdleStreams = exe, dir, []string{"tls-sse20-1k", IdleScenario}, 40
	o.Duration, o.Warmup, o.Rate, o.MaxRate = 300*time.Millisecond, 100*time.Millisecond, 200, 200
	var log syncbuf.Buffer
	o.Log = &log
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	if len(rep.Rows) != 1 || !rep.Rows[0].Scenario.TLS {
		t.Fatalf("rows: %+v", rep.Rows)
	}
	for name, tr := range rep.Rows[0].Targets {
		if tr.C1.Requests == 0 || tr.Rate.Requests == 0 || tr.C1.Errors+tr.Rate.Errors > 0 {
			t.Errorf("tls-sse20-1k → %s: %d and %d requests, %d and %d errors (first: %q)\nlog:\n%s", name,
				tr.C1.Requests, tr.Rate.Requests, tr.C1.Errors, tr.Rate.Errors, tr.C1.FirstError+tr.Rate.FirstError, log.String())
		}
	}
	if len(rep.Idle) != 2 || rep.Idle[0].Upstream != upstreamHTTP1 || rep.Idle[1].Upstream != upstreamHTTP2 {
		t.Fatalf("idle runs: %+v", rep.Idle)
	}
	for _, run := range rep.Idle {
		for name, r := range map[string]*IdleResult{Floor: run.Floor, Gateway: run.Gateway} {
			if r == nil || r.Wanted != 40 || r.Opened != 40 || r.Stalled+r.Failed > 0 || r.Probe <= 0 {
				t.Errorf("%s over %s: %+v\nlog:\n%s", name, run.Upstream, r, log.String())
			}
		}
	}
	var md bytes.Buffer
	rep.Markdown(&md)
	if !bytes.Contains(md.Bytes(), []byte("| gateway | HTTP/2 over TLS | 40 | 40 | 0 | 0 |")) {
		t.Errorf("report:\n%s", md.String())
	}
}
