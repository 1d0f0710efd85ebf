// Package anthropic is the adapter for Anthropic's Messages API
// (POST {BaseURL}/messages). It translates the OpenAI Chat Completions
// dialect of package openai into Anthropic's request shape (top-level
// system, strictly alternating user/assistant turns, content blocks,
// tool_use/tool_result blocks) and Anthropic's responses and SSE event
// stream back into OpenAI chat completions and chunks.
//
// Streams are read event by event with package sse; a stream that ends
// before message_stop is an error, never a silent truncation.
package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

const (
	// DefaultBaseURL is Anthropic's public API root.
	DefaultBaseURL = "https://api.anthropic.com/v1"
	// Version is the anthropic-version header value sent on every request.
	Version = "2023-06-01"
	// DefaultMaxTokens is sent as max_tokens, which Anthropic requires,
	// when the client asked for no output cap.
	DefaultMaxTokens = 4096

	// maxResponseBody bounds a non-streamed response body.
	maxResponseBody = 32 << 20
)

// Adapter is a provider.Provider for the Anthropic Messages API. It is safe
// for concurrent use.
type Adapter struct {
	name   string
	url    string // the messages endpoint
	header http.Header
	client *http.Client
	now    func() time.Time
}

var _ provider.Provider = (*Adapter)(nil)

// New returns an Adapter for cfg. An empty cfg.BaseURL falls back to
// DefaultBaseURL. It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	u, err := provider.ParseBaseURL(cfg.Slug, cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Slug
	}
	if name == "" {
		name = "Anthropic"
	}
	h := make(http.Header, len(cfg.Headers)+3)
	h.Set("Content-Type", "application/json")
	h.Set("Anthropic-Version", Version)
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	if key := cfg.APIKey.Reveal(); key != "" {
		h.Set("X-Api-Key", key)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = new(http.Client)
	}
	return &Adapter{
		name:   name,
		url:    strings.TrimRight(u.String(), "/") + "/messages",
		header: h,
		client: client,
		now:    time.Now,
	}, nil
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, err := a.encode(req, false)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return a.decodeResponse(ctx, resp.Body)
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status; the stream reads the body
// as the caller asks for chunks.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, err := a.encode(req, true)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, true)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, a.name, resp.Body, a.now().Unix()), nil
}

// encode translates req into the upstream body. A request that cannot be
// expressed in Anthropic's dialect is a non-retryable invalid_request.
func (a *Adapter) encode(req *provider.Request, stream bool) ([]byte, error) {
	m, err := translate(req, stream)
	if err == nil {
		var body []byte
		if body, err = json.Marshal(m); err == nil {
			return body, nil
		}
	}
	return nil, &provider.Error{
		Provider: a.name,
		Status:   http.StatusBadRequest,
		Type:     "invalid_request",
		Message:  err.Error(),
		Err:      err,
	}
}

// send posts body upstream with ctx, so that a client disconnect cancels
// the upstream request. A non-2xx answer becomes a *provider.Error.
func (a *Adapter) send(ctx context.Context, req *provider.Request, body []byte, stream bool) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	hr.Header = a.header.Clone()
	for k, vs := range req.Headers {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "X-Api-Key", "Anthropic-Version", "Content-Type":
			continue // the credential and protocol are the provider's, never the caller's
		}
		hr.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if stream {
		hr.Header.Set("Accept", "text/event-stream")
	} else {
		hr.Header.Set("Accept", "application/json")
	}
	return provider.Do(a.client, hr, a.name, func(resp *http.Response) error {
		return statusError(a.name, resp, a.now())
	})
}

// decodeResponse reads and converts a non-streamed body. An error body
// sent with a success status becomes a *provider.Error.
func (a *Adapter) decodeResponse(ctx context.Context, r io.Reader) (*openai.ChatResponse, error) {
	data, err := provider.ReadResponseBody(ctx, a.name, r, maxResponseBody)
	if err != nil {
		return nil, err
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		msg := "upstream sent a malformed response: " + err.Error()
		if len(data) == 0 {
			msg, err = "upstream sent an empty response", errors.New("empty body")
		}
		return nil, &provider.Error{Provider: a.name, Type: "server", Message: msg, Raw: provider.ClipMessage(string(data), maxMessage), Err: err}
	}
	if m.Type == "error" {
		return nil, inBandError(a.name, data)
	}
	return m.response(a.now().Unix()), nil
}
