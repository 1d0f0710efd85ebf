package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/aws/smithy-go/logging"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/awsauth"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

const model = "anthropic.claude-3-7-sonnet-20250219-v1:0"

type frame struct {
	mt, typ, payload string
}

func encodeFrames(t *testing.T, frames []frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, f := range frames {
		var m eventstream.Message
		m.Headers.Set(":message-type", eventstream.StringValue(f.mt))
		switch f.mt {
		case "exception":
			m.Headers.Set(":exception-type", eventstream.StringValue(f.typ))
			m.Payload = []byte(f.payload)
		case "error": // typ is the error code, payload the message
			m.Headers.Set(":error-code", eventstream.StringValue(f.typ))
			m.Headers.Set(":error-message", eventstream.StringValue(f.payload))
		default:
			m.Headers.Set(":event-type", eventstream.StringValue(f.typ))
			m.Payload = []byte(f.payload)
		}
		m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		if err := enc.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

type captured struct {
	mu      sync.Mutex
	rawPath string
	header  http.Header
	body    []byte
}

func (c *captured) get() (string, http.Header, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rawPath, c.header, c.body
}

// fake is the upstream: it records the request and answers with status,
// headers and body.
func fake(t *testing.T, status int, hdr map[string]string, body []byte) (*httptest.Server, *captured) {
	c := &captured{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.rawPath, c.header, c.body = r.URL.EscapedPath(), r.Header.Clone(), b
		c.mu.Unlock()
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

// testMedia reaches the httptest servers on 127.0.0.1.
var testMedia = media.New(media.Options{AllowPrivate: true})

func newTest(t *testing.T, base, key string) *Adapter {
	t.Helper()
	a, err := newAdapter(provider.Config{Slug: "bedrock", Name: "Bedrock", BaseURL: base, APIKey: provider.Secret(key), HTTPClient: http.DefaultClient, Media: testMedia})
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	a.newChatID = func() string { return "gen-1" }
	return a
}

func chatReq(t *testing.T, js string) *provider.Request {
	t.Helper()
	return chatReqFor(t, model, js)
}

func chatReqFor(t *testing.T, upstreamModel, js string) *provider.Request {
	t.Helper()
	var c openai.ChatRequest
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return &provider.Request{Chat: &c, UpstreamModel: upstreamModel}
}

const okBody = `{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn","usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4}}`

// TestSigV4 checks the adapter's wire path and that credentials sign it
// (awsauth has its own tests of the signature itself).
func TestSigV4(t *testing.T) {
	srv, c := fake(t, 200, nil, []byte(okBody))
	a := newTest(t, srv.URL, "AKIDEXAMPLE:secret:token")
	auth, ok := a.auth.(*awsauth.Auth)
	if !ok || !auth.SigV4() || auth.Region() != awsauth.DefaultRegion {
		t.Fatalf("auth = %#v", a.auth)
	}
	auth.Now = a.now
	var canonical strings.Builder
	auth.SignerOptions = append(auth.SignerOptions, func(o *v4.SignerOptions) {
		o.LogSigning = true
		o.Logger = logging.LoggerFunc(func(_ logging.Classification, f string, v ...any) { fmt.Fprintf(&canonical, f, v...) })
	})
	if _, err := a.Chat(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	rawPath, header, _ := c.get()
	if got := header.Get("Authorization"); !strings.HasPrefix(got, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250102/us-east-1/bedrock/aws4_request") || !strings.Contains(got, "Signature=") {
		t.Fatalf("Authorization = %q", got)
	}
	if header.Get("X-Amz-Date") != "20250102T030405Z" || header.Get("X-Amz-Security-Token") != "token" || header.Get("X-Amz-Content-Sha256") == "" {
		t.Fatalf("headers %v", header)
	}
	if rawPath != "/model/anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse" {
		t.Fatalf("wire path %q", rawPath)
	}
	if !strings.Contains(canonical.String(), "/model/anthropic.claude-3-7-sonnet-20250219-v1%253A0/converse") {
		t.Fatalf("canonical request does not double-encode: %s", canonical.String())
	}
}

func TestAuthSelection(t *testing.T) {
	a, err := newAdapter(provider.Config{Slug: "b", BaseURL: "https://bedrock-runtime.ap-south-1.amazonaws.com/", APIKey: "AKIA1:secret"})
	if err != nil {
		t.Fatal(err)
	}
	if auth, ok := a.auth.(*awsauth.Auth); !ok || auth.Region() != "ap-south-1" {
		t.Fatalf("auth = %#v", a.auth)
	}
	if a.endpoint("m:1", "converse").String() != "https://bedrock-runtime.ap-south-1.amazonaws.com/model/m%3A1/converse" {
		t.Fatalf("endpoint %s", a.endpoint("m:1", "converse"))
	}
	if a, _ := newAdapter(provider.Config{Slug: "b"}); a.auth != nil {
		t.Fatalf("no key made an authorizer: %#v", a.auth)
	}

	// Bearer API key, and cfg.Auth taking precedence over the key.
	srv, c := fake(t, 200, nil, []byte(okBody))
	for _, tt := range []struct {
		name string
		auth provider.Authorizer
		want string
	}{
		{"apiKey", nil, "Bearer ABSKbedrockapikey="},
		{"cfgAuth", staticAuth("Bearer injected"), "Bearer injected"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newAdapter(provider.Config{Slug: "b", BaseURL: srv.URL, APIKey: "ABSKbedrockapikey=", Auth: tt.auth})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Chat(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
				t.Fatal(err)
			}
			if _, h, _ := c.get(); h.Get("Authorization") != tt.want || h.Get("X-Amz-Date") != "" {
				t.Fatalf("Authorization = %q", h.Get("Authorization"))
			}
		})
	}
}

type staticAuth string

func (s staticAuth) Authorize(r *http.Request, _ []byte) error {
	r.Header.Set("Authorization", string(s))
	return nil
}

func TestChatResponse(t *testing.T) {
	const reasoningBody = `{"output":{"message":{"role":"assistant","content":[
		{"reasoningContent":{"reasoningText":{"text":"hmm","signature":"sig1"}}},
		{"reasoningContent":{"redactedContent":"UkVEQUNURUQ="}},
		{"text":"Checking."},
		{"toolUse":{"toolUseId":"tu1","name":"get_weather","input":{"city":"Paris"}}}]}},
		"stopReason":"tool_use","usage":{"inputTokens":10,"outputTokens":5,"totalTokens":21,"cacheReadInputTokens":4,"cacheWriteInputTokens":2},"metrics":{"latencyMs":1}}`
	const details = `[{"type":"reasoning.text","text":"hmm","signature":"sig1","format":"anthropic-claude-v1","index":0},` +
		`{"type":"reasoning.encrypted","data":"UkVEQUNURUQ=","format":"anthropic-claude-v1","index":1}]`
	tests := []struct {
		name, model, req, body string
		content, reasoning     *string
		details                string
		calls                  string // name(args),…
		finish, native         string
	}{
		{
			name: "reasoningAndTool", model: model, req: `{"messages":[{"role":"user","content":"hi"}]}`, body: reasoningBody,
			content: openai.Ptr("Checking."), reasoning: openai.Ptr("hmm"), details: details,
			calls: `get_weather({"city":"Paris"})`, finish: "tool_calls", native: "tool_use",
		},
		{
			name: "exclude", model: model, req: `{"messages":[{"role":"user","content":"hi"}],"reasoning":{"exclude":true}}`, body: reasoningBody,
			content: openai.Ptr("Checking."), calls: `get_weather({"city":"Paris"})`, finish: "tool_calls", native: "tool_use",
		},
		{
			name: "otherFamilyFormat", model: "deepseek.r1-v1:0", req: `{"messages":[{"role":"user","content":"hi"}]}`,
			body:    `{"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"t"}}},{"text":"ok"}]}},"stopReason":"end_turn"}`,
			content: openai.Ptr("ok"), reasoning: openai.Ptr("t"), details: `[{"type":"reasoning.text","text":"t","format":"unknown","index":0}]`,
			finish: "stop", native: "end_turn",
		},
		{
			name: "jsonObject", model: model, req: `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}`,
			body:    `{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tu9","name":"json_response","input":{"a":1}}}]}},"stopReason":"tool_use"}`,
			content: openai.Ptr(`{"a":1}`), finish: "stop", native: "tool_use",
		},
		{
			name: "malformed", model: model, req: `{"messages":[{"role":"user","content":"hi"}]}`,
			body:    `{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":"malformed_model_output"}`,
			content: openai.Ptr("x"), finish: "error", native: "malformed_model_output",
		},
		{
			name: "length", model: model, req: `{"messages":[{"role":"user","content":"hi"}]}`,
			body:    `{"output":{"message":{"role":"assistant","content":[{"text":"x"}]}},"stopReason":"max_tokens"}`,
			content: openai.Ptr("x"), finish: "length", native: "max_tokens",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fake(t, 200, nil, []byte(tt.body))
			a := newTest(t, srv.URL, "key")
			resp, err := a.Chat(context.Background(), chatReqFor(t, tt.model, tt.req))
			if err != nil {
				t.Fatal(err)
			}
			ch := resp.Choices[0]
			m := ch.Message
			if !equalPtr(m.Content, tt.content) || !equalPtr(m.Reasoning, tt.reasoning) || string(m.ReasoningDetails) != tt.details {
				t.Fatalf("content %v reasoning %v details %s", deref(m.Content), deref(m.Reasoning), m.ReasoningDetails)
			}
			var calls []string
			for _, c := range m.ToolCalls {
				calls = append(calls, c.Function.Name+"("+c.Function.Arguments+")")
			}
			if strings.Join(calls, ",") != tt.calls || *ch.FinishReason != tt.finish || *ch.NativeFinishReason != tt.native {
				t.Fatalf("calls %v finish %s/%s", calls, *ch.FinishReason, *ch.NativeFinishReason)
			}
			if resp.Model != tt.model || resp.ID != "gen-1" {
				t.Fatalf("%+v", resp)
			}
		})
	}
}

func equalPtr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// TestUsage checks the arithmetic: Bedrock's inputTokens excludes cache
// reads and writes, so prompt_tokens adds them back, once.
func TestUsage(t *testing.T) {
	tests := []struct {
		in                                usage
		prompt, completion, total, cr, cw int
	}{
		{usage{InputTokens: 12, OutputTokens: 3, TotalTokens: 15}, 12, 3, 15, 0, 0},
		{usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 1015, CacheReadInputTokens: 1000}, 1010, 5, 1015, 1000, 0},
		{usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 515, CacheWriteInputTokens: 500}, 510, 5, 515, 0, 500},
		{usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 21, CacheReadInputTokens: 4, CacheWriteInputTokens: 2}, 16, 5, 21, 4, 2},
	}
	for _, tt := range tests {
		u := tt.in.openai()
		if u.PromptTokens != tt.prompt || u.CompletionTokens != tt.completion || u.TotalTokens != tt.total ||
			u.CachedTokens() != tt.cr || u.CacheWriteTokens() != tt.cw || u.TotalTokens != tt.in.TotalTokens {
			t.Errorf("%+v → %+v %+v", tt.in, u, u.PromptTokensDetails)
		}
	}
	if (*usage)(nil).openai() != nil {
		t.Error("no usage made one")
	}
}

