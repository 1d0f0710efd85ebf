package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/payments"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// Payments configures credit top-ups through a payment provider.
type Payments struct {
	Provider payments.Provider
	// FeePermille and FeeMinimum are the platform fee on a purchase (see
	// payments.Fee).
	FeePermille int
	FeeMinimum  money.Amount
	// SuccessURL and CancelURL are where the provider returns the user.
	SuccessURL, CancelURL string
}

// paymentRoutes registers the top-up endpoints when a provider is set: the
// checkout (any key of the account) and the provider's webhook, which the
// signature authenticates instead of a key.
func (s *Server) paymentRoutes(mux *http.ServeMux) {
	if s.payments.Provider == nil {
		return
	}
	webhook := payments.Handler(s.payments.Provider, s.creditPurchase)
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("POST "+prefix+"/billing/checkout", s.handle(s.checkout))
		mux.Handle("POST "+prefix+"/billing/stripe/webhook", webhook)
	}
}

// checkoutRequest is the body of POST /billing/checkout.
type checkoutRequest struct {
	Amount json.Number `json:"amount"` // USD, whole cents
}

// POST /billing/checkout: a hosted payment page that buys credits for the
// key's account.
func (s *Server) checkout(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req checkoutRequest
	if err := s.decodeStrict(w, r, &req); err != nil {
		return err
	}
	amount, err := money.ParseAmount(req.Amount.String())
	if err != nil {
		return apierr.New(apierr.InvalidRequest, "amount must be an amount of USD such as 20 or 9.99").
			With("error_type", "invalid_request")
	}
	co, err := s.payments.Provider.CreateCheckout(r.Context(), payments.CheckoutRequest{
		AccountID: c.account.ID, Amount: amount,
		SuccessURL: s.payments.SuccessURL, CancelURL: s.payments.CancelURL,
	})
	if errors.Is(err, payments.ErrInvalidRequest) {
		return apierr.New(apierr.InvalidRequest, "%v", err).With("error_type", "invalid_request")
	}
	if err != nil {
		return apierr.Wrap(apierr.Upstream, err, "the payment provider could not create a checkout; try again")
	}
	fee := payments.Fee(amount, s.payments.FeePermille, s.payments.FeeMinimum)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": co.ID, "url": co.URL, "amount": amount, "fee": fee, "credits": amount - fee,
	}})
	return nil
}

// creditPurchase records a paid checkout: the gross amount less the
// platform fee, once per checkout session (a redelivered or duplicate
// event finds the purchase recorded and credits nothing).
func (s *Server) creditPurchase(ctx context.Context, e payments.Event) error {
	ref := "stripe:" + e.SessionID
	if e.SessionID == "" {
		ref = "stripe:" + e.ID
	}
	fee := payments.Fee(e.Amount, s.payments.FeePermille, s.payments.FeeMinimum)
	a, err := s.store.AddPurchase(ctx, e.AccountID, e.Amount, fee, ref, "Stripe "+e.ID)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return nil
	case err != nil:
		return fmt.Errorf("credit purchase %s: %w", ref, err)
	}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "credits purchased", slog.Int64("account", a.ID),
		slog.String("gross", e.Amount.String()), slog.String("fee", fee.String()), slog.String("ref", ref))
	return nil
}
