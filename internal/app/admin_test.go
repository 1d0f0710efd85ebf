package app

import (
	"bytes"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

func openTestStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "admin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestEnsureManagementKeyOnce: the first start creates the admin account
// and its management key and prints the key, which works; later starts
// print nothing and create nothing.
func TestEnsureManagementKeyOnce(t *testing.T) {
	ctx := t.Context()
	st := openTestStore(t)

	var out bytes.Buffer
	if err := EnsureManagementKey(ctx, st, &out); err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`sk-sy-v1-[0-9a-f]{64}`).FindAllString(out.String(), -1)
	if len(keys) == 0 {
		t.Fatalf("no key printed:\n%s", out.String())
	}
	key := keys[0]
	for _, k := range keys {
		if k != key {
			t.Fatalf("two different keys printed:\n%s", out.String())
		}
	}
	for _, want := range []string{"shown only this once", "Authorization: Bearer " + key, "/api/v1/keys"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	k, acct, err := st.KeyByHash(ctx, apikey.Hash(key))
	if err != nil {
		t.Fatalf("the printed key is not stored: %v", err)
	}
	if !k.IsManagement || k.Disabled || acct.Name != "admin" || acct.Balance != 0 || acct.TotalCredits != 0 {
		t.Errorf("key %+v account %+v", k, acct)
	}
	if has, err := st.HasManagementKey(ctx); err != nil || !has {
		t.Errorf("HasManagementKey = %v, %v", has, err)
	}

	// A disabled management key still counts: no new key is made.
	if _, err := st.UpdateKey(ctx, k.Hash, store.KeyUpdate{Disabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var again bytes.Buffer
		if err := EnsureManagementKey(ctx, st, &again); err != nil || again.Len() != 0 {
			t.Fatalf("a later start: %v, printed %q", err, again.String())
		}
	}
	accounts, err := st.ListAccounts(ctx)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("accounts %+v (%v), want only admin", accounts, err)
	}
	if keys, err := st.ListKeys(ctx, acct.ID); err != nil || len(keys) != 1 {
		t.Fatalf("admin keys %+v (%v), want one", keys, err)
	}
}

// TestEnsureManagementKeyExisting: a store that already has a management
// key, made by the operator, gets no admin account.
func TestEnsureManagementKeyExisting(t *testing.T) {
	ctx := t.Context()
	st := openTestStore(t)
	if _, _, err := CreateKey(ctx, st, KeyRequest{Name: "ops", Management: true}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := EnsureManagementKey(ctx, st, &out); err != nil || out.Len() != 0 {
		t.Fatalf("%v, printed %q", err, out.String())
	}
	if accounts, _ := st.ListAccounts(ctx); len(accounts) != 1 || accounts[0].Name != "ops" {
		t.Fatalf("accounts %+v", accounts)
	}

	// An inference key is not a management key.
	st = openTestStore(t)
	if _, _, err := CreateKey(ctx, st, KeyRequest{Name: "user", Credits: 5}); err != nil {
		t.Fatal(err)
	}
	if err := EnsureManagementKey(ctx, st, &out); err != nil || !strings.Contains(out.String(), "sk-sy-v1-") {
		t.Fatalf("%v, printed %q", err, out.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("stdout is closed") }

// TestEnsureManagementKeyUnprinted: a key that could not be printed is
// deleted, so the next start prints a new one instead of none.
func TestEnsureManagementKeyUnprinted(t *testing.T) {
	ctx := t.Context()
	st := openTestStore(t)
	if err := EnsureManagementKey(ctx, st, failingWriter{}); err == nil || !strings.Contains(err.Error(), "stdout is closed") {
		t.Fatalf("error %v, want the write's", err)
	}
	if has, err := st.HasManagementKey(ctx); err != nil || has {
		t.Fatalf("HasManagementKey = %v, %v after an unprinted key", has, err)
	}
	var out bytes.Buffer
	if err := EnsureManagementKey(ctx, st, &out); err != nil || !strings.Contains(out.String(), "sk-sy-v1-") {
		t.Fatalf("next start: %v, printed %q", err, out.String())
	}
}
