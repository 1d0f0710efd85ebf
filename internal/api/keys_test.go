package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai/openaitest"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// newKeysEnv is an env whose model costs $0.001 per output token (prompts
// free) and whose upstream reports 10 output tokens, so that every chat
// request costs $0.01; it returns a management key of e.account too.
func newKeysEnv(t *testing.T, o envOptions) (*env, string) {
	t.Helper()
	fake := providertest.NewOpenAI(t, providertest.WithUsage(providertest.Usage{PromptTokens: 12, CompletionTokens: 10}))
	o.upstreams = []upstream{{slug: "p", fake: fake, prompt: "0", completion: "0.001"}}
	if o.credits == 0 {
		o.credits = money.NanoPerUSD
	}
	e := newEnv(t, o)
	return e, e.adminKey(e.account.ID)
}

// forEachStore runs test on SQLite and on PostgreSQL: usage windows and
// activity days are computed by each store.
func forEachStore(t *testing.T, test func(*testing.T, envOptions)) {
	t.Run("sqlite", func(t *testing.T) { test(t, envOptions{}) })
	t.Run("postgres", func(t *testing.T) { test(t, envOptions{postgres: true}) })
}

// adminKey adds a management key to an account.
func (e *env) adminKey(accountID int64) string {
	e.t.Helper()
	key, hash, label := apikey.New()
	if _, err := e.store.CreateKey(context.Background(), store.NewKey{AccountID: accountID, Hash: hash,
		Name: "admin", Label: label, IsManagement: true}); err != nil {
		e.t.Fatal(err)
	}
	return key.Reveal()
}

