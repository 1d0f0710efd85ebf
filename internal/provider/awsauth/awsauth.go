// Package awsauth authenticates requests to AWS Bedrock Runtime, for the
// bedrock adapter (Converse) and the anthropic adapter on Bedrock hosts
// (InvokeModel): a Bedrock API key is sent as a bearer token, and
// "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]" credentials sign the
// request with SigV4 (aws-sdk-go-v2's signer; the canonical path is
// double-encoded, so a ':' in a model id is signed as %253A).
package awsauth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/switchyard-dev/switchyard/internal/provider"
)

const (
	// DefaultRegion is the signing region when the host names none.
	DefaultRegion = "us-east-1"
	// BedrockService is the SigV4 service name of Bedrock Runtime.
	BedrockService = "bedrock"
)

// Auth is a provider.Authorizer for AWS. It is safe for concurrent use.
type Auth struct {
	// Exactly one of bearer and creds is set.
	bearer  string
	creds   *aws.Credentials
	signer  *v4.Signer
	region  string
	service string

	// Now and SignerOptions are test hooks (fixed clock, signing logs).
	Now           func() time.Time
	SignerOptions []func(*v4.SignerOptions)
}

var _ provider.Authorizer = (*Auth)(nil)

// New returns the Auth of a credential: SigV4 for
// "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]", a bearer token for
// anything else (a Bedrock API key). It returns nil for an empty key.
func New(key, region, service string) *Auth {
	if key == "" {
		return nil
	}
	a := &Auth{region: region, service: service, Now: time.Now}
	if creds, ok := ParseCredentials(key); ok {
		a.creds, a.signer = &creds, v4.NewSigner()
	} else {
		a.bearer = key
	}
	return a
}

// SigV4 reports whether requests are signed (rather than bearer-authenticated).
func (a *Auth) SigV4() bool { return a.creds != nil }

// Region is the signing region.
func (a *Auth) Region() string { return a.region }

// Authorize signs req, whose body is body, or sets its bearer token.
func (a *Auth) Authorize(req *http.Request, body []byte) error {
	if a.creds == nil {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
		return nil
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := a.signer.SignHTTP(req.Context(), *a.creds, req, hash, a.service, a.region, a.Now().UTC(), a.SignerOptions...); err != nil {
		return fmt.Errorf("signing the request: %w", err)
	}
	return nil
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

// RegionFromHost returns <region> of
// bedrock-runtime[-fips].<region>.amazonaws.com[.cn], or DefaultRegion.
func RegionFromHost(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	if len(labels) >= 4 && strings.HasPrefix(labels[0], "bedrock-runtime") && labels[2] == "amazonaws" {
		return labels[1]
	}
	return DefaultRegion
}

// IsBedrockHost reports whether host is a Bedrock Runtime endpoint.
func IsBedrockHost(host string) bool {
	return strings.HasPrefix(strings.ToLower(host), "bedrock-runtime") && strings.Contains(strings.ToLower(host), ".amazonaws.com")
}

// ModelPath returns the path and raw (escaped) path of
// {base}/model/{model}/{op}: the model id is path-escaped with ':' as %3A,
// as AWS expects on the wire (the signer then encodes it once more).
func ModelPath(basePath, baseEscaped, model, op string) (path, rawPath string) {
	escaped := strings.ReplaceAll(url.PathEscape(model), ":", "%3A")
	return basePath + "/model/" + model + "/" + op, baseEscaped + "/model/" + escaped + "/" + op
}
