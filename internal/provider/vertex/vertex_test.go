package vertex

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/googleauth"
)

// fake is a Vertex AI upstream that records requests and answers Gemini's
// generateContent and streamGenerateContent.
type fake struct {
	srv  *httptest.Server
	mu   sync.Mutex
	uris []string
	auth []string
	keys []string
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		f.uris = append(f.uris, r.URL.RequestURI())
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.keys = append(f.keys, r.Header.Get("X-Goog-Api-Key"))
		f.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, ":rawPredict") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hello from claude"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`)
			return
		}
		if strings.HasSuffix(r.URL.Path, ":streamGenerateContent") {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, `data: {"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3},"responseId":"v1"}`+"\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":2,"cachedContentTokenCount":1,"candidatesTokenCount":1,"thoughtsTokenCount":2,"totalTokenCount":5},"modelVersion":"gemini-2.5-pro","responseId":"v1"}`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func chatReq(model string) *provider.Request {
	return &provider.Request{
		Chat:          &openai.ChatRequest{Model: "google/" + model, Messages: []openai.Message{{Role: "user", Content: openai.TextContent("hi")}}},
		UpstreamModel: model,
	}
}

// serviceAccount returns a service-account key whose token_uri is tokenURL.
func serviceAccount(t *testing.T, tokenURL string) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := json.Marshal(map[string]string{
		"type":         "service_account",
		"project_id":   "my-project",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "gw@my-project.iam.gserviceaccount.com",
		"token_uri":    tokenURL,
	})
	return key
}

func TestGeminiOnVertex(t *testing.T) {
	f := newFake(t)
	base := f.srv.URL + "/v1/projects/p1/locations/us-central1"
	p, err := New(provider.Config{Slug: "vertex", BaseURL: base + "/", APIKey: "ignored-with-auth", HTTPClient: f.srv.Client(), Auth: googleauth.Static("tok-1")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Chat(context.Background(), chatReq("gemini-2.5-pro"))
	if err != nil {
		t.Fatal(err)
	}
	if deref(resp.Choices[0].Message.Content) != "hi" || resp.Usage.PromptTokens != 2 || resp.Usage.CompletionTokens != 3 ||
		resp.Usage.CachedTokens() != 1 || resp.Usage.ReasoningTokens() != 2 {
		t.Errorf("response %+v usage %+v", resp.Choices[0].Message, resp.Usage)
	}
	s, err := p.ChatStream(context.Background(), chatReq("publishers/google/models/gemini-2.5-flash"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	for ; ; n++ {
		if _, err := s.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	wantURIs := []string{
		"/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent",
		"/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
	}
	for i, w := range wantURIs {
		if f.uris[i] != w || f.auth[i] != "Bearer tok-1" || f.keys[i] != "" {
			t.Errorf("request %d: %s auth %q key %q, want %s", i, f.uris[i], f.auth[i], f.keys[i], w)
		}
	}
	if n != 2 {
		t.Errorf("%d chunks", n)
	}
	if c := p.(provider.Describer).Capabilities(); !c.Reasoning || !c.ReasoningDetails || !c.Files {
		t.Errorf("capabilities %+v", c)
	}
}

func TestServiceAccountFile(t *testing.T) {
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"ya29.sa","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokens.Close()
	path := filepath.Join(t.TempDir(), "key.json")
	key := serviceAccount(t, tokens.URL)
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFake(t)
	for _, cred := range []string{path, string(key)} {
		p, err := New(provider.Config{BaseURL: f.srv.URL + "/v1/projects/my-project/locations/europe-west4", APIKey: provider.Secret(cred), HTTPClient: f.srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Chat(context.Background(), chatReq("gemini-2.5-pro")); err != nil {
			t.Fatal(err)
		}
		if got := f.auth[len(f.auth)-1]; got != "Bearer ya29.sa" {
			t.Errorf("authorization %q", got)
		}
	}

	// Without a base URL, the key's project in the global location.
	p, err := New(provider.Config{APIKey: provider.Secret(key)})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.(*Adapter).base; got != "https://aiplatform.googleapis.com/v1/projects/my-project/locations/global" {
		t.Errorf("base %q", got)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  provider.Config
	}{
		{name: "no credential", cfg: provider.Config{BaseURL: "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1"}},
		{name: "missing key file", cfg: provider.Config{APIKey: "/nonexistent/key.json"}},
		{name: "not a service account", cfg: provider.Config{APIKey: `{"type":"authorized_user","project_id":"p"}`}},
		{name: "auth without base or project", cfg: provider.Config{Auth: googleauth.Static("t")}},
		{name: "bad base URL", cfg: provider.Config{Auth: googleauth.Static("t"), BaseURL: "ftp://x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), "vertex: ") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestClaudeOnVertex(t *testing.T) {
	f := newFake(t)
	p, err := New(provider.Config{BaseURL: f.srv.URL + "/v1/projects/p1/locations/us-east5", HTTPClient: f.srv.Client(), Auth: googleauth.Static("tok-2")})
	if err != nil {
		t.Fatal(err)
	}
	if p.(*Adapter).claude != nil {
		t.Error("the Claude adapter is built before it is needed")
	}
	resp, err := p.Chat(context.Background(), chatReq("claude-sonnet-4-5@20250929"))
	if err != nil {
		t.Fatal(err)
	}
	if deref(resp.Choices[0].Message.Content) != "hello from claude" {
		t.Errorf("message %+v", resp.Choices[0].Message)
	}
	if f.uris[0] != "/v1/projects/p1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict" || f.auth[0] != "Bearer tok-2" {
		t.Errorf("request %s auth %q", f.uris[0], f.auth[0])
	}
}

func TestIsClaude(t *testing.T) {
	for model, want := range map[string]bool{
		"claude-sonnet-4-5@20250929":                  true,
		"publishers/anthropic/models/claude-opus-4-1": true,
		"gemini-2.5-pro":                              false,
		"publishers/google/models/gemini-3-pro":       false,
	} {
		if IsClaude(model) != want {
			t.Errorf("IsClaude(%q) = %v", model, !want)
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
