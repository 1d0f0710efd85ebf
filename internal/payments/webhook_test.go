package payments

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

const testWebhookSecret = "whsec_test_secret"

var testNow = time.Unix(1_700_000_000, 0)

func newTestStripe() *Stripe {
	return NewStripe(Options{
		SecretKey:     testKey,
		WebhookSecret: testWebhookSecret,
		Now:           func() time.Time { return testNow },
	})
}

// sessionEvent returns a Stripe event JSON about a checkout session.
func sessionEvent(id, typ string, session map[string]any) []byte {
	obj := map[string]any{
		"id":                  "cs_test_1",
		"object":              "checkout.session",
		"mode":                "payment",
		"amount_total":        1234,
		"currency":            "usd",
		"payment_status":      "paid",
		"client_reference_id": "42",
		"metadata":            map[string]string{"account_id": "42"},
	}
	for k, v := range session {
		if v == nil {
			delete(obj, k)
		} else {
			obj[k] = v
		}
	}
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2024-06-20",
		"created": testNow.Unix(), "livemode": false,
		"data": map[string]any{"object": obj},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func signed(header string) http.Header {
	h := http.Header{}
	if header != "" {
		h.Set(SignatureHeader, header)
	}
	return h
}

func TestParseWebhookSignature(t *testing.T) {
	payload := sessionEvent("evt_1", EventCheckoutCompleted, nil)
	good := SignPayload(testWebhookSecret, testNow, payload)
	otherSig := hex.EncodeToString(sign("whsec_other", testNow.Unix(), payload))
	tests := []struct {
		name    string
		payload []byte
		header  string
		ok      bool
	}{
		{"valid", payload, good, true},
		{"valid with spaces", payload, "t=1700000000, v1=" + hex.EncodeToString(sign(testWebhookSecret, testNow.Unix(), payload)), true},
		{"wrong secret", payload, SignPayload("whsec_other", testNow, payload), false},
		{"tampered payload", sessionEvent("evt_1", EventCheckoutCompleted, map[string]any{"amount_total": 123400}), good, false},
		{"timestamp swapped", payload, "t=1700000001,v1=" + good[len("t=1700000000,v1="):], false},
		{"at the tolerance, past", payload, SignPayload(testWebhookSecret, testNow.Add(-DefaultTolerance), payload), true},
		{"too old", payload, SignPayload(testWebhookSecret, testNow.Add(-DefaultTolerance-time.Second), payload), false},
		{"at the tolerance, future", payload, SignPayload(testWebhookSecret, testNow.Add(DefaultTolerance), payload), true},
		{"future beyond tolerance", payload, SignPayload(testWebhookSecret, testNow.Add(DefaultTolerance+time.Second), payload), false},
		{"several v1, one valid", payload, "t=1700000000,v1=" + otherSig + ",v1=zz,v1=" + good[len("t=1700000000,v1="):] + ",v0=abc", true},
		{"several v1, none valid", payload, "t=1700000000,v1=" + otherSig + ",v1=00", false},
		{"valid signature under v0 only", payload, "t=1700000000,v0=" + good[len("t=1700000000,v1="):], false},
		{"missing header", payload, "", false},
		{"no timestamp", payload, "v1=" + good[len("t=1700000000,v1="):], false},
		{"two timestamps", payload, "t=1,t=1700000000,v1=" + good[len("t=1700000000,v1="):], false},
		{"timestamp not a number", payload, "t=now,v1=" + good[len("t=1700000000,v1="):], false},
		{"malformed element", payload, good + ",junk", false},
	}
	s := newTestStripe()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ParseWebhook(tt.payload, signed(tt.header))
			if tt.ok && err != nil {
				t.Errorf("err = %v, want none", err)
			}
			if !tt.ok && !errors.Is(err, ErrSignature) {
				t.Errorf("err = %v, want ErrSignature", err)
			}
		})
	}
}

func TestParseWebhookTolerance(t *testing.T) {
	payload := sessionEvent("evt_1", EventCheckoutCompleted, nil)
	s := NewStripe(Options{WebhookSecret: testWebhookSecret, Tolerance: time.Hour,
		Now: func() time.Time { return testNow }})
	if _, err := s.ParseWebhook(payload, signed(SignPayload(testWebhookSecret, testNow.Add(-59*time.Minute), payload))); err != nil {
		t.Errorf("59 minutes old with a 1 h tolerance: %v", err)
	}
	if _, err := s.ParseWebhook(payload, signed(SignPayload(testWebhookSecret, testNow.Add(-61*time.Minute), payload))); !errors.Is(err, ErrSignature) {
		t.Errorf("61 minutes old with a 1 h tolerance: err = %v, want ErrSignature", err)
	}
}

