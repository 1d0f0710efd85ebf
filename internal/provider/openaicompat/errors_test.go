package openaicompat

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func TestStatusErrors(t *testing.T) {
	long := strings.Repeat("é", 1000) // 2000 bytes
	tests := []struct {
		name       string
		dialect    providertest.Dialect
		status     int
		body       string // "" = the dialect's default
		header     [2]string
		wantType   string
		wantCode   string
		wantMsg    string
		wantRetry  time.Duration
		retryable  bool
		wantMsgLen int // when the message is clipped
	}{
		{name: "400 context length", status: 400,
			body:     `{"error":{"message":"This model's maximum context length is 128000 tokens. However, you requested 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			wantType: "context_length_exceeded", wantCode: "context_length_exceeded",
			wantMsg: "This model's maximum context length is 128000 tokens. However, you requested 130000 tokens."},
		{name: "400 context length without code (DeepSeek)", dialect: providertest.DeepSeek, status: 400,
			body:     `{"error":{"message":"This model's maximum context length is 131072 tokens.","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}`,
			wantType: "context_length_exceeded", wantCode: "invalid_request_error", wantMsg: "This model's maximum context length is 131072 tokens."},
		{name: "401", status: 401, wantType: "authentication", wantCode: "invalid_api_key",
			wantMsg: "Incorrect API key provided: sk-fake. You can find your API key at https://platform.openai.com/account/api-keys."},
		{name: "429 retry-after seconds", status: 429, header: [2]string{"Retry-After", "7"},
			wantType: "rate_limit_exceeded", wantCode: "rate_limit_exceeded", wantMsg: "Rate limit reached for requests",
			wantRetry: 7 * time.Second, retryable: true},
		{name: "429 retry-after-ms", status: 429, header: [2]string{"Retry-After-Ms", "1500"},
			wantType: "rate_limit_exceeded", wantCode: "rate_limit_exceeded", wantMsg: "Rate limit reached for requests",
			wantRetry: 1500 * time.Millisecond, retryable: true},
		{name: "429 insufficient quota", status: 429,
			body:     `{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			wantType: "payment_required", wantCode: "insufficient_quota", wantMsg: "You exceeded your current quota.", retryable: true},
		{name: "402 OpenRouter", dialect: providertest.OpenRouter, status: 402,
			body:     `{"error":{"code":402,"message":"Insufficient credits","metadata":{"error_type":"payment_required"}}}`,
			wantType: "payment_required", wantCode: "402", wantMsg: "Insufficient credits"},
		{name: "422 FastAPI detail", dialect: providertest.Mistral, status: 422,
			body:     `{"detail":[{"type":"extra_forbidden","loc":["body","seed"],"msg":"Extra inputs are not permitted"}]}`,
			wantType: "unprocessable", wantMsg: "body.seed: Extra inputs are not permitted"},
		{name: "400 flat (Mistral, old vLLM)", dialect: providertest.Mistral, status: 400,
			body:     `{"object":"error","message":"Tool call id was call_1 but must be a-z, A-Z, 0-9, with a length of 9.","type":"invalid_request_error","param":null,"code":null}`,
			wantType: "invalid_request", wantMsg: "Tool call id was call_1 but must be a-z, A-Z, 0-9, with a length of 9."},
		{name: "422 Mistral nested detail", dialect: providertest.Mistral, status: 422,
			body:     `{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","user"],"msg":"Extra inputs are not permitted"}]},"type":"invalid_request_error","param":null,"code":null}`,
			wantType: "unprocessable", wantMsg: "body.user: Extra inputs are not permitted"},
		{name: "error string", status: 400, body: `{"error":"model not loaded"}`,
			wantType: "invalid_request", wantMsg: "model not loaded"},
		{name: "detail string", status: 404, body: `{"detail":"Not Found"}`, wantType: "not_found", wantMsg: "Not Found"},
		{name: "500", status: 500, wantType: "server", wantMsg: "The server had an error while processing your request. Sorry about that!", retryable: true},
		{name: "503 vLLM", dialect: providertest.VLLM, status: 503, wantType: "provider_overloaded", wantCode: "503",
			wantMsg: "The server had an error while processing your request. Sorry about that!", retryable: true},
		{name: "502 HTML", status: 502, body: "<html><body>\n<h1>502 Bad Gateway</h1></body></html>\n",
			wantType: "server", wantMsg: "<html><body>\n<h1>502 Bad Gateway</h1></body></html>", retryable: true},
		{name: "503 plain text", status: 503, body: "  upstream connect error  ", header: [2]string{"Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"},
			wantType: "provider_overloaded", wantMsg: "upstream connect error", wantRetry: maxRetryAfter, retryable: true},
		{name: "529 empty body", status: 529, body: " ", wantType: "provider_overloaded", wantMsg: "upstream returned status 529", retryable: true},
		{name: "413 long text", status: 413, body: long, wantType: "payload_too_large", wantMsgLen: maxMessage + len("…")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []providertest.Option{providertest.WithStatus(tc.status, tc.body)}
			if tc.header[0] != "" {
				opts = append(opts, providertest.WithHeader(tc.header[0], tc.header[1]))
			}
			fake := providertest.New(t, tc.dialect, opts...)
			p := newAdapter(t, "openai", fake.URL, "k")
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = p.ChatStream(context.Background(), request(userRequest("x")))
				} else {
					_, err = p.Chat(context.Background(), request(userRequest("x")))
				}
				var pe *provider.Error
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v, want *provider.Error", err)
				}
				if pe.Provider != "Test openai" || pe.Status != tc.status || pe.Type != tc.wantType || pe.Code != tc.wantCode {
					t.Errorf("provider, status, type, code = %q, %d, %q, %q", pe.Provider, pe.Status, pe.Type, pe.Code)
				}
				if tc.wantMsgLen != 0 {
					if len(pe.Message) != tc.wantMsgLen {
						t.Errorf("message length = %d, want %d", len(pe.Message), tc.wantMsgLen)
					}
				} else if pe.Message != tc.wantMsg {
					t.Errorf("message = %q, want %q", pe.Message, tc.wantMsg)
				}
				if tc.body != "" && pe.Raw != tc.body {
					t.Errorf("raw = %q", pe.Raw)
				}
				if pe.RetryAfter != tc.wantRetry || pe.Retryable() != tc.retryable {
					t.Errorf("retry after = %v, retryable = %v", pe.RetryAfter, pe.Retryable())
				}
			}
		})
	}
}

func TestErrorBodyBounded(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithStatus(500, strings.Repeat("x", 1<<20)))
	p := newAdapter(t, "openai", fake.URL, "k")
	_, err := p.Chat(context.Background(), request(userRequest("x")))
	var pe *provider.Error
	if !errors.As(err, &pe) || len(pe.Raw) != maxErrorBody {
		t.Fatalf("raw length = %d, want %d", len(pe.Raw), maxErrorBody)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		key, value string
		want       time.Duration
	}{
		{"Retry-After", "30", 30 * time.Second},
		{"Retry-After", "0.5", 500 * time.Millisecond},
		{"Retry-After", "-3", 0},
		{"Retry-After", "NaN", 0},
		{"Retry-After", "Inf", maxRetryAfter},
		{"Retry-After", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"Retry-After", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Retry-After", "soon", 0},
		{"Retry-After-Ms", "250", 250 * time.Millisecond},
		{"X-Other", "5", 0},
	} {
		h := http.Header{}
		h.Set(tc.key, tc.value)
		if got := retryAfter(h, now); got != tc.want {
			t.Errorf("%s: %s → %v, want %v", tc.key, tc.value, got, tc.want)
		}
	}
}
