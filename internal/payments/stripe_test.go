package payments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

const testKey = "sk_test_51Secret"

// fakeStripe is an httptest stand-in for Stripe's API that records the
// requests it receives and answers with a canned status and body.
type fakeStripe struct {
	*httptest.Server
	status int
	body   string

	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, path string
	header       http.Header
	form         url.Values
}

func newFakeStripe(t *testing.T, status int, body string) *fakeStripe {
	t.Helper()
	f := &fakeStripe{status: status, body: body}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("request body is not form-encoded: %v", err)
		}
		f.mu.Lock()
		f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.Header.Clone(), form})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		io.WriteString(w, f.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeStripe) calls() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

func validRequest() CheckoutRequest {
	return CheckoutRequest{
		AccountID:  42,
		Amount:     1234 * Cent, // $12.34
		SuccessURL: "https://sy.example/billing?ok=1&s={CHECKOUT_SESSION_ID}",
		CancelURL:  "https://sy.example/billing?cancelled=1",
	}
}

func TestCreateCheckoutRequest(t *testing.T) {
	f := newFakeStripe(t, http.StatusOK,
		`{"id":"cs_test_a1","object":"checkout.session","url":"https://checkout.stripe.com/c/pay/cs_test_a1"}`)
	s := NewStripe(Options{SecretKey: testKey, APIBase: f.URL + "/"})

	got, err := s.CreateCheckout(context.Background(), validRequest())
	if err != nil {
		t.Fatal(err)
	}
	want := Checkout{ID: "cs_test_a1", URL: "https://checkout.stripe.com/c/pay/cs_test_a1"}
	if got != want {
		t.Errorf("checkout = %+v, want %+v", got, want)
	}
	if _, err := s.CreateCheckout(context.Background(), validRequest()); err != nil {
		t.Fatal(err)
	}

	calls := f.calls()
	if len(calls) != 2 {
		t.Fatalf("%d requests, want 2", len(calls))
	}
	r := calls[0]
	if r.method != http.MethodPost || r.path != "/v1/checkout/sessions" {
		t.Errorf("request = %s %s, want POST /v1/checkout/sessions", r.method, r.path)
	}
	for name, want := range map[string]string{
		"Authorization": "Bearer " + testKey,
		"Content-Type":  "application/x-www-form-urlencoded",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	idem := r.header.Get("Idempotency-Key")
	if len(idem) < 16 {
		t.Errorf("Idempotency-Key = %q, want a random key", idem)
	}
	if again := calls[1].header.Get("Idempotency-Key"); again == idem {
		t.Errorf("two checkouts share Idempotency-Key %q", idem)
	}
	wantForm := url.Values{
		"mode":                                          {"payment"},
		"line_items[0][price_data][currency]":           {"usd"},
		"line_items[0][price_data][unit_amount]":        {"1234"},
		"line_items[0][price_data][product_data][name]": {"Switchyard credits"},
		"line_items[0][quantity]":                       {"1"},
		"client_reference_id":                           {"42"},
		"metadata[account_id]":                          {"42"},
		"success_url":                                   {"https://sy.example/billing?ok=1&s={CHECKOUT_SESSION_ID}"},
		"cancel_url":                                    {"https://sy.example/billing?cancelled=1"},
	}
	if !reflect.DeepEqual(r.form, wantForm) {
		t.Errorf("form =\n%v\nwant\n%v", r.form, wantForm)
	}
}

func TestCreateCheckoutRejectsBadRequests(t *testing.T) {
	f := newFakeStripe(t, http.StatusOK, `{"id":"cs_1","url":"https://x"}`)
	s := NewStripe(Options{SecretKey: testKey, APIBase: f.URL})
	tests := []struct {
		name string
		edit func(*CheckoutRequest)
	}{
		{"fraction of a cent", func(r *CheckoutRequest) { r.Amount = 10*money.NanoPerUSD + 1 }},
		{"below $1", func(r *CheckoutRequest) { r.Amount = 99 * Cent }},
		{"zero", func(r *CheckoutRequest) { r.Amount = 0 }},
		{"negative", func(r *CheckoutRequest) { r.Amount = -10 * money.NanoPerUSD }},
		{"above Stripe's maximum", func(r *CheckoutRequest) { r.Amount = MaxPurchase + Cent }},
		{"no account", func(r *CheckoutRequest) { r.AccountID = 0 }},
		{"no success URL", func(r *CheckoutRequest) { r.SuccessURL = "" }},
		{"no cancel URL", func(r *CheckoutRequest) { r.CancelURL = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validRequest()
			tt.edit(&req)
			if _, err := s.CreateCheckout(context.Background(), req); !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("invalid requests reached Stripe %d times", n)
	}
	// The limits themselves are accepted.
	for _, amount := range []money.Amount{MinPurchase, MaxPurchase} {
		req := validRequest()
		req.Amount = amount
		if _, err := s.CreateCheckout(context.Background(), req); err != nil {
			t.Errorf("amount $%s: %v", amount, err)
		}
	}
}

func TestCreateCheckoutErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		want      *APIError // nil: a non-API error
		temporary bool
	}{
		{
			name:   "invalid request",
			status: http.StatusBadRequest,
			body: `{"error":{"type":"invalid_request_error","code":"url_invalid","param":"success_url",` +
				`"message":"Not a valid URL","request_log_url":"https://dashboard.stripe.com/logs/req_1"}}`,
			want: &APIError{Status: 400, Type: "invalid_request_error", Code: "url_invalid",
				Param: "success_url", Message: "Not a valid URL"},
		},
		{
			name:   "bad key",
			status: http.StatusUnauthorized,
			body:   `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****cret"}}`,
			want: &APIError{Status: 401, Type: "invalid_request_error",
				Message: "Invalid API Key provided: sk_test_****cret"},
		},
		{
			name:      "rate limited",
			status:    http.StatusTooManyRequests,
			body:      `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`,
			want:      &APIError{Status: 429, Type: "invalid_request_error", Code: "rate_limit", Message: "Too many requests"},
			temporary: true,
		},
		{
			name:      "not JSON",
			status:    http.StatusBadGateway,
			body:      `<html>bad gateway</html>`,
			want:      &APIError{Status: 502, Message: "Bad Gateway"},
			temporary: true,
		},
		{name: "session without url", status: http.StatusOK, body: `{"id":"cs_1"}`},
		{name: "garbage success", status: http.StatusOK, body: `{"id":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeStripe(t, tt.status, tt.body)
			s := NewStripe(Options{SecretKey: testKey, APIBase: f.URL})
			_, err := s.CreateCheckout(context.Background(), validRequest())
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q leaks the secret key", err)
			}
			var apiErr *APIError
			if tt.want == nil {
				if errors.As(err, &apiErr) {
					t.Errorf("err = %#v, want a non-API error", apiErr)
				}
				return
			}
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if *apiErr != *tt.want {
				t.Errorf("err = %+v, want %+v", *apiErr, *tt.want)
			}
			if !strings.Contains(err.Error(), tt.want.Message) {
				t.Errorf("error %q lacks Stripe's message %q", err, tt.want.Message)
			}
			if apiErr.Temporary() != tt.temporary {
				t.Errorf("Temporary() = %v, want %v", apiErr.Temporary(), tt.temporary)
			}
		})
	}
}

func TestCreateCheckoutTransportErrorHidesKey(t *testing.T) {
	f := newFakeStripe(t, http.StatusOK, `{}`)
	f.Close()
	s := NewStripe(Options{SecretKey: testKey, APIBase: f.URL})
	_, err := s.CreateCheckout(context.Background(), validRequest())
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Errorf("err = %v, want an error without the key", err)
	}
}

func TestCreateCheckoutWithoutKey(t *testing.T) {
	f := newFakeStripe(t, http.StatusOK, `{"id":"cs_1","url":"https://x"}`)
	s := NewStripe(Options{APIBase: f.URL})
	if _, err := s.CreateCheckout(context.Background(), validRequest()); err == nil {
		t.Error("no error without a secret key")
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("Stripe called %d times without a key", n)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	const hook = "whsec_VerySecret"
	opts := Options{SecretKey: testKey, WebhookSecret: hook, APIBase: "https://api.example"}
	s := NewStripe(opts)

	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "options", opts, "key", opts.SecretKey, "stripe", s)
	js, err := json.Marshal(struct{ Key, Hook Secret }{opts.SecretKey, opts.WebhookSecret})
	if err != nil {
		t.Fatal(err)
	}
	outputs := []string{
		fmt.Sprintf("%v %+v %#v %s", opts, opts, opts, opts.SecretKey),
		fmt.Sprintf("%v %+v %#v", s, s, s),
		fmt.Sprintf("%v %+v", *s, *s),
		logs.String(),
		string(js),
	}
	for _, out := range outputs {
		if strings.Contains(out, testKey) || strings.Contains(out, hook) {
			t.Errorf("output leaks a secret: %s", out)
		}
	}
}
