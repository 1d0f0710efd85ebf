package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/billing"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// The account endpoints, as OpenRouter has them:
//
//   - GET /credits and GET /key answer any key, about its account and
//     itself.
//   - /keys manages the account's inference keys with a management key.
//     Management keys themselves are made and revoked with the operator
//     CLI (switchyard keys): they are neither listed nor reachable here,
//     so no API call can disable or delete the account's way in.
//   - GET /activity (activity.go) reports the account's use per day.
//
// Money is rendered as JSON numbers in USD with exact decimals
// (money.Amount's MarshalJSON). Switchyard has neither users nor
// workspaces: creator_user_id is always null and workspace_id, which
// OpenRouter's schema requires, is the account's id.

// keyPageSize is how many keys GET /keys returns from its offset.
const keyPageSize = 100

// maxKeyName bounds a key's name, in characters.
const maxKeyName = 256

// keyRoutes registers the account endpoints under /api/v1 and /v1.
func (s *Server) keyRoutes(mux *http.ServeMux) {
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("GET "+prefix+"/credits", s.handle(s.credits))
		mux.Handle("GET "+prefix+"/key", s.handle(s.currentKey))
		mux.Handle("GET "+prefix+"/keys", s.handle(s.listKeys))
		mux.Handle("POST "+prefix+"/keys", s.handle(s.createKey))
		mux.Handle("GET "+prefix+"/keys/{hash}", s.handle(s.getKey))
		mux.Handle("PATCH "+prefix+"/keys/{hash}", s.handle(s.updateKey))
		mux.Handle("DELETE "+prefix+"/keys/{hash}", s.handle(s.deleteKey))
		mux.Handle("GET "+prefix+"/activity", s.handle(s.activity))
	}
}

// GET /credits: the key's account's credits ever added and usage ever
// charged, in USD.
func (s *Server) credits(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.flush(r.Context()); err != nil {
		return err
	}
	a, err := s.store.Account(r.Context(), c.account.ID)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading the account")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"total_credits": a.TotalCredits, "total_usage": a.TotalUsage,
	}})
	return nil
}

// flush writes the generations settled so far, so that what a client reads
// next includes the requests it has just made.
func (s *Server) flush(ctx context.Context) error {
	if err := s.Flush(ctx); err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while recording recent generations")
	}
	return nil
}

// keyUsage is what a key has been charged, in USD: in all, and in the
// current UTC day, week (from Monday) and month. Usage is every charge,
// BYOK generations' fees included, as OpenRouter's usage is every credit
// spent. BYOKUsage is the part of it charged for BYOK generations:
// Switchyard never sees the provider's own bill for them, which is what
// OpenRouter reports there.
type keyUsage struct {
	Usage            money.Amount `json:"usage"`
	UsageDaily       money.Amount `json:"usage_daily"`
	UsageWeekly      money.Amount `json:"usage_weekly"`
	UsageMonthly     money.Amount `json:"usage_monthly"`
	BYOKUsage        money.Amount `json:"byok_usage"`
	BYOKUsageDaily   money.Amount `json:"byok_usage_daily"`
	BYOKUsageWeekly  money.Amount `json:"byok_usage_weekly"`
	BYOKUsageMonthly money.Amount `json:"byok_usage_monthly"`
}

// keyLimits is a key's spending limit as both key objects show it.
type keyLimits struct {
	Limit *money.Amount `json:"limit"`
	// LimitRemaining is what the key may still spend in the current
	// window, never below zero (generations in flight when the limit was
	// reached may overshoot it); null without a limit.
	LimitRemaining     *money.Amount `json:"limit_remaining"`
	LimitReset         *string       `json:"limit_reset"`
	IncludeBYOKInLimit bool          `json:"include_byok_in_limit"`
}

// keyJSON is a key as /keys returns it.
type keyJSON struct {
	Hash     string `json:"hash"`
	Name     string `json:"name"`
	Label    string `json:"label"`
	Disabled bool   `json:"disabled"`
	keyLimits
	keyUsage
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ExpiresAt     *time.Time `json:"expires_at"`
	CreatorUserID *string    `json:"creator_user_id"`
	WorkspaceID   string     `json:"workspace_id"`
}

// currentKeyJSON is the calling key as GET /key returns it.
type currentKeyJSON struct {
	Label string `json:"label"`
	keyLimits
	keyUsage
	IsFreeTier        bool          `json:"is_free_tier"`
	IsManagementKey   bool          `json:"is_management_key"`
	IsProvisioningKey bool          `json:"is_provisioning_key"` // OpenRouter's former name
	ExpiresAt         *time.Time    `json:"expires_at"`
	CreatorUserID     *string       `json:"creator_user_id"`
	RateLimit         rateLimitJSON `json:"rate_limit"`
}

