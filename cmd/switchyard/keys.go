package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/app"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// shortHash is how many characters of a key's hash "keys list" shows
// without --long; minHashPrefix is the shortest prefix the key commands
// accept, so that a slip of the finger cannot name some other key.
const (
	shortHash     = 12
	minHashPrefix = 8
)

func keysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys create", "keys create --name NAME [--credits USD | --account ID] [--management] [--db DSN]",
		"Creates an API key, with a new account holding --credits or for the existing --account, and\n"+
			"prints it alone on the last line. Only its hash is stored: it is shown this once.", stderr)
	name := fs.String("name", "", "key `name`, and the new account's (required)")
	credits := fs.String("credits", "0", "credits in `USD` to put on the new account, e.g. 10 or 2.50")
	account := fs.Int64("account", 0, "add the key to the existing account `ID` instead of creating one")
	management := fs.Bool("management", false, "a management key: manages keys and presets, cannot call models")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("keys create: --name is required")
	}
	amount, err := money.ParseAmount(*credits)
	if err != nil || amount < 0 {
		return fmt.Errorf("keys create: --credits %q must be a non-negative amount of USD", *credits)
	}
	if *account != 0 && amount != 0 {
		return errors.New("keys create: --credits applies to a new account, not with --account")
	}
	st, err := openStore(ctx, *db, *account != 0)
	if err != nil {
		return err
	}
	defer st.Close()
	key, acct, err := app.CreateKey(ctx, st, app.KeyRequest{Name: *name, Credits: amount, AccountID: *account, Management: *management})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("keys create: account %d does not exist", *account)
	}
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	kind := "key"
	if *management {
		kind = "management key"
	}
	fmt.Fprintf(stdout, "Created %s %q for account %d (balance $%s). It is shown only once:\n", kind, *name, acct.ID, acct.Balance)
	fmt.Fprintln(stdout, key.Reveal())
	return nil
}

func keysList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys list", "keys list [--account ID] [--all] [--long] [--db DSN]",
		"Lists the API keys of every account, or of one. Keys are shown by their hash and label;\n"+
			"the keys themselves are not stored and cannot be shown.", stderr)
	account := fs.Int64("account", 0, "list only the keys of account `ID`")
	all := fs.Bool("all", false, "include disabled and expired keys")
	long := fs.Bool("long", false, "print whole hashes, not their first 12 characters")
	db := dbFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	var keys []store.Key
	if *account != 0 {
		if _, err := accountByID(ctx, st, *account); err != nil {
			return fmt.Errorf("keys list: %w", err)
		}
		keys, err = st.ListKeys(ctx, *account)
	} else {
		keys, err = allKeys(ctx, st)
	}
	if err != nil {
		return fmt.Errorf("keys list: %w", err)
	}
	now := time.Now()
	t := newTable(stdout, "HASH", "LABEL", "NAME", "ACCOUNT", "TYPE", "STATUS", "LIMIT", "USAGE", "CREATED")
	hidden := 0
	for _, k := range keys {
		status := keyStatus(k, now)
		if status != "active" && !*all {
			hidden++
			continue
		}
		hash := k.Hash
		if !*long {
			hash = shortened(hash)
		}
		t.row(hash, cell(k.Label), cell(k.Name), strconv.FormatInt(k.AccountID, 10), keyType(k), status,
			keyLimit(k), k.Usage.String(), timestamp(k.CreatedAt))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if hidden > 0 {
		fmt.Fprintf(stderr, "(%s not shown; --all shows them)\n", plural(hidden, "disabled or expired key"))
	}
	return nil
}

// allKeys returns the keys of every account, by account.
func allKeys(ctx context.Context, st store.Store) ([]store.Key, error) {
	accounts, err := st.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	var keys []store.Key
	for _, a := range accounts {
		ks, err := st.ListKeys(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		keys = append(keys, ks...)
	}
	return keys, nil
}

// shortened returns the first shortHash characters of a key's hash.
func shortened(hash string) string {
	if len(hash) > shortHash {
		return hash[:shortHash]
	}
	return hash
}

func keyStatus(k store.Key, now time.Time) string {
	switch {
	case k.Disabled:
		return "disabled"
	case k.Expired(now):
		return "expired"
	}
	return "active"
}

func keyType(k store.Key) string {
	if k.IsManagement {
		return "management"
	}
	return "inference"
}

// keyLimit renders a key's spending limit and its reset period.
func keyLimit(k store.Key) string {
	if k.Limit == nil {
		return "-"
	}
	if k.LimitReset == store.LimitResetNever {
		return k.Limit.String()
	}
	return k.Limit.String() + "/" + k.LimitReset
}

func keysDisable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return keysSetDisabled(ctx, "disable", true, args, stdout, stderr)
}

