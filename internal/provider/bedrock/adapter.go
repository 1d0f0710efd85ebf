// Package bedrock is the adapter for AWS Bedrock's Converse API
// (POST {BaseURL}/model/{modelId}/converse and /converse-stream). It
// translates the OpenAI Chat Completions dialect of package openai into
// Converse's request shape (system blocks, alternating user/assistant turns,
// union content blocks, toolUse/toolResult, cachePoint, reasoningContent)
// and Converse responses and the binary AWS event stream of ConverseStream
// back into OpenAI completions and chunks.
//
// Requests are authenticated by package awsauth (a Bedrock API key as a
// bearer token, or SigV4 from "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]"
// credentials), or by provider.Config.Auth when set. Streams are decoded by
// the shared provider.NewStream loop over provider.AWSEvents; a stream that
// ends before its metadata event (usage, which follows messageStop) is an
// error, never a silent truncation.
//
// What is translated beyond text and tools:
//   - reasoning: for Anthropic models (ids containing "anthropic."),
//     additionalModelRequestFields.thinking with a token budget; the
//     reasoningContent blocks come back as reasoning and reasoning_details
//     and are replayed, signed, on the next turn. Other model families get
//     nothing: the reference documents no per-family mechanism for them,
//     so reasoning is ignored (a 400 under provider.require_parameters).
//   - response_format json_schema: Converse's native
//     outputConfig.textFormat. json_object, which has no schema, is the
//     forced tool json_response whose input becomes the message content.
//   - cache_control on a content part: a cachePoint block after it.
//   - image_url parts (data: or fetched http(s) URLs) and file parts
//     (document blocks) in user messages.
package bedrock

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"github.com/switchyard-dev/switchyard/internal/provider/awsauth"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

const (
	// DefaultBaseURL is Bedrock Runtime's endpoint in us-east-1.
	DefaultBaseURL = "https://bedrock-runtime.us-east-1.amazonaws.com"

	// maxResponseBody bounds a non-streamed response body.
	maxResponseBody = 32 << 20
)

// Adapter is a provider.Provider for Bedrock Converse. It is safe for
// concurrent use.
type Adapter struct {
	name   string
	base   *url.URL
	header http.Header
	client *http.Client
	auth   provider.Authorizer // nil: requests are sent unauthenticated
	media  *media.Fetcher

	now       func() time.Time
	newChatID func() string
}

var (
	_ provider.Provider  = (*Adapter)(nil)
	_ provider.Describer = (*Adapter)(nil)
)

// capabilities is what the adapter translates faithfully.
var capabilities = provider.Capabilities{
	Tools:             true,
	Images:            true,
	Files:             true,
	JSONMode:          true, // the forced json_response tool
	StructuredOutputs: true, // outputConfig.textFormat
	Reasoning:         true, // Anthropic models; see translate for the others
	ReasoningDetails:  true,
	PromptCaching:     true,
	CachedUsage:       true,
	CacheWriteUsage:   true,
	// Converse has no switch for parallel tool calls, so
	// parallel_tool_calls is not declared.
	Dropped: []string{
		"logit_bias", "logprobs", "top_logprobs", "seed", "frequency_penalty",
		"presence_penalty", "top_k", "min_p", "top_a", "repetition_penalty",
		"n", "prediction", "web_search_options", "verbosity", "service_tier",
	},
}

// Capabilities implements provider.Describer.
func (a *Adapter) Capabilities() provider.Capabilities { return capabilities }

// New returns an Adapter for cfg. An empty cfg.BaseURL falls back to
// DefaultBaseURL; the SigV4 signing region is read from a
// bedrock-runtime.<region>.amazonaws.com host. It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	return newAdapter(cfg)
}