// rateLimitJSON is the key's request rate limit; Requests is -1 without
// one, as OpenRouter reports.
type rateLimitJSON struct {
	Requests int    `json:"requests"`
	Interval string `json:"interval"`
	Note     string `json:"note"`
}

// usageWindows are the periods of keyUsage, lifetime first, by the
// LimitReset constant that names each.
var usageWindows = [...]string{store.LimitResetNever, store.LimitResetDaily, store.LimitResetWeekly, store.LimitResetMonthly}

// keyState reads k's usage and limits as of now. Its errors are the
// store's.
func (s *Server) keyState(ctx context.Context, k store.Key, now time.Time) (keyUsage, keyLimits, error) {
	var since [len(usageWindows)]time.Time
	for i, period := range usageWindows {
		since[i] = billing.WindowStart(period, now)
	}
	spend, err := s.store.KeyUsage(ctx, k.Hash, since[:])
	if err != nil {
		return keyUsage{}, keyLimits{}, err
	}
	var all, own [len(usageWindows)]money.Amount
	for i, sp := range spend {
		all[i], own[i] = sp.All, sp.All-sp.BYOK
	}
	u := keyUsage{
		Usage: all[0], UsageDaily: all[1], UsageWeekly: all[2], UsageMonthly: all[3],
		BYOKUsage: all[0] - own[0], BYOKUsageDaily: all[1] - own[1],
		BYOKUsageWeekly: all[2] - own[2], BYOKUsageMonthly: all[3] - own[3],
	}
	l := keyLimits{Limit: k.Limit, LimitReset: nullable(k.LimitReset), IncludeBYOKInLimit: k.IncludeBYOKInLimit}
	if k.Limit != nil {
		// The window the accountant enforces the limit over (see budget).
		spent := own
		if k.IncludeBYOKInLimit {
			spent = all
		}
		i := 0
		for j, period := range usageWindows {
			if period == k.LimitReset {
				i = j
			}
		}
		left := max(*k.Limit-spent[i], 0)
		l.LimitRemaining = &left
	}
	return u, l, nil
}

// keyOut renders a key of /keys. Its errors are the store's.
func (s *Server) keyOut(ctx context.Context, k store.Key, now time.Time) (keyJSON, error) {
	u, l, err := s.keyState(ctx, k, now)
	if err != nil {
		return keyJSON{}, err
	}
	return keyJSON{
		Hash: k.Hash, Name: k.Name, Label: k.Label, Disabled: k.Disabled,
		keyLimits: l, keyUsage: u,
		CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, ExpiresAt: k.ExpiresAt,
		WorkspaceID: strconv.FormatInt(k.AccountID, 10),
	}, nil
}

// GET /key: the calling key (inference or management) and its usage.
func (s *Server) currentKey(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.flush(r.Context()); err != nil {
		return err
	}
	k := c.key
	u, l, err := s.keyState(r.Context(), k, s.now())
	if err != nil {
		return keyStoreError(err, "reading the key's usage")
	}
	purchased, err := s.store.TotalPurchased(r.Context(), k.AccountID)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading the account's purchases")
	}
	rl := rateLimitJSON{Requests: -1, Interval: "1m", Note: "no per-key request rate limit is configured"}
	if s.rpm > 0 {
		rl = rateLimitJSON{Requests: s.rpm, Interval: "1m",
			Note: "inference requests per minute per key; free variants (:free) are also limited per account"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": currentKeyJSON{
		Label: k.Label, keyLimits: l, keyUsage: u,
		IsFreeTier: purchased == 0, IsManagementKey: k.IsManagement, IsProvisioningKey: k.IsManagement,
		ExpiresAt: k.ExpiresAt, RateLimit: rl,
	}})
	return nil
}

