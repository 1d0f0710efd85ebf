// Package ollama is the adapter for Ollama's native chat API, POST
// /api/chat (protocols.md §7): a JSON body when not streaming, else
// newline-delimited JSON objects, the last with done:true, done_reason and
// the token counts, decoded by the shared provider.NewStream loop.
//
// Tool calls arrive whole, with object arguments and usually no id; the
// adapter names them call_<response>_<n>, unique to the response and
// stable within it. Images are sent as raw base64: data: URLs are unwrapped
// and http(s) URLs fetched through the configured media.Fetcher. Ollama has
// no tool_choice: "none" sends no tools, and "required" or a named function
// is ignored, or refused under provider.require_parameters. Reasoning maps
// to think (a level for an effort, else a boolean).
package ollama

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// DefaultBaseURL is where a local Ollama listens.
const DefaultBaseURL = "http://127.0.0.1:11434"

const (
	// maxResponseBody bounds a non-streamed body and one NDJSON line.
	maxResponseBody = 32 << 20
	// maxErrorBody bounds how much of an error response is read.
	maxErrorBody = 64 << 10
	// maxRetryAfter caps an upstream's Retry-After hint.
	maxRetryAfter = 24 * time.Hour
)

// Adapter is a provider.Provider for one Ollama server. It is safe for
// concurrent use.
type Adapter struct {
	name   string
	url    string // the /api/chat endpoint
	header http.Header
	client *http.Client
	media  *media.Fetcher
}

var (
	_ provider.Provider  = (*Adapter)(nil)
	_ provider.Describer = (*Adapter)(nil)
)

// capabilities is what the adapter translates faithfully.
var capabilities = provider.Capabilities{
	Tools:             true, // tool_choice required/named: see encode
	Images:            true, // inlined as base64
	JSONMode:          true, // format "json"
	StructuredOutputs: true, // format <schema>
	Reasoning:         true, // think
	// Ollama may return several calls in one turn but has no
	// parallel_tool_calls switch, so the parameter is not declared.
	Dropped: []string{
		"logit_bias", "logprobs", "top_logprobs", "top_a", "n",
		"prediction", "web_search_options", "verbosity", "service_tier",
	},
}

// Capabilities implements provider.Describer.
func (a *Adapter) Capabilities() provider.Capabilities { return capabilities }

// New returns an Adapter for cfg. An empty cfg.BaseURL means
// DefaultBaseURL; a key, if any, is sent as a bearer token (ollama.com).
// It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	u, err := provider.ParseBaseURL(cfg.Slug, cfg.BaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("ollama: %w", err)
	}
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
		h.Set("Authorization", "Bearer "+key)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = new(http.Client)
	}
	return &Adapter{
		name:   name,
		url:    strings.TrimRight(u.String(), "/") + "/api/chat",
		header: h,
		client: client,
		media:  cfg.Media,
	}, nil
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, exclude, err := a.encode(ctx, req, false)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := provider.ReadResponseBody(ctx, a.name, resp.Body, maxResponseBody)
	if err != nil {
		return nil, err
	}
	var r chatResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, a.malformed(data, err)
	}
	if r.Error != "" {
		return nil, a.inBand(r.Error, data)
	}
	if !r.Done {
		return nil, a.malformed(data, fmt.Errorf("response is not done"))
	}
	return r.response(exclude), nil
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, exclude, err := a.encode(ctx, req, true)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, body, true)
	if err != nil {
		return nil, err
	}
	dec := newDecoder(a, exclude)
	respBody := provider.StreamBody(resp)
	return provider.NewStream(ctx, a.name, respBody, provider.NDJSONEvents(respBody, maxResponseBody), dec), nil
}

// send posts body upstream with ctx. A non-2xx answer becomes a
// *provider.Error.
func (a *Adapter) send(ctx context.Context, req *provider.Request, body []byte, stream bool) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("ollama: %w", err)
	}
	hr.Header = a.header.Clone()
	for k, vs := range req.Headers {
		if http.CanonicalHeaderKey(k) == "Authorization" {
			continue // the credential is the provider's, never the caller's
		}
		hr.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if stream {
		hr.Header.Set("Accept", "application/x-ndjson")
	} else {
		hr.Header.Set("Accept", "application/json")
	}
	return provider.Do(a.client, hr, a.name, func(resp *http.Response) error {
		return a.statusError(resp, time.Now())
	})
}

// statusError builds the error of a non-2xx answer, whose body is
// {"error":"…"}.
func (a *Adapter) statusError(resp *http.Response, now time.Time) *provider.Error {
	raw := provider.ReadErrorBody(resp.Body, maxErrorBody)
	e := &provider.Error{
		Provider:   a.name,
		Status:     resp.StatusCode,
		Type:       provider.ErrorType(resp.StatusCode),
		Message:    errorMessage(raw),
		Raw:        string(raw),
		RetryAfter: provider.RetryAfter(resp.Header, now, maxRetryAfter),
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(fmt.Sprintf("upstream returned status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	if resp.StatusCode < 500 && strings.Contains(strings.ToLower(e.Message), "context length") {
		e.Type = "context_length_exceeded"
	}
	return e
}

// errorMessage returns the message of an {"error":"…"} body (or of an
// OpenAI-shaped {"error":{"message":…}} one), else the body's text.
func errorMessage(raw []byte) string {
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && len(body.Error) > 0 {
		var s string
		if json.Unmarshal(body.Error, &s) == nil {
			return s
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body.Error, &o) == nil && o.Message != "" {
			return o.Message
		}
	}
	return clip(strings.TrimSpace(string(raw)))
}

// inBand is the error of an {"error":"…"} object in a successful answer.
func (a *Adapter) inBand(msg string, raw []byte) *provider.Error {
	return &provider.Error{Provider: a.name, Type: "server", Message: msg, Raw: clip(string(raw))}
}

// malformed is the error of a body or line that is not what Ollama sends.
func (a *Adapter) malformed(raw []byte, err error) *provider.Error {
	return provider.Malformed(a.name, "response", raw, err)
}

// clip bounds raw text kept in an error.
func clip(s string) string {
	const n = 1 << 10
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// newIDs returns a fresh completion id, since Ollama sends none, and the
// prefix of the response's synthesised tool call ids, derived from it.
func newIDs() (id, callPrefix string) {
	var b [12]byte
	rand.Read(b[:])
	x := hex.EncodeToString(b[:])
	return "chatcmpl-" + x, "call_" + x + "_"
}
