package ollama

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

const okLine = `{"model":"m","message":{"role":"assistant","content":"ok"},"done":true,"done_reason":"stop"}`

func adapterWith(t *testing.T, base string, m *media.Fetcher) provider.Provider {
	t.Helper()
	p, err := New(provider.Config{Slug: "ollama", Name: "Ollama", BaseURL: base, HTTPClient: &http.Client{}, Media: m})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// chatJSON builds a request from JSON.
func chatJSON(t *testing.T, body string) *provider.Request {
	t.Helper()
	var c openai.ChatRequest
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		t.Fatal(err)
	}
	return &provider.Request{Chat: &c, UpstreamModel: "m"}
}

// both runs a request through Chat and ChatStream, returning the errors.
func both(p provider.Provider, mk func() *provider.Request) [2]error {
	var errs [2]error
	_, errs[0] = p.Chat(context.Background(), mk())
	s, err := p.ChatStream(context.Background(), mk())
	if err == nil {
		s.Close()
	}
	errs[1] = err
	return errs
}

func TestThink(t *testing.T) {
	tests := []struct {
		name string
		in   string // extra request fields
		want any    // think; nil means absent
	}{
		{"unset", ``, nil},
		{"disabled", `"reasoning":{"enabled":false}`, false},
		{"effort none", `"reasoning_effort":"none"`, false},
		{"minimal", `"reasoning_effort":"minimal"`, "low"},
		{"low", `"reasoning":{"effort":"low"}`, "low"},
		{"medium", `"reasoning":{"effort":"medium"}`, "medium"},
		{"high", `"reasoning_effort":"high"`, "high"},
		{"xhigh", `"reasoning_effort":"xhigh"`, "high"},
		{"max", `"reasoning":{"effort":"max"}`, "high"},
		{"budget", `"reasoning":{"max_tokens":2000}`, true},
		{"exclude", `"reasoning":{"effort":"low","exclude":true}`, "low"},
		{"include_reasoning", `"include_reasoning":true`, "medium"},
	}
	f := newFake(t, 200, okLine)
	p := adapter(t, f.URL)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"messages":[{"role":"user","content":"hi"}]`
			if tt.in != "" {
				body += "," + tt.in
			}
			if _, err := p.Chat(context.Background(), chatJSON(t, body+"}")); err != nil {
				t.Fatal(err)
			}
			got, ok := f.request()["think"]
			if tt.want == nil {
				if ok {
					t.Errorf("think = %v, want absent", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("think = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestReasoningBack(t *testing.T) {
	const thinkLine = `{"model":"m","message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}`
	const answer = `{"model":"m","message":{"role":"assistant","content":"42","thinking":"hmm"},"done":true,"done_reason":"stop"}`
	for _, tt := range []struct {
		name, reasoning string
		want            *string
	}{
		{"returned", `{"effort":"low"}`, openai.Ptr("hmm")},
		{"excluded", `{"effort":"low","exclude":true}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mk := func() *provider.Request {
				return chatJSON(t, `{"messages":[{"role":"user","content":"hi"}],"reasoning":`+tt.reasoning+`}`)
			}
			f := newFake(t, 200, answer)
			resp, err := adapter(t, f.URL).Chat(context.Background(), mk())
			if err != nil {
				t.Fatal(err)
			}
			if m := resp.Choices[0].Message; *m.Content != "42" || (m.Reasoning == nil) != (tt.want == nil) || (m.Reasoning != nil && *m.Reasoning != *tt.want) {
				t.Errorf("message %+v", m)
			}

			f = newFake(t, 200, thinkLine, `{"model":"m","message":{"role":"assistant","content":"42"},"done":false}`, doneLine)
			s, err := adapter(t, f.URL).ChatStream(context.Background(), mk())
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, s)
			want := ""
			if tt.want != nil {
				want = *tt.want
			}
			if r.err != io.EOF || r.reasoning != want || r.text != "42" {
				t.Errorf("stream reasoning %q text %q err %v", r.reasoning, r.text, r.err)
			}
		})
	}
}

func TestReasoningHistory(t *testing.T) {
	f := newFake(t, 200, okLine)
	req := chatJSON(t, `{"messages":[{"role":"user","content":"hi","reasoning":"ignored"},{"role":"assistant","content":"hello","reasoning":"greet"},{"role":"user","content":"again"}]}`)
	if _, err := adapter(t, f.URL).Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(f.request()["messages"])
	want := `[{"content":"hi","role":"user"},{"content":"hello","role":"assistant","thinking":"greet"},{"content":"again","role":"user"}]`
	if string(got) != want {
		t.Errorf("messages\n got %s\nwant %s", got, want)
	}
}

// imageServer serves a PNG at /cat.png, text at /note.txt and 404 elsewhere.
func imageServer(t *testing.T) (*httptest.Server, []byte) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cat.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		case "/note.txt":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "not an image")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, png
}

func TestImages(t *testing.T) {
	img, png := imageServer(t)
	private := media.New(media.Options{AllowPrivate: true})
	tests := []struct {
		name    string
		url     string
		fetcher *media.Fetcher
		want    string // the base64 sent; "" means a 400
		errHas  string
	}{
		{"data URL", "data:image/png;base64,iVBORw0KGgo=", nil, "iVBORw0KGgo=", ""},
		{"http URL fetched", img.URL + "/cat.png", private, base64.StdEncoding.EncodeToString(png), ""},
		{"loopback refused by default", img.URL + "/cat.png", nil, "", "not a public internet address"},
		{"not found", img.URL + "/missing.png", private, "", "404"},
		{"not an image", img.URL + "/note.txt", private, "", "not an image"},
		{"bad data URL", "data:image/png,notbase64", private, "", "data: URL"},
		{"unsupported scheme", "ftp://example.com/x.png", private, "", "http(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 200, okLine)
			p := adapterWith(t, f.URL, tt.fetcher)
			mk := func() *provider.Request {
				return &provider.Request{UpstreamModel: "m", Chat: &openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(
					openai.ContentPart{Type: "text", Text: "what?"},
					openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: tt.url}})}}}}
			}
			if tt.want != "" {
				if _, err := p.Chat(context.Background(), mk()); err != nil {
					t.Fatal(err)
				}
				msgs := f.request()["messages"].([]any)
				got := msgs[0].(map[string]any)["images"]
				if !reflect.DeepEqual(got, []any{tt.want}) {
					t.Errorf("images = %v, want [%s]", got, tt.want)
				}
				return
			}
			for i, err := range both(p, mk) {
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || !strings.Contains(pe.Message, tt.errHas) {
					t.Errorf("stream=%v: err = %v", i == 1, err)
				}
			}
			if f.request() != nil {
				t.Error("request sent upstream")
			}
		})
	}
}

func TestToolChoice(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"now","parameters":{"type":"object"}}}]`
	tests := []struct {
		name   string
		choice string
		strict bool
		tools  bool   // tools sent
		errHas string // a 400 when set
	}{
		{"absent", ``, false, true, ""},
		{"auto", `"auto"`, true, true, ""},
		{"none", `"none"`, false, false, ""},
		{"none strict", `"none"`, true, false, ""},
		{"required ignored", `"required"`, false, true, ""},
		{"named ignored", `{"type":"function","function":{"name":"now"}}`, false, true, ""},
		{"required strict", `"required"`, true, false, "cannot force"},
		{"named strict", `{"type":"function","function":{"name":"now"}}`, true, false, "cannot force"},
		{"invalid", `"sometimes"`, false, false, "unsupported value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 200, okLine)
			body := `{"messages":[{"role":"user","content":"hi"}],` + tools
			if tt.choice != "" {
				body += `,"tool_choice":` + tt.choice
			}
			if tt.strict {
				body += `,"provider":{"require_parameters":true}`
			}
			mk := func() *provider.Request { return chatJSON(t, body+"}") }
			errs := both(adapter(t, f.URL), mk)
			if tt.errHas != "" {
				for i, err := range errs {
					var pe *provider.Error
					if !errors.As(err, &pe) || pe.Status != 400 || !strings.Contains(pe.Message, tt.errHas) {
						t.Errorf("stream=%v: err = %v", i == 1, err)
					}
				}
				return
			}
			if errs[0] != nil || errs[1] != nil {
				t.Fatal(errs)
			}
			r := f.request()
			if _, sent := r["tools"]; sent != tt.tools {
				t.Errorf("tools sent = %v, want %v", sent, tt.tools)
			}
			if _, ok := r["tool_choice"]; ok {
				t.Error("tool_choice sent")
			}
		})
	}
}

func TestRequireParameters(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		errHas string
	}{
		{"logit_bias", `"logit_bias":{"1":2}`, "logit_bias"},
		{"parallel_tool_calls", `"parallel_tool_calls":false`, "parallel_tool_calls"},
		{"file", `"messages":[{"role":"user","content":[{"type":"file","file":{}}]}]`, "file inputs"},
		{"supported", `"temperature":0.2,"reasoning_effort":"low","response_format":{"type":"json_object"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 200, okLine)
			body := `{"provider":{"require_parameters":true},` + tt.body
			if !strings.Contains(tt.body, `"messages"`) {
				body += `,"messages":[{"role":"user","content":"hi"}]`
			}
			mk := func() *provider.Request { return chatJSON(t, body+"}") }
			for i, err := range both(adapter(t, f.URL), mk) {
				var pe *provider.Error
				if tt.errHas == "" {
					if err != nil {
						t.Errorf("stream=%v: %v", i == 1, err)
					}
					continue
				}
				if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || !strings.Contains(pe.Message, tt.errHas) {
					t.Errorf("stream=%v: err = %v", i == 1, err)
				}
			}
			if sent := f.request() != nil; sent != (tt.errHas == "") {
				t.Errorf("sent upstream = %v", sent)
			}
		})
	}
	// Without require_parameters the same parameter is dropped.
	f := newFake(t, 200, okLine)
	if _, err := adapter(t, f.URL).Chat(context.Background(), chatJSON(t, `{"messages":[{"role":"user","content":"hi"}],"logit_bias":{"1":2}}`)); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.request()["logit_bias"]; ok {
		t.Error("logit_bias sent")
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"type":"json_object"}`, `"json"`},
		{`{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}`, `{"properties":{"a":{"type":"string"}},"type":"object"}`},
		{`{"type":"json_schema","json_schema":{"name":"x"}}`, `"json"`},
		{`{"type":"text"}`, `null`},
	} {
		f := newFake(t, 200, okLine)
		if _, err := adapter(t, f.URL).Chat(context.Background(), chatJSON(t, `{"messages":[{"role":"user","content":"hi"}],"response_format":`+tt.in+`}`)); err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(f.request()["format"]); string(got) != tt.want {
			t.Errorf("%s: format = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestToolCallIDsUnique checks synthesised ids are unique across responses
// and stable within a stream.
func TestToolCallIDsUnique(t *testing.T) {
	const calls = `"tool_calls":[{"function":{"name":"a","arguments":{}}},{"function":{"name":"b","arguments":{}}}]`
	seen := map[string]bool{}
	add := func(id string) {
		t.Helper()
		if !strings.HasPrefix(id, "call_") || seen[id] {
			t.Errorf("id %q is malformed or repeated (seen %v)", id, seen)
		}
		seen[id] = true
	}
	f := newFake(t, 200, `{"model":"m","message":{"role":"assistant","content":"",`+calls+`},"done":true,"done_reason":"stop"}`)
	p := adapter(t, f.URL)
	for range 3 {
		resp, err := p.Chat(context.Background(), req("x"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.Choices[0].Message.ToolCalls {
			add(c.ID)
		}
	}
	f = newFake(t, 200,
		`{"model":"m","message":{"role":"assistant","content":"",`+calls+`},"done":false}`,
		`{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"c","arguments":{}}}]},"done":false}`,
		`{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}`)
	p = adapter(t, f.URL)
	for range 3 {
		s, err := p.ChatStream(context.Background(), req("x"))
		if err != nil {
			t.Fatal(err)
		}
		r := drain(t, s)
		if r.err != io.EOF || len(r.calls) != 3 || r.finish != "tool_calls" {
			t.Fatalf("stream %+v", r)
		}
		prefix := strings.TrimSuffix(r.calls[0].ID, "0")
		for i, c := range r.calls {
			if c.ID != prefix+string(rune('0'+i)) { // one response, one prefix
				t.Errorf("call %d id %q, want prefix %q", i, c.ID, prefix)
			}
			add(c.ID)
		}
	}
	// An id the upstream sends is kept.
	f = newFake(t, 200, `{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"id":"up_1","function":{"name":"a","arguments":{}}}]},"done":true,"done_reason":"stop"}`)
	resp, err := adapter(t, f.URL).Chat(context.Background(), req("x"))
	if err != nil || resp.Choices[0].Message.ToolCalls[0].ID != "up_1" {
		t.Errorf("upstream id: %v %+v", err, resp)
	}
}

func TestStreamCutShort(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lines []string
		typ   string
	}{
		{"after a line", []string{`{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`}, "provider_unavailable"},
		{"mid line", []string{`{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`, `{"model":"m","message":{"ro`}, "server"},
		{"in-band error", []string{`{"error":"boom"}`}, "server"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, 200, tt.lines...)
			s, err := adapter(t, f.URL).ChatStream(context.Background(), req("x"))
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, s)
			var pe *provider.Error
			if r.err == io.EOF || !errors.As(r.err, &pe) || pe.Type != tt.typ {
				t.Errorf("err = %v", r.err)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	p := adapter(t, "http://127.0.0.1:1")
	d, ok := p.(provider.Describer)
	if !ok {
		t.Fatal("adapter is not a provider.Describer")
	}
	c := d.Capabilities()
	if !c.Tools || !c.Images || c.Files || !c.JSONMode || !c.StructuredOutputs || !c.Reasoning || c.ReasoningDetails || c.PromptCaching || c.ParallelToolCalls {
		t.Errorf("capabilities %+v", c)
	}
}