// GET /keys[?include_disabled=true][&offset=N]: the account's inference
// keys, oldest first, keyPageSize from offset; disabled ones only when
// asked for.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	c, err := s.manage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	includeDisabled := false
	if v := q.Get("include_disabled"); v != "" {
		if includeDisabled, err = strconv.ParseBool(v); err != nil {
			return keyInvalid("include_disabled must be true or false, not %q", v)
		}
	}
	offset := 0
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return keyInvalid("offset must be a non-negative integer, not %q", v)
		}
	}
	if err := s.flush(r.Context()); err != nil {
		return err
	}
	keys, err := s.store.ListKeys(r.Context(), c.account.ID)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while listing keys")
	}
	now := s.now()
	out := []keyJSON{}
	for _, k := range keys {
		if k.IsManagement || (k.Disabled && !includeDisabled) {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		if len(out) == keyPageSize {
			break
		}
		kj, err := s.keyOut(r.Context(), k, now)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since it was listed
		}
		if err != nil {
			return keyStoreError(err, "reading the key's usage")
		}
		out = append(out, kj)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// POST /keys {name, limit?, limit_reset?, include_byok_in_limit?,
// expires_at?}: a new inference key of the account. Its plaintext is in
// the response's "key", shown this once: only its hash is stored.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	c, err := s.manage(r)
	if err != nil {
		return err
	}
	var in struct {
		Name               *string         `json:"name"`
		Limit              json.RawMessage `json:"limit"`
		LimitReset         json.RawMessage `json:"limit_reset"`
		IncludeBYOKInLimit *bool           `json:"include_byok_in_limit"`
		ExpiresAt          json.RawMessage `json:"expires_at"`
	}
	if err := s.decodeStrict(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return keyInvalid("name is required")
	}
	now := s.now()
	nk := store.NewKey{AccountID: c.account.ID}
	if nk.Name, err = checkKeyName(*in.Name); err != nil {
		return err
	}
	if nk.Limit, err = parseLimit(in.Limit); err != nil {
		return err
	}
	if nk.LimitReset, err = parseLimitReset(in.LimitReset); err != nil {
		return err
	}
	if nk.ExpiresAt, err = parseExpiry(in.ExpiresAt, now); err != nil {
		return err
	}
	if in.IncludeBYOKInLimit != nil {
		nk.IncludeBYOKInLimit = *in.IncludeBYOKInLimit
	}
	plain, hash, label := apikey.New()
	nk.Hash, nk.Label = hash, label
	k, err := s.store.CreateKey(r.Context(), nk)
	if err != nil {
		return keyStoreError(err, "creating the key")
	}
	kj, err := s.keyOut(r.Context(), k, now)
	if err != nil {
		return keyStoreError(err, "reading the new key")
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": kj, "key": plain.Reveal()})
	return nil
}

// GET /keys/{hash}: one of the account's inference keys.
func (s *Server) getKey(w http.ResponseWriter, r *http.Request) error {
	_, k, err := s.managedKey(r)
	if err != nil {
		return err
	}
	return s.writeKey(w, r, k, s.now())
}

// PATCH /keys/{hash} {name?, disabled?, limit?, limit_reset?,
// include_byok_in_limit?, expires_at?}: changes the fields sent; a null
// limit, limit_reset or expires_at removes it.
func (s *Server) updateKey(w http.ResponseWriter, r *http.Request) error {
	_, k, err := s.managedKey(r)
	if err != nil {
		return err
	}
	var in struct {
		Name               *string         `json:"name"`
		Disabled           *bool           `json:"disabled"`
		Limit              json.RawMessage `json:"limit"`
		LimitReset         json.RawMessage `json:"limit_reset"`
		IncludeBYOKInLimit *bool           `json:"include_byok_in_limit"`
		ExpiresAt          json.RawMessage `json:"expires_at"`
	}
	if err := s.decodeStrict(w, r, &in); err != nil {
		return err
	}
	now := s.now()
	u := store.KeyUpdate{Disabled: in.Disabled, IncludeBYOKInLimit: in.IncludeBYOKInLimit}
	if in.Name != nil {
		name, err := checkKeyName(*in.Name)
		if err != nil {
			return err
		}
		u.Name = &name
	}
	if in.Limit != nil {
		limit, err := parseLimit(in.Limit)
		if err != nil {
			return err
		}
		u.Limit = &limit
	}
	if in.LimitReset != nil {
		reset, err := parseLimitReset(in.LimitReset)
		if err != nil {
			return err
		}
		u.LimitReset = &reset
	}
	if in.ExpiresAt != nil {
		expiry, err := parseExpiry(in.ExpiresAt, now)
		if err != nil {
			return err
		}
		u.ExpiresAt = &expiry
	}
	if u == (store.KeyUpdate{}) {
		return keyInvalid("nothing to update: send name, disabled, limit, limit_reset, include_byok_in_limit or expires_at")
	}
	hash := k.Hash
	k, err = s.store.UpdateKey(r.Context(), hash, u)
	s.keys.forget(hash) // after the write: a request in between cannot cache the old key
	if err != nil {
		return keyStoreError(err, "updating the key")
	}
	return s.writeKey(w, r, k, now)
}

// writeKey writes k with its usage as of now, once every settled
// generation is recorded.
func (s *Server) writeKey(w http.ResponseWriter, r *http.Request, k store.Key, now time.Time) error {
	if err := s.flush(r.Context()); err != nil {
		return err
	}
	kj, err := s.keyOut(r.Context(), k, now)
	if err != nil {
		return keyStoreError(err, "reading the key's usage")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": kj})
	return nil
}

// DELETE /keys/{hash}: deletes the key. Its generations, and its name in
// the account's activity, remain.
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	_, k, err := s.managedKey(r)
	if err != nil {
		return err
	}
	err = s.store.DeleteKey(r.Context(), k.Hash)
	s.keys.forget(k.Hash)
	if err != nil {
		return keyStoreError(err, "deleting the key")
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
	return nil
}

// managedKey authenticates a management key and returns the inference key
// the path names, if it is one of the caller's account. Any other key is
// not found, whether or not it exists.
func (s *Server) managedKey(r *http.Request) (*caller, store.Key, error) {
	c, err := s.manage(r)
	if err != nil {
		return c, store.Key{}, err
	}
	hash := r.PathValue("hash")
	k, err := s.store.Key(r.Context(), hash)
	if err == nil && (k.AccountID != c.account.ID || k.IsManagement) {
		err = store.ErrNotFound
	}
	if err != nil {
		return c, store.Key{}, keyStoreError(err, "reading the key")
	}
	return c, k, nil
}

// checkKeyName returns a key name without surrounding space, or the 400 of
// an empty or overlong one.
func checkKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", keyInvalid("name must not be empty")
	case n > maxKeyName:
		return "", keyInvalid("name is %d characters long; the most is %d", n, maxKeyName)
	}
	return name, nil
}

