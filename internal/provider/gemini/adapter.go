// Package gemini is the adapter for Google's Gemini API
// (POST {BaseURL}/models/{model}:generateContent and
// :streamGenerateContent?alt=sse), and the Gemini half of Vertex AI, which
// serves the same bodies at other URLs (see NewAdapter and WithEndpoint).
// It translates the OpenAI Chat Completions dialect of package openai into
// Gemini's request shape (systemInstruction, user/model contents of parts,
// inline images and files, functionCall and functionResponse parts,
// generationConfig with thinkingConfig) and Gemini's responses and SSE
// stream back into OpenAI chat completions and chunks.
//
// Thought signatures travel through reasoning_details: each one Gemini
// attaches to a part is returned as a reasoning.encrypted item (naming the
// tool call it came with) in the google-gemini-v1 format, and put back on
// the same part when the client sends the turn again.
//
// Gemini ends a stream by closing the connection: a stream that closes
// before any finishReason is an error, never a silent truncation.
package gemini

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
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
	name     string
	endpoint Endpoint
	header   http.Header
	auth     provider.Authorizer // nil: the API key header authenticates
	client   *http.Client
	media    *media.Fetcher
	now      func() time.Time
}

var (
	_ provider.Provider  = (*Adapter)(nil)
	_ provider.Describer = (*Adapter)(nil)
)

// capabilities is what the adapter translates faithfully.
var capabilities = provider.Capabilities{
	Tools:             true,
	Images:            true, // inlined; gs:// URIs by reference
	Files:             true, // PDFs inlined
	JSONMode:          true,
	StructuredOutputs: true,
	Reasoning:         true, // thinkingBudget (2.5) or thinkingLevel (3)
	CachedUsage:       true, // implicit caching: cachedContentTokenCount
	ReasoningDetails:  true, // thought signatures
	// Gemini returns several calls in one turn but has no switch for
	// parallel_tool_calls, so the parameter is not declared.
	Dropped: []string{
		"logit_bias", "logprobs", "top_logprobs", "min_p", "top_a",
		"repetition_penalty", "prediction", "web_search_options",
		"verbosity", "service_tier",
	},
}

// Capabilities implements provider.Describer.
func (a *Adapter) Capabilities() provider.Capabilities { return capabilities }

// Endpoint returns the URL of a model's generateContent method, or of its
// streamGenerateContent method with alt=sse when stream is set. model is
// the upstream model id without a "models/" prefix.
type Endpoint func(model string, stream bool) string

// Option customises an Adapter built by NewAdapter.
type Option func(*Adapter)

// WithEndpoint sends requests to the URLs of endpoint instead of the
// Gemini API's {BaseURL}/models/{model}:… (Vertex AI serves Gemini at
// {base}/publishers/google/models/{model}:…).
func WithEndpoint(endpoint Endpoint) Option {
	return func(a *Adapter) { a.endpoint = endpoint }
}

// New returns an Adapter for cfg. An empty cfg.BaseURL falls back to
// DefaultBaseURL. It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	return NewAdapter(cfg)
}

// NewAdapter returns an Adapter for cfg with opts applied. Requests are
// authenticated by cfg.Auth when set, else by cfg.APIKey sent as
// x-goog-api-key.
func NewAdapter(cfg provider.Config, opts ...Option) (*Adapter, error) {
	u, err := provider.ParseBaseURL(cfg.Slug, cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("gemini: %w", err)
	}
	h := make(http.Header, len(cfg.Headers)+2)
	h.Set("Content-Type", "application/json")
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	if key := cfg.APIKey.Reveal(); key != "" && cfg.Auth == nil {
		h.Set("X-Goog-Api-Key", key)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = new(http.Client)
	}
	a := &Adapter{
		name:     cmp.Or(cfg.Name, cfg.Slug, "Google AI Studio"),
		endpoint: aiStudio(strings.TrimRight(u.String(), "/")),
		header:   h,
		auth:     cfg.Auth,
		client:   client,
		media:    cfg.Media,
		now:      time.Now,
	}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// aiStudio is the Endpoint of the Gemini API under base.
func aiStudio(base string) Endpoint {
	return func(model string, stream bool) string {
		u := base + "/models/" + url.PathEscape(model)
		if stream {
			return u + ":streamGenerateContent?alt=sse"
		}
		return u + ":generateContent"
	}
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	m, body, err := a.encode(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return a.decodeResponse(ctx, resp.Body, m.exclude)
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status; the stream reads the body
// as the caller asks for chunks.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	m, body, err := a.encode(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, true)
	if err != nil {
		return nil, err
	}
	respBody := provider.StreamBody(resp)
	sn := &sniffer{r: respBody}
	dec := newDecoder(a.name, sn, a.now().Unix(), m.exclude)
	return provider.NewStream(ctx, a.name, respBody, provider.SSEEvents(sn), dec), nil
}

// Model returns the upstream model id of req, without a "models/" prefix.
func Model(req *provider.Request) string {
	model := req.UpstreamModel
	if model == "" && req.Chat != nil {
		model = req.Chat.Model
	}
	return strings.TrimPrefix(model, "models/")
}

// encode translates req into the upstream body. A request that cannot be
// expressed in Gemini's dialect, that needs what the adapter cannot do
// under provider.require_parameters, or whose media cannot be loaded is a
// non-retryable invalid_request.
func (a *Adapter) encode(ctx context.Context, req *provider.Request) (*request, []byte, error) {
	var err error
	if c := req.Chat; c != nil && c.Provider != nil && c.Provider.RequireParameters {
		err = capabilities.Check(c)
	}
	var m *request
	if err == nil {
		m, err = translator{ctx: ctx, fetch: a.media}.translate(req, Model(req))
	}
	if err == nil {
		var body []byte
		if body, err = json.Marshal(m); err == nil {
			return m, body, nil
		}
	}
	if ctx.Err() != nil {
		return nil, nil, provider.AsError(a.name, ctx.Err())
	}
	return nil, nil, &provider.Error{
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
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint(Model(req), stream), bytes.NewReader(body))
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
	if a.auth != nil {
		if err := a.auth.Authorize(hr, body); err != nil {
			return nil, &provider.Error{Provider: a.name, Type: "authentication", Message: err.Error(), Err: err}
		}
	}
	return provider.Do(a.client, hr, a.name, func(resp *http.Response) error {
		return statusError(a.name, resp, a.now())
	})
}

// decodeResponse reads and converts a non-streamed body. An error body
// sent with a success status (an error object, or one in an array)
// becomes a *provider.Error.
func (a *Adapter) decodeResponse(ctx context.Context, r io.Reader, exclude bool) (*openai.ChatResponse, error) {
	data, err := provider.ReadResponseBody(ctx, a.name, r, maxResponseBody)
	if err != nil {
		return nil, err
	}
	if errorObject(data) != nil {
		return nil, inBandError(a.name, data)
	}
	var m response
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, provider.Malformed(a.name, "response", data, err)
	}
	return m.chat(a.now().Unix(), exclude), nil
}
