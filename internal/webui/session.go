package webui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"sync"
	"time"
)

// sessionCookie names the cookie holding a session's id.
const sessionCookie = "sy_session"

// session is a signed-in browser. Its key, the API key or management key
// it signed in with, lives in memory only: it is sent to the API in
// process and never rendered or logged.
type session struct {
	id         string
	key        string
	label      string
	management bool
	csrf       string
	created    time.Time
	expires    time.Time

	mu      sync.Mutex
	flashes []flash
	newKey  *createdKey // shown on the next page, once
}

// flash is a message shown once, on the next page the session loads.
type flash struct {
	Error bool
	Text  string
}

// createdKey is a key just created, shown once.
type createdKey struct {
	Name, Key string
}

// LogValue keeps the key out of logs.
func (s *session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("label", s.label), slog.Bool("management", s.management))
}

// addFlash queues a message for the next page.
func (s *session) addFlash(isError bool, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flashes) < 8 {
		s.flashes = append(s.flashes, flash{Error: isError, Text: text})
	}
}

// takeFlashes returns the queued messages and the key just created, and
// forgets them.
func (s *session) takeFlashes() ([]flash, *createdKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, k := s.flashes, s.newKey
	s.flashes, s.newKey = nil, nil
	return f, k
}

// setNewKey keeps a created key for the next page.
func (s *session) setNewKey(k createdKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newKey = &k
}

// checkCSRF reports whether token is the session's CSRF token.
func (s *session) checkCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) == 1
}

// sessions is the bounded in-memory set of sessions by id.
type sessions struct {
	mu    sync.Mutex
	byID  map[string]*session
	max   int
	ttl   time.Duration
	nowFn func() time.Time
}

func newSessions(max int, ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{byID: make(map[string]*session), max: max, ttl: ttl, nowFn: now}
}

// create starts a session for a validated key. When the set is full it
// drops the expired sessions and, if none was, the oldest.
func (ss *sessions) create(key, label string, management bool) *session {
	now := ss.nowFn()
	s := &session{id: randomToken(), key: key, label: label, management: management,
		csrf: randomToken(), created: now, expires: now.Add(ss.ttl)}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= ss.max {
		ss.evictLocked(now)
	}
	ss.byID[s.id] = s
	return s
}

// evictLocked drops expired sessions, or else the oldest one.
func (ss *sessions) evictLocked(now time.Time) {
	var oldest *session
	for id, s := range ss.byID {
		if !now.Before(s.expires) {
			delete(ss.byID, id)
			continue
		}
		if oldest == nil || s.created.Before(oldest.created) {
			oldest = s
		}
	}
	if len(ss.byID) >= ss.max && oldest != nil {
		delete(ss.byID, oldest.id)
	}
}

// get returns the live session with this id, or nil.
func (ss *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	if s == nil {
		return nil
	}
	if !ss.nowFn().Before(s.expires) {
		delete(ss.byID, id)
		return nil
	}
	return s
}

// remove ends a session.
func (ss *sessions) remove(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

// len is the number of sessions held, expired ones included.
func (ss *sessions) len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byID)
}

// randomToken is 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
