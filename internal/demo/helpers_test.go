package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/sse"
	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

// fast returns an unpaced, reliable profile serving two demo models.
func fast(slug string) Profile {
	return Profile{
		Slug:   slug,
		Name:   "Simulated " + slug + " (demo)",
		Models: []string{modelGPT4oMini, modelHaiku},
	}
}

// constRand returns a Rand that always draws v.
func constRand(v float64) func() float64 { return func() float64 { return v } }

// logBuffer collects JSON log lines; it is safe for concurrent use.
type logBuffer struct{ syncbuf.Buffer }

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitFor polls cond for up to three seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// start starts a cluster that the test closes when it ends.
func start(t *testing.T, logger *slog.Logger, profiles ...Profile) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), profiles, logger)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// post sends a chat request to the provider slug with the cluster's key.
func post(t *testing.T, ctx context.Context, c *Cluster, slug string, body any) *http.Response {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL(slug)+"/chat/completions", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// chatBody is a minimal request body; extra fields are merged in.
func chatBody(model, question string, extra map[string]any) map[string]any {
	m := map[string]any{
		"model":    model,
		"messages": []map[string]any{{"role": "user", "content": question}},
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// decodeJSON reads resp's body into v and checks the status.
func decodeJSON(t *testing.T, resp *http.Response, status int, v any) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return b
}

// checkOpenAIError checks that body is OpenAI's error shape with all four
// keys and the given type, and returns the message.
func checkOpenAIError(t *testing.T, body []byte, typ string) string {
	t.Helper()
	var env struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("decode error body %s: %v", body, err)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := env.Error[k]; !ok {
			t.Errorf("error body %s lacks %q", body, k)
		}
	}
	var got, msg string
	json.Unmarshal(env.Error["type"], &got)
	json.Unmarshal(env.Error["message"], &msg)
	if got != typ {
		t.Errorf("error type = %q, want %q", got, typ)
	}
	return msg
}

// streamed is a decoded stream.
type streamed struct {
	raw    []string // every event's data, [DONE] included
	chunks []openai.Chunk
}

// content concatenates the content deltas.
func (s *streamed) content() string {
	var b strings.Builder
	for _, c := range s.chunks {
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				b.WriteString(*ch.Delta.Content)
			}
		}
	}
	return b.String()
}

// readStream decodes every event of an SSE response until EOF.
func readStream(t *testing.T, resp *http.Response) *streamed {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status = %d; body %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type = %q", ct)
	}
	s := &streamed{}
	r := sse.NewReader(resp.Body)
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return s
		}
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		s.raw = append(s.raw, string(ev.Data))
		if string(ev.Data) == "[DONE]" {
			continue
		}
		var c openai.Chunk
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			t.Fatalf("decode chunk %s: %v", ev.Data, err)
		}
		s.chunks = append(s.chunks, c)
	}
}
