package webui

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/api"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/payments"
)

// TestPages loads every page signed in and checks its key content and
// the security headers.
func TestPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	mgmt := e.client()
	mgmt.signIn(e.mgmt)
	user := e.client()
	user.signIn(e.key)
	anon := e.client()
	for _, tc := range []struct {
		c    *client
		path string
		want []string
	}{
		{anon, "/", []string{"<h1>Models</h1>", `aria-label="Pages of models"`, `name="q"`, `name="modality"`,
			`name="min_context"`, `name="max_price"`, `name="param"`, `name="provider"`, `name="sort"`}},
		{anon, "/models?q=gpt-4o-mini", []string{"openai/gpt-4o-mini"}},
		{anon, "/models/openai/gpt-4o-mini", []string{"GPT-4o Mini", "Simulated Alpha (demo)", "Quantization",
			"p50 latency", "/api/v1/chat/completions", "from openai import OpenAI", `import OpenAI from "openai"`}},
		{anon, "/playground", []string{"<h1>Playground</h1>", "Sign in with an API key to chat", "<noscript>"}},
		{anon, "/rankings", []string{"shown to management keys only"}},
		{anon, "/signin", []string{`name="key"`, `type="password"`}},
		{mgmt, "/rankings", []string{"Models over time", "Top apps", "Task categories", "Trending", "Providers", "Value"}},
		{mgmt, "/activity", []string{"<h1>Activity</h1>", `href="/activity.csv"`, "By model", "By key"}},
		{mgmt, "/keys", []string{"<h1>API keys</h1>", "app key", `name="limit_reset"`, `name="expires_at"`}},
		{mgmt, "/credits", []string{"<h1>Credits</h1>", "$10.00", `action="/credits/checkout"`}},
		{mgmt, "/admin", []string{"Endpoint health", "Simulated Alpha (demo)", "Stealth models", "Presets"}},
		{user, "/credits", []string{"$10.00", e.keyLabel(t)}},
		{user, "/playground?model=openai/gpt-4o-mini", []string{`id="pg-form"`, `data-can-chat="true"`, `<option value="openai/gpt-4o-mini" selected>`}},
		{user, "/rankings", []string{"sign in with a management key"}},
	} {
		r := tc.c.get(tc.path)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", tc.path, r.StatusCode)
			continue
		}
		r.wantContains(t, tc.path, tc.want...)
		wantSecurityHeaders(t, tc.path, r.Response)
		for _, key := range []string{e.key, e.mgmt} {
			if strings.Contains(r.body, key) {
				t.Errorf("GET %s: the page shows a session's key", tc.path)
			}
		}
	}
}

// keyLabel is the label of the env's inference key, as GET /key has it.
func (e *env) keyLabel(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/key", nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	var out struct {
		Data struct{ Label string } `json:"data"`
	}
	e.apiJSON(t, req, &out)
	return out.Data.Label
}

// apiJSON calls the API over HTTP and decodes its 2xx answer.
func (e *env) apiJSON(t *testing.T, req *http.Request, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func wantSecurityHeaders(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: %s %q, want %q", what, name, got, want)
		}
	}
}

// inlineCode finds what the CSP would refuse: inline scripts, style
// elements and attributes, event handler attributes.
var inlineCode = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)

// TestNoInlineCode checks that no page has what its CSP forbids, and that
// every page and error carries the headers.
func TestNoInlineCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.signIn(e.mgmt)
	for _, path := range []string{"/", "/models/openai/gpt-4o-mini", "/rankings", "/activity", "/keys", "/credits",
		"/playground", "/admin", "/signin", "/no-such-page", "/models/no/such-model"} {
		r := c.get(path)
		if m := inlineCode.FindString(r.body); m != "" {
			t.Errorf("%s: inline code %q", path, m)
		}
		wantSecurityHeaders(t, path, r.Response)
	}
	if r := c.get("/no-such-page"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown page: status %d, want 404", r.StatusCode)
	}
	if r := c.get("/models/no/such-model"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown model: status %d, want 404", r.StatusCode)
	}
	wantSecurityHeaders(t, "asset", c.get("/ui/static/app.css").Response)
}

