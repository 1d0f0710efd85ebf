package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/payments"
	"github.com/switchyard-dev/switchyard/internal/store"
)

func creditsAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("credits add", "credits add --account ID --usd USD [--note TEXT] [--ref REF [--fee-percent P]] [--db DSN]",
		"Adds credits to an account. Without --ref they are a gift (a \"credit\" ledger entry) and all of\n"+
			"--usd is credited. With --ref they record a purchase made outside Switchyard, as the payment\n"+
			"webhook does: --usd is the gross amount, less the platform fee, and a purchase with the same\n"+
			"reference is never recorded twice.", stderr)
	account := fs.Int64("account", 0, "the account `ID` (required)")
	amountFlag := fs.String("usd", "", "the amount in `USD`, e.g. 10 or 2.50 (required, positive)")
	note := fs.String("note", "", "a `note` for the ledger")
	ref := fs.String("ref", "", "record a purchase with this payment `reference`, e.g. an invoice number")
	feeFlag := fs.String("fee-percent", permilleToPercent(payments.DefaultFeePermille), "the platform fee of a purchase, in `percent` (0 to 100, tenths at most); needs --ref")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireAccount(fs.Name(), *account); err != nil {
		return err
	}
	amount, err := parseUSD(fs.Name(), *amountFlag)
	if err != nil {
		return err
	}
	if amount <= 0 {
		return fmt.Errorf("credits add: --usd %s must be positive", *amountFlag)
	}
	var feeSet bool
	fs.Visit(func(f *flag.Flag) { feeSet = feeSet || f.Name == "fee-percent" })
	if feeSet && *ref == "" {
		return errors.New("credits add: --fee-percent applies to a purchase: give its --ref")
	}
	permille, err := parsePercent(*feeFlag)
	if err != nil {
		return fmt.Errorf("credits add: --fee-percent: %w", err)
	}

	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	// Checked first for the error message; the store checks again.
	a, err := accountByID(ctx, st, *account)
	if err != nil {
		return fmt.Errorf("credits add: %w", err)
	}
	if *ref == "" {
		balance, err := st.AddCredits(ctx, a.ID, amount, *note)
		if err != nil {
			return fmt.Errorf("credits add: %w", err)
		}
		fmt.Fprintf(stdout, "Added %s of credits to account %d %q; its balance is %s.\n", usd(amount), a.ID, a.Name, usd(balance))
		return nil
	}
	fee := payments.Fee(amount, permille, 0)
	a, err = st.AddPurchase(ctx, a.ID, amount, fee, *ref, *note)
	if errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("credits add: a purchase with reference %q is already recorded; nothing was added", *ref)
	}
	if err != nil {
		return fmt.Errorf("credits add: %w", err)
	}
	fmt.Fprintf(stdout, "Recorded purchase %q of %s for account %d %q: %s credited after a %s fee (%s%%); its balance is %s.\n",
		*ref, usd(amount), a.ID, a.Name, usd(amount-fee), usd(fee), permilleToPercent(permille), usd(a.Balance))
	return nil
}

func creditsRefund(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return creditsAdjustKind(ctx, store.LedgerRefund, args, stdout, stderr)
}

func creditsAdjust(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return creditsAdjustKind(ctx, store.LedgerAdjustment, args, stdout, stderr)
}

// creditsAdjustKind is "credits refund" and "credits adjust": a signed
// change of balance, recorded as a ledger entry of that kind.
func creditsAdjustKind(ctx context.Context, kind string, args []string, stdout, stderr io.Writer) error {
	about := "Records a refund: a positive --usd gives credits back to the account (say, for a failed\n" +
		"request); a negative one takes back credits whose payment was refunded."
	if kind == store.LedgerAdjustment {
		about = "Corrects an account's balance by --usd (positive or negative)."
	}
	name := "credits " + kind
	fs := newFlagSet(name, name+" --account ID --usd [-]USD --note TEXT [--allow-negative] [--db DSN]",
		about+" The --note is required: it says why, in the ledger.", stderr)
	account := fs.Int64("account", 0, "the account `ID` (required)")
	amountFlag := fs.String("usd", "", "the signed amount in `USD`, e.g. 5 or -2.50 (required, not zero)")
	note := fs.String("note", "", "why, for the ledger (required)")
	allowNegative := fs.Bool("allow-negative", false, "allow a negative amount to leave the balance below zero")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireAccount(name, *account); err != nil {
		return err
	}
	amount, err := parseUSD(name, *amountFlag)
	if err != nil {
		return err
	}
	if amount == 0 {
		return fmt.Errorf("%s: --usd must not be zero", name)
	}
	if strings.TrimSpace(*note) == "" {
		return fmt.Errorf("%s: --note is required", name)
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := st.Adjust(ctx, *account, amount, kind, *note, *allowNegative)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%s: account %d does not exist", name, *account)
	case errors.Is(err, store.ErrInsufficientCredits):
		return fmt.Errorf("%s: the balance of account %d would fall below zero; nothing was changed (--allow-negative allows it)", name, *account)
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(stdout, "Recorded a %s of %s on account %d %q; its balance is %s.\n", kind, usd(amount), a.ID, a.Name, usd(a.Balance))
	return nil
}

// requireAccount checks an --account flag that a command requires.
func requireAccount(cmd string, id int64) error {
	switch {
	case id == 0:
		return fmt.Errorf("%s: --account is required", cmd)
	case id < 0:
		return fmt.Errorf("%s: --account %d: want a positive account id", cmd, id)
	}
	return nil
}

// parseUSD parses a required --usd flag.
func parseUSD(cmd, s string) (money.Amount, error) {
	if s == "" {
		return 0, fmt.Errorf("%s: --usd is required", cmd)
	}
	a, err := money.ParseAmount(s)
	if err != nil {
		return 0, fmt.Errorf("%s: --usd %q: want an amount of USD such as 10 or 2.50, to the nano-dollar at most", cmd, s)
	}
	return a, nil
}

// parsePercent parses a percentage from 0 to 100 with at most one
// significant decimal ("5", "2.5", "2.50") into the permille payments.Fee
// takes, exactly.
func parsePercent(s string) (int, error) {
	bad := fmt.Errorf("%q: want a percentage from 0 to 100 with at most one decimal, e.g. 5 or 2.5", s)
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || hasPoint && frac == "" || !digits(whole) || !digits(frac) {
		return 0, bad
	}
	if frac = strings.TrimRight(frac, "0"); len(frac) > 1 {
		return 0, bad
	}
	w, err := strconv.Atoi(whole)
	if err != nil || w > 100 {
		return 0, bad
	}
	permille := w * 10
	if frac != "" {
		permille += int(frac[0] - '0')
	}
	if permille > 1000 {
		return 0, bad
	}
	return permille, nil
}

// digits reports whether s holds only the digits 0 to 9.
func digits(s string) bool { return strings.Trim(s, "0123456789") == "" }

// permilleToPercent renders a permille as a percentage, "5" or "2.5".
func permilleToPercent(p int) string {
	if p%10 == 0 {
		return strconv.Itoa(p / 10)
	}
	return fmt.Sprintf("%d.%d", p/10, p%10)
}
