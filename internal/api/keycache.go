package api

import (
	"sync"
	"time"
)

// keyCacheTTL is how long an authenticated key is trusted without reading
// it again. Changes made through this server's API (PATCH and DELETE
// /keys/{hash}) apply at once; changes made elsewhere — the CLI, another
// replica — within keyCacheTTL.
const keyCacheTTL = 5 * time.Second

// maxCachedKeys bounds the cache; past it, it starts over.
const maxCachedKeys = 50_000

// keyCache remembers recently authenticated keys with their account, so
// that a busy key costs no database read per request. The account's
// balance is cached with the accountant's flush sequence number taken
// before it was read (caller.seq): the accountant uses it only while no
// flush has happened since, and reads the balance again otherwise (see
// billing.Budget), so a cached balance is never trusted stale.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	c     *caller // read only: requests share it
	until time.Time
}

func newKeyCache() *keyCache { return &keyCache{m: make(map[string]cachedKey)} }

// get returns the cached caller of hash, if it is fresh at now.
func (kc *keyCache) get(hash string, now time.Time) (*caller, bool) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	e, ok := kc.m[hash]
	if !ok || now.After(e.until) {
		return nil, false
	}
	return e.c, true
}

// put caches c until now + keyCacheTTL.
func (kc *keyCache) put(hash string, c *caller, now time.Time) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if len(kc.m) >= maxCachedKeys {
		clear(kc.m)
	}
	kc.m[hash] = cachedKey{c: c, until: now.Add(keyCacheTTL)}
}

// forget drops hash, after its key changed.
func (kc *keyCache) forget(hash string) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	delete(kc.m, hash)
}