func keysEnable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return keysSetDisabled(ctx, "enable", false, args, stdout, stderr)
}

// keysSetDisabled is "keys disable" and "keys enable".
func keysSetDisabled(ctx context.Context, verb string, disabled bool, args []string, stdout, stderr io.Writer) error {
	about := "Disables a key: requests with it are refused until it is enabled again."
	if !disabled {
		about = "Enables a disabled key again."
	}
	fs := newFlagSet("keys "+verb, "keys "+verb+" HASH [--db DSN]", about+"\n"+hashHelp, stderr)
	db := dbFlag(fs)
	pos, err := parseArgs(fs, args, "HASH")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := findKey(ctx, st, pos[0])
	if err != nil {
		return fmt.Errorf("keys %s: %w", verb, err)
	}
	if k, err = st.UpdateKey(ctx, k.Hash, store.KeyUpdate{Disabled: &disabled}); err != nil {
		return fmt.Errorf("keys %s: %w", verb, err)
	}
	fmt.Fprintf(stdout, "Key %s (%s, %q, account %d) is %s.\n", shortened(k.Hash), k.Label, k.Name, k.AccountID, keyStatus(k, time.Now()))
	return nil
}

func keysDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys delete", "keys delete HASH [--db DSN]",
		"Deletes a key for good: it no longer authenticates or appears in lists. Its generations,\n"+
			"their charges and its account are kept.\n"+hashHelp, stderr)
	db := dbFlag(fs)
	pos, err := parseArgs(fs, args, "HASH")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := findKey(ctx, st, pos[0])
	if err != nil {
		return fmt.Errorf("keys delete: %w", err)
	}
	if err := st.DeleteKey(ctx, k.Hash); err != nil {
		return fmt.Errorf("keys delete: %w", err)
	}
	fmt.Fprintf(stdout, "Deleted key %s (%s, %q, account %d).\n", shortened(k.Hash), k.Label, k.Name, k.AccountID)
	return nil
}

const hashHelp = "HASH is the key's hash as \"keys list\" shows it (a unique prefix of 8 or more characters\n" +
	"will do), or the key itself."

// findKey returns the key arg names: its whole hash, a unique prefix of the
// hash at least minHashPrefix long, or the plaintext key (which is only
// hashed, never stored or printed).
func findKey(ctx context.Context, st store.Store, arg string) (store.Key, error) {
	arg = strings.TrimSpace(arg)
	if apikey.LooksValid(arg) {
		k, err := st.Key(ctx, apikey.Hash(arg))
		if errors.Is(err, store.ErrNotFound) {
			return store.Key{}, errors.New("no such key (given as the key itself)")
		}
		return k, err
	}
	if strings.HasPrefix(arg, apikey.Prefix) {
		return store.Key{}, errors.New("that is not a whole key: give the key, or its hash as \"keys list\" shows it")
	}
	prefix := strings.ToLower(arg)
	if strings.Trim(prefix, "0123456789abcdef") != "" || prefix == "" {
		return store.Key{}, fmt.Errorf("%q is not a key hash (hexadecimal, as \"keys list\" shows it)", arg)
	}
	if len(prefix) == 64 {
		k, err := st.Key(ctx, prefix)
		if errors.Is(err, store.ErrNotFound) {
			return store.Key{}, fmt.Errorf("no key has hash %s", prefix)
		}
		return k, err
	}
	if len(prefix) < minHashPrefix {
		return store.Key{}, fmt.Errorf("hash prefix %q is too short: give at least %d characters", arg, minHashPrefix)
	}
	keys, err := allKeys(ctx, st)
	if err != nil {
		return store.Key{}, err
	}
	var found []store.Key
	for _, k := range keys {
		if strings.HasPrefix(k.Hash, prefix) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return store.Key{}, fmt.Errorf("no key hash starts with %s", prefix)
	case 1:
		return found[0], nil
	}
	return store.Key{}, fmt.Errorf("%d keys' hashes start with %s: give more of it", len(found), prefix)
}
