package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func TestRequestErrors(t *testing.T) {
	fake := providertest.NewOpenAI(t)
	e := newEnv(t, envOptions{maxBody: 4096, upstreams: []upstream{
		{slug: "alpha", fake: fake, prompt: "0.000001"},
		{slug: "offline", prompt: "0.0000001"}, // no credentials: listed, never routed
	}})
	emptyKey, _ := e.newKey(0)
	unknownKey, _, _ := apikey.New()
	tests := []struct {
		name    string
		path    string
		body    string
		key     string
		status  int
		message string // substring of error.message
	}{
		{"broken JSON", "/api/v1/chat/completions", `{"model":`, e.key, 400, "invalid JSON"},
		{"not an object", "/api/v1/chat/completions", `[1,2]`, e.key, 400, "invalid request"},
		{"wrong type", "/api/v1/chat/completions", `{"model":1,"messages":[]}`, e.key, 400, `"model"`},
		{"empty body", "/api/v1/chat/completions", ``, e.key, 400, "empty"},
		{"no messages", "/api/v1/chat/completions", `{"model":"` + modelA + `"}`, e.key, 400, "messages"},
		{"no model", "/api/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, e.key, 400, "model is required"},
		{"bad role", "/api/v1/chat/completions", `{"model":"` + modelA + `","messages":[{"role":"wizard","content":"x"}]}`, e.key, 400, "role"},
		{"bad content", "/api/v1/chat/completions", `{"model":"` + modelA + `","messages":[{"role":"user","content":5}]}`, e.key, 400, "content"},
		{"bad temperature", "/api/v1/chat/completions", `{"model":"` + modelA + `","temperature":7,"messages":[{"role":"user","content":"x"}]}`, e.key, 400, "temperature"},
		{"unknown model", "/api/v1/chat/completions", `{"model":"nope/nothing","messages":[{"role":"user","content":"x"}]}`, e.key, 400, "nope/nothing is not a valid model ID"},
		{"no key", "/api/v1/chat/completions", chatBody, "", 401, "missing API key"},
		{"malformed key", "/api/v1/chat/completions", chatBody, "sk-or-v1-abc", 401, "invalid API key"},
		{"unknown key", "/api/v1/chat/completions", chatBody, unknownKey.Reveal(), 401, "invalid API key"},
		{"no credits", "/api/v1/chat/completions", chatBody, emptyKey, 402, "insufficient credits"},
		{"too large", "/api/v1/chat/completions", `{"model":"` + modelA + `","messages":[{"role":"user","content":"` + strings.Repeat("x", 5000) + `"}]}`, e.key, 413, "exceeds"},
		{"legacy bad prompt", "/api/v1/completions", `{"model":"` + modelA + `","prompt":["a","b"]}`, e.key, 400, "prompt"},
		{"unknown endpoint", "/api/v1/nothing", `{}`, e.key, 404, "no such endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(http.MethodPost, tt.path, tt.body, tt.key)
			got := errorEnvelope(t, resp, tt.status)
			if msg, _ := got["message"].(string); !strings.Contains(msg, tt.message) {
				t.Fatalf("message %q does not contain %q", msg, tt.message)
			}
		})
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("bad requests reached the upstream %d times", n)
	}
}

func TestUpstreamErrors(t *testing.T) {
	tests := []struct {
		name       string
		opts       []providertest.Option
		status     int
		retryAfter string
		errorType  string
		message    string
	}{
		{"rate limited", []providertest.Option{providertest.WithStatus(429, `{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}`), providertest.WithHeader("Retry-After", "7")},
			429, "7", "rate_limit_exceeded", "Rate limit reached for requests"},
		{"server error", []providertest.Option{providertest.WithStatus(500, `{"error":{"message":"The server had an error while processing your request"}}`)},
			502, "", "server", "The server had an error"},
		{"context too long", []providertest.Option{providertest.WithStatus(400, `{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}`)},
			400, "", "context_length_exceeded", "maximum context length is 8192"},
		{"bad upstream credentials", []providertest.Option{providertest.WithStatus(401, `{"error":{"message":"Incorrect API key provided"}}`)},
			502, "", "authentication", "Incorrect API key provided"},
		{"unavailable", []providertest.Option{providertest.WithStatus(503, `not json at all`)},
			503, "", "provider_overloaded", "not json at all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := providertest.NewOpenAI(t, tt.opts...)
			e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
			before := e.balance()
			resp := e.post("/api/v1/chat/completions", chatBody)
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			got := errorEnvelope(t, resp, tt.status)
			msg, _ := got["message"].(string)
			md, _ := got["metadata"].(map[string]any)
			if !strings.Contains(msg, tt.message) || !strings.Contains(msg, "Provider ALPHA") {
				t.Errorf("message %q: want the upstream's reason and the provider", msg)
			}
			if md["provider_name"] != "Provider ALPHA" || md["error_type"] != tt.errorType || md["raw"] == nil {
				t.Errorf("metadata %v", md)
			}
			if e.balance() != before {
				t.Error("a failed request was charged")
			}
		})
	}
}

func TestNoRoutableEndpoint(t *testing.T) {
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "offline", prompt: "0.000001"}}})
	resp := e.post("/api/v1/chat/completions", chatBody)
	got := errorEnvelope(t, resp, http.StatusServiceUnavailable)
	if md, _ := got["metadata"].(map[string]any); md["excluded"] == nil {
		t.Fatalf("no explanation of what was excluded: %v", got)
	}
}

func TestPreviousErrorsListed(t *testing.T) {
	a := providertest.NewOpenAI(t, providertest.WithStatus(502, `{"error":{"message":"a down"}}`))
	b := providertest.NewOpenAI(t, providertest.WithStatus(503, `{"error":{"message":"b down"}}`))
	e := newEnv(t, envOptions{upstreams: []upstream{
		{slug: "alpha", fake: a, prompt: "0.000001"},
		{slug: "beta", fake: b, prompt: "0.000002"},
	}})
	body := strings.Replace(chatBody, `"messages"`, `"provider":{"order":["alpha","beta"]},"messages"`, 1)
	got := errorEnvelope(t, e.post("/api/v1/chat/completions", body), http.StatusServiceUnavailable)
	md := got["metadata"].(map[string]any)
	prev, _ := md["previous_errors"].([]any)
	// Both endpoints fail, then both again in the one retry round after a
	// backoff: four attempts, the last one's error returned.
	if len(prev) != 3 || !strings.Contains(got["message"].(string), " down") {
		t.Fatalf("error %v", got)
	}
	if len(a.Requests()) != 2 || len(b.Requests()) != 2 {
		t.Errorf("upstream requests: a %d, b %d; want 2 each", len(a.Requests()), len(b.Requests()))
	}
}
