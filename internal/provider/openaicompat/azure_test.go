package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// azureSeen is what a fake Azure resource received.
type azureSeen struct {
	path, version, apiKey, auth, accept, caller string
	body                                        map[string]any
}

// azureFake answers every request with status, header and body, and
// records what it received.
func azureFake(t *testing.T, status int, header http.Header, body string) (*httptest.Server, func() azureSeen) {
	t.Helper()
	var mu sync.Mutex
	var seen azureSeen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = azureSeen{
			path:    r.URL.Path,
			version: r.URL.Query().Get("api-version"),
			apiKey:  r.Header.Get("api-key"),
			auth:    r.Header.Get("Authorization"),
			accept:  r.Header.Get("Accept"),
			caller:  r.Header.Get("X-Caller"),
		}
		if err := json.Unmarshal(b, &seen.body); err != nil {
			t.Errorf("request body: %v", err)
		}
		mu.Unlock()
		for k, vs := range header {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() azureSeen { mu.Lock(); defer mu.Unlock(); return seen }
}

func newAzure(t *testing.T, base string) provider.Provider {
	t.Helper()
	p, err := NewAzure(provider.Config{Slug: "azure", Name: "Azure", Protocol: "azure", BaseURL: base, APIKey: "az-key", HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatalf("NewAzure: %v", err)
	}
	return p
}

const azureReply = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`

func TestAzureDeployment(t *testing.T) {
	for _, tc := range []struct{ name, suffix, version string }{
		{"default version", "", AzureAPIVersion},
		{"trailing slash", "/", AzureAPIVersion},
		{"version in base URL", "?api-version=2025-01-01-preview", "2025-01-01-preview"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := azureFake(t, 200, http.Header{"Content-Type": {"application/json"}}, azureReply)
			p := newAzure(t, srv.URL+tc.suffix)
			chat := userRequest("Hi")
			chat.MaxTokens = openai.Ptr(50)
			chat.TopK = openai.Ptr(3)
			req := &provider.Request{Chat: chat, UpstreamModel: "my deployment", Headers: http.Header{
				"Api-Key": {"caller-key"}, "Authorization": {"Bearer caller"}, "X-Caller": {"yes"},
			}}
			resp, err := p.Chat(context.Background(), req)
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if got := *resp.Choices[0].Message.Content; got != "Hi!" || resp.Usage.TotalTokens != 7 {
				t.Errorf("response: %q, usage %+v", got, resp.Usage)
			}
			s := seen()
			if s.path != "/openai/deployments/my deployment/chat/completions" || s.version != tc.version {
				t.Errorf("path %q, api-version %q", s.path, s.version)
			}
			if s.apiKey != "az-key" || s.auth != "" || s.caller != "yes" {
				t.Errorf("api-key %q, Authorization %q, X-Caller %q", s.apiKey, s.auth, s.caller)
			}
			if s.body["max_completion_tokens"] != 50.0 || s.body["max_tokens"] != nil || s.body["top_k"] != nil {
				t.Errorf("body: %v", s.body)
			}
		})
	}
}

func TestAzureV1(t *testing.T) {
	srv, seen := azureFake(t, 200, http.Header{"Content-Type": {"application/json"}}, azureReply)
	p := newAzure(t, srv.URL+"/openai/v1/")
	if _, err := p.Chat(context.Background(), &provider.Request{Chat: userRequest("Hi"), UpstreamModel: "gpt-4o-dep"}); err != nil {
		t.Fatalf("Chat: %v", err)
	}
	s := seen()
	if s.path != "/openai/v1/chat/completions" || s.version != "" || s.apiKey != "az-key" || s.auth != "" {
		t.Errorf("seen %+v", s)
	}
	if s.body["model"] != "gpt-4o-dep" {
		t.Errorf("model = %v", s.body["model"])
	}
}

func TestAzureStream(t *testing.T) {
	const events = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}

data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null,"content_filter_results":{}}]}

data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}

data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}

data: [DONE]

`
	srv, seen := azureFake(t, 200, http.Header{"Content-Type": {"text/event-stream"}}, events)
	p := newAzure(t, srv.URL)
	s, err := p.ChatStream(context.Background(), &provider.Request{Chat: userRequest("Hi"), UpstreamModel: "dep"})
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	r := drain(t, s)
	if r.err != io.EOF || r.text != "Hello" || r.finish != "stop" || r.usage == nil || r.usage.TotalTokens != 6 {
		t.Errorf("stream: text %q finish %q usage %+v err %v", r.text, r.finish, r.usage, r.err)
	}
	sn := seen()
	if sn.path != "/openai/deployments/dep/chat/completions" || sn.accept != "text/event-stream" || sn.body["stream"] != true {
		t.Errorf("seen %+v", sn)
	}
	if so, _ := sn.body["stream_options"].(map[string]any); so["include_usage"] != true {
		t.Errorf("stream_options = %v", sn.body["stream_options"])
	}
}

func TestAzureRateLimit(t *testing.T) {
	const body = `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded call rate limit. Please retry after 7 seconds."}}`
	srv, _ := azureFake(t, 429, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"7"}}, body)
	p := newAzure(t, srv.URL)
	for _, stream := range []bool{false, true} {
		req := &provider.Request{Chat: userRequest("Hi"), UpstreamModel: "dep"}
		var err error
		if stream {
			_, err = p.ChatStream(context.Background(), req)
		} else {
			_, err = p.Chat(context.Background(), req)
		}
		var pe *provider.Error
		if !errors.As(err, &pe) {
			t.Fatalf("stream=%v: err = %v, want *provider.Error", stream, err)
		}
		if pe.Status != 429 || pe.Type != "rate_limit_exceeded" || pe.RetryAfter != 7*time.Second ||
			!strings.HasPrefix(pe.Message, "Requests to the ChatCompletions_Create") || !pe.Retryable() {
			t.Errorf("stream=%v: error %+v", stream, pe)
		}
	}
}

func TestNewAzure(t *testing.T) {
	for _, base := range []string{"", "myres.openai.azure.com", "ftp://myres"} {
		if _, err := NewAzure(provider.Config{Slug: "azure", BaseURL: base}); err == nil {
			t.Errorf("NewAzure(%q): no error", base)
		}
	}
	p, err := NewAzure(provider.Config{Slug: "azure", BaseURL: "https://myres.openai.azure.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Chat(context.Background(), &provider.Request{Chat: userRequest("Hi")}); err == nil {
		t.Error("Chat without a deployment: no error")
	}
}
