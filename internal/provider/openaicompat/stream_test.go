package openaicompat

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func streamFrom(t *testing.T, dialect providertest.Dialect, slug string, opts ...providertest.Option) result {
	t.Helper()
	fake := providertest.New(t, dialect, opts...)
	p := newAdapter(t, slug, fake.URL, "k")
	s, err := p.ChatStream(context.Background(), request(userRequest("x")))
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	return drain(t, s)
}

func TestStreamFraming(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 8<<10) // 128 KiB in one event
	for _, tc := range []struct {
		name    string
		dialect providertest.Dialect
		opts    []providertest.Option
		want    string
	}{
		{"keep-alive comments", providertest.DeepSeek, []providertest.Option{providertest.WithKeepAlive("keep-alive")}, "Hello from the fake."},
		{"OpenRouter processing", providertest.OpenRouter, []providertest.Option{providertest.WithKeepAlive("OPENROUTER PROCESSING")}, "Hello from the fake."},
		{"CRLF", providertest.OpenAI, []providertest.Option{providertest.WithCRLF(), providertest.WithKeepAlive("ping")}, "Hello from the fake."},
		{"long event", providertest.OpenAI, []providertest.Option{providertest.WithReplyChunks(long, "!")}, long + "!"},
		{"slow chunks", providertest.OpenAI, []providertest.Option{providertest.WithChunkDelay(time.Millisecond)}, "Hello from the fake."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := streamFrom(t, tc.dialect, "openai", tc.opts...)
			if r.err != io.EOF || r.text != tc.want || r.usage == nil {
				t.Errorf("err = %v, usage = %v, text = %.40q…", r.err, r.usage, r.text)
			}
		})
	}
}

func TestStreamErrors(t *testing.T) {
	// Events of the default stream: role, 4 content deltas, finish, usage, [DONE].
	const finishIndex = 5
	tests := []struct {
		name    string
		dialect providertest.Dialect
		opts    []providertest.Option
		chunks  int // chunks delivered before the error
		status  int
		typ     string
		msg     string
		raw     string // "" = not checked
	}{
		{name: "OpenAI in-band error", opts: []providertest.Option{providertest.WithMidStreamError(3, "")}, chunks: 3,
			typ: "server", msg: "The server had an error while processing your request. Sorry about that!",
			raw: `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`},
		{name: "OpenRouter in-band error", dialect: providertest.OpenRouter, opts: []providertest.Option{providertest.WithMidStreamError(2, "")}, chunks: 2,
			typ: "server", msg: "Provider disconnected unexpectedly"},
		{name: "OpenRouter numeric code", dialect: providertest.OpenRouter, chunks: 1, status: 429, typ: "rate_limit_exceeded", msg: "Rate limit exceeded",
			opts: []providertest.Option{providertest.WithMidStreamError(1, `{"id":"gen-abc123","object":"chat.completion.chunk","created":1234567890,"model":"openai/gpt-4o","provider":"OpenAI","error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`)}},
		{name: "vLLM old flat error", dialect: providertest.VLLM, chunks: 2, status: 400, typ: "context_length_exceeded", msg: "This model's maximum context length is 4096 tokens.",
			opts: []providertest.Option{providertest.WithMidStreamError(2, `{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`)},
			raw:  `{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`},
		{name: "vLLM error", dialect: providertest.VLLM, opts: []providertest.Option{providertest.WithMidStreamError(4, "")}, chunks: 4,
			status: 500, typ: "server", msg: "Internal server error"},
		{name: "Groq x_groq.error", dialect: providertest.Groq, opts: []providertest.Option{providertest.WithMidStreamError(1, "")}, chunks: 1,
			typ: "server", msg: "Service Unavailable"},
		{name: "closed before finishing", opts: []providertest.Option{providertest.WithCloseAfter(3)}, chunks: 3,
			typ: "provider_unavailable", msg: errTruncated()},
		{name: "closed before any data", opts: []providertest.Option{providertest.WithCloseAfter(0)}, chunks: 0,
			typ: "provider_unavailable", msg: errTruncated()},
		{name: "connection dropped", opts: []providertest.Option{providertest.WithDropAfter(2)}, chunks: 2,
			typ: "provider_unavailable", msg: "upstream closed the connection unexpectedly"},
		{name: "dropped after finish", opts: []providertest.Option{providertest.WithDropAfter(finishIndex + 1)}, chunks: finishIndex + 1,
			typ: "provider_unavailable", msg: "upstream closed the connection unexpectedly"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := streamFrom(t, tc.dialect, "openai", tc.opts...)
			var pe *provider.Error
			if !errors.As(r.err, &pe) {
				t.Fatalf("stream ended with %v, want *provider.Error", r.err)
			}
			if len(r.chunks) != tc.chunks {
				t.Errorf("%d chunks before the error, want %d", len(r.chunks), tc.chunks)
			}
			if pe.Provider != "Test openai" || pe.Status != tc.status || pe.Type != tc.typ || pe.Message != tc.msg {
				t.Errorf("error = %q %d %q %q", pe.Provider, pe.Status, pe.Type, pe.Message)
			}
			if tc.raw != "" && pe.Raw != tc.raw {
				t.Errorf("raw = %s", pe.Raw)
			}
		})
	}
}