func newAdapter(cfg provider.Config) (*Adapter, error) {
	u, err := provider.ParseBaseURL(cfg.Slug, cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("bedrock: %w", err)
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), strings.TrimRight(u.RawPath, "/")
	u.RawQuery, u.Fragment = "", ""
	name := cfg.Name
	if name == "" {
		name = cfg.Slug
	}
	if name == "" {
		name = "Amazon Bedrock"
	}
	h := make(http.Header, len(cfg.Headers)+2)
	h.Set("Content-Type", "application/json")
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = new(http.Client)
	}
	a := &Adapter{
		name:      name,
		base:      u,
		header:    h,
		client:    client,
		auth:      cfg.Auth,
		media:     cfg.Media,
		now:       time.Now,
		newChatID: randomID,
	}
	if a.auth == nil {
		// A nil *awsauth.Auth must not become a non-nil interface.
		if aa := awsauth.New(cfg.APIKey.Reveal(), awsauth.RegionFromHost(u.Hostname()), awsauth.BedrockService); aa != nil {
			a.auth = aa
		}
	}
	return a, nil
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, opts, err := a.encode(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, "converse", body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return a.decodeResponse(ctx, req, resp.Body, opts)
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, opts, err := a.encode(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, "converse-stream", body, true)
	if err != nil {
		return nil, err
	}
	dec := newDecoder(a.name, a.newChatID(), req.UpstreamModel, a.now().Unix(), opts)
	respBody := provider.StreamBody(resp)
	return provider.NewStream(ctx, a.name, respBody, provider.AWSEvents(respBody), dec), nil
}

// encode translates req into the upstream body. A request that cannot be
// expressed in Converse, or that needs what the adapter cannot do under
// provider.require_parameters, is a non-retryable invalid_request.
func (a *Adapter) encode(ctx context.Context, req *provider.Request) ([]byte, options, error) {
	var err error
	if c := req.Chat; c != nil && c.Provider != nil && c.Provider.RequireParameters {
		err = capabilities.Check(c)
	}
	var m *converseRequest
	var opts options
	if err == nil {
		m, opts, err = translate(ctx, req, a.media)
	}
	if err == nil {
		var body []byte
		if body, err = json.Marshal(m); err == nil {
			return body, opts, nil
		}
	}
	return nil, options{}, &provider.Error{
		Provider: a.name,
		Status:   http.StatusBadRequest,
		Type:     "invalid_request",
		Message:  err.Error(),
		Err:      err,
	}
}

// endpoint returns the URL of op for model: the model id is one escaped
// path segment with ':' as %3A (awsauth.ModelPath).
func (a *Adapter) endpoint(model, op string) *url.URL {
	u := *a.base
	u.Path, u.RawPath = awsauth.ModelPath(a.base.Path, a.base.EscapedPath(), model, op)
	return &u
}

// send posts body to op, authenticated. A non-2xx answer becomes a
// *provider.Error.
func (a *Adapter) send(ctx context.Context, req *provider.Request, op string, body []byte, stream bool) (*http.Response, error) {
	if req.UpstreamModel == "" {
		return nil, &provider.Error{Provider: a.name, Status: http.StatusBadRequest, Type: "invalid_request", Message: "no upstream model id"}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint(req.UpstreamModel, op).String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("bedrock: %w", err)
	}
	hr.Header = a.header.Clone()
	for k, vs := range req.Headers {
		ck := http.CanonicalHeaderKey(k)
		if ck == "Authorization" || ck == "Content-Type" || ck == "Host" || strings.HasPrefix(ck, "X-Amz-") {
			continue // the credential and protocol are the provider's, never the caller's
		}
		hr.Header[ck] = vs
	}
	if stream {
		hr.Header.Set("Accept", "application/vnd.amazon.eventstream")
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

func (a *Adapter) decodeResponse(ctx context.Context, req *provider.Request, r io.Reader, opts options) (*openai.ChatResponse, error) {
	data, err := provider.ReadResponseBody(ctx, a.name, r, maxResponseBody)
	if err != nil {
		return nil, err
	}
	var m converseResponse
	if err := json.Unmarshal(data, &m); err != nil || m.Output == nil {
		if err == nil {
			err = errors.New("no output")
		}
		return nil, provider.Malformed(a.name, "response", data, err)
	}
	return m.response(a.newChatID(), req.UpstreamModel, a.now().Unix(), opts), nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "gen-bedrock-" + hex.EncodeToString(b[:])
}
