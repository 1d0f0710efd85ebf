package api

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai/openaitest"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func TestChatNonStreamed(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("Hello there"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	before := e.balance()

	resp := e.do(http.MethodPost, "/api/v1/chat/completions", chatBody, e.key)
	body := readAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	openaitest.Validate(t, "CreateChatCompletionResponse", body)
	genID := resp.Header.Get("X-Generation-Id")
	var got struct {
		ID       string `json:"id"`
		Model    string `json:"model"`
		Provider string `json:"provider"`
		Choices  []struct {
			Message            struct{ Content string }
			FinishReason       string  `json:"finish_reason"`
			NativeFinishReason *string `json:"native_finish_reason"`
		}
		Usage struct {
			PromptTokens     int         `json:"prompt_tokens"`
			CompletionTokens int         `json:"completion_tokens"`
			Cost             json.Number `json:"cost"`
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(genID, "gen-") || got.ID != genID {
		t.Errorf("id %q, header %q", got.ID, genID)
	}
	if got.Model != modelA || got.Provider != "Provider ALPHA" {
		t.Errorf("model %q provider %q", got.Model, got.Provider)
	}
	if got.Choices[0].Message.Content != "Hello there" || got.Choices[0].FinishReason != "stop" ||
		got.Choices[0].NativeFinishReason == nil {
		t.Errorf("choice %+v", got.Choices[0])
	}
	// The upstream saw its own model name, our credential, and no routing fields.
	up := fake.Last()
	if up.JSON["model"] != "up-model-a" || up.Header.Get("Authorization") != "Bearer upstream-key" {
		t.Errorf("upstream got model %v auth %q", up.JSON["model"], up.Header.Get("Authorization"))
	}

	// The charge equals usage × prices, exactly, and is what usage.cost says.
	wantCost := money.Amount(got.Usage.PromptTokens*1000 + got.Usage.CompletionTokens*2000)
	if wantCost == 0 || got.Usage.Cost.String() != wantCost.String() {
		t.Fatalf("usage.cost %s, want %s", got.Usage.Cost, wantCost)
	}
	e.generation(genID)
	if spent := before - e.balance(); spent != wantCost {
		t.Fatalf("balance fell by %d, want %d", spent, wantCost)
	}
	if g := e.generation(genID); g.Cost != wantCost || g.Model != modelA || g.ProviderSlug != "alpha" || g.Streamed {
		t.Fatalf("generation %+v", g)
	}
}

func TestChatStreamed(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("one two three four"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	before := e.balance()

	// No stream_options: the usage chunk comes anyway.
	resp := e.post("/v1/chat/completions", streamBody(modelA))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d content-type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	genID := resp.Header.Get("X-Generation-Id")
	s := readStream(t, resp.Body)
	if n := len(s.data); n < 3 || s.data[n-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", s.data)
	}
	var text strings.Builder
	usageChunks := 0
	var cost string
	for i, d := range s.data[:len(s.data)-1] {
		openaitest.Validate(t, "CreateChatCompletionStreamResponse", []byte(d))
		c := decodeMap(t, []byte(d))
		if c["id"] != genID || c["model"] != modelA || c["provider"] != "Provider ALPHA" {
			t.Fatalf("chunk %d: id %v model %v provider %v", i, c["id"], c["model"], c["provider"])
		}
		choices := c["choices"].([]any)
		if u, ok := c["usage"].(map[string]any); ok {
			usageChunks++
			if len(choices) != 0 || i != len(s.data)-2 {
				t.Fatalf("usage on chunk %d of %d with %d choices", i, len(s.data)-1, len(choices))
			}
			cost = string(u["cost"].(json.Number))
			continue
		}
		for _, ch := range choices {
			delta := ch.(map[string]any)["delta"].(map[string]any)
			if content, ok := delta["content"].(string); ok {
				text.WriteString(content)
			}
		}
	}
	if text.String() != "one two three four" || usageChunks != 1 {
		t.Fatalf("text %q, %d usage chunks", text.String(), usageChunks)
	}
	if up := fake.Last(); up.JSON["stream"] != true {
		t.Fatalf("upstream request not streamed: %v", up.JSON)
	}
	if g := e.generation(genID); !g.Streamed || g.Cancelled {
		t.Fatalf("generation %+v", g)
	}
	spent := before - e.balance()
	if spent <= 0 || spent.String() != cost {
		t.Fatalf("charged %s, usage.cost %s", spent, cost)
	}
}

func TestFailoverBeforeFirstByte(t *testing.T) {
	tests := []struct {
		name    string
		first   []providertest.Option
		stream  bool
		retryAt string // Retry-After on the final 429, when both fail
	}{
		{name: "503", first: []providertest.Option{providertest.WithStatus(503, `{"error":{"message":"overloaded"}}`)}},
		{name: "429 streamed", stream: true, first: []providertest.Option{providertest.WithStatus(429, `{"error":{"message":"slow down"}}`)}},
		{name: "500", first: []providertest.Option{providertest.WithStatus(500, `oops`)}},
		{name: "hang past first-byte timeout", stream: true, first: []providertest.Option{providertest.WithHang(10 * time.Second)}},
		{name: "stream dropped before first chunk", stream: true, first: []providertest.Option{providertest.WithDropAfter(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := providertest.NewOpenAI(t, tt.first...)
			good := providertest.NewOpenAI(t, providertest.WithReply("from beta"))
			e := newEnv(t, envOptions{firstByte: 300 * time.Millisecond, upstreams: []upstream{
				{slug: "alpha", fake: bad, prompt: "0.000001"}, // cheaper: tried first
				{slug: "beta", fake: good, prompt: "0.000002"},
			}})
			body := chatBody
			if tt.stream {
				body = streamBody(modelA)
			}
			// Alpha first, deterministically (load balancing would pick
			// it only four times in five).
			body = strings.Replace(body, `"messages"`, `"provider":{"order":["alpha"]},"messages"`, 1)
			resp := e.post("/api/v1/chat/completions", body)
			got := string(readAll(t, resp.Body))
			if resp.StatusCode != 200 || !strings.Contains(got, `"provider":"Provider BETA"`) {
				t.Fatalf("status %d body %s", resp.StatusCode, got)
			}
			if len(bad.Requests()) != 1 || len(good.Requests()) != 1 {
				t.Fatalf("requests: alpha %d beta %d", len(bad.Requests()), len(good.Requests()))
			}
			if g := e.generation(resp.Header.Get("X-Generation-Id")); g.Attempts != 2 || g.ProviderSlug != "beta" {
				t.Fatalf("generation %+v", g)
			}
		})
	}
}

func TestFailoverToConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String() + "/v1"
	ln.Close() // nothing listens there now: connection refused
	good := providertest.NewOpenAI(t, providertest.WithReply("ok"))
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", url: deadURL, prompt: "0.000001"},
		{slug: "beta", fake: good, prompt: "0.000002"},
	}})
	resp := e.post("/api/v1/chat/completions", chatBody)
	if got := readAll(t, resp.Body); resp.StatusCode != 200 {
		t.Fatalf("status %d body %s", resp.StatusCode, got)
	}
}