// TestSignInOut covers a refused key, the session cookie's flags, the
// pages a session unlocks and signing out.
func TestSignInOut(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		e := newEnv(t, envOptions{uiSecure: secure})
		c := e.client()
		if r := c.get("/keys"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/signin?next=%2Fkeys" {
			t.Errorf("signed out /keys: %d to %q, want 303 to the sign-in page", r.StatusCode, r.Header.Get("Location"))
		}
		token := c.csrf("/signin")
		r := c.post("/signin", url.Values{"csrf": {token}, "key": {"sk-sy-v1-" + strings.Repeat("0", 64)}})
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "That key was refused") {
			t.Errorf("bad key: status %d, want 401 with a message", r.StatusCode)
		}
		if n := e.ui.sessions.len(); n != 0 {
			t.Errorf("a refused key made %d sessions", n)
		}

		r = c.post("/signin", url.Values{"csrf": {token}, "key": {e.mgmt}, "next": {"/keys"}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/keys" {
			t.Fatalf("sign-in: %d to %q, want 303 to /keys", r.StatusCode, r.Header.Get("Location"))
		}
		var cookie *http.Cookie
		for _, ck := range r.Cookies() {
			if ck.Name == sessionCookie {
				cookie = ck
			}
		}
		switch {
		case cookie == nil:
			t.Fatal("no session cookie")
		case !cookie.HttpOnly, cookie.SameSite != http.SameSiteLaxMode, cookie.Path != "/", cookie.Secure != secure:
			t.Errorf("cookie flags: HttpOnly %v SameSite %v Path %q Secure %v; want true, Lax, /, %v",
				cookie.HttpOnly, cookie.SameSite, cookie.Path, cookie.Secure, secure)
		case len(cookie.Value) < 43:
			t.Errorf("session id %q is shorter than 32 random bytes", cookie.Value)
		}
		if e.ui.sessions.get(cookie.Value) == nil || e.ui.sessions.len() != 1 {
			t.Error("the session is not held")
		}
		if secure {
			continue // the jar keeps Secure cookies off plain HTTP
		}
		if r := c.get("/keys"); r.StatusCode != http.StatusOK {
			t.Errorf("signed in /keys: status %d", r.StatusCode)
		}
		token = c.csrf("/keys")
		r = c.post("/signout", url.Values{"csrf": {token}})
		if r.StatusCode != http.StatusSeeOther {
			t.Errorf("sign-out: status %d", r.StatusCode)
		}
		if e.ui.sessions.get(cookie.Value) != nil {
			t.Error("the session outlives sign-out")
		}
		if r := c.get("/keys"); r.StatusCode != http.StatusSeeOther {
			t.Errorf("after sign-out /keys: status %d, want 303", r.StatusCode)
		}
	}
}

// TestSignInCSRF refuses a sign-in without the form's token.
func TestSignInCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.get("/signin") // sets the token cookie
	if r := c.post("/signin", url.Values{"csrf": {"forged"}, "key": {e.key}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forged sign-in token: status %d, want 403", r.StatusCode)
	}
	if e.ui.sessions.len() != 0 {
		t.Error("a forged sign-in made a session")
	}
}

