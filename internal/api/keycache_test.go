package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// TestKeyCache: a key is read once per keyCacheTTL, not per request; a
// change through the API applies at once, one made elsewhere (the CLI,
// another replica) within keyCacheTTL.
func TestKeyCache(t *testing.T) {
	e, admin := newKeysEnv(t, envOptions{})
	now := time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)
	e.api.now = func() time.Time { return now }
	hash := apikey.Hash(e.key)
	chat := func() int {
		resp := e.post("/api/v1/chat/completions", chatBody)
		readAll(t, resp.Body)
		return resp.StatusCode
	}
	if got := chat(); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	// Disabled behind the server's back: still served from the cache...
	disabled := true
	if _, err := e.store.UpdateKey(context.Background(), hash, store.KeyUpdate{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if got := chat(); got != http.StatusOK {
		t.Errorf("within the TTL: status %d, want 200 from the cache", got)
	}
	// ...until the entry expires.
	now = now.Add(keyCacheTTL + time.Millisecond)
	if got := chat(); got != http.StatusUnauthorized {
		t.Errorf("after the TTL: status %d, want 401", got)
	}
	// Through the API, the change is seen at once.
	enabled := false
	if _, err := e.store.UpdateKey(context.Background(), hash, store.KeyUpdate{Disabled: &enabled}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(keyCacheTTL + time.Millisecond)
	if got := chat(); got != http.StatusOK {
		t.Fatalf("re-enabled: status %d", got)
	}
	resp := e.do(http.MethodPatch, "/api/v1/keys/"+hash, `{"disabled":true}`, admin)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	if got := chat(); got != http.StatusUnauthorized {
		t.Errorf("after PATCH disabled: status %d, want 401 at once", got)
	}
}
