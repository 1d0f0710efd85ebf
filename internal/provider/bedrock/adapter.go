// Package bedrock is the adapter for AWS Bedrock's Converse API
// (POST {BaseURL}/model/{modelId}/converse and /converse-stream). It
// translates the OpenAI Chat Completions dialect of package openai into
// Converse's request shape (system blocks, alternating user/assistant turns,
// union content blocks, toolUse/toolResult) and Converse responses and the
// binary AWS event stream of ConverseStream back into OpenAI completions
// and chunks.
//
// Requests are authenticated with a Bedrock API key (bearer token) or with
// SigV4 from "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]" credentials,
// signed by aws-sdk-go-v2's signer. Event-stream frames are decoded (and
// their CRCs checked) by aws-sdk-go-v2's eventstream package.
package bedrock

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

const (
	// DefaultBaseURL is Bedrock Runtime's endpoint in us-east-1.
	DefaultBaseURL = "https://bedrock-runtime.us-east-1.amazonaws.com"
	// DefaultRegion is the signing region when the base URL names none.
	DefaultRegion = "us-east-1"
	// SigningName is the SigV4 service name of Bedrock Runtime.
	SigningName = "bedrock"

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
	region string

	// Exactly one of bearer and creds is set (or neither, for no auth).
	bearer string
	creds  *aws.Credentials
	signer *v4.Signer

	now       func() time.Time
	signOpts  []func(*v4.SignerOptions) // test hooks (signing logs)
	newChatID func() string
}

var _ provider.Provider = (*Adapter)(nil)

// New returns an Adapter for cfg. An empty cfg.BaseURL falls back to
// DefaultBaseURL; the signing region is read from a
// bedrock-runtime.<region>.amazonaws.com host. It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	return newAdapter(cfg)
}

func newAdapter(cfg provider.Config) (*Adapter, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bedrock: provider %q: base URL %q is not an absolute http(s) URL", cfg.Slug, base)
	}
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
		region:    RegionFromHost(u.Hostname()),
		now:       time.Now,
		newChatID: randomID,
	}
	if key := cfg.APIKey.Reveal(); key != "" {
		if creds, ok := ParseCredentials(key); ok {
			a.creds = &creds
			a.signer = v4.NewSigner()
		} else {
			a.bearer = key
		}
	}
	return a, nil
}

// ParseCredentials reads "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]".
// Anything else (a Bedrock API key) is reported as not credentials.
func ParseCredentials(s string) (aws.Credentials, bool) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return aws.Credentials{}, false
	}
	// Access key IDs are upper-case alphanumerics (AKIA…, ASIA…).
	for _, r := range parts[0] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return aws.Credentials{}, false
		}
	}
	c := aws.Credentials{AccessKeyID: parts[0], SecretAccessKey: parts[1], Source: "switchyard"}
	if len(parts) == 3 {
		c.SessionToken = parts[2]
	}
	return c, true
}

// RegionFromHost returns <region> of bedrock-runtime[-fips].<region>.amazonaws.com[.cn],
// or DefaultRegion.
func RegionFromHost(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	if len(labels) >= 4 && strings.HasPrefix(labels[0], "bedrock-runtime") && labels[2] == "amazonaws" {
		return labels[1]
	}
	return DefaultRegion
}

// Chat sends a non-streamed chat completion.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	body, err := a.encode(req)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, "converse", body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return a.decodeResponse(ctx, req, resp.Body)
}

// ChatStream starts a streamed chat completion. It returns once the
// upstream has answered with a success status.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	body, err := a.encode(req)
	if err != nil {
		return nil, err
	}
	resp, err := a.send(ctx, req, "converse-stream", body, true)
	if err != nil {
		return nil, err
	}
	return newStream(ctx, a.name, resp.Body, a.newChatID(), req.UpstreamModel, a.now().Unix()), nil
}

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

// endpoint returns the URL of op for model. The model id is one escaped
// path segment with ':' as %3A; RawPath keeps that form on the wire and
// lets the signer double-encode it in the canonical URI.
func (a *Adapter) endpoint(model, op string) *url.URL {
	u := *a.base
	escaped := strings.ReplaceAll(url.PathEscape(model), ":", "%3A")
	u.Path = a.base.Path + "/model/" + model + "/" + op
	u.RawPath = a.base.EscapedPath() + "/model/" + escaped + "/" + op
	u.RawQuery, u.Fragment = "", ""
	return &u
}

func (a *Adapter) newRequest(ctx context.Context, req *provider.Request, op string, body []byte, stream bool) (*http.Request, error) {
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
	switch {
	case a.creds != nil:
		sum := sha256.Sum256(body)
		hr.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		if err := a.signer.SignHTTP(ctx, *a.creds, hr, hex.EncodeToString(sum[:]), SigningName, a.region, a.now().UTC(), a.signOpts...); err != nil {
			return nil, &provider.Error{Provider: a.name, Type: "authentication", Message: "signing the request: " + err.Error(), Err: err}
		}
	case a.bearer != "":
		hr.Header.Set("Authorization", "Bearer "+a.bearer)
	}
	return hr, nil
}

// send posts body to op. A non-2xx answer becomes a *provider.Error.
func (a *Adapter) send(ctx context.Context, req *provider.Request, op string, body []byte, stream bool) (*http.Response, error) {
	hr, err := a.newRequest(ctx, req, op, body, stream)
	if err != nil {
		return nil, err
	}
	return provider.Do(a.client, hr, a.name, func(resp *http.Response) error {
		return statusError(a.name, resp, a.now())
	})
}

func (a *Adapter) decodeResponse(ctx context.Context, req *provider.Request, r io.Reader) (*openai.ChatResponse, error) {
	data, err := provider.ReadResponseBody(ctx, a.name, r, maxResponseBody)
	if err != nil {
		return nil, err
	}
	var m converseResponse
	if err := json.Unmarshal(data, &m); err != nil || m.Output == nil {
		msg := "upstream sent a malformed response"
		if err != nil {
			msg += ": " + err.Error()
		} else {
			err = errors.New("no output")
		}
		if len(data) == 0 {
			msg, err = "upstream sent an empty response", errors.New("empty body")
		}
		return nil, &provider.Error{Provider: a.name, Type: "server", Message: msg, Raw: provider.ClipMessage(string(data), maxMessage), Err: err}
	}
	return m.response(a.newChatID(), req.UpstreamModel, a.now().Unix()), nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "gen-bedrock-" + hex.EncodeToString(b[:])
}
