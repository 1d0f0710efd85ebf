package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/awsauth"
	"github.com/switchyard-dev/switchyard/internal/provider/googleauth"
)

// Anthropic's Messages API on Google Vertex AI and AWS Bedrock
// (protocols.md §2.1 "Hosted variants"). The body is the native one
// without "model" (the URL names it) and with anthropic_version; replies
// and stream events are native too, except that Bedrock wraps each stream
// event in an AWS event-stream "chunk" message, and Bedrock's own errors
// (as opposed to the model's) have Bedrock's shape.

// Platforms of provider.Config.Platform served by this adapter.
const (
	PlatformVertex  = "vertex"
	PlatformBedrock = "bedrock"
)

// anthropic_version values of the hosted APIs.
const (
	VertexVersion  = "vertex-2023-10-16"
	BedrockVersion = "bedrock-2023-05-31"
)

// platformOf returns cfg.Platform, or the platform of the base URL's host
// ("" for Anthropic's own API).
func platformOf(cfg provider.Config, u *url.URL) (string, error) {
	switch p := strings.ToLower(cfg.Platform); p {
	case PlatformVertex, PlatformBedrock:
		return p, nil
	case "":
	default:
		return "", fmt.Errorf("anthropic: provider %q: unknown platform %q (want vertex or bedrock)", cfg.Slug, cfg.Platform)
	}
	switch host := strings.ToLower(u.Hostname()); {
	case host == "aiplatform.googleapis.com" || strings.HasSuffix(host, "-aiplatform.googleapis.com"):
		return PlatformVertex, nil
	case awsauth.IsBedrockHost(host):
		return PlatformBedrock, nil
	}
	return "", nil
}

// hostAuth returns the authorizer of a hosted platform: cfg.Auth, else one
// built from the credential (a service-account JSON key, inline or as a
// file path, for Vertex; an AWS credential or Bedrock API key for Bedrock).
func hostAuth(cfg provider.Config, platform string, u *url.URL) (provider.Authorizer, error) {
	if cfg.Auth != nil {
		return cfg.Auth, nil
	}
	key := strings.TrimSpace(cfg.APIKey.Reveal())
	if key == "" {
		return nil, fmt.Errorf("anthropic: provider %q on %s has no credential", cfg.Slug, platform)
	}
	if platform == PlatformBedrock {
		return awsauth.New(key, awsauth.RegionFromHost(u.Hostname()), awsauth.BedrockService), nil
	}
	keyJSON := []byte(key)
	if !strings.HasPrefix(key, "{") {
		var err error
		if keyJSON, err = os.ReadFile(key); err != nil {
			return nil, fmt.Errorf("anthropic: provider %q: reading the service-account key: %w", cfg.Slug, err)
		}
	}
	a, err := googleauth.FromServiceAccountJSON(keyJSON, cfg.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("anthropic: provider %q: %w", cfg.Slug, err)
	}
	return a, nil
}

// endpoint returns the URL to POST a request for model to.
func (a *Adapter) endpoint(model string, stream bool) *url.URL {
	u := *a.base
	basePath, baseRaw := strings.TrimRight(u.Path, "/"), strings.TrimRight(u.EscapedPath(), "/")
	switch a.platform {
	case PlatformVertex:
		op := ":rawPredict"
		if stream {
			op = ":streamRawPredict"
		}
		suffix := "/publishers/anthropic/models/"
		u.Path, u.RawPath = basePath+suffix+model+op, baseRaw+suffix+url.PathEscape(model)+op
	case PlatformBedrock:
		op := "invoke"
		if stream {
			op = "invoke-with-response-stream"
		}
		u.Path, u.RawPath = awsauth.ModelPath(basePath, baseRaw, model, op)
	default:
		u.Path, u.RawPath = basePath+"/messages", ""
	}
	return &u
}

// shape turns a native request into the platform's: the model moves to
// the URL (it is returned), anthropic_version joins the body, and Bedrock
// streams by its URL rather than a stream flag.
func (a *Adapter) shape(r *request) (model string) {
	model = r.Model
	switch a.platform {
	case PlatformVertex:
		r.Model, r.AnthropicVersion = "", VertexVersion
	case PlatformBedrock:
		r.Model, r.AnthropicVersion, r.Stream = "", BedrockVersion, false
	}
	return model
}

// streamEvents returns the event reader and decoder of a stream body.
func (a *Adapter) streamEvents(body *http.Response, dec *decoder) (provider.EventReader, provider.Decoder) {
	if a.platform == PlatformBedrock {
		return provider.AWSEvents(body.Body), bedrockDecoder{dec}
	}
	return provider.SSEEvents(body.Body), dec
}

