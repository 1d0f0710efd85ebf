package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/payments"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/ratelimit"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// milliEnv is an env whose model costs $0.001 per output token, prompts
// free, and whose upstream reports 10 output tokens.
func milliEnv(t *testing.T, credits money.Amount, o envOptions) (*env, *providertest.Fake) {
	t.Helper()
	fake := providertest.NewOpenAI(t, providertest.WithUsage(providertest.Usage{PromptTokens: 12, CompletionTokens: 10}))
	o.upstreams = []upstream{{slug: "p", fake: fake, prompt: "0", completion: "0.001"}}
	o.credits = credits
	return newEnv(t, o), fake
}

const milli = money.NanoPerUSD / 1000

// stoppedLimiter is a rate limiter whose clock stands still, for tests
// whose requests must fall in one minute: on the real clock, requests
// that straddle a minute's turn see the sliding window's estimate of the
// minute before (ratelimit/counter.go), not their exact count.
func stoppedLimiter() *ratelimit.Limiter {
	now := time.Date(2031, 3, 12, 15, 4, 5, 0, time.UTC)
	return ratelimit.New(ratelimit.Options{Now: func() time.Time { return now }})
}

// TestMaxTokensCapped: a request without max_tokens that the balance
// cannot fully cover is capped at what it affords, not refused.
func TestMaxTokensCapped(t *testing.T) {
	e, fake := milliEnv(t, 25*milli, envOptions{})
	resp := e.post("/api/v1/chat/completions", chatBody)
	body := readAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get(CappedHeader); got != "25" {
		t.Errorf("%s = %q, want 25 (= $0.025 / $0.001)", CappedHeader, got)
	}
	if got := fake.Last().JSON["max_tokens"]; got != float64(25) {
		t.Errorf("upstream max_tokens %v, want 25", got)
	}
	if got := e.balance(); got != 15*milli {
		t.Errorf("balance $%s, want $0.015 after 10 tokens", got)
	}
}

// TestPaymentRequired: 402 only when the explicit max_tokens, or the
// prompt itself, is unaffordable; the message says which.
func TestPaymentRequired(t *testing.T) {
	e, fake := milliEnv(t, 25*milli, envOptions{})
	resp := e.post("/api/v1/chat/completions", `{"model":"`+modelA+`","max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}`)
	msg := errorEnvelope(t, resp, http.StatusPaymentRequired)["message"].(string)
	if !strings.Contains(msg, "fewer max_tokens") || !strings.Contains(msg, "can only afford 25") {
		t.Errorf("message %q", msg)
	}
	// With a 1-token minimum unaffordable: the balance is $0.0005.
	poor, _ := e.newKey(milli / 2)
	resp = e.do(http.MethodPost, "/api/v1/chat/completions", chatBody, poor)
	msg = errorEnvelope(t, resp, http.StatusPaymentRequired)["message"].(string)
	if !strings.Contains(msg, "insufficient credits") {
		t.Errorf("message %q", msg)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d refused requests reached the upstream", n)
	}
}