func TestCapabilities(t *testing.T) {
	a := newTest(t, "http://127.0.0.1:1", "key")
	c := a.Capabilities()
	if !c.Tools || c.ParallelToolCalls || !c.Images || !c.Files || !c.JSONMode || !c.StructuredOutputs ||
		!c.Reasoning || !c.ReasoningDetails || !c.PromptCaching || !c.CacheWriteUsage {
		t.Fatalf("%+v", c)
	}
}

func TestHTTPErrors(t *testing.T) {
	tests := []struct {
		status  int
		errType string
		body    string
		want    string
	}{
		{429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", `{"message":"Too many requests"}`, "rate_limit_exceeded"},
		{400, "ValidationException", `{"message":"Input is too long for requested model."}`, "context_length_exceeded"},
		{400, "ValidationException", `{"message":"bad field"}`, "invalid_request"},
		{403, "AccessDeniedException", `{"message":"no"}`, "permission_denied"},
		{408, "ModelTimeoutException", `{"message":"slow"}`, "timeout"},
		{503, "ServiceUnavailableException", `{"message":"later"}`, "provider_overloaded"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.want), func(t *testing.T) {
			srv, _ := fake(t, tt.status, map[string]string{"X-Amzn-ErrorType": tt.errType, "Retry-After": "2"}, []byte(tt.body))
			a := newTest(t, srv.URL, "key")
			_, err := a.Chat(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}]}`))
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Status != tt.status || pe.Type != tt.want || pe.Message == "" || pe.Code == "" || strings.Contains(pe.Code, ":") {
				t.Fatalf("err = %#v", err)
			}
			_, err = a.ChatStream(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}]}`))
			if !errors.As(err, &pe) || pe.Status != tt.status {
				t.Fatalf("stream err = %#v", err)
			}
			if tt.status == 429 && (!pe.Retryable() || pe.RetryAfter != 2*time.Second) {
				t.Fatalf("%+v", pe)
			}
		})
	}
}
