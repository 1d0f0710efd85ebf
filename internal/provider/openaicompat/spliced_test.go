package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// retryOnce fails a request's first attempt after reading its body, and
// sends it again with GetBody, as http.Transport does when a kept-alive
// connection turns out to be closed.
type retryOnce struct{ tries int }

func (r *retryOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	r.tries++
	if r.tries == 1 {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
		if req.GetBody == nil {
			return nil, errors.New("the request cannot be sent again")
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = body
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestLongPromptUpstream sends a 100 KB prompt, which the upstream body
// splices in rather than copies: the upstream gets it whole, with its
// length, on a second attempt too.
func TestLongPromptUpstream(t *testing.T) {
	req := benchRequest(t, 100<<10)
	prompt := req.Chat.Messages[len(req.Chat.Messages)-1].Content.Text
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the request: %v", err)
		}
		if r.ContentLength != int64(len(b)) || len(r.TransferEncoding) > 0 {
			t.Errorf("Content-Length %d, Transfer-Encoding %v for a body of %d bytes", r.ContentLength, r.TransferEncoding, len(b))
		}
		var sent openai.ChatRequest
		if err := json.Unmarshal(b, &sent); err != nil {
			t.Errorf("request body: %v", err)
		} else if got := sent.Messages[len(sent.Messages)-1].Content.Text; got != prompt {
			t.Errorf("the upstream got a prompt of %d bytes, want the %d sent", len(got), len(prompt))
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","created":1,"model":"m",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	}))
	defer srv.Close()

	rt := &retryOnce{}
	p, err := New(provider.Config{Slug: "openai", Name: "OpenAI", Protocol: "openai", BaseURL: srv.URL,
		APIKey: "k", HTTPClient: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if rt.tries != 1 {
		t.Errorf("%d round trips, want 1 (sent twice within it)", rt.tries)
	}
}