// TestCSRF refuses posts without the session's token, or from another
// site, and changes nothing.
func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.signIn(e.mgmt)
	token := c.csrf("/keys")
	other := e.client()
	other.signIn(e.mgmt)
	otherToken := other.csrf("/keys")
	crossSite := func(h http.Header) { h.Set("Sec-Fetch-Site", "cross-site") }
	badOrigin := func(h http.Header) { h.Set("Origin", "https://evil.example") }
	for _, tc := range []struct {
		name  string
		token string
		hdr   func(http.Header)
	}{
		{"no token", "", nil},
		{"another session's token", otherToken, nil},
		{"cross-site", token, crossSite},
		{"foreign origin", token, badOrigin},
	} {
		form := url.Values{"name": {"forged " + tc.name}}
		if tc.token != "" {
			form.Set("csrf", tc.token)
		}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/keys", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.hdr != nil {
			tc.hdr(req.Header)
		}
		if r := c.do(req); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tc.name, r.StatusCode)
		}
	}
	if r := c.get("/keys"); strings.Contains(r.body, "forged") {
		t.Error("a refused post created a key")
	}
	// The playground's fetch carries the token in a header.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/ui/playground/chat", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	if r := c.do(req); r.StatusCode != http.StatusForbidden {
		t.Errorf("playground without a token: status %d, want 403", r.StatusCode)
	}
	// The same post with the token passes.
	if r := c.post("/keys", url.Values{"csrf": {token}, "name": {"real"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("valid post: status %d, want 303", r.StatusCode)
	}
}

// TestKeys creates a key (shown once), disables, enables and deletes it,
// checking the API's view after each step.
func TestKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.signIn(e.mgmt)
	token := c.csrf("/keys")
	r := c.post("/keys", url.Values{"csrf": {token}, "name": {"ci bot"}, "limit": {"2.5"}, "limit_reset": {"weekly"},
		"expires_at": {time.Now().AddDate(1, 0, 0).UTC().Format(time.DateOnly)}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: status %d:\n%s", r.StatusCode, r.body)
	}
	page := c.get("/keys")
	m := regexp.MustCompile(`<code id="new-key-value">(sk-sy-v1-[0-9a-f]{64})</code>`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the new key is not shown:\n%s", page.body)
	}
	newKey := m[1]
	if again := c.get("/keys"); strings.Contains(again.body, newKey) {
		t.Error("the new key is shown again on reload")
	}
	// The key works, with the limit and expiry asked for.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/key", nil)
	req.Header.Set("Authorization", "Bearer "+newKey)
	var got struct {
		Data struct {
			Limit      json.Number `json:"limit"`
			LimitReset string      `json:"limit_reset"`
			ExpiresAt  *time.Time  `json:"expires_at"`
		} `json:"data"`
	}
	e.apiJSON(t, req, &got)
	if a, _ := money.ParseAmount(got.Data.Limit.String()); a != 2_500_000_000 || got.Data.LimitReset != "weekly" || got.Data.ExpiresAt == nil {
		t.Errorf("created key: limit %s reset %q expires %v", got.Data.Limit, got.Data.LimitReset, got.Data.ExpiresAt)
	}

	hash := e.keyHash(t, "ci bot")
	for _, step := range []struct {
		action       string
		wantDisabled bool
		wantGone     bool
	}{{"disable", true, false}, {"enable", false, false}, {"delete", false, true}} {
		r := c.post("/keys/"+hash+"/"+step.action, url.Values{"csrf": {token}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: status %d", step.action, r.StatusCode)
		}
		keys := e.listKeys(t)
		k, ok := keys[hash]
		switch {
		case step.wantGone && ok:
			t.Errorf("%s: the key is still listed", step.action)
		case !step.wantGone && (!ok || k != step.wantDisabled):
			t.Errorf("%s: listed %v, disabled %v; want disabled %v", step.action, ok, k, step.wantDisabled)
		}
	}
	if page := c.get("/keys"); !strings.Contains(page.body, "deleted.") {
		t.Error("no confirmation after deleting")
	}
	// An invalid limit is refused with a message.
	c.post("/keys", url.Values{"csrf": {token}, "name": {"bad"}, "limit": {"lots"}})
	if page := c.get("/keys"); !strings.Contains(page.body, "The limit must be an amount") {
		t.Error("no message for an invalid limit")
	}
	// An API key cannot manage keys.
	u := e.client()
	u.signIn(e.key)
	if r := u.get("/keys"); r.StatusCode != http.StatusForbidden {
		t.Errorf("/keys with an API key: status %d, want 403", r.StatusCode)
	}
}

// listKeys is the account's keys by hash: disabled or not.
func (e *env) listKeys(t *testing.T) map[string]bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/keys?include_disabled=true", nil)
	req.Header.Set("Authorization", "Bearer "+e.mgmt)
	var out struct {
		Data []struct {
			Hash     string `json:"hash"`
			Name     string `json:"name"`
			Disabled bool   `json:"disabled"`
		} `json:"data"`
	}
	e.apiJSON(t, req, &out)
	m := map[string]bool{}
	for _, k := range out.Data {
		m[k.Hash] = k.Disabled
	}
	return m
}

func (e *env) keyHash(t *testing.T, name string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/keys", nil)
	req.Header.Set("Authorization", "Bearer "+e.mgmt)
	var out struct {
		Data []struct{ Hash, Name string } `json:"data"`
	}
	e.apiJSON(t, req, &out)
	for _, k := range out.Data {
		if k.Name == name {
			return k.Hash
		}
	}
	t.Fatalf("no key %q", name)
	return ""
}

// TestModelFilters checks that the page lists exactly what the API does
// for the same filters, and sorts by name itself.
func TestModelFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	ids := func(path string) []string { return catalogIDs(t, c, path) }
	apiIDs := func(query string) []string {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/models?"+query, nil)
		var out struct {
			Data []struct{ ID string } `json:"data"`
		}
		e.apiJSON(t, req, &out)
		var ids []string
		for _, m := range out.Data {
			ids = append(ids, m.ID)
		}
		return ids
	}
	for _, tc := range []struct{ page, api string }{
		{"q=llama", "q=llama"},
		{"max_price=0.2&sort=price", "max_price=0.2&sort=pricing-low-to-high"},
		{"min_context=1000000", "context=1000000"},
		{"provider=demo-beta", "providers=demo-beta"},
		{"q=gpt&param=tools&sort=newest", "q=gpt&supported_parameters=tools&sort=newest"},
		{"q=gemini&modality=image", "q=gemini&input_modalities=image&output_modalities=all"},
		{"q=mistral&sort=context", "q=mistral&sort=context-high-to-low"},
	} {
		got, want := ids("/models?"+tc.page), apiIDs(tc.api)
		if len(want) == 0 {
			t.Errorf("%s: the API lists nothing; the case tests nothing", tc.page)
		}
		if !slices.Equal(got, want) {
			t.Errorf("/models?%s lists %d models, the API %d (first %v vs %v)", tc.page, len(got), len(want),
				got[:min(3, len(got))], want[:min(3, len(want))])
		}
	}
	// Sorted by name: the page's names are in order.
	r := c.get("/models?q=gpt&sort=name")
	names := regexp.MustCompile(`<td><a href="/models/[^"]+">([^<]+)</a>`).FindAllStringSubmatch(r.body, -1)
	if len(names) < 3 {
		t.Fatalf("sort=name lists %d models", len(names))
	}
	for i := 1; i < len(names); i++ {
		if strings.ToLower(names[i-1][1]) > strings.ToLower(names[i][1]) {
			t.Errorf("sort=name: %q before %q", names[i-1][1], names[i][1])
		}
	}
	// A filter the API refuses is explained.
	if r := c.get("/models?max_price=abc"); !strings.Contains(r.body, "max_price must be") {
		t.Error("no explanation of a refused filter")
	}
}