// TestKeyLimit: a key's daily limit is enforced like a balance and says so.
func TestKeyLimitEnforced(t *testing.T) {
	e, _ := milliEnv(t, money.NanoPerUSD, envOptions{})
	// One day's window for all the requests, even across midnight UTC.
	now := time.Now()
	e.api.now = func() time.Time { return now }
	limit := 20 * milli
	key, hash, label := apikey.New()
	if _, err := e.store.CreateKey(context.Background(), store.NewKey{AccountID: e.account.ID, Hash: hash, Name: "capped",
		Label: label, Limit: &limit, LimitReset: store.LimitResetDaily}); err != nil {
		t.Fatal(err)
	}
	body := `{"model":"` + modelA + `","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}`
	for i := range 2 {
		if resp := e.do(http.MethodPost, "/api/v1/chat/completions", body, key.Reveal()); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	resp := e.do(http.MethodPost, "/api/v1/chat/completions", body, key.Reveal())
	msg := errorEnvelope(t, resp, http.StatusPaymentRequired)["message"].(string)
	if !strings.Contains(msg, "spending limit") {
		t.Errorf("message %q", msg)
	}
	// The account's other key is not limited.
	if resp := e.post("/api/v1/chat/completions", body); resp.StatusCode != http.StatusOK {
		t.Errorf("unlimited key: status %d", resp.StatusCode)
	}
}

func TestExpiredKey(t *testing.T) {
	e, _ := milliEnv(t, money.NanoPerUSD, envOptions{})
	past := time.Now().Add(-time.Minute)
	key, hash, label := apikey.New()
	if _, err := e.store.CreateKey(context.Background(), store.NewKey{AccountID: e.account.ID, Hash: hash, Name: "old",
		Label: label, ExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	resp := e.do(http.MethodPost, "/api/v1/chat/completions", chatBody, key.Reveal())
	if msg := errorEnvelope(t, resp, http.StatusUnauthorized)["message"].(string); !strings.Contains(msg, "expired") {
		t.Errorf("message %q", msg)
	}
}

func TestRequestsPerMinute(t *testing.T) {
	e, _ := milliEnv(t, money.NanoPerUSD, envOptions{options: func(o *Options) {
		o.RequestsPerMinute, o.Limiter = 2, stoppedLimiter()
	}})
	for range 2 {
		if resp := e.post("/api/v1/chat/completions", chatBody); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	resp := e.post("/api/v1/chat/completions", chatBody)
	errorEnvelope(t, resp, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") == "" || resp.Header.Get("X-RateLimit-Limit") != "2" ||
		resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("headers %v", resp.Header)
	}
}

// TestFreeVariantLimit: free variants allow 20 requests a minute per
// account, whatever becomes of them.
func TestFreeVariantLimit(t *testing.T) {
	e, _ := milliEnv(t, money.NanoPerUSD, envOptions{options: func(o *Options) { o.Limiter = stoppedLimiter() }})
	body := `{"model":"` + modelA + `:free","messages":[{"role":"user","content":"Hi"}]}`
	for i := range 20 {
		if resp := e.post("/api/v1/chat/completions", body); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d limited", i)
		}
	}
	resp := e.post("/api/v1/chat/completions", body)
	if msg := errorEnvelope(t, resp, http.StatusTooManyRequests)["message"].(string); !strings.Contains(msg, "free-models-per-minute") {
		t.Errorf("message %q", msg)
	}
}

// TestStripeTopUp: a signed checkout.session.completed credits the amount
// less 5%, once, however often it is delivered; an unsigned one nothing.
func TestStripeTopUp(t *testing.T) {
	const secret = "whsec_test"
	e, _ := milliEnv(t, money.NanoPerUSD, envOptions{options: func(o *Options) {
		o.Payments = Payments{Provider: payments.NewStripe(payments.Options{SecretKey: "sk_test", WebhookSecret: secret}),
			FeePermille: payments.DefaultFeePermille}
	}})
	event := fmt.Sprintf(`{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"id":"cs_1",
		"amount_total":2000,"currency":"usd","payment_status":"paid","metadata":{"account_id":"%d"}}}}`, e.account.ID)
	deliver := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/billing/stripe/webhook", strings.NewReader(event))
		req.Header.Set("Stripe-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := deliver("t=1,v1=00"); got != http.StatusBadRequest {
		t.Fatalf("forged delivery: %d", got)
	}
	for range 2 {
		if got := deliver(payments.SignPayload(secret, time.Now(), []byte(event))); got != http.StatusOK {
			t.Fatalf("signed delivery: %d", got)
		}
	}
	if got := e.balance(); got != 20*money.NanoPerUSD { // $1 + $20 − $1 fee
		t.Errorf("balance $%s, want $20", got)
	}
	bad, err := e.store.VerifyLedger(context.Background())
	if err != nil || len(bad) != 0 {
		t.Errorf("ledger %v %v", bad, err)
	}
	purchased, err := e.store.TotalPurchased(context.Background(), e.account.ID)
	if err != nil || purchased != 20*money.NanoPerUSD {
		t.Errorf("purchased $%s %v", purchased, err)
	}
}
