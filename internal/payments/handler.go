package payments

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// WebhookPath is the route of Handler.
const WebhookPath = "/api/v1/billing/stripe/webhook"

// maxWebhookBytes bounds a webhook body; Stripe's events are a few KiB.
const maxWebhookBytes = 1 << 20

// Handler serves the payment provider's webhook (POST WebhookPath, no API
// key: the signature authenticates the delivery).
//
// It verifies the delivery with p.ParseWebhook and calls credit for Paid
// events only; credit must be idempotent by Event.ID or Event.SessionID (a
// provider redelivers until it gets a 2xx) and must credit
// Event.Amount − Fee. The answers:
//
//   - 200 {"received":true}: credited, or an event that needs nothing;
//   - 400: signature or event invalid (the provider shows the failure and
//     retries, so a misconfigured secret loses no payment);
//   - 413: body over 1 MiB;
//   - 500: credit failed, so the provider retries later.
//
// Errors are {"error":{"code":…,"message":…}}.
func Handler(p Provider, credit func(ctx context.Context, e Event) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, http.StatusRequestEntityTooLarge, "webhook body over 1 MiB")
				return
			}
			writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
			return
		}
		e, err := p.ParseWebhook(payload, r.Header)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if e.Paid {
			if err := credit(r.Context(), e); err != nil {
				slog.Default().LogAttrs(r.Context(), slog.LevelError, "crediting a payment",
					slog.String("event", e.ID), slog.String("session", e.SessionID),
					slog.Int64("account", e.AccountID), slog.Any("error", err))
				writeError(w, http.StatusInternalServerError, "could not credit the payment; retry later")
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]bool{"received": true})
	})
}

func writeError(w http.ResponseWriter, status int, message string) {
	type body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, status, map[string]body{"error": {Code: status, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
