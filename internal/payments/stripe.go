package payments

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultAPIBase is Stripe's API origin.
	DefaultAPIBase = "https://api.stripe.com"
	// DefaultTolerance is how far a webhook's signed timestamp may be from
	// now, either way (Stripe's libraries use 300 s).
	DefaultTolerance = 5 * time.Minute
	// ProductName is the name of the line item on the Stripe payment page.
	ProductName = "Switchyard credits"

	checkoutPath     = "/v1/checkout/sessions"
	maxResponseBytes = 1 << 20
)

// Options configures a Stripe provider.
type Options struct {
	// SecretKey is the API key ("sk_live_…", "sk_test_…" or a restricted
	// "rk_…" key allowed to write Checkout Sessions).
	SecretKey Secret
	// WebhookSecret is the signing secret of the webhook endpoint ("whsec_…").
	WebhookSecret Secret
	// APIBase is the API origin; default DefaultAPIBase. Tests point it at a
	// fake.
	APIBase string
	// HTTPClient sends API requests; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock for webhook timestamps; default time.Now.
	Now func() time.Time
	// Tolerance bounds |now − signed timestamp| of a webhook; default
	// DefaultTolerance when zero or negative.
	Tolerance time.Duration
}

// Stripe is the Stripe Provider. It is safe for concurrent use.
type Stripe struct {
	// The secrets sit behind a pointer: fmt prints unexported fields raw,
	// without calling Secret.String, but prints a nested pointer as an
	// address.
	secrets   *secrets
	apiBase   string
	client    *http.Client
	now       func() time.Time
	tolerance time.Duration
}

type secrets struct{ key, webhook Secret }

var _ Provider = (*Stripe)(nil)

// NewStripe returns a Stripe provider.
func NewStripe(o Options) *Stripe {
	s := &Stripe{
		secrets:   &secrets{key: o.SecretKey, webhook: o.WebhookSecret},
		apiBase:   strings.TrimRight(o.APIBase, "/"),
		client:    o.HTTPClient,
		now:       o.Now,
		tolerance: o.Tolerance,
	}
	if s.apiBase == "" {
		s.apiBase = DefaultAPIBase
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 30 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.tolerance <= 0 {
		s.tolerance = DefaultTolerance
	}
	return s
}

// CreateCheckout creates a Stripe Checkout Session in payment mode with one
// USD line item of req.Amount, tagged with the account id both as
// client_reference_id and as metadata[account_id].
func (s *Stripe) CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error) {
	cents, err := req.validate()
	if err != nil {
		return Checkout{}, err
	}
	if s.secrets.key == "" {
		return Checkout{}, errors.New("payments: stripe secret key is not configured")
	}
	account := strconv.FormatInt(req.AccountID, 10)
	form := url.Values{
		"mode":                                          {"payment"},
		"line_items[0][price_data][currency]":           {"usd"},
		"line_items[0][price_data][unit_amount]":        {strconv.FormatInt(cents, 10)},
		"line_items[0][price_data][product_data][name]": {ProductName},
		"line_items[0][quantity]":                       {"1"},
		"client_reference_id":                           {account},
		"metadata[account_id]":                          {account},
		"success_url":                                   {req.SuccessURL},
		"cancel_url":                                    {req.CancelURL},
	}
	var out struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if err := s.post(ctx, checkoutPath, form, &out); err != nil {
		return Checkout{}, err
	}
	if out.ID == "" || out.URL == "" {
		return Checkout{}, errors.New("payments: stripe returned a checkout session without id or url")
	}
	return Checkout{ID: out.ID, URL: out.URL}, nil
}

// post sends a form-encoded API request and decodes a 2xx JSON answer into
// out, or maps an error answer to an *APIError.
func (s *Stripe) post(ctx context.Context, path string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiBase+path, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("payments: stripe request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+string(s.secrets.key))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A random key per call: a request retried by a proxy or the transport
	// creates at most one session.
	req.Header.Set("Idempotency-Key", rand.Text())
	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error carries the URL, never the Authorization header.
		return fmt.Errorf("payments: stripe %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("payments: stripe %s: reading response: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return parseAPIError(resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("payments: stripe %s: decoding response: %w", path, err)
	}
	return nil
}

// APIError is an error answer of Stripe's API,
// {"error":{"type":…,"code":…,"message":…,"param":…}}.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Type is Stripe's error type, e.g. "invalid_request_error",
	// "authentication_error", "rate_limit_error", "api_error".
	Type string
	// Code is Stripe's finer error code, if any.
	Code string
	// Param is the offending request parameter, if any.
	Param string
	// Message is Stripe's human-readable message.
	Message string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stripe: %d", e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Temporary reports whether retrying the same request may succeed.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Type == "api_error"
}

func parseAPIError(status int, body []byte) *APIError {
	var env struct {
		Error struct {
			Type    string `json:"type"`
			Code    string `json:"code"`
			Param   string `json:"param"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &APIError{Status: status}
	if json.Unmarshal(body, &env) == nil {
		e.Type, e.Code, e.Param, e.Message = env.Error.Type, env.Error.Code, env.Error.Param, env.Error.Message
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}