// parseLimit parses a limit field: null (or absent) for none, else a
// non-negative JSON number of USD, exact to the nano-dollar.
func parseLimit(raw json.RawMessage) (*money.Amount, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	if s[0] != '-' && (s[0] < '0' || s[0] > '9') {
		return nil, keyInvalid("limit must be a number of USD or null, not %s", s)
	}
	a, err := money.ParseAmount(s)
	switch {
	case errors.Is(err, money.ErrRange):
		return nil, keyInvalid("limit %s is out of range or has more than 9 decimal places", s)
	case err != nil:
		return nil, keyInvalid("limit must be a number of USD or null, not %s", s)
	case a < 0:
		return nil, keyInvalid("limit %s is negative; it must be at least 0", s)
	}
	return &a, nil
}

// parseLimitReset parses a limit_reset field: null (or absent) for never,
// else "daily", "weekly" or "monthly".
func parseLimitReset(raw json.RawMessage) (string, error) {
	if raw == nil || string(raw) == "null" {
		return store.LimitResetNever, nil
	}
	var reset string
	if err := json.Unmarshal(raw, &reset); err != nil || reset == store.LimitResetNever || !store.ValidLimitReset(reset) {
		return "", keyInvalid(`limit_reset must be "daily", "weekly", "monthly" or null, not %s`, raw)
	}
	return reset, nil
}

// parseExpiry parses an expires_at field: null (or absent) for never,
// else an RFC 3339 time after now.
func parseExpiry(raw json.RawMessage, now time.Time) (*time.Time, error) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, keyInvalid("expires_at must be an RFC 3339 time such as \"2030-12-31T23:59:59Z\", or null, not %s", raw)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, keyInvalid("expires_at must be an RFC 3339 time such as \"2030-12-31T23:59:59Z\", or null, not %q", s)
	}
	if !t.After(now) {
		return nil, keyInvalid("expires_at %s is not in the future", s)
	}
	t = t.UTC()
	return &t, nil
}

// keyStoreError maps a store error about a key to the client's.
func keyStoreError(err error, doing string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apierr.New(apierr.NotFound, "API key not found").With("error_type", "not_found")
	case errors.Is(err, store.ErrInvalid):
		return apierr.Wrap(apierr.InvalidRequest, err, "invalid key settings").With("error_type", "invalid_request")
	}
	return apierr.Wrap(apierr.Internal, err, "internal error while "+doing)
}

// keyInvalid is a 400 with the given client message.
func keyInvalid(format string, args ...any) error {
	return apierr.New(apierr.InvalidRequest, format, args...).With("error_type", "invalid_request")
}
