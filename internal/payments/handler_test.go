package payments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// creditRecorder is a credit function that records its events and fails
// with err.
type creditRecorder struct {
	events []Event
	err    error
}

func (c *creditRecorder) credit(_ context.Context, e Event) error {
	c.events = append(c.events, e)
	return c.err
}

func TestHandler(t *testing.T) {
	paid := sessionEvent("evt_paid", EventCheckoutCompleted, nil)
	ignored := sessionEvent("evt_exp", "checkout.session.expired", map[string]any{"payment_status": "unpaid"})
	euro := sessionEvent("evt_eur", EventCheckoutCompleted, map[string]any{"currency": "eur"})
	tests := []struct {
		name       string
		method     string
		body       []byte
		header     string // Stripe-Signature; "sign" signs body correctly
		creditErr  error
		wantStatus int
		wantBody   string // substring of the JSON answer
		wantCredit bool
	}{
		{
			name: "paid event is credited", method: http.MethodPost, body: paid, header: "sign",
			wantStatus: http.StatusOK, wantBody: `{"received":true}`, wantCredit: true,
		},
		{
			name: "ignored event type", method: http.MethodPost, body: ignored, header: "sign",
			wantStatus: http.StatusOK, wantBody: `{"received":true}`,
		},
		{
			name: "bad signature", method: http.MethodPost, body: paid,
			header:     SignPayload("whsec_wrong", testNow, paid),
			wantStatus: http.StatusBadRequest, wantBody: `{"error":{"code":400,"message":"payments: invalid webhook signature`,
		},
		{
			name: "missing signature", method: http.MethodPost, body: paid,
			wantStatus: http.StatusBadRequest, wantBody: `"code":400`,
		},
		{
			name: "signed but not creditable", method: http.MethodPost, body: euro, header: "sign",
			wantStatus: http.StatusBadRequest, wantBody: `payments: invalid webhook event`,
		},
		{
			name: "credit fails, Stripe retries", method: http.MethodPost, body: paid, header: "sign",
			creditErr:  errors.New("database is locked"),
			wantStatus: http.StatusInternalServerError, wantBody: `{"error":{"code":500,"message":"could not credit`,
			wantCredit: true,
		},
		{
			name: "GET", method: http.MethodGet, header: "sign",
			wantStatus: http.StatusMethodNotAllowed, wantBody: `"code":405`,
		},
		{
			name: "body over 1 MiB", method: http.MethodPost, body: bytes.Repeat([]byte(" "), maxWebhookBytes+1),
			header: "sign", wantStatus: http.StatusRequestEntityTooLarge, wantBody: `"code":413`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &creditRecorder{err: tt.creditErr}
			h := Handler(newTestStripe(), rec.credit)
			req := httptest.NewRequest(tt.method, WebhookPath, bytes.NewReader(tt.body))
			switch tt.header {
			case "":
			case "sign":
				req.Header.Set(SignatureHeader, SignPayload(testWebhookSecret, testNow, tt.body))
			default:
				req.Header.Set(SignatureHeader, tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !json.Valid(w.Body.Bytes()) || !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("body = %s, want JSON containing %s", w.Body, tt.wantBody)
			}
			if strings.Contains(w.Body.String(), "database is locked") {
				t.Errorf("body %s shows the credit error's cause", w.Body)
			}
			if !tt.wantCredit {
				if len(rec.events) != 0 {
					t.Errorf("credited %+v, want nothing", rec.events)
				}
				return
			}
			want := Event{ID: "evt_paid", Type: EventCheckoutCompleted, SessionID: "cs_test_1",
				AccountID: 42, Amount: 1234 * Cent, Paid: true}
			if len(rec.events) != 1 || rec.events[0] != want {
				t.Errorf("credited %+v, want exactly %+v", rec.events, want)
			}
		})
	}
}
