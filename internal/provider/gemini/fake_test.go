package gemini

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// fake is a minimal Gemini upstream: it records each request and answers
// with the handler the test sets.
type fake struct {
	srv *httptest.Server
	mu  sync.Mutex
	// last request
	header http.Header
	body   []byte
	uri    string
	answer http.HandlerFunc
}

func newFake(t *testing.T, answer http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.header, f.body, f.uri = r.Header.Clone(), b, r.URL.RequestURI()
		f.mu.Unlock()
		f.answer(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) provider(t *testing.T) provider.Provider {
	t.Helper()
	p, err := New(provider.Config{Slug: "google-ai-studio", Name: "Google", BaseURL: f.srv.URL + "/v1beta", APIKey: "g-key",
		HTTPClient: f.srv.Client(), Media: testMedia})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fake) request(t *testing.T) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(f.body, &m); err != nil {
		t.Fatalf("upstream body: %v: %s", err, f.body)
	}
	return m
}

// testMedia loads images from the tests' servers on 127.0.0.1.
var testMedia = media.New(media.Options{AllowPrivate: true})

// jsonAnswer replies with status and body.
func jsonAnswer(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// sseAnswer streams raw SSE text pieces in order, flushing after each.
// Pieces are sent verbatim, so tests can emit non-data lines.
func sseAnswer(pieces ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, p := range pieces {
			io.WriteString(w, p)
			w.(http.Flusher).Flush()
		}
	}
}

// data frames JSON payloads as data events.
func data(payloads ...string) []string {
	out := make([]string, len(payloads))
	for i, p := range payloads {
		out[i] = "data: " + strings.TrimSpace(p) + "\r\n\r\n"
	}
	return out
}

func chatReq(msgs ...openai.Message) *provider.Request {
	return &provider.Request{Chat: &openai.ChatRequest{Model: "google/gemini-x", Messages: msgs}, UpstreamModel: "gemini-x"}
}

func user(s string) openai.Message {
	return openai.Message{Role: "user", Content: openai.TextContent(s)}
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
