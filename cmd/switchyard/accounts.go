package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

func accountsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("accounts list", "accounts list [--db DSN]",
		"Lists every account with its balance, the credits it was given and its usage (USD).", stderr)
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
		return fmt.Errorf("accounts list: %w", err)
	}
	t := newTable(stdout, "ID", "NAME", "BALANCE", "CREDITS", "USAGE", "CREATED")
	for _, a := range accounts {
		t.row(strconv.FormatInt(a.ID, 10), cell(a.Name), a.Balance.String(), a.TotalCredits.String(),
			a.TotalUsage.String(), timestamp(a.CreatedAt))
	}
	return t.flush()
}

func accountsCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("accounts create", "accounts create --name NAME [--credits USD] [--db DSN]",
		"Creates an account, without keys (add one with \"keys create --account ID\").", stderr)
	name := fs.String("name", "", "account `name` (required)")
	credits := fs.String("credits", "0", "credits in `USD` to start with, e.g. 10 or 2.50")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("accounts create: --name is required")
	}
	amount, err := money.ParseAmount(*credits)
	if err != nil || amount < 0 {
		return fmt.Errorf("accounts create: --credits %q must be a non-negative amount of USD", *credits)
	}
	st, err := openStore(ctx, *db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := st.CreateAccount(ctx, *name, amount)
	if err != nil {
		return fmt.Errorf("accounts create: %w", err)
	}
	fmt.Fprintf(stdout, "Created account %d %q holding %s.\n", a.ID, a.Name, usd(a.Balance))
	return nil
}

func accountsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("accounts show", "accounts show ID [--limit N] [--db DSN]",
		"Shows an account, its keys (all of them, disabled and expired too) and its latest ledger entries.", stderr)
	limit := fs.Int("limit", 20, "show the last `N` ledger entries (0: all)")
	db := dbFlag(fs)
	pos, err := parseArgs(fs, args, "ID")
	if err != nil {
		return err
	}
	id, err := parseAccountID(pos[0])
	if err != nil {
		return fmt.Errorf("accounts show: %w", err)
	}
	if *limit < 0 {
		return fmt.Errorf("accounts show: --limit %d is negative", *limit)
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := accountByID(ctx, st, id)
	if err != nil {
		return fmt.Errorf("accounts show: %w", err)
	}
	purchased, err := st.TotalPurchased(ctx, id)
	if err != nil {
		return fmt.Errorf("accounts show: %w", err)
	}
	keys, err := st.ListKeys(ctx, id)
	if err != nil {
		return fmt.Errorf("accounts show: %w", err)
	}
	entries, err := st.Ledger(ctx, id, *limit)
	if err != nil {
		return fmt.Errorf("accounts show: %w", err)
	}

	fmt.Fprintf(stdout, "Account %d %s\n", a.ID, cell(a.Name))
	t := newTable(stdout, "  balance:", usd(a.Balance))
	t.row("  credits:", usd(a.TotalCredits)+" (purchased "+usd(purchased)+" before fees)")
	t.row("  usage:", usd(a.TotalUsage))
	t.row("  created:", timestamp(a.CreatedAt))
	if err := t.flush(); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\nKeys (%d):\n", len(keys))
	now := time.Now()
	t = newTable(stdout, "HASH", "LABEL", "NAME", "TYPE", "STATUS", "LIMIT", "USAGE", "CREATED")
	for _, k := range keys {
		t.row(shortened(k.Hash), cell(k.Label), cell(k.Name), keyType(k), keyStatus(k, now),
			keyLimit(k), k.Usage.String(), timestamp(k.CreatedAt))
	}
	if err := t.flush(); err != nil {
		return err
	}

	if *limit == 0 {
		fmt.Fprintf(stdout, "\nLedger (%d entries, newest first):\n", len(entries))
	} else {
		fmt.Fprintf(stdout, "\nLedger (the last %d entries at most, newest first):\n", *limit)
	}
	return printLedger(stdout, entries)
}

// parseAccountID parses an account id given on the command line.
func parseAccountID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("account id %q: want a positive integer", s)
	}
	return id, nil
}

// accountByID returns the account, with an error that says so if it does
// not exist.
func accountByID(ctx context.Context, st store.Store, id int64) (store.Account, error) {
	a, err := st.Account(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("account %d does not exist", id)
	}
	return a, err
}