func TestParseWebhookWithoutSecret(t *testing.T) {
	payload := sessionEvent("evt_1", EventCheckoutCompleted, nil)
	s := NewStripe(Options{Now: func() time.Time { return testNow }})
	// Signed with the empty key: must still be refused.
	if _, err := s.ParseWebhook(payload, signed(SignPayload("", testNow, payload))); !errors.Is(err, ErrSignature) {
		t.Errorf("err = %v, want ErrSignature", err)
	}
}

func TestParseWebhookEvents(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    Event
		wantErr error
	}{
		{
			name:    "completed and paid",
			payload: sessionEvent("evt_1", EventCheckoutCompleted, nil),
			want: Event{ID: "evt_1", Type: EventCheckoutCompleted, SessionID: "cs_test_1",
				AccountID: 42, Amount: 1234 * Cent, Paid: true},
		},
		{
			name:    "completed, payment pending",
			payload: sessionEvent("evt_2", EventCheckoutCompleted, map[string]any{"payment_status": "unpaid"}),
			want:    Event{ID: "evt_2", Type: EventCheckoutCompleted, SessionID: "cs_test_1"},
		},
		{
			name:    "async payment succeeded",
			payload: sessionEvent("evt_3", EventAsyncPaymentSucceeded, nil),
			want: Event{ID: "evt_3", Type: EventAsyncPaymentSucceeded, SessionID: "cs_test_1",
				AccountID: 42, Amount: 1234 * Cent, Paid: true},
		},
		{
			name:    "async payment failed",
			payload: sessionEvent("evt_4", "checkout.session.async_payment_failed", map[string]any{"payment_status": "unpaid"}),
			want:    Event{ID: "evt_4", Type: "checkout.session.async_payment_failed", SessionID: "cs_test_1"},
		},
		{
			name:    "expired",
			payload: sessionEvent("evt_5", "checkout.session.expired", map[string]any{"payment_status": "unpaid"}),
			want:    Event{ID: "evt_5", Type: "checkout.session.expired", SessionID: "cs_test_1"},
		},
		{
			name:    "other event type",
			payload: []byte(`{"id":"evt_6","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":999}}}`),
			want:    Event{ID: "evt_6", Type: "payment_intent.succeeded"},
		},
		{
			name:    "account from client_reference_id only",
			payload: sessionEvent("evt_7", EventCheckoutCompleted, map[string]any{"metadata": map[string]string{}}),
			want: Event{ID: "evt_7", Type: EventCheckoutCompleted, SessionID: "cs_test_1",
				AccountID: 42, Amount: 1234 * Cent, Paid: true},
		},
		{
			name:    "account from metadata only",
			payload: sessionEvent("evt_8", EventCheckoutCompleted, map[string]any{"client_reference_id": nil, "currency": "USD"}),
			want: Event{ID: "evt_8", Type: EventCheckoutCompleted, SessionID: "cs_test_1",
				AccountID: 42, Amount: 1234 * Cent, Paid: true},
		},
		{
			name:    "account ids disagree",
			payload: sessionEvent("evt_9", EventCheckoutCompleted, map[string]any{"client_reference_id": "43"}),
			wantErr: ErrInvalidEvent,
		},
		{
			name: "no account",
			payload: sessionEvent("evt_10", EventCheckoutCompleted,
				map[string]any{"client_reference_id": nil, "metadata": nil}),
			wantErr: ErrInvalidEvent,
		},
		{
			name:    "not USD",
			payload: sessionEvent("evt_11", EventCheckoutCompleted, map[string]any{"currency": "eur"}),
			wantErr: ErrInvalidEvent,
		},
		{
			name:    "no amount",
			payload: sessionEvent("evt_12", EventCheckoutCompleted, map[string]any{"amount_total": nil}),
			wantErr: ErrInvalidEvent,
		},
		{
			name:    "amount overflows",
			payload: sessionEvent("evt_13", EventCheckoutCompleted, map[string]any{"amount_total": int64(1) << 62}),
			wantErr: ErrInvalidEvent,
		},
		{name: "not JSON", payload: []byte(`{"id":`), wantErr: ErrInvalidEvent},
		{name: "no id", payload: []byte(`{"type":"checkout.session.completed"}`), wantErr: ErrInvalidEvent},
		{
			name:    "session not an object",
			payload: []byte(`{"id":"evt_14","type":"checkout.session.completed","data":{"object":"cs_1"}}`),
			wantErr: ErrInvalidEvent,
		},
	}
	s := newTestStripe()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ParseWebhook(tt.payload, signed(SignPayload(testWebhookSecret, testNow, tt.payload)))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("event = %+v, want %+v", got, tt.want)
			}
		})
	}
}
