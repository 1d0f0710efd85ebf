// Package openaicompat is the adapter for every upstream that speaks
// OpenAI's Chat Completions: OpenAI itself and the OpenAI-compatible family
// (Groq, Together, DeepSeek, Fireworks, Mistral, xAI, DeepInfra,
// Perplexity, OpenRouter, Cerebras, SambaNova, Novita, Nebius) and local
// servers (vLLM, llama.cpp, LM Studio, Ollama's /v1).
//
// One code path serves them all. What differs on the request side is data:
// a Quirks value chosen by provider slug (see QuirksFor). What differs on
// the response side (reasoning in reasoning_content or reasoning, extra
// finish reasons, DeepSeek's and Groq's usage extensions, the many error
// shapes, keep-alive comments and blank lines) is accepted from every
// upstream, since accepting it costs nothing when it is absent.
//
// Streams are read event by event with package sse; a stream that ends
// without [DONE] and without a finish_reason is an error, never a silent
// truncation.
package openaicompat

import (
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
)

// maxResponseBody bounds a non-streamed response body.
const maxResponseBody = 32 << 20

// Adapter is a provider.Provider for one OpenAI-compatible upstream. It is
// safe for concurrent use.
type Adapter struct {
	name     string
	endpoint endpoint // builds the chat completions URL of a request
	// credHeader is the header that carries the credential (Authorization,
	// or api-key for Azure); callers' values for it are never forwarded.
	credHeader string
	header     http.Header
	client     *http.Client
	quirks     Quirks
}

// endpoint returns the chat completions URL for a request to the given
// upstream model. It is chosen once, at construction: most upstreams have
// one fixed URL, Azure's deployment API puts the model in the path.
type endpoint func(model string) (string, error)

// fixedEndpoint is the endpoint of upstreams with one URL for all models.
func fixedEndpoint(u string) endpoint {
	return func(string) (string, error) { return u, nil }
}

var _ provider.Provider = (*Adapter)(nil)

// New returns an Adapter for cfg, with the quirks of cfg.Slug. An empty
// cfg.BaseURL falls back to the upstream's public one, if known. It is a
// provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	q := QuirksFor(cfg.Slug)
	base := cfg.BaseURL
	if base == "" {
		base = q.BaseURL
	}
	if _, err := parseBase(cfg.Slug, base); err != nil {
		return nil, err
	}
	ep := fixedEndpoint(strings.TrimRight(base, "/") + "/chat/completions")
	return assemble(cfg, q, ep, "Authorization", "Bearer "), nil
}

// parseBase checks that base is an absolute http(s) URL.
func parseBase(slug, base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("openaicompat: provider %q: base URL %q is not an absolute http(s) URL", slug, base)
	}
	return u, nil
}

// assemble builds an Adapter. The credential, if any, is sent in
// credHeader as credPrefix followed by the key.
func assemble(cfg provider.Config, q Quirks, ep endpoint, credHeader, credPrefix string) *Adapter {
	name := cfg.Name
	if name == "" {
		name = cfg.Slug
	}
	h := make(http.Header, len(cfg.Headers)+2)
	h.Set("Content-Type", "application/json")
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	if key := cfg.APIKey.Reveal(); key != "" {
		h.Set(credHeader, credPrefix+key)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = new(http.Client)
	}
	return &Adapter{
		name:       name,
		endpoint:   ep,
		credHeader: http.CanonicalHeaderKey(credHeader),
		header:     h,
		client:     client,
		quirks:     q,
	}
}

// Quirks returns the quirks the adapter applies.
func (a *Adapter) Quirks() Quirks { return a.quirks }

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, tr, err := a.encode(req, false)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return a.decodeResponse(ctx, resp.Body, tr)
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status; the stream reads the body
// as the caller asks for chunks.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, tr, err := a.encode(req, true)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, true)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		// The upstream ignored stream:true or failed with status 200.
		defer resp.Body.Close()
		r, err := a.decodeResponse(ctx, resp.Body, tr)
		if err != nil {
			return nil, err
		}
		return responseChunks(r), nil
	}
	return newStream(ctx, a.name, provider.StreamBody(resp), tr), nil
}

// send posts body upstream with ctx, so that a client disconnect cancels
// the upstream request. A non-2xx answer becomes a *provider.Error.
func (a *Adapter) send(ctx context.Context, req *provider.Request, body openai.Spliced, stream bool) (*http.Response, error) {
	// Built apart, so that its frame is gone by the time the transport
	// runs: the caller's stack passing 8 KiB on the way to the upstream
	// would keep 16 for as long as a stream lasts.
	hr, err := a.newRequest(ctx, req, body, stream)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Send(a.client, hr)
	if err != nil {
		return nil, provider.AsError(a.name, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, statusError(a.name, resp, time.Now())
	}
	return resp, nil
}

// newRequest is the upstream request of send.
func (a *Adapter) newRequest(ctx context.Context, req *provider.Request, body openai.Spliced, stream bool) (*http.Request, error) {
	u, err := a.endpoint(req.UpstreamModel)
	if err != nil {
		return nil, err
	}
	hr, err := provider.NewPost(ctx, u, body)
	if err != nil {
		return nil, fmt.Errorf("openaicompat: %w", err)
	}
	hr.Header = a.header.Clone()
	for k, vs := range req.Headers {
		if ck := http.CanonicalHeaderKey(k); ck == "Authorization" || ck == a.credHeader {
			continue // the credential is the provider's, never the caller's
		}
		hr.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if stream {
		hr.Header.Set("Accept", "text/event-stream")
	} else {
		hr.Header.Set("Accept", "application/json")
	}
	return hr, nil
}

// decodeResponse reads and converts a non-streamed body. Leading blank
// lines (DeepSeek's keep-alives) are skipped; an error in the body becomes
// a *provider.Error. The usual body is read by unmarshalFast, the rest
// by json.Unmarshal.
func (a *Adapter) decodeResponse(ctx context.Context, r io.Reader, tr translation) (*openai.ChatResponse, error) {
	data, err := provider.ReadResponseBody(ctx, a.name, r, maxResponseBody)
	if err != nil {
		return nil, err
	}
	var c completion
	if !c.unmarshalFast(data) {
		c = completion{} // what unmarshalFast read before it declined
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, provider.Malformed(a.name, "response", data, err)
		}
	}
	if c.failed() {
		return nil, inBandError(a.name, data)
	}
	resp := c.response(tr.ids)
	for i := range resp.Choices {
		m := &resp.Choices[i].Message
		tr.strip(&m.Reasoning, &m.ReasoningDetails)
	}
	return resp, nil
}

// Capabilities implements provider.Describer. The OpenAI dialect carries
// everything the gateway's API has; what an upstream refuses is in its
// quirks' Drop set, and only an OpenRouter upstream returns and accepts
// reasoning_details. Prompt caching is the upstream's own (automatic, with
// cached tokens reported; only OpenRouter honours cache_control); cache
// writes are not reported in this dialect.
func (a *Adapter) Capabilities() provider.Capabilities {
	c := provider.Capabilities{
		Tools: true, ParallelToolCalls: true, Images: true, Files: true,
		JSONMode: true, StructuredOutputs: true, Reasoning: true,
		ReasoningDetails: a.quirks.OpenRouter, CachedUsage: true,
		PromptCaching: a.quirks.OpenRouter, // OpenRouter passes cache_control on
	}
	for _, f := range droppable {
		if a.quirks.Drop&f.field != 0 {
			c.Dropped = append(c.Dropped, f.names...)
		}
	}
	return c
}
