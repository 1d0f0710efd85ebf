package router

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Prompt-cache stickiness (openrouter-api.md §4.3): a conversation stays
// on the provider that served it, so that its cached prompt is reused,
// while that provider's cache-read price is below its prompt price and
// provider.order is not set. With an explicit session (session_id,
// x-session-id, prompt_cache_key) stickiness starts on the first success;
// otherwise — the conversation known only by a hash of its first system
// and first other message — it starts after a cache hit. It expires after
// stickyIdle without a request and is never updated by an error.

const (
	stickyIdle = 10 * time.Minute
	// stickyMax bounds the table; past it expired entries are swept and,
	// if that is not enough, an arbitrary entry makes room.
	stickyMax = 100_000
)

type stickyKey struct {
	model string
	conv  uint64
}

type stickyEntry struct {
	provider string
	last     time.Time
}

type stickyTable struct {
	seed maphash.Seed
	mu   sync.Mutex
	m    map[stickyKey]stickyEntry
}

func newStickyTable() *stickyTable {
	return &stickyTable{seed: maphash.MakeSeed(), m: make(map[stickyKey]stickyEntry)}
}

// lookup returns the provider slug the conversation of req sticks to, or
// "".
func (t *stickyTable) lookup(req *openai.ChatRequest, call Call, now time.Time) string {
	k, _, ok := t.key(req, call)
	if !ok {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[k]
	if !ok {
		return ""
	}
	if now.Sub(e.last) > stickyIdle {
		delete(t.m, k)
		return ""
	}
	return e.provider
}

// served notes that candidate c served req successfully with usage u.
func (t *stickyTable) served(req *openai.ChatRequest, call Call, c Candidate, u *openai.Usage, now time.Time) {
	if req.Provider != nil && len(req.Provider.Order) > 0 {
		return
	}
	p := c.Endpoint.Pricing
	if p.InputCacheRead == 0 || p.InputCacheRead >= p.Prompt {
		return // caching saves nothing here: route freely
	}
	k, explicit, ok := t.key(req, call)
	if !ok || (!explicit && u.CachedTokens() == 0) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, exists := t.m[k]; !exists && len(t.m) >= stickyMax {
		t.evict(now)
	}
	t.m[k] = stickyEntry{provider: c.Provider.Slug, last: now}
}

// evict sweeps expired entries, then drops arbitrary ones until there is
// room. The caller holds t.mu.
func (t *stickyTable) evict(now time.Time) {
	for k, e := range t.m {
		if now.Sub(e.last) > stickyIdle {
			delete(t.m, k)
		}
	}
	for k := range t.m {
		if len(t.m) < stickyMax {
			break
		}
		delete(t.m, k)
	}
}

// key returns the conversation's key and whether it was explicit.
func (t *stickyTable) key(req *openai.ChatRequest, call Call) (k stickyKey, explicit, ok bool) {
	k.model = req.Model
	var h maphash.Hash
	h.SetSeed(t.seed)
	switch session := firstNonEmpty(call.Session, req.SessionID, req.PromptCacheKey); {
	case session != "":
		h.WriteString("s:")
		h.WriteString(session)
		explicit = true
	default:
		var system, first *openai.Message
		for i := range req.Messages {
			m := &req.Messages[i]
			switch {
			case (m.Role == "system" || m.Role == "developer") && system == nil:
				system = m
			case m.Role != "system" && m.Role != "developer" && first == nil:
				first = m
			}
		}
		if first == nil {
			return k, false, false
		}
		if system != nil {
			writeExcerpt(&h, system.Content.PlainText())
		}
		h.WriteByte(0)
		writeExcerpt(&h, first.Content.PlainText())
	}
	k.conv = h.Sum64()
	return k, explicit, true
}

// excerptHalf bounds what the key hashes of a long message: its length,
// and its first and last excerptHalf bytes. Hashing a 100 KB prompt whole
// cost 16 µs a request, on every request; two conversations that differ
// only in the middle of a long first message now share a key, which costs
// no more than a routing preference (and a prompt cache shares their
// prefix anyway).
const excerptHalf = 4 << 10

// writeExcerpt writes s, or for a long s its length, head and tail, to h.
func writeExcerpt(h *maphash.Hash, s string) {
	if len(s) <= 2*excerptHalf {
		h.WriteString(s)
		return
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.WriteString(s[:excerptHalf])
	h.WriteString(s[len(s)-excerptHalf:])
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