// bedrockDecoder unwraps InvokeModelWithResponseStream: each "chunk"
// event's payload is {"bytes": base64 of one Anthropic stream event}; an
// exception message is an in-band error.
type bedrockDecoder struct{ *decoder }

func (d bedrockDecoder) Decode(ev provider.Event, out []*openai.Chunk) ([]*openai.Chunk, bool, error) {
	switch ev.MessageType {
	case "exception":
		var p struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(ev.Data, &p)
		return out, false, bedrockError(d.name, 0, ev.ExceptionType, p.Message, ev.Data)
	case "error":
		return out, false, bedrockError(d.name, 0, ev.ErrorCode, ev.ErrorMessage, ev.Data)
	}
	if ev.Type != "chunk" {
		return out, false, nil
	}
	var c struct {
		Bytes []byte `json:"bytes"` // base64, decoded by encoding/json
	}
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		return out, false, provider.Malformed(d.name, "chunk", ev.Data, err)
	}
	return d.decoder.Decode(provider.Event{Data: c.Bytes}, out)
}

// bedrockKinds maps Bedrock's exception names (lower-cased) to their HTTP
// status and OpenRouter's error_type (protocols.md §4.4).
var bedrockKinds = map[string]struct {
	status int
	typ    string
}{
	"validationexception":           {400, "invalid_request"},
	"accessdeniedexception":         {403, "permission_denied"},
	"resourcenotfoundexception":     {404, "not_found"},
	"modeltimeoutexception":         {408, "timeout"},
	"modelerrorexception":           {424, "server"},
	"modelstreamerrorexception":     {424, "server"},
	"throttlingexception":           {429, "rate_limit_exceeded"},
	"servicequotaexceededexception": {429, "rate_limit_exceeded"},
	"modelnotreadyexception":        {429, "provider_overloaded"},
	"internalserverexception":       {500, "server"},
	"serviceunavailableexception":   {503, "provider_overloaded"},
}

// bedrockError builds the error of a Bedrock exception named typ
// ("ThrottlingException", "throttlingException", with or without a
// namespace). status 0 (an in-band exception) takes the exception's
// documented status, so that Retryable answers as for the HTTP error.
func bedrockError(name string, status int, typ, message string, raw []byte) *provider.Error {
	typ = bedrockType(typ)
	kind, known := bedrockKinds[strings.ToLower(typ)]
	if status == 0 {
		status = kind.status
	}
	e := &provider.Error{
		Provider: name,
		Status:   status,
		Type:     kind.typ,
		Code:     typ,
		Message:  provider.ClipMessage(strings.TrimSpace(message), maxMessage),
		Raw:      provider.ClipBytes(raw, maxErrorBody),
	}
	switch msg := strings.ToLower(e.Message); {
	case strings.Contains(msg, "too long") || strings.Contains(msg, "context window") || strings.Contains(msg, "prompt is too long"):
		if status < 500 {
			e.Type = "context_length_exceeded"
		}
	case !known && status != 0:
		e.Type = provider.ErrorType(status)
	case !known:
		e.Type = "server"
	}
	if e.Message == "" {
		e.Message = "upstream reported an error"
		if typ != "" {
			e.Message = "upstream reported " + typ
		}
	}
	return e
}

// bedrockType strips the namespace of an error type:
// "ThrottlingException:http://internal.amazon.com/coral/…" or
// "com.amazon.bedrock#ThrottlingException".
func bedrockType(t string) string {
	t, _, _ = strings.Cut(t, ":")
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	return strings.TrimSpace(t)
}

// bedrockStatusError builds the error of a non-2xx Bedrock answer: a
// Bedrock-shaped body {"message": …} with the type in x-amzn-ErrorType or
// __type. An Anthropic-shaped body (the model's own error) is read as one.
func bedrockStatusError(name string, resp *http.Response, now time.Time) *provider.Error {
	body := provider.ReadErrorBody(resp.Body, maxErrorBody)
	var b struct {
		Message string           `json:"message"`
		Type    string           `json:"__type"`
		Error   *json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &b) == nil && b.Error != nil {
		resp.Body = readCloser{bytes.NewReader(body)}
		return statusError(name, resp, now)
	}
	typ := resp.Header.Get("X-Amzn-Errortype")
	if typ == "" {
		typ = b.Type
	}
	msg := b.Message
	if msg == "" {
		msg = string(bytes.TrimSpace(body))
	}
	e := bedrockError(name, resp.StatusCode, typ, msg, body)
	e.RetryAfter = provider.RetryAfter(resp.Header, now, maxRetryAfter)
	if e.Message == "upstream reported an error" {
		e.Message = fmt.Sprintf("upstream returned status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return e
}

// readCloser is a body already read into memory.
type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
