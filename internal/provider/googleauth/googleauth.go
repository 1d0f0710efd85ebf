// Package googleauth authenticates requests to Google Cloud (Vertex AI) with
// OAuth2 access tokens, obtained from a service-account JSON key by the
// standard JWT-bearer token exchange (golang.org/x/oauth2/google) and
// cached until shortly before they expire. The token source is injectable
// so that tests need no network.
package googleauth

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/switchyard-dev/switchyard/internal/provider"
)

// Scope is the OAuth2 scope of Vertex AI.
const Scope = "https://www.googleapis.com/auth/cloud-platform"

// Auth is a provider.Authorizer that sends "Authorization: Bearer <token>".
// It is safe for concurrent use.
type Auth struct {
	ts        oauth2.TokenSource
	projectID string
}

var _ provider.Authorizer = (*Auth)(nil)

// New returns an Auth over ts, reusing each token until it expires.
func New(ts oauth2.TokenSource) *Auth {
	return &Auth{ts: oauth2.ReuseTokenSource(nil, ts)}
}

// Static returns an Auth that always sends token (tests, or an access
// token minted outside Switchyard).
func Static(token string) *Auth {
	return New(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}))
}

// FromServiceAccountJSON returns an Auth for a service-account JSON key.
// Token requests go to the key's token_uri through client (nil means
// http.DefaultClient).
func FromServiceAccountJSON(key []byte, client *http.Client) (*Auth, error) {
	var meta struct {
		Type      string `json:"type"`
		ProjectID string `json:"project_id"`
	}
	if err := json.Unmarshal(key, &meta); err != nil {
		return nil, fmt.Errorf("googleauth: the credential is not a service-account JSON key: %w", err)
	}
	if meta.Type != "service_account" {
		return nil, errors.New(`googleauth: the credential is not a service-account JSON key (type is not "service_account")`)
	}
	cfg, err := google.JWTConfigFromJSON(key, Scope)
	if err != nil {
		return nil, fmt.Errorf("googleauth: %w", err)
	}
	if block, _ := pem.Decode(cfg.PrivateKey); block == nil || cfg.Email == "" {
		// Fail at start-up, not on the first request.
		return nil, errors.New("googleauth: the service-account key has no PEM private_key or no client_email")
	}
	ctx := context.Background()
	if client != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	}
	a := New(cfg.TokenSource(ctx))
	a.projectID = meta.ProjectID
	return a, nil
}

// ProjectID is the project of the service-account key, if known.
func (a *Auth) ProjectID() string { return a.projectID }

// Authorize sets the bearer token, fetching a new one when the cached one
// has expired.
func (a *Auth) Authorize(req *http.Request, _ []byte) error {
	tok, err := a.ts.Token()
	if err != nil {
		return fmt.Errorf("obtaining a Google access token: %w", err)
	}
	tok.SetAuthHeader(req)
	return nil
}
