package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
	"github.com/switchyard-dev/switchyard/internal/syncbuf"
)

var plaintextKeyRE = regexp.MustCompile(`^sk-sy-v1-[0-9a-f]{64}$`)

// createKey runs "keys create" and returns the key printed on the last
// line of stdout.
func createKey(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), append([]string{"keys", "create"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("keys create %q: %v\nstderr: %s", args, err, stderr.String())
	}
	out := stdout.String()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("stdout does not end with a newline: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	key := lines[len(lines)-1]
	if !plaintextKeyRE.MatchString(key) {
		t.Fatalf("last line of stdout %q is not a key alone; stdout:\n%s", key, out)
	}
	if strings.Count(out, key) != 1 || stderr.Len() != 0 {
		t.Fatalf("stdout %q stderr %q", out, stderr.String())
	}
	return key
}

// TestKeysCreateStoresHashes creates two keys in one SQLite file found
// through SWITCHYARD_DB, and checks what the file holds: two accounts with
// their credits, keys found by the hash of what was printed, and neither
// plaintext anywhere in the database's bytes.
func TestKeysCreateStoresHashes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	t.Setenv("SWITCHYARD_DB", db)
	keyA := createKey(t, "--name", "team-a", "--credits", "12.5")
	keyB := createKey(t, "--name", "team b", "--credits", "0")
	if keyA == keyB {
		t.Fatal("the same key twice")
	}

	st, err := storeopen.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		key, name string
		balance   money.Amount
	}{
		{keyA, "team-a", 12_500_000_000},
		{keyB, "team b", 0},
	} {
		k, acct, err := st.KeyByHash(t.Context(), apikey.Hash(want.key))
		if err != nil {
			t.Fatalf("%s: %v", want.name, err)
		}
		if k.Hash != apikey.Hash(want.key) || k.Name != want.name || k.AccountID != acct.ID || k.Disabled ||
			acct.Name != want.name || acct.Balance != want.balance || acct.TotalCredits != want.balance {
			t.Errorf("%s: key %+v account %+v", want.name, k, acct)
		}
		keys, err := st.ListKeys(t.Context(), acct.ID)
		if err != nil || len(keys) != 1 {
			t.Errorf("%s: account has keys %+v (%v)", want.name, keys, err)
		}
	}
	if bad, err := st.VerifyLedger(t.Context()); err != nil || len(bad) != 0 {
		t.Errorf("ledger: %v %v", bad, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Keys are stored hashed: neither the key nor its secret part is in
	// the database file, its write-ahead log or its shared memory.
	var files []byte
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(db + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	if len(files) == 0 {
		t.Fatal("no database bytes to inspect")
	}
	if !bytes.Contains(files, []byte(apikey.Hash(keyA))) {
		t.Error("the key's hash is not in the database: inspecting the wrong bytes?")
	}
	for _, key := range []string{keyA, keyB} {
		if secret := strings.TrimPrefix(key, apikey.Prefix); bytes.Contains(files, []byte(secret)) {
			t.Errorf("the plaintext key %s… is stored", key[:12])
		}
	}
}

// TestManagementKeyForAnAccount: a management key added to an existing
// account manages that account (its presets) and cannot call models.
func TestManagementKeyForAnAccount(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	t.Setenv("SWITCHYARD_DB", db)
	inference := createKey(t, "--name", "team", "--credits", "3")
	st, err := storeopen.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, acct, err := st.KeyByHash(t.Context(), apikey.Hash(inference))
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	mgmt := createKey(t, "--name", "team admin", "--account", strconv.FormatInt(acct.ID, 10), "--management")
	st, err = storeopen.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, a, err := st.KeyByHash(t.Context(), apikey.Hash(mgmt))
	if err != nil || !k.IsManagement || a.ID != acct.ID || a.Balance != 3*money.NanoPerUSD {
		t.Fatalf("management key %+v account %+v (%v)", k, a, err)
	}
	if keys, _ := st.ListKeys(t.Context(), acct.ID); len(keys) != 2 {
		t.Errorf("account has %d keys, want 2", len(keys))
	}
}

// TestKeysCreateRejectsBadArguments checks that a bad command line creates
// nothing: no database, no account, no key printed.
func TestKeysCreateRejectsBadArguments(t *testing.T) {
	for name, args := range map[string][]string{
		"no name":              {"--credits", "1"},
		"credits with account": {"--name", "x", "--account", "1", "--credits", "2"},
		"empty name":           {"--name", "", "--credits", "1"},
		"credits not a number": {"--name", "x", "--credits", "abc"},
		"negative credits":     {"--name", "x", "--credits", "-1"},
		"below a nano-dollar":  {"--name", "x", "--credits", "1.0000000001"},
		"empty credits":        {"--name", "x", "--credits", ""},
		"NaN credits":          {"--name", "x", "--credits", "NaN"},
		"unknown flag":         {"--name", "x", "--credit", "1"},
		"unquoted name":        {"--name", "my", "team", "--credits", "5"},
	} {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "keys.db")
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), append([]string{"keys", "create", "--db", db}, args...), &stdout, &stderr)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(stdout.String(), apikey.Prefix) {
				t.Fatalf("a key was printed: %q", stdout.String())
			}
			if _, statErr := os.Stat(db); !errors.Is(statErr, os.ErrNotExist) {
				t.Fatalf("the database was touched (%v); error was %v", statErr, err)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the error
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"keys"}, `"keys create"`},
		{[]string{"keys", "frob"}, `unknown keys command "frob"`},
		{[]string{"accounts"}, `"accounts list"`},
		{[]string{"credits", "give"}, `unknown credits command "give"`},
		{[]string{"ledger"}, `"ledger verify"`},
		{[]string{"serve", "--log-level", "loud"}, "--log-level"},
		{[]string{"serve", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, "missing.yaml"},
		{[]string{"serve", "--addr", "nope", "--db", filepath.Join(t.TempDir(), "x.db")}, "addr"},
		{[]string{"serve", "--demo", "yes"}, `unexpected argument "yes"`},
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: stdout %q", tc.args, stdout.String())
		}
	}

	for _, help := range []string{"help", "-h", "--help"} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), []string{help}, &stdout, &stderr); err != nil ||
			!strings.Contains(stdout.String(), "switchyard serve") || !strings.Contains(stdout.String(), "switchyard keys create") {
			t.Errorf("%s: %v %q", help, err, stdout.String())
		}
	}
	// A command's -h lists its flags and exits successfully (main maps
	// flag.ErrHelp to status 0).
	for _, cmd := range []string{
		"serve", "keys create", "keys list", "keys disable", "keys enable", "keys delete",
		"accounts list", "accounts create", "accounts show", "credits add", "credits refund",
		"credits adjust", "ledger show", "ledger verify",
	} {
		args := append(strings.Fields(cmd), "-h")
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) ||
			!strings.Contains(stderr.String(), "Usage: switchyard "+cmd) || !strings.Contains(stderr.String(), "-db") {
			t.Errorf("%q: %v %q", args, err, stderr.String())
		}
	}
	// "keys -h" and "keys help" print the usage, as "help" does.
	for _, args := range [][]string{{"keys", "-h"}, {"ledger", "help"}} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err != nil || stdout.String() != usageText {
			t.Errorf("%q: %v %q", args, err, stdout.String())
		}
	}
}