// TestModelPageBaseURL shows code samples for the address the client used.
func TestModelPageBaseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/models/openai/gpt-4o-mini", nil)
	req.Host = "gateway.example"
	req.Header.Set("X-Forwarded-Proto", "https")
	r := e.client().do(req)
	r.wantContains(t, "model page", `base_url="https://gateway.example/api/v1"`,
		`baseURL: "https://gateway.example/api/v1"`, "curl https://gateway.example/api/v1/chat/completions")
	// Signed out, the activity (management only) is hidden, not an error.
	if strings.Contains(r.body, `id="activity-h"`) {
		t.Error("signed out, the model page shows the activity section")
	}
}

// TestPlaygroundChat streams an answer through the UI's proxy.
func TestPlaygroundChat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.signIn(e.key)
	token := c.csrf("/credits")
	body := `{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}`
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/ui/playground/chat", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", token)
	req.Header.Set("Origin", e.srv.URL)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	wantSecurityHeaders(t, "playground stream", resp)
	var content strings.Builder
	var usage, done bool
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("chunk %q: %v", data, err)
		}
		for _, ch := range chunk.Choices {
			content.WriteString(ch.Delta.Content)
		}
		if chunk.Usage != nil && chunk.Usage.CompletionTokens > 0 {
			usage = true
		}
	}
	if !done || !usage || !strings.Contains(content.String(), "Hi") {
		t.Errorf("stream: done %v, usage %v, content %q", done, usage, content.String())
	}
	// The management key is refused by the API, and the refusal comes through.
	m := e.client()
	m.signIn(e.mgmt)
	token = m.csrf("/keys")
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/ui/playground/chat", strings.NewReader(body))
	req.Header.Set("X-CSRF-Token", token)
	if r := m.do(req); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "management keys cannot") {
		t.Errorf("management key: %d %s", r.StatusCode, r.body)
	}
}

