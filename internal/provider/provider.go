// Package provider defines how Switchyard talks to an upstream: a small
// Provider interface that every protocol adapter implements, the request and
// stream types that cross it, the upstream error type, and a registry of
// protocol factories.
//
// Adapters translate between the OpenAI Chat Completions dialect (package
// openai) and their upstream's native one. They never render client
// responses, choose endpoints or compute costs: the api and router packages
// do that with what the adapter returns.
package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// Provider is a configured upstream (one per catalog provider with
// credentials). Implementations must be safe for concurrent use.
type Provider interface {
	// Chat sends a non-streamed chat completion. The returned response's
	// Model is the upstream's; Usage holds the upstream's native counts.
	Chat(ctx context.Context, req *Request) (*openai.ChatResponse, error)

	// ChatStream starts a streamed chat completion. It returns once the
	// upstream has accepted the request (status and headers read), so that
	// errors before the first byte can fail over. Cancelling ctx aborts the
	// upstream request.
	ChatStream(ctx context.Context, req *Request) (Stream, error)
}

// Stream yields the chunks of a streamed completion in OpenAI's dialect.
type Stream interface {
	// Next returns the next chunk, io.EOF after the last one, or an error
	// (an *Error for in-band upstream errors). Usage arrives on whichever
	// chunk the upstream puts it; the caller accumulates it.
	Next() (*openai.Chunk, error)
	// Close releases the upstream connection. It is safe to call twice.
	Close() error
}

// Buffering is implemented by streams that can tell whether their next
// chunk is already in memory, read from the upstream with the previous
// ones. A relay flushes to its client only when it is not, so that chunks
// an upstream sent together leave in one write, without delaying any.
type Buffering interface {
	Buffered() bool
}

// Buffered reports whether s has its next chunk at hand (false when s
// cannot tell).
func Buffered(s Stream) bool {
	b, ok := s.(Buffering)
	return ok && b.Buffered()
}

// Request is what the router hands an adapter: the client's request and the
// endpoint chosen to serve it.
type Request struct {
	// Chat is the client's request. Adapters must not modify it; they
	// build their own upstream body from it.
	Chat *openai.ChatRequest
	// UpstreamModel is the model id the upstream expects.
	UpstreamModel string
	// MaxOutputTokens is the endpoint's maximum output from the catalog,
	// 0 when unknown: the default cap of upstreams that require one
	// (Anthropic's max_tokens) and the ceiling of caps adapters compute.
	MaxOutputTokens int
	// Headers are extra headers to send upstream (e.g. attribution).
	Headers http.Header
}

// Config is what a factory needs to build a Provider.
type Config struct {
	Slug     string
	Name     string
	Protocol string
	// Platform is the cloud hosting the protocol when it is not the
	// protocol's own API: "vertex" (Google Vertex AI) or "bedrock" (AWS
	// Bedrock InvokeModel), for Anthropic's Messages API on those hosts.
	// Empty means: inferred from BaseURL's host.
	Platform string
	BaseURL  string
	// APIKey is the upstream credential; it is a Secret so logging a
	// Config never leaks it.
	APIKey Secret
	// Headers are static headers sent on every upstream request.
	Headers map[string]string
	// HTTPClient carries transport settings and timeouts; never nil.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Auth, when set, authenticates every upstream request instead of
	// the adapter's own use of APIKey (tests inject static tokens here;
	// Vertex uses an OAuth token source).
	Auth Authorizer
	// Media loads images and files for upstreams that need them inline;
	// nil means media.Default (public addresses only).
	Media *media.Fetcher
}

// Secret is a credential that redacts itself in logs and fmt output.
type Secret string

// String implements fmt.Stringer with a redacted value.
func (Secret) String() string { return "REDACTED" }

// LogValue implements slog.LogValuer with a redacted value.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Reveal returns the plaintext credential, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// Factory builds a Provider of one protocol.
type Factory func(Config) (Provider, error)

// Registry maps protocol names to factories. It refuses duplicates.
type Registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{factories: make(map[string]Factory)} }

// Register adds a protocol's factory. Registering a protocol twice is an error.
func (r *Registry) Register(protocol string, f Factory) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.factories[protocol]; dup {
		return fmt.Errorf("provider: protocol %q registered twice", protocol)
	}
	r.factories[protocol] = f
	return nil
}

// Supports reports whether a factory exists for protocol.
func (r *Registry) Supports(protocol string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.factories[protocol]
	return ok
}

// Protocols lists the registered protocols, sorted.
func (r *Registry) Protocols() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.factories))
	for p := range r.factories {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// New builds a provider with the factory of cfg.Protocol.
func (r *Registry) New(cfg Config) (Provider, error) {
	r.mu.RLock()
	f, ok := r.factories[cfg.Protocol]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("provider %q: no adapter for protocol %q", cfg.Slug, cfg.Protocol)
	}
	return f(cfg)
}

// Error is an upstream failure: an HTTP error status, an in-band stream
// error, a transport failure or a timeout. Message is the upstream's own
// reason, which the client sees; Raw is the upstream body verbatim.
type Error struct {
	Provider string // provider display name
	// Status is the upstream HTTP status, or 0 for transport failures.
	Status int
	// Type is the stable error_type vocabulary of OpenRouter
	// (rate_limit_exceeded, context_length_exceeded, timeout, …).
	Type string
	// Code is the upstream's own error code, if any.
	Code    string
	Message string
	Raw     string
	// RetryAfter is the upstream's Retry-After hint, if any.
	RetryAfter time.Duration
	// Err is the underlying cause for transport failures.
	Err error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: upstream status %d: %s", e.Provider, e.Status, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Provider, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether another endpoint may succeed where this one
// failed: connection errors, timeouts, rate limits and 5xx statuses.
// Requests the upstream rejected as invalid (4xx) are not retried on
// another provider of the same model.
func (e *Error) Retryable() bool {
	switch {
	case e.Status == 0:
		return true
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusTooManyRequests:
		return true
	case e.Status >= 500:
		return true
	}
	return false
}

// ErrorType maps an upstream HTTP status to OpenRouter's error_type.
func ErrorType(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return "invalid_request"
	case status == http.StatusUnauthorized:
		return "authentication"
	case status == http.StatusPaymentRequired:
		return "payment_required"
	case status == http.StatusForbidden:
		return "permission_denied"
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusRequestTimeout, status == http.StatusGatewayTimeout:
		return "timeout"
	case status == http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case status == http.StatusUnprocessableEntity:
		return "unprocessable"
	case status == http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case status == http.StatusServiceUnavailable, status == 529:
		return "provider_overloaded"
	case status >= 500:
		return "server"
	}
	return "unmapped"
}

// AsError returns err as an *Error, wrapping transport errors and context
// deadlines in one with the given provider name.
func AsError(providerName string, err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	e := &Error{Provider: providerName, Type: "provider_unavailable", Message: err.Error(), Err: err}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		e.Type, e.Message = "timeout", "upstream timed out"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		e.Message = "upstream closed the connection unexpectedly"
	}
	return e
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
