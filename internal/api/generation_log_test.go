package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// Each served request has one "generation" log line saying what it was
// and what it cost, streamed or not.
func TestGenerationLogLine(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("one two three"))
	var out syncbuf.Buffer
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}},
		options: func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(&out, nil)) }})

	for _, stream := range []bool{false, true} {
		before := e.balance()
		body := chatBody
		if stream {
			body = streamBody(modelA)
		}
		resp := e.post("/v1/chat/completions", body)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %v: status %d", stream, resp.StatusCode)
		}
		id := resp.Header.Get("X-Generation-Id")
		line := waitLogLine(t, &out, id)
		want := map[string]any{"level": "INFO", "msg": "generation", "id": id, "model": modelA, "provider": "alpha",
			"attempts": 1.0, "stream": stream, "cancelled": false, "estimated": false,
			"cost": (before - e.balance()).String()}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("stream %v: %s = %v, want %v (line %v)", stream, k, line[k], v, line)
			}
		}
		if line["prompt_tokens"].(float64) <= 0 || line["completion_tokens"].(float64) <= 0 {
			t.Errorf("stream %v: tokens missing: %v", stream, line)
		}
		if _, err := time.Parse(time.RFC3339Nano, line["time"].(string)); err != nil {
			t.Errorf("stream %v: time: %v", stream, err)
		}
	}
}

// waitLogLine returns the "generation" line of id, decoded; a
// non-streamed response leaves before its line is written.
func waitLogLine(t *testing.T, out *syncbuf.Buffer, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for l := range strings.Lines(out.String()) {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			if m["msg"] == "generation" && m["id"] == id {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no generation line for %s in:\n%s", id, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
