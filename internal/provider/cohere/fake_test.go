package cohere

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// fake is a minimal Cohere v2 Chat upstream: it records each request and
// answers with the handler the test sets.
type fake struct {
	srv *httptest.Server
	mu  sync.Mutex
	// last request
	header http.Header
	body   []byte
	path   string
	answer http.HandlerFunc
}

func newFake(t *testing.T, answer http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.header, f.body, f.path = r.Header.Clone(), b, r.URL.Path
		f.mu.Unlock()
		f.answer(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) provider(t *testing.T) provider.Provider {
	t.Helper()
	p, err := New(provider.Config{Slug: "cohere", Name: "Cohere", BaseURL: f.srv.URL + "/v2", APIKey: "co-test", HTTPClient: f.srv.Client()})
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

// ev is one SSE event: name and JSON data. An empty name sends data only.
type ev struct{ name, data string }

// sseAnswer streams events in order, flushing after each.
func sseAnswer(events ...ev) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, e := range events {
			if e.name != "" {
				fmt.Fprintf(w, "event: %s\n", e.name)
			}
			fmt.Fprintf(w, "data: %s\n\n", e.data)
			w.(http.Flusher).Flush()
		}
	}
}

// textEvents is the documented text stream.
var textEvents = []ev{
	{"message-start", `{"id":"29f14a5a","type":"message-start","delta":{"message":{"role":"assistant"}}}`},
	{"content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}`},
	{"content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"LL"}}}}`},
	{"content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Ms"}}}}`},
	{"content-end", `{"type":"content-end","index":0}`},
	{"message-end", `{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":5,"output_tokens":26},"tokens":{"input_tokens":71,"output_tokens":26},"cached_tokens":8}}}`},
}

// toolEvents is a tool plan and two tool calls.
var toolEvents = []ev{
	{"message-start", `{"id":"m2","type":"message-start","delta":{"message":{"role":"assistant"}}}`},
	{"tool-plan-delta", `{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will "}}}`},
	{"tool-plan-delta", `{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"check."}}}`},
	{"tool-call-start", `{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"get_weather_abc","type":"function","function":{"name":"get_weather","arguments":""}}}}}`},
	{"tool-call-delta", `{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\"location\":"}}}}}`},
	{"tool-call-delta", `{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":" \"SF\"}"}}}}}`},
	{"tool-call-end", `{"type":"tool-call-end","index":0}`},
	{"tool-call-start", `{"type":"tool-call-start","index":1,"delta":{"message":{"tool_calls":{"id":"now_xyz","type":"function","function":{"name":"now","arguments":""}}}}}`},
	{"tool-call-delta", `{"type":"tool-call-delta","index":1,"delta":{"message":{"tool_calls":{"function":{"arguments":"{}"}}}}}`},
	{"tool-call-end", `{"type":"tool-call-end","index":1}`},
	{"message-end", `{"type":"message-end","delta":{"finish_reason":"TOOL_CALL","usage":{"tokens":{"input_tokens":10,"output_tokens":20}}}}`},
}

func chatReq(msgs ...openai.Message) *provider.Request {
	return &provider.Request{Chat: &openai.ChatRequest{Model: "cohere/command-x", Messages: msgs}, UpstreamModel: "command-x"}
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

func eqPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
