// Package cohere is the adapter for Cohere's v2 Chat API
// (POST {BaseURL}/chat). It translates the OpenAI Chat Completions dialect
// of package openai into Cohere's request shape (system messages in the
// message list, OpenAI-shaped tools and tool calls, p/k sampling,
// REQUIRED/NONE tool_choice, thinking with a token budget) and Cohere's
// responses and SSE event stream back into OpenAI chat completions and
// chunks.
//
// A named tool_choice cannot be expressed: it degrades to REQUIRED with
// only the named tool sent, or is refused under
// provider.require_parameters. Streams are decoded by the shared
// provider.NewStream loop; a stream that ends before message-end is an
// error, never a silent truncation.
package cohere

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

const (
	// DefaultBaseURL is Cohere's public v2 API root.
	DefaultBaseURL = "https://api.cohere.com/v2"

	// maxResponseBody bounds a non-streamed response body.
	maxResponseBody = 32 << 20
)

// Adapter is a provider.Provider for the Cohere v2 Chat API. It is safe for
// concurrent use.
type Adapter struct {
	name   string
	url    string // the chat endpoint
	header http.Header
	client *http.Client
	now    func() time.Time
}

var (
	_ provider.Provider  = (*Adapter)(nil)
	_ provider.Describer = (*Adapter)(nil)
)

// capabilities is what the adapter translates faithfully.
var capabilities = provider.Capabilities{
	Tools:             true,
	Images:            true, // URLs and data URIs are passed through
	JSONMode:          true,
	StructuredOutputs: true, // json_object with json_schema
	Reasoning:         true, // thinking {type, token_budget}
	CachedUsage:       true, // automatic caching: usage.cached_tokens
	// Cohere returns several calls in one turn but has no
	// parallel_tool_calls switch, so the parameter is not declared.
	Dropped: []string{
		"logit_bias", "logprobs", "top_logprobs", "min_p", "top_a",
		"repetition_penalty", "n", "prediction", "web_search_options",
		"verbosity", "service_tier",
	},
}

// Capabilities implements provider.Describer.
func (a *Adapter) Capabilities() provider.Capabilities { return capabilities }

// New returns an Adapter for cfg. An empty cfg.BaseURL falls back to
// DefaultBaseURL. It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	u, err := provider.ParseBaseURL(cfg.Slug, cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("cohere: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Slug
	}
	if name == "" {
		name = "Cohere"
	}
	h := make(http.Header, len(cfg.Headers)+2)
	h.Set("Content-Type", "application/json")
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	if key := cfg.APIKey.Reveal(); key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = new(http.Client)
	}
	return &Adapter{
		name:   name,
		url:    strings.TrimRight(u.String(), "/") + "/chat",
		header: h,
		client: client,
		now:    time.Now,
	}, nil
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, exclude, err := a.encode(req, false)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return a.decodeResponse(ctx, resp.Body, upstreamModel(req), exclude)
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status; the stream reads the body
// as the caller asks for chunks.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, exclude, err := a.encode(req, true)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, true)
	if err != nil {
		return nil, err
	}
	dec := newDecoder(a.name, upstreamModel(req), a.now().Unix(), exclude)
	respBody := provider.StreamBody(resp)
	return provider.NewStream(ctx, a.name, respBody, provider.SSEEvents(respBody), dec), nil
}

// upstreamModel is the model a response reports: Cohere does not echo it.
func upstreamModel(req *provider.Request) string {
	if req.UpstreamModel != "" || req.Chat == nil {
		return req.UpstreamModel
	}
	return req.Chat.Model
}

// encode translates req into the upstream body and reports whether the
// reasoning is to be kept from the client. A request that cannot be
// expressed in Cohere's dialect, or that needs what the adapter cannot do
// under provider.require_parameters, is a non-retryable invalid_request.
func (a *Adapter) encode(req *provider.Request, stream bool) (body []byte, exclude bool, err error) {
	if c := req.Chat; c != nil && c.Provider != nil && c.Provider.RequireParameters {
		err = capabilities.Check(c)
	}
	var m *request
	if err == nil {
		m, err = translate(req, stream)
	}
	if err == nil {
		if body, err = json.Marshal(m); err == nil {
			return body, m.exclude, nil
		}
	}
	return nil, false, &provider.Error{
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
		return nil, fmt.Errorf("cohere: %w", err)
	}
	hr.Header = a.header.Clone()
	for k, vs := range req.Headers {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Content-Type":
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
func (a *Adapter) decodeResponse(ctx context.Context, r io.Reader, model string, exclude bool) (*openai.ChatResponse, error) {
	data, err := provider.ReadResponseBody(ctx, a.name, r, maxResponseBody)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Message json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && len(probe.Message) > 0 && probe.Message[0] == '"' {
		return nil, inBandError(a.name, data)
	}
	var resp response
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, provider.Malformed(a.name, "response", data, err)
	}
	return resp.openai(model, a.now().Unix(), exclude), nil
}
