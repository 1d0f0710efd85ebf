package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func TestUsage(t *testing.T) {
	tests := []struct {
		name                                     string
		meta                                     string
		prompt, completion, total, cached, think int
	}{
		{name: "plain", meta: `{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15}`,
			prompt: 10, completion: 5, total: 15},
		// promptTokenCount already includes the cached tokens.
		{name: "cached", meta: `{"promptTokenCount":1000,"cachedContentTokenCount":800,"candidatesTokenCount":20,"totalTokenCount":1020}`,
			prompt: 1000, completion: 20, total: 1020, cached: 800},
		// candidatesTokenCount excludes thoughts: completion = candidates + thoughts.
		{name: "thoughts", meta: `{"promptTokenCount":107,"candidatesTokenCount":31,"thoughtsTokenCount":148,"totalTokenCount":286}`,
			prompt: 107, completion: 179, total: 286, think: 148},
		{name: "everything", meta: `{"promptTokenCount":500,"cachedContentTokenCount":300,"toolUsePromptTokenCount":40,"candidatesTokenCount":60,"thoughtsTokenCount":100,"totalTokenCount":700}`,
			prompt: 540, completion: 160, total: 700, cached: 300, think: 100},
		{name: "total missing", meta: `{"promptTokenCount":4,"candidatesTokenCount":2,"thoughtsTokenCount":1}`,
			prompt: 4, completion: 3, total: 7, think: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m usageMetadata
			if err := json.Unmarshal([]byte(tt.meta), &m); err != nil {
				t.Fatal(err)
			}
			u := m.openai()
			if u.PromptTokens != tt.prompt || u.CompletionTokens != tt.completion || u.TotalTokens != tt.total ||
				u.CachedTokens() != tt.cached || u.ReasoningTokens() != tt.think {
				t.Errorf("usage %+v %+v %+v", u, u.PromptTokensDetails, u.CompletionTokensDetails)
			}
			if u.TotalTokens != u.PromptTokens+u.CompletionTokens {
				t.Errorf("total %d is not prompt + completion", u.TotalTokens)
			}
		})
	}
}

func TestRequireParameters(t *testing.T) {
	req := func(mut func(*openai.ChatRequest)) *provider.Request {
		r := chatReq(user("x"))
		r.Chat.Provider = &openai.ProviderPrefs{RequireParameters: true}
		mut(r.Chat)
		return r
	}
	tests := []struct {
		name string
		req  *provider.Request
		ok   bool
	}{
		{name: "supported", ok: true, req: req(func(c *openai.ChatRequest) {
			c.ResponseFormat = json.RawMessage(`{"type":"json_object"}`)
			c.ReasoningEffort = "low"
		})},
		{name: "logit_bias", req: req(func(c *openai.ChatRequest) { c.LogitBias = json.RawMessage(`{"1":2}`) })},
		{name: "parallel_tool_calls", req: req(func(c *openai.ChatRequest) { c.ParallelToolCalls = openai.Ptr(false) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(200, okBody))
			_, err := f.provider(t).Chat(context.Background(), tt.req)
			var pe *provider.Error
			switch {
			case tt.ok && err != nil:
				t.Fatal(err)
			case !tt.ok && (!errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request"):
				t.Fatalf("err = %#v", err)
			}
			// Without require_parameters the request goes through.
			tt.req.Chat.Provider = nil
			if _, err := f.provider(t).Chat(context.Background(), tt.req); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, ok := any(&Adapter{}).(provider.Describer); !ok || !capabilities.ReasoningDetails || capabilities.ParallelToolCalls {
		t.Error("capabilities")
	}
}

func TestErrorBodyWithSuccessStatus(t *testing.T) {
	for _, body := range []string{
		`{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}`,
		`[{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}]`,
	} {
		f := newFake(t, jsonAnswer(200, body))
		_, err := f.provider(t).Chat(context.Background(), chatReq(user("x")))
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Status != 503 || pe.Type != "provider_overloaded" || pe.Message != "overloaded" {
			t.Errorf("%s: err = %#v", body, err)
		}
		chunks, err := collect(t, body+"\n")
		if !errors.As(err, &pe) || len(chunks) != 0 || pe.Status != 503 || pe.Message != "overloaded" {
			t.Errorf("stream %s: err = %#v", body, err)
		}
	}
}
