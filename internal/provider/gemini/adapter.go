// Package gemini is the adapter for Google's Gemini API
// (POST {BaseURL}/models/{model}:generateContent and
// :streamGenerateContent?alt=sse). It translates the OpenAI Chat
// Completions dialect of package openai into Gemini's request shape
// (systemInstruction, user/model contents of parts, functionCall and
// functionResponse parts, generationConfig) and Gemini's responses and SSE
// stream back into OpenAI chat completions and chunks.
//
// Gemini ends a stream by closing the connection: a stream that closes
// before any finishReason is an error, never a silent truncation.
package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

const (
	// DefaultBaseURL is the Gemini API root.
	DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

	// maxResponseBody bounds a non-streamed response body.
	maxResponseBody = 32 << 20
)

// Adapter is a provider.Provider for the Gemini API. It is safe for
// concurrent use.
type Adapter struct {
	name   string
	base   string // BaseURL without a trailing slash
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
		return nil, fmt.Errorf("gemini: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Slug
	}
	if name == "" {
		name = "Google AI Studio"
	}
	h := make(http.Header, len(cfg.Headers)+2)
	h.Set("Content-Type", "application/json")
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	if key := cfg.APIKey.Reveal(); key != "" {
		h.Set("X-Goog-Api-Key", key)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = new(http.Client)
	}
	return &Adapter{
		name:   name,
		base:   strings.TrimRight(u.String(), "/"),
		header: h,
		client: client,
		now:    time.Now,
	}, nil
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, err := a.encode(req)
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
	body, err := a.encode(req)
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
// expressed in Gemini's dialect is a non-retryable invalid_request.
func (a *Adapter) encode(req *provider.Request) ([]byte, error) {
	m, err := translate(req)
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

// endpoint returns the URL of the model's method.
func (a *Adapter) endpoint(req *provider.Request, stream bool) string {
	model := req.UpstreamModel
	if model == "" && req.Chat != nil {
		model = req.Chat.Model
	}
	model = strings.TrimPrefix(model, "models/")
	u := a.base + "/models/" + url.PathEscape(model)
	if stream {
		return u + ":streamGenerateContent?alt=sse"
	}
	return u + ":generateContent"
}

// send posts body upstream with ctx, so that a client disconnect cancels
// the upstream request. A non-2xx answer becomes a *provider.Error.
func (a *Adapter) send(ctx context.Context, req *provider.Request, body []byte, stream bool) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint(req, stream), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gemini: %w", err)
	}
	hr.Header = a.header.Clone()
	for k, vs := range req.Headers {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "X-Goog-Api-Key", "Content-Type":
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
	var m response
	if err := json.Unmarshal(data, &m); err != nil {
		msg := "upstream sent a malformed response: " + err.Error()
		if len(data) == 0 {
			msg, err = "upstream sent an empty response", errors.New("empty body")
		}
		return nil, &provider.Error{Provider: a.name, Type: "server", Message: msg, Raw: provider.ClipMessage(string(data), maxMessage), Err: err}
	}
	if m.Error != nil {
		return nil, inBandError(a.name, data)
	}
	return m.chat(a.now().Unix()), nil
}