// TestActivity shows the account's use and proxies the CSV.
func TestActivity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions",
			strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}`))
		req.Header.Set("Authorization", "Bearer "+e.key)
		var out map[string]any
		e.apiJSON(t, req, &out)
	}
	c := e.client()
	c.signIn(e.mgmt)
	// Expected totals, from the API itself.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/activity", nil)
	req.Header.Set("Authorization", "Bearer "+e.mgmt)
	var act struct{ Data []activityRow }
	e.apiJSON(t, req, &act)
	var spend money.Amount
	var requests int64
	for _, row := range act.Data {
		spend += parseAmount(row.Usage)
		requests += row.Requests
	}
	if requests != 2 || spend <= 0 {
		t.Fatalf("the API reports %d requests costing %s; want 2 and a cost", requests, spend)
	}
	r := c.get("/activity")
	r.wantContains(t, "activity", usd(spend), `<dd>2</dd>`, "openai/gpt-4o-mini", "app key", `id="chart-spend"`)
	// The recent generations, with their routing attempts (provider and
	// status of each).
	if n := strings.Count(r.body, `<td>stop</td>`) + strings.Count(r.body, `<td>length</td>`); n != 2 {
		t.Errorf("recent generations: %d served rows, want 2", n)
	}
	if !strings.Contains(r.body, "Recent generations") || !regexp.MustCompile(`<td>[^<]+ 200</td>`).MatchString(r.body) {
		t.Errorf("recent generations without their routing attempts:\n%s", r.body)
	}

	csv := c.get("/activity.csv")
	if csv.StatusCode != http.StatusOK || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %s %s", csv.StatusCode, csv.Header.Get("Content-Type"), csv.Header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(csv.body, "date,model,") || !strings.Contains(csv.body, "openai/gpt-4o-mini") {
		t.Errorf("csv body:\n%s", csv.body)
	}
	u := e.client()
	u.signIn(e.key)
	if r := u.get("/activity"); r.StatusCode != http.StatusForbidden {
		t.Errorf("activity with an API key: status %d, want 403", r.StatusCode)
	}
}

// fakePayments is a payment provider whose checkout is at a fixed URL.
type fakePayments struct{ got payments.CheckoutRequest }

func (f *fakePayments) CreateCheckout(_ context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	f.got = req
	return payments.Checkout{ID: "cs_test", URL: "https://pay.example/c/cs_test"}, nil
}

func (f *fakePayments) ParseWebhook([]byte, http.Header) (payments.Event, error) {
	return payments.Event{}, payments.ErrInvalidEvent
}

// TestCheckout sends the browser to the payment page, or says payments
// are not configured.
func TestCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.signIn(e.key)
	token := c.csrf("/credits")
	if r := c.post("/credits/checkout", url.Values{"csrf": {token}, "amount": {"20"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("unconfigured checkout: status %d", r.StatusCode)
	}
	c.get("/credits").wantContains(t, "credits", "Payments are not configured on this server")

	fake := &fakePayments{}
	e = newEnv(t, envOptions{options: func(o *api.Options) {
		o.Payments = api.Payments{Provider: fake, SuccessURL: "https://x.example/ok", CancelURL: "https://x.example/no"}
	}})
	c = e.client()
	c.signIn(e.key)
	token = c.csrf("/credits")
	r := c.post("/credits/checkout", url.Values{"csrf": {token}, "amount": {"25.50"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("checkout: status %d:\n%s", r.StatusCode, r.body)
	}
	r.wantContains(t, "checkout", `<meta http-equiv="refresh" content="0;url=https://pay.example/c/cs_test">`,
		`href="https://pay.example/c/cs_test"`)
	if fake.got.Amount != 25_500_000_000 || fake.got.AccountID != e.account.ID {
		t.Errorf("checkout asked for %s for account %d; want 25.5 for %d", fake.got.Amount, fake.got.AccountID, e.account.ID)
	}
}

// TestAssets serves assets gzipped and immutable, and bounds each page's
// JavaScript and CSS to 100 KB gzipped.
func TestAssets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.signIn(e.mgmt)
	assetRe := regexp.MustCompile(`(?:src|href)="(/ui/static/[^"]+\.(?:js|css)\?v=[0-9a-f]+)"`)
	for _, page := range []string{"/", "/models/openai/gpt-4o-mini", "/rankings", "/activity", "/keys", "/credits",
		"/playground", "/admin", "/signin"} {
		total := 0
		for _, m := range assetRe.FindAllStringSubmatch(c.get(page).body, -1) {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+m[1], nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
			if err != nil {
				t.Fatal(err)
			}
			gz, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" ||
				!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("%s: %d, encoding %q, cache %q", m[1], resp.StatusCode, resp.Header.Get("Content-Encoding"),
					resp.Header.Get("Cache-Control"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatalf("%s: not gzip: %v", m[1], err)
			}
			plain, _ := io.ReadAll(zr)
			name := strings.TrimPrefix(strings.Split(m[1], "?")[0], "/ui/static/")
			if !bytes.Equal(plain, e.ui.assets.byName[name].body) {
				t.Errorf("%s: gunzipped body differs from the asset", m[1])
			}
			total += len(gz)
		}
		t.Logf("%s: %d bytes of JS and CSS, gzipped", page, total)
		if total == 0 || total > 100_000 {
			t.Errorf("%s: %d bytes of JS and CSS gzipped; want some, at most 100 KB", page, total)
		}
	}
	// Without gzip, or with a stale hash: plain, and revalidated.
	r := c.get("/ui/static/app.css?v=stale")
	if r.Header.Get("Content-Encoding") != "" || r.Header.Get("Cache-Control") != "no-cache" ||
		r.body != string(e.ui.assets.byName["app.css"].body) {
		t.Errorf("stale hash: encoding %q cache %q", r.Header.Get("Content-Encoding"), r.Header.Get("Cache-Control"))
	}
	if r := c.get("/ui/static/nothing.js"); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: status %d", r.StatusCode)
	}
}