// TestServeDemo runs "switchyard serve --demo" as a user would: flags win
// over the environment, the printed demo key gets an answer at the printed
// URL, and cancelling (Ctrl-C) stops it cleanly.
func TestServeDemo(t *testing.T) {
	// Flags override the environment, which here names unusable values.
	t.Setenv("SWITCHYARD_ADDR", "nope")
	t.Setenv("SWITCHYARD_DB", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	db := filepath.Join(t.TempDir(), "serve.db")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn"}, &stdout, &stderr)
	}()

	base, key := awaitDemo(t, &stdout, &stderr, done)

	client := &http.Client{Timeout: 90 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/chat/completions", strings.NewReader(
		`{"model":"openai/gpt-4o-mini","max_tokens":16,"provider":{"order":["demo-alpha","demo-beta"]},`+
			`"messages":[{"role":"user","content":"Hello!"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Simulated") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}

	// The demo key is stored in the --db file, not the one the
	// environment names.
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("--db file: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after cancel: %v\nstderr: %s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s of cancellation")
	}
	client.CloseIdleConnections()

	// The key and its account outlive the server.
	st, err := storeopen.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, acct, err := st.KeyByHash(t.Context(), apikey.Hash(key))
	if err != nil || acct.Name != "demo" || acct.TotalUsage <= 0 || acct.Balance != acct.TotalCredits-acct.TotalUsage {
		t.Fatalf("demo account %+v: %v", acct, err)
	}
	// The first start also made the operator's management account, and
	// nothing else.
	if admin, err := st.Account(t.Context(), acct.ID+1); err != nil || admin.Name != "admin" {
		t.Fatalf("second account %+v: %v, want the admin account", admin, err)
	}
	if _, err := st.Account(t.Context(), acct.ID+2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a third account exists: %v", err)
	}
}

// awaitDemo waits for serve --demo to print its base URL and key (see
// awaitServe), and returns them.
func awaitDemo(t *testing.T, stdout, stderr *syncbuf.Buffer, done <-chan error) (base, key string) {
	t.Helper()
	servingRE := regexp.MustCompile(`OpenAI-compatible base URL: (http://127\.0\.0\.1:\d+/api/v1)\)`)
	keyRE := regexp.MustCompile(`(?m)^\s*(sk-sy-v1-[0-9a-f]{64})\s*$`)
	awaitServe(t, stdout, stderr, done, "a URL and a key", func(out string) bool {
		m, k := servingRE.FindStringSubmatch(out), keyRE.FindStringSubmatch(out)
		if m == nil || k == nil {
			return false
		}
		base, key = m[1], k[1]
		return true
	})
	return base, key
}

// awaitServe waits up to 60 s for a serve running in the background to
// print what printed recognises, and fails the test if serve returns
// (done) or the time runs out first.
func awaitServe(t *testing.T, stdout, stderr *syncbuf.Buffer, done <-chan error, what string, printed func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !printed(stdout.String()) {
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no %s within 60s:\n%s", what, stdout.String())
		}
	}
}
