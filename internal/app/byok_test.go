package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/api"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/secretbox"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

func TestBYOKClients(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "byok.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acct, err := st.CreateAccount(ctx, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	file, err := catalog.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(file)
	if err != nil {
		t.Fatal(err)
	}
	adapters, err := newAdapters()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.Parse(secretbox.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := secretbox.Parse(secretbox.GenerateKey())
	b := newBYOKClients(st, box, cat, adapters, config.Default(), slog.New(slog.DiscardHandler))
	now := time.Now()
	b.now = func() time.Time { return now }

	seal := func(bx *secretbox.Box, slug string) {
		t.Helper()
		if err := st.SetProviderKey(ctx, acct.ID, slug, bx.Seal([]byte("sk-"+slug), api.BYOKContext(acct.ID, slug))); err != nil {
			t.Fatal(err)
		}
	}
	seal(box, "openai")
	seal(other, "groq")                                                            // sealed under another operator key: ignored
	if err := st.SetProviderKey(ctx, acct.ID, "nosuch", []byte("x")); err != nil { // not in the catalog: ignored
		t.Fatal(err)
	}
	clients, err := b.Clients(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(clients) != 1 || clients["openai"] == nil {
		t.Fatalf("clients %v, want openai only", clients)
	}

	// Cached until the TTL or Forget.
	seal(box, "groq")
	if got, _ := b.Clients(ctx, acct.ID); len(got) != 1 {
		t.Errorf("cache not used: %d clients", len(got))
	}
	b.Forget(acct.ID)
	if got, _ := b.Clients(ctx, acct.ID); len(got) != 2 {
		t.Errorf("after Forget: %d clients, want 2", len(got))
	}
	if err := st.DeleteProviderKey(ctx, acct.ID, "groq"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(byokTTL)
	if got, _ := b.Clients(ctx, acct.ID); len(got) != 1 {
		t.Errorf("after the TTL: %d clients, want 1", len(got))
	}
}
