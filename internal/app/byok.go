package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard-dev/switchyard/internal/api"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/secretbox"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// byokTTL bounds how long an account's BYOK clients are reused before its
// keys are read again (a key changed through this server is picked up at
// once; through another replica, within the TTL).
const byokTTL = time.Minute

// byokCacheSize is the number of accounts cached past which expired
// entries are swept on the next insertion.
const byokCacheSize = 4096

// byokClients builds, and caches per account, upstream clients with the
// accounts' own provider keys. It implements api.BYOKClients.
type byokClients struct {
	st       store.BillingStore
	box      *secretbox.Box
	cat      *catalog.Catalog
	adapters *provider.Registry
	declared map[string]config.Provider
	http     *http.Client
	logger   *slog.Logger
	now      func() time.Time

	mu    sync.Mutex
	cache map[int64]byokEntry
}

type byokEntry struct {
	clients map[string]provider.Provider
	loaded  time.Time
}

var _ api.BYOKClients = (*byokClients)(nil)

func newBYOKClients(st store.BillingStore, box *secretbox.Box, cat *catalog.Catalog, adapters *provider.Registry,
	cfg config.Config, logger *slog.Logger) *byokClients {
	declared := make(map[string]config.Provider, len(cfg.Providers))
	for _, p := range cfg.Providers {
		declared[p.Slug] = p
	}
	return &byokClients{st: st, box: box, cat: cat, adapters: adapters, declared: declared,
		http: newHTTPClient(cfg.ConnectTimeout), logger: logger, now: time.Now, cache: make(map[int64]byokEntry)}
}

// Clients implements api.BYOKClients.
func (b *byokClients) Clients(ctx context.Context, accountID int64) (map[string]provider.Provider, error) {
	now := b.now()
	b.mu.Lock()
	e, ok := b.cache[accountID]
	b.mu.Unlock()
	if ok && now.Sub(e.loaded) < byokTTL {
		return e.clients, nil
	}
	sealed, err := b.st.ProviderKeys(ctx, accountID)
	if err != nil {
		return nil, err
	}
	clients := make(map[string]provider.Provider, len(sealed))
	for slug, s := range sealed {
		c, err := b.client(accountID, slug, s)
		if err != nil {
			// One unusable key (a provider gone from the catalog, a key
			// sealed under a retired operator key) must not cost the
			// account its others.
			b.logger.WarnContext(ctx, "ignoring an account's provider key", "account", accountID, "provider", slug, "error", err)
			continue
		}
		clients[slug] = c
	}
	b.mu.Lock()
	if len(b.cache) >= byokCacheSize {
		for id, e := range b.cache {
			if now.Sub(e.loaded) >= byokTTL {
				delete(b.cache, id)
			}
		}
	}
	b.cache[accountID] = byokEntry{clients: clients, loaded: now}
	b.mu.Unlock()
	return clients, nil
}

// client opens a sealed key and builds its provider's client with it.
func (b *byokClients) client(accountID int64, slug string, sealed []byte) (provider.Provider, error) {
	p := b.cat.Provider(slug)
	if p == nil {
		return nil, fmt.Errorf("provider %q is not in the catalog", slug)
	}
	key, err := b.box.Open(sealed, api.BYOKContext(accountID, slug))
	if err != nil {
		return nil, err
	}
	return b.adapters.New(clientConfig(p, b.declared[slug], string(key), b.http, b.logger))
}

// Forget implements api.BYOKClients.
func (b *byokClients) Forget(accountID int64) {
	b.mu.Lock()
	delete(b.cache, accountID)
	b.mu.Unlock()
}