// call sends a request with key and returns the body, failing unless the
// status is want; if the spec defines the response, the body must conform
// to it (specPath is the spec's path, "" for none).
func (e *env) call(method, path, body, key string, want int, specPath string) []byte {
	e.t.Helper()
	resp := e.do(method, path, body, key)
	b := readAll(e.t, resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if specPath != "" {
		openaitest.OpenRouter.ValidateResponse(e.t, method, specPath, want, b)
	}
	return b
}

// data decodes a response's "data" object, numbers as json.Number.
func data(t *testing.T, body []byte) map[string]any {
	t.Helper()
	d, ok := decodeMap(t, body)["data"].(map[string]any)
	if !ok {
		t.Fatalf("no data object: %s", body)
	}
	return d
}

// mUSD is a thousandth of a dollar.
const mUSD = money.NanoPerUSD / 1000

// usd reads a JSON number of USD exactly.
func usd(t *testing.T, v any) money.Amount {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	a, err := money.ParseAmount(n.String())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// hashes returns the hashes of a key list, in order.
func hashes(t *testing.T, body []byte) []string {
	t.Helper()
	list, ok := decodeMap(t, body)["data"].([]any)
	if !ok {
		t.Fatalf("no data array: %s", body)
	}
	var out []string
	for _, k := range list {
		out = append(out, k.(map[string]any)["hash"].(string))
	}
	return out
}

func TestKeysCRUD(t *testing.T) {
	e, admin := newKeysEnv(t, envOptions{})
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)

	// Create: the plaintext once, its hash and label in the data.
	body := e.call("POST", "/api/v1/keys", `{"name":" ci ","limit":1.5,"limit_reset":"weekly",
		"include_byok_in_limit":true,"expires_at":"`+expires.Format(time.RFC3339)+`"}`, admin, http.StatusCreated, "/keys")
	created := decodeMap(t, body)
	plain, _ := created["key"].(string)
	if !apikey.LooksValid(plain) {
		t.Fatalf("key %q is not a Switchyard key", plain)
	}
	k := data(t, body)
	hash := apikey.Hash(plain)
	if k["hash"] != hash || k["label"] != apikey.Label(plain) || k["name"] != "ci" || k["disabled"] != false ||
		k["limit_reset"] != "weekly" || k["include_byok_in_limit"] != true || k["expires_at"] != expires.Format(time.RFC3339) {
		t.Errorf("created %v", k)
	}
	if usd(t, k["limit"]) != 1500*mUSD || usd(t, k["limit_remaining"]) != 1500*mUSD || usd(t, k["usage"]) != 0 {
		t.Errorf("limit %v, remaining %v, usage %v", k["limit"], k["limit_remaining"], k["usage"])
	}
	if strings.Contains(string(e.call("GET", "/api/v1/keys/"+hash, "", admin, http.StatusOK, "/keys/{hash}")), plain) {
		t.Error("the plaintext key is shown again")
	}
	stored, err := e.store.Key(context.Background(), hash)
	if err != nil || stored.AccountID != e.account.ID || stored.IsManagement {
		t.Fatalf("stored %+v %v: want an inference key of the account", stored, err)
	}

	// The new key calls models and spends the account's credits.
	if resp := e.do("POST", "/api/v1/chat/completions", chatBody, plain); resp.StatusCode != http.StatusOK {
		t.Fatalf("chat with the new key: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	k = data(t, e.call("GET", "/v1/keys/"+hash, "", admin, http.StatusOK, "/keys/{hash}"))
	if usd(t, k["usage"]) != 10*mUSD || usd(t, k["limit_remaining"]) != 1490*mUSD {
		t.Errorf("after a $0.01 request: usage %v, limit_remaining %v", k["usage"], k["limit_remaining"])
	}

	// The list has the account's inference keys, oldest first; never its
	// management key.
	list := e.call("GET", "/api/v1/keys", "", admin, http.StatusOK, "/keys")
	if got, want := hashes(t, list), []string{apikey.Hash(e.key), hash}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %v, want %v", got, want)
	}
	if got := hashes(t, e.call("GET", "/api/v1/keys?offset=1", "", admin, http.StatusOK, "/keys")); len(got) != 1 || got[0] != hash {
		t.Errorf("offset=1 listed %v", got)
	}
	if got := hashes(t, e.call("GET", "/api/v1/keys?offset=2", "", admin, http.StatusOK, "/keys")); len(got) != 0 {
		t.Errorf("offset=2 listed %v", got)
	}

	// Update: each field sent changes; null removes.
	body = e.call("PATCH", "/api/v1/keys/"+hash, `{"name":"ci-2","disabled":true,"limit":null,"limit_reset":null,
		"include_byok_in_limit":false,"expires_at":null}`, admin, http.StatusOK, "/keys/{hash}")
	k = data(t, body)
	if k["name"] != "ci-2" || k["disabled"] != true || k["limit"] != nil || k["limit_remaining"] != nil ||
		k["limit_reset"] != nil || k["include_byok_in_limit"] != false || k["expires_at"] != nil {
		t.Errorf("updated %v", k)
	}
	if k["label"] != apikey.Label(plain) || usd(t, k["usage"]) != 10*mUSD {
		t.Errorf("an update changed the label or usage: %v", k)
	}
	errorEnvelope(t, e.do("GET", "/api/v1/key", "", plain), http.StatusUnauthorized)
	if got := hashes(t, e.call("GET", "/api/v1/keys", "", admin, http.StatusOK, "/keys")); len(got) != 1 {
		t.Errorf("disabled key listed by default: %v", got)
	}
	if got := hashes(t, e.call("GET", "/api/v1/keys?include_disabled=true", "", admin, http.StatusOK, "/keys")); len(got) != 2 {
		t.Errorf("include_disabled=true listed %v", got)
	}
	k = data(t, e.call("PATCH", "/api/v1/keys/"+hash, `{"disabled":false,"limit":0.02}`, admin, http.StatusOK, "/keys/{hash}"))
	if k["disabled"] != false || usd(t, k["limit_remaining"]) != 10*mUSD || k["name"] != "ci-2" {
		t.Errorf("re-enabled %v", k)
	}
	e.call("GET", "/api/v1/key", "", plain, http.StatusOK, "/key")

	// Delete: gone for every endpoint, and the key no longer works.
	body = e.call("DELETE", "/api/v1/keys/"+hash, "", admin, http.StatusOK, "/keys/{hash}")
	if d := decodeMap(t, body); d["deleted"] != true {
		t.Errorf("delete answered %s", body)
	}
	for _, method := range []string{"GET", "DELETE"} {
		errorEnvelope(t, e.do(method, "/api/v1/keys/"+hash, "", admin), http.StatusNotFound)
	}
	errorEnvelope(t, e.do("PATCH", "/api/v1/keys/"+hash, `{"name":"x"}`, admin), http.StatusNotFound)
	errorEnvelope(t, e.do("GET", "/api/v1/key", "", plain), http.StatusUnauthorized)
	if got := hashes(t, e.call("GET", "/api/v1/keys?include_disabled=1", "", admin, http.StatusOK, "/keys")); len(got) != 1 {
		t.Errorf("deleted key listed: %v", got)
	}
}

// TestKeysAuthorization: /keys and /activity need a management key, and
// one account's management key cannot see or touch another's keys, nor
// any management key.
func TestKeysAuthorization(t *testing.T) {
	e, admin := newKeysEnv(t, envOptions{})
	hash := apikey.Hash(e.key)
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/api/v1/keys", ""},
		{"POST", "/api/v1/keys", `{"name":"x"}`},
		{"GET", "/api/v1/keys/" + hash, ""},
		{"PATCH", "/api/v1/keys/" + hash, `{"disabled":true}`},
		{"DELETE", "/api/v1/keys/" + hash, ""},
		{"GET", "/api/v1/activity", ""},
		{"GET", "/v1/keys", ""},
	} {
		t.Run(tt.method+" "+strings.Replace(tt.path, hash, "{hash}", 1), func(t *testing.T) {
			resp := e.do(tt.method, tt.path, tt.body, e.key)
			if got := errorEnvelope(t, resp, http.StatusForbidden)["metadata"].(map[string]any)["error_type"]; got != "permission_denied" {
				t.Errorf("error_type %v", got)
			}
			errorEnvelope(t, e.do(tt.method, tt.path, tt.body, ""), http.StatusUnauthorized)
		})
	}
	// POST /keys defines its 403.
	e.call("POST", "/api/v1/keys", `{"name":"x"}`, e.key, http.StatusForbidden, "/keys")

	other, _ := e.newKey(money.NanoPerUSD)
	_, otherAccount, err := e.store.KeyByHash(context.Background(), apikey.Hash(other))
	if err != nil {
		t.Fatal(err)
	}
	stranger := e.adminKey(otherAccount.ID)
	unknown := strings.Repeat("ab", 32)
	for _, h := range []string{hash, apikey.Hash(admin), apikey.Hash(stranger), unknown, "not-a-hash"} {
		// The account's own management key is not reachable either.
		who := stranger
		if h == apikey.Hash(admin) || h == apikey.Hash(stranger) {
			who = admin
		}
		e.call("GET", "/api/v1/keys/"+h, "", who, http.StatusNotFound, "/keys/{hash}")
		e.call("PATCH", "/api/v1/keys/"+h, `{"disabled":true}`, who, http.StatusNotFound, "/keys/{hash}")
		e.call("DELETE", "/api/v1/keys/"+h, "", who, http.StatusNotFound, "/keys/{hash}")
	}
	if got := hashes(t, e.call("GET", "/api/v1/keys", "", stranger, http.StatusOK, "/keys")); len(got) != 1 || got[0] != apikey.Hash(other) {
		t.Errorf("the other account lists %v", got)
	}
	// Nothing the stranger tried changed the account's key.
	if resp := e.post("/api/v1/chat/completions", chatBody); resp.StatusCode != http.StatusOK {
		t.Errorf("the account's key after another account's attempts: %d", resp.StatusCode)
	}
	e.call("GET", "/api/v1/key", "", admin, http.StatusOK, "/key")
}

func TestKeysValidation(t *testing.T) {
	e, admin := newKeysEnv(t, envOptions{})
	hash := apikey.Hash(e.key)
	long := strings.Repeat("é", 257)
	tests := []struct {
		name, method, path, body, want string
	}{
		{"no name", "POST", "/keys", `{"limit":1}`, "name is required"},
		{"empty name", "POST", "/keys", `{"name":"  "}`, "name must not be empty"},
		{"long name", "POST", "/keys", `{"name":"` + long + `"}`, "257 characters long; the most is 256"},
		{"negative limit", "POST", "/keys", `{"name":"x","limit":-1}`, "limit -1 is negative"},
		{"string limit", "POST", "/keys", `{"name":"x","limit":"5"}`, `limit must be a number of USD or null, not "5"`},
		{"too precise limit", "POST", "/keys", `{"name":"x","limit":0.0000000001}`, "more than 9 decimal places"},
		{"bad reset", "POST", "/keys", `{"name":"x","limit_reset":"yearly"}`, `limit_reset must be "daily", "weekly", "monthly" or null, not "yearly"`},
		{"empty reset", "POST", "/keys", `{"name":"x","limit_reset":""}`, `limit_reset must be`},
		{"past expiry", "POST", "/keys", `{"name":"x","expires_at":"2001-01-01T00:00:00Z"}`, "expires_at 2001-01-01T00:00:00Z is not in the future"},
		{"bad expiry", "POST", "/keys", `{"name":"x","expires_at":"tomorrow"}`, "RFC 3339"},
		{"numeric expiry", "POST", "/keys", `{"name":"x","expires_at":1893456000}`, "RFC 3339"},
		{"unknown field", "POST", "/keys", `{"name":"x","credits":5}`, `unknown field "credits"`},
		{"management", "POST", "/keys", `{"name":"x","is_management":true}`, `unknown field "is_management"`},
		{"not JSON", "POST", "/keys", `{"name":`, "invalid request body"},
		{"nothing", "PATCH", "/keys/" + hash, `{}`, "nothing to update"},
		{"patch negative", "PATCH", "/keys/" + hash, `{"limit":-0.5}`, "negative"},
		{"patch empty name", "PATCH", "/keys/" + hash, `{"name":""}`, "name must not be empty"},
		{"patch past expiry", "PATCH", "/keys/" + hash, `{"expires_at":"2020-05-01T10:00:00+02:00"}`, "not in the future"},
		{"patch unknown", "PATCH", "/keys/" + hash, `{"label":"x"}`, `unknown field "label"`},
		{"offset", "GET", "/keys?offset=-1", ``, "offset must be a non-negative integer"},
		{"include_disabled", "GET", "/keys?include_disabled=maybe", ``, "include_disabled must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := e.call(tt.method, "/api/v1"+tt.path, tt.body, admin, http.StatusBadRequest, "")
			spec := tt.path
			if strings.HasPrefix(spec, "/keys/") {
				spec = "/keys/{hash}"
			}
			openaitest.OpenRouter.ValidateResponse(t, tt.method, strings.Split(spec, "?")[0], http.StatusBadRequest, body)
			errBody := decodeMap(t, body)["error"].(map[string]any)
			if msg := errBody["message"].(string); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q", msg, tt.want)
			}
			if got := errBody["metadata"].(map[string]any)["error_type"]; got != "invalid_request" {
				t.Errorf("error_type %v", got)
			}
		})
	}
	// Nothing invalid was stored, and the limits of what is valid pass.
	k, err := e.store.Key(context.Background(), hash)
	if err != nil || k.Name != "test" || k.Limit != nil || k.ExpiresAt != nil {
		t.Errorf("key after refused updates: %+v %v", k, err)
	}
	if got := hashes(t, e.call("GET", "/api/v1/keys", "", admin, http.StatusOK, "/keys")); len(got) != 1 {
		t.Errorf("refused creations stored keys: %v", got)
	}
	d := data(t, e.call("POST", "/api/v1/keys", `{"name":"`+long[2:]+`","limit":0.000000001,"limit_reset":null,"expires_at":null}`,
		admin, http.StatusCreated, "/keys"))
	if usd(t, d["limit"]) != 1 || d["limit_reset"] != nil || d["expires_at"] != nil {
		t.Errorf("created %v", d)
	}
	d = data(t, e.call("PATCH", "/api/v1/keys/"+hash, `{"limit":0,"expires_at":"2999-01-01T01:00:00+01:00"}`, admin, http.StatusOK, "/keys/{hash}"))
	if usd(t, d["limit"]) != 0 || usd(t, d["limit_remaining"]) != 0 || d["expires_at"] != "2999-01-01T00:00:00Z" {
		t.Errorf("updated %v", d)
	}
}

