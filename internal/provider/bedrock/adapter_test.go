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
		if f.mt == "exception" {
			m.Headers.Set(":exception-type", eventstream.StringValue(f.typ))
		} else {
			m.Headers.Set(":event-type", eventstream.StringValue(f.typ))
		}
		m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		m.Payload = []byte(f.payload)
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

func newTest(t *testing.T, base, key string) *Adapter {
	t.Helper()
	a, err := newAdapter(provider.Config{Slug: "bedrock", Name: "Bedrock", BaseURL: base, APIKey: provider.Secret(key), HTTPClient: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	a.newChatID = func() string { return "gen-1" }
	return a
}

func chatReq(t *testing.T, js string) *provider.Request {
	t.Helper()
	var c openai.ChatRequest
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return &provider.Request{Chat: &c, UpstreamModel: model}
}

func TestTranslate(t *testing.T) {
	req := chatReq(t, `{"messages":[
		{"role":"system","content":"be brief"},
		{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}}]},
		{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}]},
		{"role":"tool","tool_call_id":"t1","content":"42"},
		{"role":"user","content":"thanks"}],
		"max_tokens":100,"temperature":0.5,"top_p":0.9,"stop":"END",
		"tools":[{"type":"function","function":{"name":"get","description":"d","parameters":{"type":"object"}}}],
		"tool_choice":"required"}`)
	m, err := translate(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(m)
	want := `{"messages":[{"role":"user","content":[{"text":"look"},{"image":{"format":"png","source":{"bytes":"iVBO"}}}]},` +
		`{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get","input":{"a":1}}}]},` +
		`{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"42"}]}},{"text":"thanks"}]}],` +
		`"system":[{"text":"be brief"}],"inferenceConfig":{"maxTokens":100,"temperature":0.5,"topP":0.9,"stopSequences":["END"]},` +
		`"toolConfig":{"tools":[{"toolSpec":{"name":"get","description":"d","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}

	for choice, want := range map[string]string{
		`"auto"`: `{"auto":{}}`,
		`{"type":"function","function":{"name":"get"}}`: `{"tool":{"name":"get"}}`,
	} {
		r := chatReq(t, `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get"}}],"tool_choice":`+choice+`}`)
		m, err := translate(r)
		if err != nil || string(m.ToolConfig.ToolChoice) != want {
			t.Errorf("%s: %v %s", choice, err, m.ToolConfig.ToolChoice)
		}
	}
	r := chatReq(t, `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get"}}],"tool_choice":"none"}`)
	if m, err := translate(r); err != nil || m.ToolConfig != nil {
		t.Errorf("none: %v %+v", err, m.ToolConfig)
	}
}

func TestSigV4(t *testing.T) {
	body := []byte(`{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn","usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4}}`)
	srv, c := fake(t, 200, nil, body)
	a := newTest(t, srv.URL, "AKIDEXAMPLE:secret:token")
	a.region = "eu-west-3"
	var canonical string
	a.signOpts = append(a.signOpts, func(o *v4.SignerOptions) {
		o.LogSigning = true
		o.Logger = logging.LoggerFunc(func(_ logging.Classification, f string, v ...any) { canonical += fmt.Sprintf(f, v...) })
	})
	if _, err := a.Chat(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	auth := c.header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250102/eu-west-3/bedrock/aws4_request") || !strings.Contains(auth, "Signature=") {
		t.Fatalf("Authorization = %q", auth)
	}
	if c.header.Get("X-Amz-Date") != "20250102T030405Z" || c.header.Get("X-Amz-Security-Token") != "token" {
		t.Fatalf("headers %v", c.header)
	}
	if c.rawPath != "/model/anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse" {
		t.Fatalf("wire path %q", c.rawPath)
	}
	if !strings.Contains(canonical, "/model/anthropic.claude-3-7-sonnet-20250219-v1%253A0/converse") {
		t.Fatalf("canonical request does not double-encode: %s", canonical)
	}
}

func TestBearer(t *testing.T) {
	srv, c := fake(t, 200, nil, []byte(`{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn"}`))
	a := newTest(t, srv.URL, "ABSKbedrockapikey=")
	if _, err := a.Chat(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	if got := c.header.Get("Authorization"); got != "Bearer ABSKbedrockapikey=" || c.header.Get("X-Amz-Date") != "" {
		t.Fatalf("Authorization = %q", got)
	}
}

func TestRegion(t *testing.T) {
	if r := RegionFromHost("bedrock-runtime.ap-south-1.amazonaws.com"); r != "ap-south-1" {
		t.Fatal(r)
	}
	if r := RegionFromHost("127.0.0.1"); r != DefaultRegion {
		t.Fatal(r)
	}
}

func TestChatTextAndTool(t *testing.T) {
	body := `{"output":{"message":{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"hmm"}}},{"text":"Checking."},{"toolUse":{"toolUseId":"tu1","name":"get_weather","input":{"city":"Paris"}}}]}},
	"stopReason":"tool_use","usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15,"cacheReadInputTokens":4,"cacheWriteInputTokens":2},"metrics":{"latencyMs":1}}`
	srv, _ := fake(t, 200, nil, []byte(body))
	a := newTest(t, srv.URL, "key")
	resp, err := a.Chat(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	if *ch.Message.Content != "Checking." || *ch.Message.Reasoning != "hmm" || *ch.FinishReason != "tool_calls" || *ch.NativeFinishReason != "tool_use" {
		t.Fatalf("%+v", ch)
	}
	if tc := ch.Message.ToolCalls; len(tc) != 1 || tc[0].ID != "tu1" || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"city":"Paris"}` {
		t.Fatalf("%+v", tc)
	}
	u := resp.Usage
	if u.PromptTokens != 16 || u.CompletionTokens != 5 || u.TotalTokens != 21 || u.CachedTokens() != 4 || u.CacheWriteTokens() != 2 {
		t.Fatalf("%+v", u)
	}
	if resp.Model != model || resp.ID != "gen-1" {
		t.Fatalf("%+v", resp)
	}
}

func collect(t *testing.T, s provider.Stream) ([]*openai.Chunk, error) {
	t.Helper()
	defer s.Close()
	var out []*openai.Chunk
	for {
		c, err := s.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, c)
	}
}

func streamFrom(t *testing.T, data []byte) (provider.Stream, error) {
	srv, c := fake(t, 200, map[string]string{"Content-Type": "application/vnd.amazon.eventstream"}, data)
	a := newTest(t, srv.URL, "key")
	s, err := a.ChatStream(context.Background(), chatReq(t, `{"messages":[{"role":"user","content":"hi"}],"stream":true}`))
	if err == nil && !strings.HasSuffix(c.rawPath, "/converse-stream") {
		t.Fatalf("path %q", c.rawPath)
	}
	return s, err
}

func TestStreamText(t *testing.T) {
	data := encodeFrames(t, []frame{
		{"event", "messageStart", `{"role":"assistant"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"},"p":"abcdefgh"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"lo"}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":0}`},
		{"event", "messageStop", `{"stopReason":"end_turn"}`},
		{"event", "metadata", `{"usage":{"inputTokens":12,"outputTokens":3,"totalTokens":15},"metrics":{"latencyMs":412}}`},
	})
	s, err := streamFrom(t, data)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, c := range chunks {
		if c.Choices[0].Delta.Content != nil {
			text += *c.Choices[0].Delta.Content
		}
	}
	last := chunks[len(chunks)-1]
	if text != "Hello" || *last.Choices[0].FinishReason != "stop" || last.Usage.PromptTokens != 12 || last.Usage.CompletionTokens != 3 {
		t.Fatalf("text %q last %+v", text, last)
	}
	if chunks[0].Choices[0].Delta.Role != "assistant" {
		t.Fatal("no role chunk")
	}
}

func TestStreamToolUse(t *testing.T) {
	data := encodeFrames(t, []frame{
		{"event", "messageStart", `{"role":"assistant"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Checking."}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":0}`},
		{"event", "contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_abc","name":"get_weather"}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":1}`},
		{"event", "messageStop", `{"stopReason":"tool_use"}`},
		{"event", "metadata", `{"usage":{"inputTokens":80,"outputTokens":20,"totalTokens":100}}`},
	})
	s, err := streamFrom(t, data)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	var args, id, name string
	for _, c := range chunks {
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			if *tc.Index != 0 {
				t.Fatalf("index %d", *tc.Index)
			}
			args += tc.Function.Arguments
			if tc.ID != "" {
				id, name = tc.ID, tc.Function.Name
			}
		}
	}
	last := chunks[len(chunks)-1]
	if args != `{"city":"Paris"}` || id != "tooluse_abc" || name != "get_weather" || *last.Choices[0].FinishReason != "tool_calls" || last.Usage.TotalTokens != 100 {
		t.Fatalf("args %q id %q name %q last %+v", args, id, name, last)
	}
}

