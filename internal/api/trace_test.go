package api

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/trace"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestTraceTasks: while an execution trace is recorded, each request is a
// task named by its route, and a served one logs its overhead to it, for
// go tool trace to show the slowest requests and what they did.
func TestTraceTasks(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is already being recorded (go test -trace)")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool trace reads the trace: %v", err)
	}
	fake := providertest.NewOpenAI(t, providertest.WithReply("a b c d"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})

	path := filepath.Join(t.TempDir(), "api.trace")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		t.Fatal(err)
	}
	defer trace.Stop() // a no-op once stopped below
	for _, body := range []string{chatBody, streamBody(modelA)} {
		resp := e.post("/api/v1/chat/completions", body)
		readAll(t, resp.Body)
		if resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	errorEnvelope(t, e.post("/api/v1/chat/completions", `{"model":`), 400)
	trace.Stop()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(gotool, "tool", "trace", "-d=parsed", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool trace: %v\n%s", err, out)
	}
	tasks := regexp.MustCompile(`TaskBegin .*Type="POST /api/v1/chat/completions"`).FindAll(out, -1)
	logs := regexp.MustCompile(`Log .* Task=[0-9]{1,9} Category="overhead" Message="[0-9.]+[µnm]?s"`).FindAll(out, -1)
	if len(tasks) != 3 || len(logs) != 2 {
		t.Errorf("%d tasks, %d overhead logs; want 3 and 2 (the failed request logs none)\n%s", len(tasks), len(logs),
			bytes.Join(regexp.MustCompile(`.*(Task|Log).*`).FindAll(out, -1), []byte("\n")))
	}
}