// TestCurrentKey: GET /key reports the calling key's usage by UTC window,
// the BYOK part, its limit, tier and rate limit, including a request
// charged a moment ago.
func TestCurrentKey(t *testing.T) { forEachStore(t, testCurrentKey) }

func testCurrentKey(t *testing.T, o envOptions) {
	// Generations are written only when a handler flushes them.
	o.options = func(o *Options) { o.RequestsPerMinute, o.FlushInterval = 7, time.Hour }
	e, admin := newKeysEnv(t, o)
	// Wednesday 12 March 2031: the week began on Monday the 10th.
	now := time.Date(2031, 3, 12, 15, 4, 5, 0, time.UTC)
	e.api.now = func() time.Time { return now }
	limit := 50 * mUSD
	key, hash, label := apikey.New()
	if _, err := e.store.CreateKey(context.Background(), store.NewKey{AccountID: e.account.ID, Hash: hash, Name: "capped",
		Label: label, Limit: &limit, LimitReset: store.LimitResetMonthly}); err != nil {
		t.Fatal(err)
	}

	resp := e.do("POST", "/api/v1/chat/completions", chatBody, key.Reveal())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	// No flush here: GET /key must see the request by itself.
	k := data(t, e.call("GET", "/api/v1/key", "", key.Reveal(), http.StatusOK, "/key"))
	g := e.generation(resp.Header.Get("X-Generation-Id"))
	if g.Cost != 10*mUSD {
		t.Fatalf("generation cost $%s, want $0.01", g.Cost)
	}
	for _, f := range []string{"usage", "usage_daily", "usage_weekly", "usage_monthly"} {
		if got := usd(t, k[f]); got != g.Cost {
			t.Errorf("%s $%s, want the generation's $%s", f, got, g.Cost)
		}
	}
	if usd(t, k["limit"]) != limit || usd(t, k["limit_remaining"]) != limit-g.Cost || k["limit_reset"] != "monthly" {
		t.Errorf("limit %v remaining %v reset %v", k["limit"], k["limit_remaining"], k["limit_reset"])
	}
	if k["label"] != label || k["is_free_tier"] != true || k["is_management_key"] != false || k["expires_at"] != nil {
		t.Errorf("key %v", k)
	}
	if rl := k["rate_limit"].(map[string]any); rl["requests"] != json.Number("7") || rl["interval"] != "1m" {
		t.Errorf("rate_limit %v", rl)
	}

	// Earlier charges fall in the windows they belong to; BYOK ones count
	// toward the limit only if the key says so.
	record := func(id string, at time.Time, cost money.Amount, byok bool) {
		t.Helper()
		if err := e.store.RecordGeneration(context.Background(), store.Generation{ID: id, AccountID: e.account.ID,
			KeyHash: hash, Model: modelA, Cost: cost, IsBYOK: byok, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	record("gen-monday", time.Date(2031, 3, 10, 0, 0, 0, 0, time.UTC), 1, false)
	record("gen-month", time.Date(2031, 3, 9, 23, 59, 59, 0, time.UTC), 20, false)
	record("gen-feb", time.Date(2031, 2, 28, 23, 59, 59, 0, time.UTC), 300, false)
	record("gen-byok", now.Add(-time.Hour), 4000, true)
	k = data(t, e.call("GET", "/api/v1/key", "", key.Reveal(), http.StatusOK, "/key"))
	want := map[string]money.Amount{
		"usage": g.Cost + 4321, "usage_daily": g.Cost + 4000, "usage_weekly": g.Cost + 4001, "usage_monthly": g.Cost + 4021,
		"byok_usage": 4000, "byok_usage_daily": 4000, "byok_usage_weekly": 4000, "byok_usage_monthly": 4000,
		"limit_remaining": limit - g.Cost - 21,
	}
	for f, w := range want {
		if got := usd(t, k[f]); got != w {
			t.Errorf("%s $%s, want $%s", f, got, w)
		}
	}
	d := data(t, e.call("PATCH", "/api/v1/keys/"+hash, `{"include_byok_in_limit":true,"limit_reset":"daily"}`, admin, http.StatusOK, "/keys/{hash}"))
	if got := usd(t, d["limit_remaining"]); got != limit-g.Cost-4000 {
		t.Errorf("daily limit with BYOK: remaining $%s, want $%s", got, limit-g.Cost-4000)
	}
	if got := usd(t, d["usage_weekly"]); got != g.Cost+4001 {
		t.Errorf("GET /keys/{hash} usage_weekly $%s", got)
	}

	// A purchase ends the free tier; a management key reports itself.
	if _, err := e.store.AddPurchase(context.Background(), e.account.ID, money.NanoPerUSD, 0, "ref-1", ""); err != nil {
		t.Fatal(err)
	}
	k = data(t, e.call("GET", "/api/v1/key", "", admin, http.StatusOK, "/key"))
	if k["is_free_tier"] != false || k["is_management_key"] != true || usd(t, k["usage"]) != 0 || k["limit"] != nil {
		t.Errorf("management key %v", k)
	}
}

// TestKeyNoRateLimit: without a per-key limit, rate_limit.requests is -1.
func TestKeyNoRateLimit(t *testing.T) {
	e, _ := newKeysEnv(t, envOptions{})
	k := data(t, e.call("GET", "/api/v1/key", "", e.key, http.StatusOK, "/key"))
	if rl := k["rate_limit"].(map[string]any); rl["requests"] != json.Number("-1") {
		t.Errorf("rate_limit %v", rl)
	}
}

func TestCredits(t *testing.T) {
	e, admin := newKeysEnv(t, envOptions{credits: 3 * money.NanoPerUSD,
		options: func(o *Options) { o.FlushInterval = time.Hour }}) // written when a handler flushes
	var ids []string
	for range 2 {
		resp := e.post("/api/v1/chat/completions", chatBody)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("chat: %d", resp.StatusCode)
		}
		ids = append(ids, resp.Header.Get("X-Generation-Id"))
	}
	if _, err := e.store.AddPurchase(context.Background(), e.account.ID, 10*money.NanoPerUSD, money.NanoPerUSD/2, "ref-1", ""); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{e.key, admin} {
		d := data(t, e.call("GET", "/api/v1/credits", "", key, http.StatusOK, "/credits"))
		if got, want := usd(t, d["total_credits"]), 12500*mUSD; got != want {
			t.Errorf("total_credits $%s, want $%s ($3 + $10 − $0.50 fee)", got, want)
		}
		var cost money.Amount
		for _, id := range ids {
			cost += e.generation(id).Cost
		}
		if got := usd(t, d["total_usage"]); got != cost || cost != 20*mUSD {
			t.Errorf("total_usage $%s, want the generations' $%s", got, cost)
		}
	}
	errorEnvelope(t, e.do("GET", "/v1/credits", "", ""), http.StatusUnauthorized)
}