func TestStreamErrors(t *testing.T) {
	start := frame{"event", "messageStart", `{"role":"assistant"}`}
	good := encodeFrames(t, []frame{start, {"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"x"}}`}})
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-10] ^= 0xff // inside the second frame's payload
	tests := []struct {
		name   string
		data   []byte
		status int
		typ    string
	}{
		{"throttling", encodeFrames(t, []frame{start, {"exception", "throttlingException", `{"message":"slow down"}`}}), 429, "rate_limit_exceeded"},
		{"modelStream", encodeFrames(t, []frame{start, {"exception", "modelStreamErrorException", `{"message":"boom","originalStatusCode":500}`}}), 424, "server"},
		{"unavailable", encodeFrames(t, []frame{start, {"exception", "serviceUnavailableException", `{"message":"later"}`}}), 503, "provider_overloaded"},
		{"validation", encodeFrames(t, []frame{start, {"exception", "validationException", `{"message":"bad"}`}}), 400, "invalid_request"},
		{"truncated", good, 0, "provider_unavailable"},
		{"truncatedMidFrame", good[:len(good)-5], 0, "provider_unavailable"},
		{"noMetadata", encodeFrames(t, []frame{start, {"event", "messageStop", `{"stopReason":"end_turn"}`}}), 0, "provider_unavailable"},
		{"crc", corrupt, 0, "server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := streamFrom(t, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			_, err = collect(t, s)
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Status != tt.status || pe.Type != tt.typ {
				t.Fatalf("err = %#v", err)
			}
			if _, again := s.Next(); again == nil {
				t.Fatal("error not sticky")
			}
		})
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