func TestModelsFallbackList(t *testing.T) {
	// model-a's only provider rejects the request (400: not retried on the
	// same model), so the models[] fallback serves it.
	fake := providertest.NewOpenAI(t, providertest.WithReply("fallback"))
	fake.Enqueue(providertest.WithStatus(400, `{"error":{"message":"This model's maximum context length is 8 tokens","code":"context_length_exceeded"}}`))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	resp := e.post("/api/v1/chat/completions",
		`{"model":"`+modelA+`","models":["`+modelB+`"],"messages":[{"role":"user","content":"hi"}]}`)
	body := readAll(t, resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"model":"`+modelB+`"`) {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[0].JSON["model"] != "up-model-a" || reqs[1].JSON["model"] != "up-model-b" {
		t.Fatalf("upstream saw %d requests", len(reqs))
	}
}

func TestProviderPreferences(t *testing.T) {
	a := providertest.NewOpenAI(t, providertest.WithReply("a"))
	b := providertest.NewOpenAI(t, providertest.WithReply("b"))
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: a, prompt: "0.000001"},
		{slug: "beta", fake: b, prompt: "0.000002"},
	}})
	tests := []struct {
		prefs    string
		provider string
		status   int
	}{
		{`{"order":["beta"]}`, "Provider BETA", 200},
		{`{"only":["beta"]}`, "Provider BETA", 200},
		{`{"ignore":["alpha"]}`, "Provider BETA", 200},
		{`{"only":["alpha"],"ignore":["alpha"]}`, "", 404},
		{`{"order":["nosuch"]}`, "", 400},
	}
	for _, tt := range tests {
		resp := e.post("/api/v1/chat/completions",
			`{"model":"`+modelA+`","provider":`+tt.prefs+`,"messages":[{"role":"user","content":"hi"}]}`)
		body := string(readAll(t, resp.Body))
		if resp.StatusCode != tt.status || (tt.provider != "" && !strings.Contains(body, tt.provider)) {
			t.Errorf("%s: status %d body %s", tt.prefs, resp.StatusCode, body)
		}
	}
}

func TestAllowFallbacksFalseReturnsUpstreamError(t *testing.T) {
	a := providertest.NewOpenAI(t, providertest.WithStatus(503, `{"error":{"message":"a is down"}}`))
	b := providertest.NewOpenAI(t, providertest.WithReply("b"))
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: a, prompt: "0.000001"},
		{slug: "beta", fake: b, prompt: "0.000002"},
	}})
	resp := e.post("/api/v1/chat/completions",
		`{"model":"`+modelA+`","provider":{"order":["alpha"],"allow_fallbacks":false},"messages":[{"role":"user","content":"hi"}]}`)
	errorEnvelope(t, resp, http.StatusServiceUnavailable)
	if len(b.Requests()) != 0 {
		t.Fatal("fell back although allow_fallbacks is false")
	}
}
