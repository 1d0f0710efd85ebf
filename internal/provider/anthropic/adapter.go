// Package anthropic is the adapter for Anthropic's Messages API
// (POST {BaseURL}/messages), also as hosted by Google Vertex AI and AWS
// Bedrock (hosts.go). It translates the OpenAI Chat Completions dialect of
// package openai into Anthropic's request shape (top-level system,
// strictly alternating user/assistant turns, content blocks, tool_use /
// tool_result blocks, documents, extended thinking, structured outputs)
// and Anthropic's responses and stream events back into OpenAI chat
// completions and chunks.
//
// Streams run on provider.NewStream with this package's decoder; a stream
// that ends before message_stop is an error, never a silent truncation.
package anthropic

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

const (
	// DefaultBaseURL is Anthropic's public API root.
	DefaultBaseURL = "https://api.anthropic.com/v1"
	// Version is the anthropic-version header value sent on every request
	// to Anthropic's own API.
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
	name     string
	platform string   // "", PlatformVertex or PlatformBedrock
	base     *url.URL // the API root
	header   http.Header
	client   *http.Client
	auth     provider.Authorizer // nil: the x-api-key header authenticates
	media    *media.Fetcher
	now      func() time.Time
}

var (
	_ provider.Provider  = (*Adapter)(nil)
	_ provider.Describer = (*Adapter)(nil)
)

// New returns an Adapter for cfg. An empty cfg.BaseURL falls back to
// DefaultBaseURL. cfg.Platform (or, when empty, the base URL's host)
// selects Vertex AI or Bedrock; their credential is required (see
// hosts.go). It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	u, err := provider.ParseBaseURL(cfg.Slug, cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	platform, err := platformOf(cfg, u)
	if err != nil {
		return nil, err
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Slug
	}
	if name == "" {
		name = "Anthropic"
	}
	a := &Adapter{name: name, platform: platform, base: u, client: cfg.HTTPClient, media: cfg.Media, now: time.Now}
	if a.client == nil {
		a.client = new(http.Client)
	}
	h := make(http.Header, len(cfg.Headers)+3)
	h.Set("Content-Type", "application/json")
	if platform == "" {
		h.Set("Anthropic-Version", Version)
		a.auth = cfg.Auth
		if key := cfg.APIKey.Reveal(); key != "" && a.auth == nil {
			h.Set("X-Api-Key", key)
		}
	} else if a.auth, err = hostAuth(cfg, platform, u); err != nil {
		return nil, err
	}
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	a.header = h
	return a, nil
}

// Capabilities declares what the adapter translates faithfully.
func (a *Adapter) Capabilities() provider.Capabilities {
	return provider.Capabilities{
		Tools:             true,
		ParallelToolCalls: true,
		Images:            true,
		Files:             true,
		JSONMode:          true,
		StructuredOutputs: true,
		Reasoning:         true,
		ReasoningDetails:  true,
		PromptCaching:     true,
		CachedUsage:       true,
		CacheWriteUsage:   true,
		Dropped: []string{
			"frequency_penalty", "presence_penalty", "repetition_penalty", "min_p", "top_a",
			"seed", "logit_bias", "logprobs", "top_logprobs", "n", "prediction",
			"web_search_options", "verbosity", "service_tier",
		},
	}
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, model, opts, err := a.encode(ctx, req, false)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, model, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return a.decodeResponse(ctx, resp.Body, opts)
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status; the stream reads the body
// as the caller asks for chunks.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, model, opts, err := a.encode(ctx, req, true)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, model, true)
	if err != nil {
		return nil, err
	}
	events, dec := a.streamEvents(resp, newDecoder(a.name, a.now().Unix(), opts))
	return provider.NewStream(ctx, a.name, provider.StreamBody(resp), events, dec), nil
}

// encode translates req into the upstream body and returns it with the
// model to name in the URL and what the reply's decoder must know. A
// request that cannot be expressed in Anthropic's dialect (or needs a
// capability it lacks under require_parameters) is a non-retryable
// invalid_request.
func (a *Adapter) encode(ctx context.Context, req *provider.Request, stream bool) (openai.Spliced, string, decodeOptions, error) {
	invalid := func(err error) (openai.Spliced, string, decodeOptions, error) {
		return nil, "", decodeOptions{}, &provider.Error{
			Provider: a.name,
			Status:   http.StatusBadRequest,
			Type:     "invalid_request",
			Message:  err.Error(),
			Err:      err,
		}
	}
	if req.Chat != nil && requireParameters(req.Chat) {
		if err := a.Capabilities().Check(req.Chat); err != nil {
			return invalid(err)
		}
	}
	t := translator{ctx: ctx, media: a.media, inline: a.platform != ""}
	m, err := t.translate(req, stream)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", decodeOptions{}, provider.AsError(a.name, ctx.Err())
		}
		return invalid(err)
	}
	model := a.shape(m)
	body, err := t.splice.body(m)
	if err != nil {
		return invalid(err)
	}
	return body, model, m.opts, nil
}

// send posts body upstream with ctx, so that a client disconnect cancels
// the upstream request. A non-2xx answer becomes a *provider.Error.
func (a *Adapter) send(ctx context.Context, req *provider.Request, body openai.Spliced, model string, stream bool) (*http.Response, error) {
	hr, err := provider.NewPost(ctx, a.endpoint(model, stream).String(), body)
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	hr.Header = a.header.Clone()
	for k, vs := range req.Headers {
		switch k = http.CanonicalHeaderKey(k); k {
		case "Authorization", "X-Api-Key", "Anthropic-Version", "Content-Type", "Host":
			continue // the credential and protocol are the provider's, never the caller's
		}
		hr.Header[k] = vs
	}
	switch {
	case !stream:
		hr.Header.Set("Accept", "application/json")
	case a.platform == PlatformBedrock:
		hr.Header.Set("Accept", "application/vnd.amazon.eventstream")
	default:
		hr.Header.Set("Accept", "text/event-stream")
	}
	if a.auth != nil {
		if err := a.auth.Authorize(hr, body.Bytes()); err != nil { // a copy, if spliced: signing reads it whole
			return nil, &provider.Error{Provider: a.name, Type: "authentication", Message: "authenticating the upstream request: " + err.Error(), Err: err}
		}
	}
	return provider.Do(a.client, hr, a.name, func(resp *http.Response) error {
		if a.platform == PlatformBedrock {
			return bedrockStatusError(a.name, resp, a.now())
		}
		return statusError(a.name, resp, a.now())
	})
}

// decodeResponse reads and converts a non-streamed body. An error body
// sent with a success status becomes a *provider.Error.
func (a *Adapter) decodeResponse(ctx context.Context, r io.Reader, opts decodeOptions) (*openai.ChatResponse, error) {
	data, err := provider.ReadResponseBody(ctx, a.name, r, maxResponseBody)
	if err != nil {
		return nil, err
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, provider.Malformed(a.name, "response", data, err)
	}
	if m.Type == "error" {
		return nil, inBandError(a.name, data)
	}
	return m.response(a.now().Unix(), opts), nil
}
