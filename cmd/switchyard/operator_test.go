package main

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
)

// runOK runs a command that must succeed and returns its stdout.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%q: %v\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// runFail runs a command that must fail and returns its error.
func runFail(t *testing.T, args ...string) error {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, &stdout, &stderr)
	if err == nil {
		t.Fatalf("%q succeeded:\n%s", args, stdout.String())
	}
	return err
}

// openDB opens the test's store (SWITCHYARD_DB) and closes it when the
// test ends.
func openDB(t *testing.T) store.Store {
	t.Helper()
	st, err := storeopen.Open(t.Context(), os.Getenv("SWITCHYARD_DB"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// usingDB points SWITCHYARD_DB at a new SQLite file.
func usingDB(t *testing.T) string {
	db := filepath.Join(t.TempDir(), "switchyard.db")
	t.Setenv("SWITCHYARD_DB", db)
	return db
}

var createdAccountRE = regexp.MustCompile(`^Created account (\d+) ".*" holding \$[0-9.]+\.\n$`)

// createAccount runs "accounts create" and returns the new account's id.
func createAccount(t *testing.T, name, credits string) int64 {
	t.Helper()
	out := runOK(t, "accounts", "create", "--name", name, "--credits", credits)
	m := createdAccountRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("accounts create printed %q", out)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// TestCreditsAndLedger adds credits, purchases, refunds and adjustments
// through the commands and checks each balance, the ledger the store holds
// and what ledger verify, ledger show and accounts list/show print.
func TestCreditsAndLedger(t *testing.T) {
	usingDB(t)
	const usd = money.NanoPerUSD
	id := createAccount(t, "team a", "10")
	other := createAccount(t, "team b", "0")
	sid := strconv.FormatInt(id, 10)

	type step struct {
		args    []string
		printed string // in stdout
		change  money.Amount
		kinds   []string // ledger entries written, in order
	}
	var balance money.Amount = 10 * usd
	for _, s := range []step{
		{[]string{"credits", "add", "--account", sid, "--usd", "2.5", "--note", "welcome"},
			"Added $2.5 of credits", 2_500_000_000, []string{store.LedgerCredit}},
		{[]string{"credits", "add", "--account", sid, "--usd", "100", "--ref", "inv-1"},
			"$95 credited after a $5 fee (5%)", 95 * usd, []string{store.LedgerPurchase, store.LedgerFee}},
		{[]string{"credits", "add", "--account", sid, "--usd", "10", "--ref", "inv-2", "--fee-percent", "2.5"},
			"$9.75 credited after a $0.25 fee (2.5%)", 9_750_000_000, []string{store.LedgerPurchase, store.LedgerFee}},
		// 5% of 10 nano-dollars is 0.5, rounded half up to 1.
		{[]string{"credits", "add", "--account", sid, "--usd", "0.00000001", "--ref", "inv-3"},
			"$0.000000009 credited after a $0.000000001 fee", 9, []string{store.LedgerPurchase, store.LedgerFee}},
		{[]string{"credits", "add", "--account", sid, "--usd", "4", "--ref", "inv-4", "--fee-percent", "0"},
			"$4 credited after a $0 fee (0%)", 4 * usd, []string{store.LedgerPurchase}},
		{[]string{"credits", "refund", "--account", sid, "--usd", "-7.25", "--note", "chargeback"},
			"refund of -$7.25", -7_250_000_000, []string{store.LedgerRefund}},
		{[]string{"credits", "adjust", "--account", sid, "--usd", "-200", "--note", "test", "--allow-negative"},
			"adjustment of -$200", -200 * usd, []string{store.LedgerAdjustment}},
		{[]string{"credits", "adjust", "--account", sid, "--usd", "+200.000000001", "--note", "undo"},
			"adjustment of $200.000000001", 200*usd + 1, []string{store.LedgerAdjustment}},
	} {
		st := openDB(t)
		before, err := st.Ledger(t.Context(), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()

		out := runOK(t, s.args...)
		balance += s.change
		if !strings.Contains(out, s.printed) || !strings.Contains(out, "its balance is "+usdString(balance)) {
			t.Errorf("%q printed %q, want %q and the balance %s", s.args, out, s.printed, usdString(balance))
		}
		st = openDB(t)
		a, err := st.Account(t.Context(), id)
		if err != nil || a.Balance != balance {
			t.Fatalf("after %q: account %+v (%v), want balance %s", s.args, a, err, balance)
		}
		after, err := st.Ledger(t.Context(), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		var sum money.Amount
		for _, e := range after[:len(after)-len(before)] {
			kinds = append(kinds, e.Kind)
			sum += e.Amount
		}
		slices.Reverse(kinds) // Ledger is newest first
		if !slices.Equal(kinds, s.kinds) || sum != s.change {
			t.Errorf("%q wrote entries %v summing to %s, want %v summing to %s", s.args, kinds, sum, s.kinds, s.change)
		}
		st.Close()
	}

	// A purchase reference is credited once, whatever the account.
	for _, acct := range []int64{id, other} {
		err := runFail(t, "credits", "add", "--account", strconv.FormatInt(acct, 10), "--usd", "100", "--ref", "inv-1")
		if !strings.Contains(err.Error(), "already recorded") {
			t.Errorf("duplicate reference: %v", err)
		}
	}
	// Going below zero needs --allow-negative.
	if err := runFail(t, "credits", "adjust", "--account", sid, "--usd", "-1000", "--note", "x"); !strings.Contains(err.Error(), "--allow-negative") {
		t.Errorf("below zero: %v", err)
	}

	st := openDB(t)
	if a, _ := st.Account(t.Context(), id); a.Balance != balance {
		t.Errorf("a refused command changed the balance to %s, want %s", a.Balance, balance)
	}
	if p, err := st.TotalPurchased(t.Context(), id); err != nil || p != 114*usd+10 {
		t.Errorf("total purchased %s (%v)", p, err)
	}
	if a, _ := st.Account(t.Context(), other); a.Balance != 0 {
		t.Errorf("the other account's balance is %s", a.Balance)
	}

	out := runOK(t, "ledger", "verify")
	if out != "ledger OK: 2 accounts, balances equal the sum of their entries, charges the costs of their generations\n" {
		t.Errorf("ledger verify: %q", out)
	}

	// ledger show: newest first, --limit entries.
	out = runOK(t, "ledger", "show", "--account", sid, "--limit", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "adjustment") || !strings.Contains(lines[1], "200.000000001") ||
		!strings.Contains(lines[1], "undo") || !strings.Contains(lines[2], "-200") {
		t.Errorf("ledger show --limit 2:\n%s", out)
	}
	out = runOK(t, "ledger", "show", "--account", sid, "--limit", "0")
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 1+1+1+2*3+1+1+2 {
		t.Errorf("ledger show --limit 0 has %d lines:\n%s", n, out)
	}
	if !strings.Contains(out, "inv-2") || !strings.Contains(out, "-0.25") || !strings.Contains(out, "chargeback") {
		t.Errorf("ledger show lacks the purchase, its fee or a note:\n%s", out)
	}

	out = runOK(t, "accounts", "list")
	if !regexp.MustCompile(`(?m)^` + sid + ` +team a +` + regexp.QuoteMeta(balance.String()) + ` +`).MatchString(out) {
		t.Errorf("accounts list:\n%s", out)
	}
	out = runOK(t, "accounts", "show", sid)
	for _, want := range []string{"Account " + sid + " team a", "balance:  " + usdString(balance), "purchased $114.00000001",
		"Keys (0):", "undo", "chargeback"} {
		if !strings.Contains(out, want) {
			t.Errorf("accounts show lacks %q:\n%s", want, out)
		}
	}
}

// usdString is how the commands print an amount in a sentence.
func usdString(a money.Amount) string {
	if a < 0 {
		return "-$" + (-a).String()
	}
	return "$" + a.String()
}

// TestLedgerVerifyMismatch: a balance changed behind the ledger's back is
// reported, and the command fails.
func TestLedgerVerifyMismatch(t *testing.T) {
	db := usingDB(t)
	createAccount(t, "fine", "1")
	id := createAccount(t, "tampered", "3")
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE accounts SET balance = balance + 1 WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	var stdout, stderr bytes.Buffer
	err = run(t.Context(), []string{"ledger", "verify"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 accounts") {
		t.Fatalf("error %v", err)
	}
	want := regexp.MustCompile(`(?m)^` + strconv.FormatInt(id, 10) + ` +3\.000000001 +3 +0\.000000001$`)
	if !want.MatchString(stdout.String()) || strings.Contains(stdout.String(), "ledger OK") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

// TestLedgerVerifyCharges: a generation's cost changed behind the ledger's
// back is reported with the entry that charged it, and the command fails.
func TestLedgerVerifyCharges(t *testing.T) {
	db := usingDB(t)
	createKey(t, "--name", "k", "--credits", "1")
	st := openDB(t)
	accounts, err := st.ListAccounts(t.Context())
	if err != nil || len(accounts) != 1 {
		t.Fatalf("ListAccounts = %v, %v", accounts, err)
	}
	keys, err := st.ListKeys(t.Context(), accounts[0].ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ListKeys = %v, %v", keys, err)
	}
	k := keys[0]
	if _, err := st.RecordGenerations(t.Context(), []store.Generation{
		{ID: "gen-a", AccountID: k.AccountID, KeyHash: k.Hash, Cost: 5},
		{ID: "gen-b", AccountID: k.AccountID, KeyHash: k.Hash, Cost: 7},
	}); err != nil {
		t.Fatal(err)
	}
	g, err := st.Generation(t.Context(), "gen-a")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE generations SET cost = 6 WHERE id = 'gen-a'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	var stdout, stderr bytes.Buffer
	err = run(t.Context(), []string{"ledger", "verify"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 ledger entry does not charge what its generations cost") ||
		strings.Contains(err.Error(), "balances") {
		t.Fatalf("error %v", err)
	}
	want := regexp.MustCompile(`(?m)^` + strconv.FormatInt(g.LedgerID, 10) + ` +` + strconv.FormatInt(k.AccountID, 10) +
		` +usage +-0\.000000012 +0\.000000013 +2 +0$`)
	if !want.MatchString(stdout.String()) || strings.Contains(stdout.String(), "ledger OK") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

// TestKeysCommands lists, disables, enables and deletes keys, by hash
// prefix, whole hash and plaintext, and checks no plaintext is printed.
func TestKeysCommands(t *testing.T) {
	usingDB(t)
	keyA := createKey(t, "--name", "team-a", "--credits", "1")
	st := openDB(t)
	_, acctA, err := st.KeyByHash(t.Context(), apikey.Hash(keyA))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	sidA := strconv.FormatInt(acctA.ID, 10)
	ops := createKey(t, "--name", "ops", "--account", sidA, "--management")
	keyB := createKey(t, "--name", "team-b")
	hashA, hashOps, hashB := apikey.Hash(keyA), apikey.Hash(ops), apikey.Hash(keyB)

	noPlaintext := func(out string) {
		t.Helper()
		for _, k := range []string{keyA, ops, keyB} {
			if strings.Contains(out, strings.TrimPrefix(k, apikey.Prefix)) {
				t.Errorf("a plaintext key is printed:\n%s", out)
			}
		}
	}
	row := func(out, hash string) string {
		t.Helper()
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, hash) {
				return line
			}
		}
		return ""
	}

	out := runOK(t, "keys", "list")
	noPlaintext(out)
	for _, h := range []string{hashA, hashOps, hashB} {
		if row(out, h[:12]) == "" || strings.Contains(out, h) {
			t.Errorf("keys list shows not exactly the 12-character hash %s:\n%s", h[:12], out)
		}
	}
	if r := row(out, hashOps[:12]); !strings.Contains(r, "management") || !strings.Contains(r, " "+sidA+" ") ||
		!strings.Contains(r, apikey.Label(ops)) || !strings.Contains(r, "active") {
		t.Errorf("the management key's row: %q", r)
	}
	out = runOK(t, "keys", "list", "--long", "--account", sidA)
	if row(out, hashA) == "" || row(out, hashOps) == "" || row(out, hashB[:12]) != "" {
		t.Errorf("keys list --long --account %s:\n%s", sidA, out)
	}

	// Disable by prefix: hidden from the list but for --all.
	out = runOK(t, "keys", "disable", hashA[:8])
	if !strings.Contains(out, hashA[:12]) || !strings.Contains(out, "disabled") {
		t.Errorf("keys disable printed %q", out)
	}
	st = openDB(t)
	if k, err := st.Key(t.Context(), hashA); err != nil || !k.Disabled {
		t.Fatalf("after disable: %+v %v", k, err)
	}
	st.Close()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"keys", "list"}, &stdout, &stderr); err != nil ||
		row(stdout.String(), hashA[:12]) != "" || row(stdout.String(), hashB[:12]) == "" || !strings.Contains(stderr.String(), "1 disabled") {
		t.Errorf("keys list after disable: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if r := row(runOK(t, "keys", "list", "--all"), hashA[:12]); !strings.Contains(r, "disabled") {
		t.Errorf("keys list --all: %q", r)
	}

	// Enable by the plaintext key, which is not echoed.
	out = runOK(t, "keys", "enable", keyA)
	noPlaintext(out)
	st = openDB(t)
	if k, err := st.Key(t.Context(), hashA); err != nil || k.Disabled {
		t.Fatalf("after enable: %+v %v", k, err)
	}
	st.Close()

	// Delete by the whole hash; it is gone, and a second delete fails.
	runOK(t, "keys", "delete", strings.ToUpper(hashB))
	st = openDB(t)
	if _, err := st.Key(t.Context(), hashB); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := st.Key(t.Context(), hashA); err != nil {
		t.Fatalf("another key went too: %v", err)
	}
	// Two keys whose hashes share a prefix.
	for _, h := range []string{"deadbeef0" + strings.Repeat("0", 55), "deadbeef1" + strings.Repeat("0", 55)} {
		if _, err := st.CreateKey(t.Context(), store.NewKey{AccountID: acctA.ID, Hash: h, Name: "twin"}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "delete", hashB}, "no key has hash"},
		{[]string{"keys", "disable", keyB}, "no such key"},
		{[]string{"keys", "disable"}, "missing HASH"},
		{[]string{"keys", "disable", hashA, hashOps}, "unexpected argument"},
		{[]string{"keys", "enable", "abc123"}, "too short"},
		{[]string{"keys", "delete", "xyz12345678"}, "not a key hash"},
		{[]string{"keys", "delete", "sk-sy-v1-abc"}, "not a whole key"},
		{[]string{"keys", "disable", "deadbeef"}, "2 keys"},
		{[]string{"keys", "list", "--account", "999"}, "account 999 does not exist"},
		{[]string{"keys", "create", "--name", "x", "--account", "999"}, "account 999 does not exist"},
	} {
		if err := runFail(t, tc.args...); !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
	runOK(t, "keys", "disable", "DEADBEEF1", "--db", os.Getenv("SWITCHYARD_DB")) // flags after the argument
	st = openDB(t)
	if k, _ := st.Key(t.Context(), "deadbeef1"+strings.Repeat("0", 55)); !k.Disabled {
		t.Error("the unique prefix did not disable its key")
	}
	if k, _ := st.Key(t.Context(), "deadbeef0"+strings.Repeat("0", 55)); k.Disabled {
		t.Error("the other key was disabled")
	}
}

// TestOperatorCommandsRefuseBadArguments: every refused command line says
// why and leaves the ledger as it was.
func TestOperatorCommandsRefuseBadArguments(t *testing.T) {
	usingDB(t)
	id := strconv.FormatInt(createAccount(t, "team", "5"), 10)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"credits", "add", "--usd", "1"}, "--account is required"},
		{[]string{"credits", "add", "--account", "-3", "--usd", "1"}, "positive account id"},
		{[]string{"credits", "add", "--account", "x", "--usd", "1"}, "invalid value"},
		{[]string{"credits", "add", "--account", id}, "--usd is required"},
		{[]string{"credits", "add", "--account", id, "--usd", "abc"}, `--usd "abc"`},
		{[]string{"credits", "add", "--account", id, "--usd", "NaN"}, `--usd "NaN"`},
		{[]string{"credits", "add", "--account", id, "--usd", "1.0000000001"}, "nano-dollar"},
		{[]string{"credits", "add", "--account", id, "--usd", "0"}, "must be positive"},
		{[]string{"credits", "add", "--account", id, "--usd", "-1"}, "must be positive"},
		{[]string{"credits", "add", "--account", "999", "--usd", "1"}, "account 999 does not exist"},
		{[]string{"credits", "add", "--account", "999", "--usd", "1", "--ref", "r"}, "account 999 does not exist"},
		{[]string{"credits", "add", "--account", id, "--usd", "1", "--fee-percent", "2"}, "give its --ref"},
		{[]string{"credits", "add", "--account", id, "--usd", "1", "--ref", "r", "--fee-percent", "100.1"}, "percentage"},
		{[]string{"credits", "add", "--account", id, "--usd", "1", "--ref", "r", "--fee-percent", "2.55"}, "percentage"},
		{[]string{"credits", "add", "--account", id, "--usd", "1", "--ref", "r", "--fee-percent", "-1"}, "percentage"},
		{[]string{"credits", "add", "--account", id, "--usd", "1", "--ref", "r", "--fee-percent", "5%"}, "percentage"},
		{[]string{"credits", "add", "--account", id, "--usd", "1", "my", "note"}, `unexpected argument "my"`},
		{[]string{"credits", "refund", "--account", id, "--usd", "1"}, "--note is required"},
		{[]string{"credits", "refund", "--account", id, "--usd", "0", "--note", "x"}, "must not be zero"},
		{[]string{"credits", "refund", "--account", "999", "--usd", "1", "--note", "x"}, "account 999 does not exist"},
		{[]string{"credits", "adjust", "--account", id, "--note", "x"}, "--usd is required"},
		{[]string{"credits", "adjust", "--usd", "1", "--note", "x"}, "--account is required"},
		{[]string{"credits", "adjust", "--account", id, "--usd", "-5.000000001", "--note", "x"}, "below zero"},
		{[]string{"accounts", "create", "--credits", "1"}, "--name is required"},
		{[]string{"accounts", "create", "--name", "x", "--credits", "-1"}, "non-negative"},
		{[]string{"accounts", "show"}, "missing ID"},
		{[]string{"accounts", "show", "abc"}, "positive integer"},
		{[]string{"accounts", "show", "999"}, "account 999 does not exist"},
		{[]string{"accounts", "show", id, "--limit", "-1"}, "negative"},
		{[]string{"accounts", "show", id, id}, "unexpected argument"},
		{[]string{"accounts", "list", "extra"}, "unexpected argument"},
		{[]string{"ledger", "show"}, "--account is required"},
		{[]string{"ledger", "show", "--account", "999"}, "account 999 does not exist"},
		{[]string{"ledger", "show", "--account", id, "--limit", "-1"}, "negative"},
		{[]string{"ledger", "verify", "now"}, "unexpected argument"},
	} {
		if err := runFail(t, tc.args...); !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
	st := openDB(t)
	accounts, err := st.ListAccounts(t.Context())
	if err != nil || len(accounts) != 1 || accounts[0].Balance != 5*money.NanoPerUSD {
		t.Errorf("accounts %+v (%v)", accounts, err)
	}
	if entries, _ := st.Ledger(t.Context(), accounts[0].ID, 0); len(entries) != 1 {
		t.Errorf("ledger %+v, want the initial credit alone", entries)
	}
}

// TestOperatorCommandsNeedADatabase: the commands that read or change
// what is stored refuse a SQLite path where there is no database, rather
// than create an empty one.
func TestOperatorCommandsNeedADatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "typo.db")
	for _, args := range [][]string{
		{"ledger", "verify"}, {"ledger", "show", "--account", "1"}, {"accounts", "list"}, {"accounts", "show", "1"},
		{"keys", "list"}, {"keys", "disable", strings.Repeat("a", 64)}, {"credits", "add", "--account", "1", "--usd", "1"},
		{"credits", "adjust", "--account", "1", "--usd", "1", "--note", "x"},
	} {
		err := runFail(t, append(args, "--db", db)...)
		if !strings.Contains(err.Error(), "no database at "+db) {
			t.Errorf("%q: %v", args, err)
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%q created the database", args)
		}
	}
	// Creating an account creates the database.
	runOK(t, "accounts", "create", "--name", "first", "--db", db)
	if out := runOK(t, "ledger", "verify", "--db", db); !strings.HasPrefix(out, "ledger OK: 1 account,") {
		t.Errorf("ledger verify: %q", out)
	}
}
