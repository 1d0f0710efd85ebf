package payments

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// SignatureHeader is the header carrying a Stripe webhook's signature.
const SignatureHeader = "Stripe-Signature"

// Event types that can pay for credits.
const (
	EventCheckoutCompleted     = "checkout.session.completed"
	EventAsyncPaymentSucceeded = "checkout.session.async_payment_succeeded"
)

// ParseWebhook verifies the Stripe-Signature header of a delivery and decodes
// the event.
//
// The header is "t=<unix seconds>,v1=<hex>[,v1=<hex>…]" (other schemes such
// as v0 are ignored). Each v1 is HMAC-SHA256, keyed with the endpoint's
// signing secret, of "<t>.<payload>"; one matching v1 suffices (Stripe sends
// several while a secret is being rolled). t must be within the tolerance of
// now, in the past or the future.
//
// "checkout.session.completed" with payment_status "paid" and
// "checkout.session.async_payment_succeeded" are Paid; they must carry the
// account id (metadata[account_id], or client_reference_id) and a USD
// amount_total. Every other event decodes with Paid false.
func (s *Stripe) ParseWebhook(payload []byte, header http.Header) (Event, error) {
	if err := s.verify(payload, header.Get(SignatureHeader)); err != nil {
		return Event{}, err
	}
	return parseEvent(payload)
}

func (s *Stripe) verify(payload []byte, header string) error {
	if s.secrets.webhook == "" {
		return fmt.Errorf("%w: no webhook secret configured", ErrSignature)
	}
	if header == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, SignatureHeader)
	}
	ts, sigs, err := parseSignatureHeader(header)
	if err != nil {
		return err
	}
	want := sign(string(s.secrets.webhook), ts, payload)
	ok := false
	for _, sig := range sigs {
		// Check every candidate so the time taken does not depend on which
		// one matched.
		ok = hmac.Equal(sig, want) || ok
	}
	if !ok {
		return fmt.Errorf("%w: no v1 signature matches the payload", ErrSignature)
	}
	if d := s.now().Sub(time.Unix(ts, 0)).Abs(); d > s.tolerance {
		return fmt.Errorf("%w: timestamp %d is %s from now, tolerance %s", ErrSignature, ts, d.Truncate(time.Second), s.tolerance)
	}
	return nil
}

// parseSignatureHeader splits "t=…,v1=…,v1=…" into the timestamp and the
// decoded v1 signatures.
func parseSignatureHeader(header string) (ts int64, sigs [][]byte, err error) {
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return 0, nil, fmt.Errorf("%w: malformed %s header", ErrSignature, SignatureHeader)
		}
		switch k {
		case "t":
			if seenT {
				return 0, nil, fmt.Errorf("%w: more than one timestamp", ErrSignature)
			}
			seenT = true
			if ts, err = strconv.ParseInt(v, 10, 64); err != nil {
				return 0, nil, fmt.Errorf("%w: malformed timestamp", ErrSignature)
			}
		case "v1":
			// A malformed v1 cannot match; skip it like Stripe's libraries.
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	switch {
	case !seenT:
		return 0, nil, fmt.Errorf("%w: no timestamp", ErrSignature)
	case len(sigs) == 0:
		return 0, nil, fmt.Errorf("%w: no v1 signature", ErrSignature)
	}
	return ts, sigs, nil
}

func sign(secret string, ts int64, payload []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(payload)
	return m.Sum(nil)
}

// SignPayload returns a Stripe-Signature header value for payload signed with
// secret at time t, as Stripe would send it. It is for tests and tools that
// play Stripe's part.
func SignPayload(secret string, t time.Time, payload []byte) string {
	ts := t.Unix()
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(sign(secret, ts, payload))
}

// stripeEvent is the part of a Stripe event this package reads.
type stripeEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// checkoutSession is the part of a Checkout Session this package reads.
type checkoutSession struct {
	ID                string            `json:"id"`
	AmountTotal       *int64            `json:"amount_total"`
	Currency          string            `json:"currency"`
	PaymentStatus     string            `json:"payment_status"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
}

func parseEvent(payload []byte) (Event, error) {
	var se stripeEvent
	if err := json.Unmarshal(payload, &se); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	if se.ID == "" || se.Type == "" {
		return Event{}, fmt.Errorf("%w: event without id or type", ErrInvalidEvent)
	}
	e := Event{ID: se.ID, Type: se.Type}
	if !strings.HasPrefix(se.Type, "checkout.session.") {
		return e, nil
	}
	var cs checkoutSession
	if err := json.Unmarshal(se.Data.Object, &cs); err != nil {
		return Event{}, fmt.Errorf("%w: event %s: checkout session: %v", ErrInvalidEvent, se.ID, err)
	}
	e.SessionID = cs.ID
	paid := se.Type == EventAsyncPaymentSucceeded ||
		se.Type == EventCheckoutCompleted && cs.PaymentStatus == "paid"
	if !paid {
		return e, nil
	}
	if err := cs.fill(&e); err != nil {
		return Event{}, fmt.Errorf("%w: event %s: %v", ErrInvalidEvent, se.ID, err)
	}
	e.Paid = true
	return e, nil
}

// fill sets the account and amount of a paid event from the session.
func (cs *checkoutSession) fill(e *Event) error {
	account, err := cs.accountID()
	if err != nil {
		return err
	}
	if !strings.EqualFold(cs.Currency, "usd") {
		return fmt.Errorf("currency %q is not usd", cs.Currency)
	}
	if cs.AmountTotal == nil || *cs.AmountTotal <= 0 || *cs.AmountTotal > math.MaxInt64/int64(Cent) {
		return fmt.Errorf("missing or out-of-range amount_total")
	}
	e.AccountID = account
	e.Amount = Cent * money.Amount(*cs.AmountTotal)
	return nil
}

// accountID reads metadata[account_id], falling back to client_reference_id;
// when both are present they must agree.
func (cs *checkoutSession) accountID() (int64, error) {
	meta, ref := cs.Metadata["account_id"], cs.ClientReferenceID
	s := meta
	switch {
	case meta == "":
		s = ref
	case ref != "" && ref != meta:
		return 0, fmt.Errorf("metadata account_id %q and client_reference_id %q differ", meta, ref)
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("no valid account id (metadata account_id %q, client_reference_id %q)", meta, ref)
	}
	return id, nil
}