func TestStreamEndsAfterFinish(t *testing.T) {
	// Closed cleanly after the finish chunk but before usage and [DONE]:
	// nothing the client sees is missing.
	r := streamFrom(t, providertest.OpenAI, "openai", providertest.WithCloseAfter(6))
	if r.err != io.EOF || r.finish != "stop" {
		t.Errorf("err = %v finish = %q", r.err, r.finish)
	}
}

func TestStreamBodies(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		chunks     int
		wantErr    string // "" = io.EOF
	}{
		{"done only", "data: [DONE]\n\n", 0, ""},
		{"error: null is no error", `data: {"id":"a","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}],"error":null}` + "\n\ndata: [DONE]\n\n", 1, ""},
		{"empty data skipped", "data:\n\ndata: [DONE]\n\n", 0, ""},
		{"no [DONE] after finish", `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n", 1, ""},
		{"empty body", "", 0, errTruncated()},
		{"comments only", ": keep-alive\n\n: keep-alive\n\n", 0, errTruncated()},
		{"named error event", "event: error\ndata: {\"type\":\"error\",\"message\":\"overloaded\"}\n\n", 0, "overloaded"},
		{"string error", `data: {"error":"boom"}` + "\n\n", 0, "boom"},
		{"malformed chunk", "data: {nope}\n\n", 0, "upstream sent a malformed chunk"},
		{"content of wrong type", `data: {"choices":[{"index":0,"delta":{"content":7}}]}` + "\n\n", 0, "upstream sent a malformed chunk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStream(context.Background(), "T", io.NopCloser(strings.NewReader(tc.body)), translation{})
			r := drain(t, s)
			if len(r.chunks) != tc.chunks {
				t.Errorf("%d chunks, want %d", len(r.chunks), tc.chunks)
			}
			switch {
			case tc.wantErr == "" && r.err != io.EOF:
				t.Errorf("err = %v, want EOF", r.err)
			case tc.wantErr != "" && (r.err == nil || !strings.Contains(r.err.Error(), tc.wantErr)):
				t.Errorf("err = %v, want %q", r.err, tc.wantErr)
			}
			if _, err := s.Next(); err != r.err {
				t.Errorf("Next after the end = %v, want the same %v", err, r.err)
			}
		})
	}
}

func TestStreamCancel(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithStallAfter(2, time.Minute))
	p := newAdapter(t, "openai", fake.URL, "k")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := p.ChatStream(ctx, request(userRequest("x")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 2 {
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err = s.Next() // blocked on the stalled upstream until cancel
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Next returned %v after cancel", elapsed)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if _, again := s.Next(); again != err {
		t.Errorf("Next after cancel = %v", again)
	}
	if !fake.Last().WaitCanceled(5 * time.Second) {
		t.Error("the upstream did not see its request cancelled")
	}
}

func TestStreamClose(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithStallAfter(1, time.Minute))
	p := newAdapter(t, "openai", fake.URL, "k")
	s, err := p.ChatStream(context.Background(), request(userRequest("x")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, func() { s.Close() })
	if _, err := s.Next(); err == nil {
		t.Error("Next after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if !fake.Last().WaitCanceled(5 * time.Second) {
		t.Error("the upstream did not see its request cancelled")
	}
}

func TestHangBeforeHeaders(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithHang(time.Minute))
	p := newAdapter(t, "openai", fake.URL, "k")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := p.ChatStream(ctx, request(userRequest("x")))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Type != "timeout" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %#v", err)
	}
	if !fake.Last().WaitCanceled(5 * time.Second) {
		t.Error("the upstream did not see its request cancelled")
	}
}

func TestStreamAnsweredWithJSON(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		wantErr    string
		wantText   string
	}{
		{"error", `{"error":{"message":"model is loading","type":"server_error","code":503}}`, "model is loading", ""},
		{"whole response", `{"id":"r","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"all at once"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":3}}`, "", "all at once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			p := newAdapter(t, "vllm", srv.URL, "")
			s, err := p.ChatStream(context.Background(), request(userRequest("x")))
			if tc.wantErr != "" {
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Message != tc.wantErr || pe.Status != 503 {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, s)
			if r.err != io.EOF || r.text != tc.wantText || r.finish != "stop" || r.usage.TotalTokens != 4 {
				t.Errorf("err = %v text = %q finish = %q usage = %v", r.err, r.text, r.finish, r.usage)
			}
		})
	}
}

// errTruncated is the message of a stream cut before any choice finished.
func errTruncated() string { return provider.Truncated("x", "finishing").Message }
