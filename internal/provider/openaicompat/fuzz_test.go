package openaicompat

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// FuzzStream feeds arbitrary bodies to the stream reader: it must end
// with io.EOF or a *provider.Error, never panic, and never yield a chunk
// after its end.
func FuzzStream(f *testing.F) {
	for _, d := range []providertest.Dialect{providertest.OpenAI, providertest.DeepSeek, providertest.Groq, providertest.Mistral, providertest.OpenRouter} {
		f.Add(string(providertest.StreamBody(d, providertest.WithReasoning("a", "b"))))
		f.Add(string(providertest.StreamBody(d, providertest.WithToolCalls(providertest.ToolCall{Name: "f", Arguments: `{"x":1}`}))))
		f.Add(string(providertest.StreamBody(d, providertest.WithMidStreamError(2, ""))))
	}
	f.Add("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"thinking\",\"thinking\":\"t\"}]}}]}\r\n\r\n")
	f.Add("event: error\ndata: {\"detail\":[{\"loc\":[\"body\"],\"msg\":\"m\"}]}\n\n")
	f.Fuzz(func(t *testing.T, body string) {
		s := newStream(context.Background(), "F", io.NopCloser(strings.NewReader(body)), translation{ids: toolIDs{"AAAAAAAAA": "call_1"}})
		for range 10000 {
			c, err := s.Next()
			if err == nil {
				if c == nil {
					t.Fatal("nil chunk without error")
				}
				continue
			}
			var pe *provider.Error
			if err != io.EOF && !errors.As(err, &pe) {
				t.Fatalf("error %T %v", err, err)
			}
			if c2, err2 := s.Next(); c2 != nil || err2 != err {
				t.Fatalf("Next after the end = %v, %v", c2, err2)
			}
			return
		}
	})
}

// FuzzParseError checks that any error body yields a bounded message.
func FuzzParseError(f *testing.F) {
	for _, s := range []string{
		`{"error":{"message":"m","type":"t","param":null,"code":"c"}}`,
		`{"error":"m"}`, `{"object":"error","message":"m","code":400}`,
		`{"detail":[{"loc":["body",0],"msg":"m"}]}`, `{"detail":"m"}`,
		`{"x_groq":{"error":"m"}}`, `{"error":{"code":402,"message":"m","metadata":{"error_type":"payment_required"}}}`,
		"<html>502</html>", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		d := parseError([]byte(body))
		if len(d.message) > maxMessage+len("…") {
			t.Fatalf("message of %d bytes", len(d.message))
		}
		_ = d.classify(400)
		_ = inBandError("F", []byte(body))
	})
}