// TestSessionBounds drops expired sessions and, when full, the oldest.
func TestSessionBounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ss := newSessions(3, 12*time.Hour, func() time.Time { return now })
	var ids []string
	for i := range 4 {
		now = now.Add(time.Minute)
		ids = append(ids, ss.create("k", "l", i%2 == 0).id)
	}
	if ss.len() != 3 || ss.get(ids[0]) != nil || ss.get(ids[3]) == nil {
		t.Errorf("full: %d sessions, oldest kept %v", ss.len(), ss.get(ids[0]) != nil)
	}
	now = now.Add(12 * time.Hour)
	for _, id := range ids[1:] {
		if ss.get(id) != nil {
			t.Errorf("session %s outlived 12 hours", id)
		}
	}
	if a, b := ss.create("k", "l", false), ss.create("k", "l", false); a.id == b.id || a.csrf == b.csrf || a.csrf == a.id {
		t.Error("session ids and tokens are not distinct")
	}
}

// TestPageGzip compresses public pages, never a signed-in one.
func TestPageGzip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	signedIn := e.client()
	signedIn.signIn(e.key)
	for _, tc := range []struct {
		c    *client
		want string
	}{{e.client(), "gzip"}, {signedIn, ""}} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/models?q=gpt", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		for _, ck := range tc.c.http.Jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding"); got != tc.want {
			t.Errorf("Content-Encoding %q, want %q", got, tc.want)
		}
		if tc.want == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := io.ReadAll(zr)
			if !bytes.Contains(plain, []byte("openai/gpt-4o-mini")) {
				t.Error("the gzipped page lacks the catalog")
			}
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false,
		"deflate": false, "GZIP": true} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{perMillion(money.MustRate("0.00000015")), "$0.15"},
		{perMillion(money.MustRate("0.000000165")), "$0.165"},
		{perMillion(money.MustRate("0.00006")), "$60.00"},
		{perMillion(money.MustRate("0.000000000012345")), "$0.00001234"},
		{perMillion(money.MustRate("0.0000125")), "$12.50"},
		{perMillion(money.MustRate("0.0000009")), "$0.90"},
		{perMillion(0), "free"},
		{usd(10 * money.NanoPerUSD), "$10.00"},
		{usd(1234567 * money.NanoPerUSD / 100), "$12,345.67"},
		{usd(154245), "$0.000154245"},
		{usd(-5 * money.NanoPerUSD / 10), "-$0.50"},
		{thousands(1234567), "1,234,567"},
		{compactTokens(1_530_000), "1.5M"},
		{percent(0.1234), "12.3%"},
		{safeNext("//evil.example"), "/"},
		{safeNext("/keys?x=1"), "/keys?x=1"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestOverTimeChart(t *testing.T) {
	rows := []dayTokens{{"2026-01-01", "a/x", 10}, {"2026-01-01", "other", 5}, {"2026-01-03", "b/y", 7},
		{"2026-01-03", "a/x", 1}, {"2025-12-31", "a/x", 100}}
	c := overTimeChart("2026-01-01", "2026-01-03", rows)
	if len(c.X) != 3 || len(c.Series) != 3 {
		t.Fatalf("chart: %d days, %d series; want 3 and 3 (a/x, b/y, Other)", len(c.X), len(c.Series))
	}
	// The day before the range counts toward the top models but is not drawn.
	want := map[string][]float64{"a/x": {10, 0, 1}, "b/y": {0, 0, 7}, "Other": {5, 0, 0}}
	for _, s := range c.Series {
		if !slices.Equal(s.Values, want[s.Label]) {
			t.Errorf("%s: %v, want %v", s.Label, s.Values, want[s.Label])
		}
	}
}

// TestSecureCookieBehindTLSProxy: without Options.Secure, a sign-in that
// came over TLS (here through a proxy saying X-Forwarded-Proto: https)
// still gets a Secure session cookie; one over plain HTTP does not.
func TestSecureCookieBehindTLSProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, proto := range []string{"http", "https"} {
		c := e.client()
		token := c.csrf("/signin")
		form := url.Values{"csrf": {token}, "key": {e.mgmt}, "next": {"/"}}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.srv.URL)
		req.Header.Set("X-Forwarded-Proto", proto)
		r := c.do(req)
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s sign-in: status %d", proto, r.StatusCode)
		}
		for _, ck := range r.Cookies() {
			if ck.Name == sessionCookie && ck.Secure != (proto == "https") {
				t.Errorf("X-Forwarded-Proto %s: session cookie Secure %v", proto, ck.Secure)
			}
		}
	}
}
