package webui

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/api"
	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/demo"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/openaicompat"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

// env is the web interface mounted beside a real API over the bundled
// catalog, fast demo providers and a SQLite store, served by httptest.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	ui    *UI
	api   *api.Server
	store store.Store
	cat   *catalog.Catalog
	// key is an inference key and mgmt a management key of one account.
	key, mgmt string
	account   store.Account
}

type envOptions struct {
	options  func(*api.Options)
	uiSecure bool
}

// fastProfiles are demo providers that answer at once and never fail.
func fastProfiles() []demo.Profile {
	ps := demo.DefaultProfiles()
	for i := range ps {
		ps[i].Latency = 5 * time.Millisecond
		ps[i].TokensPerSecond = 0
		ps[i].FailureRate, ps[i].MidStreamFailureRate = 0, 0
	}
	return ps
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	file, err := catalog.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := demo.Start(ctx, fastProfiles(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cluster.Close(ctx)
	})
	cluster.AddTo(file)
	cat, err := catalog.New(file)
	if err != nil {
		t.Fatal(err)
	}
	adapters := provider.NewRegistry()
	adapters.Register(catalog.ProtocolOpenAI, openaicompat.New)
	clients := map[string]provider.Provider{}
	for _, p := range cat.Providers() {
		if !p.Simulated {
			continue
		}
		c, err := openaicompat.New(provider.Config{Slug: p.Slug, Name: p.Name, Protocol: p.Protocol, BaseURL: p.BaseURL,
			APIKey: provider.Secret(cluster.APIKey()), HTTPClient: &http.Client{}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		clients[p.Slug] = c
	}
	reg := health.NewRegistry(health.Options{})
	rt := router.New(cat, router.Options{Clients: clients, Adapters: adapters, Health: reg,
		FirstByteTimeout: 5 * time.Second, RequestTimeout: 10 * time.Second, StreamIdleTimeout: 5 * time.Second})
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ui.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts := api.Options{Catalog: cat, Router: rt, Store: st, MaxBodyBytes: 1 << 20,
		FlushInterval: 10 * time.Millisecond, UsageFlushInterval: 10 * time.Millisecond}
	if o.options != nil {
		o.options(&opts)
	}
	srv := api.New(opts)
	t.Cleanup(srv.Close)
	ui := New(Options{API: srv.Handler(), Catalog: cat, Health: reg, Secure: o.uiSecure})
	root := http.NewServeMux()
	for _, p := range []string{"/api/", "/v1/", "/metrics", "/healthz"} {
		root.Handle(p, srv.Handler())
	}
	root.Handle("/", ui)
	hs := httptest.NewServer(root)
	t.Cleanup(hs.Close)

	e := &env{t: t, srv: hs, ui: ui, api: srv, store: st, cat: cat}
	key, hash, label := apikey.New()
	acct, _, err := st.CreateAccountWithKey(ctx, "ui-test", 10*money.NanoPerUSD,
		store.NewKey{Hash: hash, Label: label, Name: "app key"})
	if err != nil {
		t.Fatal(err)
	}
	mkey, mhash, mlabel := apikey.New()
	if _, err := st.CreateKey(ctx, store.NewKey{AccountID: acct.ID, Hash: mhash, Label: mlabel, Name: "admin",
		IsManagement: true}); err != nil {
		t.Fatal(err)
	}
	e.key, e.mgmt, e.account = key.Reveal(), mkey.Reveal(), acct
	return e
}

// client is a browser: a cookie jar that does not follow redirects.
type client struct {
	e    *env
	http *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a page as the client got it.
type response struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) response {
	c.e.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatalf("%s %s: reading: %v", req.Method, req.URL, err)
	}
	return response{resp, string(b)}
}

func (c *client) get(path string) response {
	c.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	return c.do(req)
}

// post submits a form as a same-origin browser does.
func (c *client) post(path string, form url.Values) response {
	c.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of a page's forms.
func (c *client) csrf(page string) string {
	c.e.t.Helper()
	m := csrfField.FindStringSubmatch(c.get(page).body)
	if m == nil {
		c.e.t.Fatalf("no csrf field on %s", page)
	}
	return m[1]
}

// signIn signs the client in with key and checks the redirect.
func (c *client) signIn(key string) {
	c.e.t.Helper()
	token := c.csrf("/signin")
	r := c.post("/signin", url.Values{"csrf": {token}, "key": {key}, "next": {"/"}})
	if r.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("sign-in: status %d, want 303:\n%s", r.StatusCode, r.body)
	}
}

// wantContains fails unless the page has each of the strings, in its
// markup or its text (html/template escapes quotes in text).
func (r response) wantContains(t *testing.T, what string, subs ...string) {
	t.Helper()
	text := html.UnescapeString(r.body)
	for _, s := range subs {
		if !strings.Contains(r.body, s) && !strings.Contains(text, s) {
			t.Errorf("%s: page lacks %q", what, s)
		}
	}
}
