// Package payments sells Switchyard credits through a payment provider.
//
// A Provider creates hosted checkout pages and turns the provider's signed
// webhook deliveries into Events. Stripe is the one implementation
// (NewStripe); it speaks Stripe's HTTP API and webhook signature scheme with
// the standard library only.
//
// The flow of a top-up:
//
//  1. The account asks for a checkout of some dollars; CreateCheckout returns
//     a URL to redirect the user to.
//  2. The user pays; Stripe POSTs a signed event to the webhook (Handler).
//  3. Handler verifies it and calls the credit function for paid events. The
//     credit function records the purchase in the ledger, idempotent by event
//     (or session) id, crediting Event.Amount minus Fee.
//
// All money is integer nano-dollars (money.Amount); Stripe's USD amounts are
// integer cents, so one cent is 10,000,000 units and conversions are exact.
package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// Provider is a payment provider that sells credits.
type Provider interface {
	// CreateCheckout creates a hosted payment page for req.
	CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error)
	// ParseWebhook authenticates a webhook delivery (its raw body and
	// headers) and decodes it. It returns an error wrapping ErrSignature when
	// the delivery is not authentic, or ErrInvalidEvent when an authentic
	// event cannot be understood.
	ParseWebhook(payload []byte, header http.Header) (Event, error)
}

// CheckoutRequest asks for a one-off payment that buys credits.
type CheckoutRequest struct {
	// AccountID is the account to credit once the payment succeeds.
	AccountID int64
	// Amount is the gross price in USD: whole cents, at least MinPurchase.
	Amount money.Amount
	// SuccessURL and CancelURL are where the provider sends the user back.
	SuccessURL, CancelURL string
}

// Checkout is a created payment page.
type Checkout struct {
	// ID is the provider's id of the session (Stripe: "cs_…").
	ID string
	// URL is the page to redirect the user to.
	URL string
}

// Event is an authenticated webhook event.
type Event struct {
	// ID is the provider's event id (Stripe: "evt_…"), unique per event.
	ID string
	// Type is the provider's event type, e.g. "checkout.session.completed".
	Type string
	// SessionID is the checkout session the event is about, if any. At most
	// one paid event exists per session, so crediting idempotently by
	// SessionID is at least as safe as by ID.
	SessionID string
	// AccountID is the account that bought the credits (paid events only).
	AccountID int64
	// Amount is the gross amount paid, before the platform fee.
	Amount money.Amount
	// Paid reports a completed payment to credit. Events with Paid false are
	// acknowledged and ignored.
	Paid bool
}

const (
	// Cent is one US cent as a money.Amount.
	Cent money.Amount = money.NanoPerUSD / 100
	// MinPurchase is the smallest purchase CreateCheckout accepts ($1).
	MinPurchase = money.NanoPerUSD
	// MaxPurchase is the largest single purchase ($999,999.99, Stripe's
	// limit for one USD amount).
	MaxPurchase = 99_999_999 * Cent
	// DefaultFeePermille is the default platform fee on a purchase: 50‰, 5%.
	DefaultFeePermille = 50
)

var (
	// ErrSignature reports a webhook delivery that is not authentic: missing
	// or malformed signature header, no matching signature, or a timestamp
	// outside the tolerance.
	ErrSignature = errors.New("payments: invalid webhook signature")
	// ErrInvalidEvent reports an authentic event that cannot be understood
	// or credited (malformed JSON, missing account, currency not USD, …).
	ErrInvalidEvent = errors.New("payments: invalid webhook event")
	// ErrInvalidRequest reports a CheckoutRequest that cannot be sent.
	ErrInvalidRequest = errors.New("payments: invalid checkout request")
)

// validate checks req and returns its amount in cents.
func (req CheckoutRequest) validate() (cents int64, err error) {
	switch {
	case req.AccountID <= 0:
		return 0, fmt.Errorf("%w: account id %d", ErrInvalidRequest, req.AccountID)
	case req.Amount%Cent != 0:
		return 0, fmt.Errorf("%w: amount $%s is not whole cents", ErrInvalidRequest, req.Amount)
	case req.Amount < MinPurchase:
		return 0, fmt.Errorf("%w: amount $%s is below the minimum $%s", ErrInvalidRequest, req.Amount, MinPurchase)
	case req.Amount > MaxPurchase:
		return 0, fmt.Errorf("%w: amount $%s is above the maximum $%s", ErrInvalidRequest, req.Amount, MaxPurchase)
	case req.SuccessURL == "" || req.CancelURL == "":
		return 0, fmt.Errorf("%w: success and cancel URLs are required", ErrInvalidRequest)
	}
	return int64(req.Amount / Cent), nil
}

// Fee returns the platform fee on a purchase of gross: gross × permille /
// 1000 rounded half up to the nano-dollar, then raised to minimum and capped
// at gross, so the credited amount gross − Fee is never negative. The default
// rate is DefaultFeePermille (5%); operators configure both permille and
// minimum. A non-positive gross has no fee; permille is clamped to [0, 1000].
// The arithmetic is exact integer arithmetic and cannot overflow.
func Fee(gross money.Amount, permille int, minimum money.Amount) money.Amount {
	if gross <= 0 {
		return 0
	}
	p := money.Amount(min(max(permille, 0), 1000))
	// gross = 1000q + r, so gross·p/1000 = q·p + r·p/1000 where q·p ≤ gross
	// and only the second term has a fraction to round.
	q, r := gross/1000, gross%1000
	fee := q*p + (r*p+500)/1000
	return min(max(fee, minimum), gross)
}

// Secret is a credential that never prints: fmt, slog and JSON show
// "[REDACTED]". Convert with string(s) only where the value is sent.
type Secret string

const redacted = "[REDACTED]"

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (the %#v verb).
func (Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler (JSON, YAML output).
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
