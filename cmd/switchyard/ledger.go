package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/store"
)

func ledgerShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger show", "ledger show --account ID [--limit N] [--db DSN]",
		"Prints an account's ledger entries, newest first: credits, purchases and their fees,\n"+
			"generation charges, refunds and adjustments, each a signed amount of USD.", stderr)
	account := fs.Int64("account", 0, "the account `ID` (required)")
	limit := fs.Int("limit", 50, "print the last `N` entries (0: all)")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireAccount(fs.Name(), *account); err != nil {
		return err
	}
	if *limit < 0 {
		return fmt.Errorf("ledger show: --limit %d is negative", *limit)
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	// An unknown account has an empty ledger; say it does not exist.
	if _, err := accountByID(ctx, st, *account); err != nil {
		return fmt.Errorf("ledger show: %w", err)
	}
	entries, err := st.Ledger(ctx, *account, *limit)
	if err != nil {
		return fmt.Errorf("ledger show: %w", err)
	}
	return printLedger(stdout, entries)
}

// printLedger prints ledger entries as a table.
func printLedger(w io.Writer, entries []store.LedgerEntry) error {
	t := newTable(w, "ID", "TIME", "KIND", "AMOUNT", "REF", "NOTE")
	for _, e := range entries {
		t.row(strconv.FormatInt(e.ID, 10), timestamp(e.CreatedAt), cell(e.Kind), e.Amount.String(), cell(e.Ref), cell(e.Note))
	}
	return t.flush()
}

func ledgerVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger verify", "ledger verify [--db DSN]",
		"Checks that every account's balance equals the sum of its ledger entries, and that every\n"+
			"entry charging generations charges what the generations that name it cost. It lists the\n"+
			"accounts and entries that do not, and then exits with status 1.", stderr)
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	accounts, err := st.ListAccounts(ctx)
	if err != nil {
		return fmt.Errorf("ledger verify: %w", err)
	}
	bad, err := st.VerifyLedger(ctx)
	if err != nil {
		return fmt.Errorf("ledger verify: %w", err)
	}
	charges, err := st.VerifyCharges(ctx)
	if err != nil {
		return fmt.Errorf("ledger verify: %w", err)
	}
	if len(bad) == 0 && len(charges) == 0 {
		fmt.Fprintf(stdout, "ledger OK: %s, balances equal the sum of their entries, charges the costs of their generations\n",
			plural(len(accounts), "account"))
		return nil
	}
	var problems []string
	if len(bad) > 0 {
		t := newTable(stdout, "ACCOUNT", "BALANCE", "LEDGER SUM", "DIFFERENCE")
		for _, m := range bad {
			t.row(strconv.FormatInt(m.AccountID, 10), m.Balance.String(), m.LedgerSum.String(), (m.Balance - m.LedgerSum).String())
		}
		if err := t.flush(); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("the balances of %d of %s differ from the sum of their ledger entries",
			len(bad), plural(len(accounts), "account")))
	}
	if len(charges) > 0 {
		if len(bad) > 0 {
			fmt.Fprintln(stdout)
		}
		t := newTable(stdout, "ENTRY", "ACCOUNT", "KIND", "AMOUNT", "GENERATIONS' COSTS", "GENERATIONS", "OF OTHERS")
		for _, m := range charges {
			t.row(strconv.FormatInt(m.EntryID, 10), strconv.FormatInt(m.AccountID, 10), m.Kind, m.Amount.String(),
				m.Costs.String(), strconv.FormatInt(m.Generations, 10), strconv.FormatInt(m.Foreign, 10))
		}
		if err := t.flush(); err != nil {
			return err
		}
		what := "1 ledger entry does not charge what its generations cost"
		if len(charges) > 1 {
			what = fmt.Sprintf("%d ledger entries do not charge what their generations cost", len(charges))
		}
		problems = append(problems, what)
	}
	return fmt.Errorf("ledger verify: %s", strings.Join(problems, "; "))
}

// plural returns "1 account" or "n accounts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
