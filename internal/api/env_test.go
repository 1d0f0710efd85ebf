package api

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/openaicompat"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/postgres"
	"github.com/switchyard-dev/switchyard/internal/store/postgres/pgtest"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

// upstream is one test provider: a fake upstream serving both test models.
type upstream struct {
	slug   string
	fake   *providertest.Fake // nil and url "": listed in the catalog but not routable
	url    string             // base URL when there is no fake
	prompt string             // USD per token
	// completion is USD per output token; "0.000002" when empty.
	completion string
}

// env is a Switchyard API wired to fake upstreams and a real SQLite store.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	api     *Server
	store   store.Store
	key     string
	account store.Account
}

type envOptions struct {
	upstreams []upstream
	keepAlive time.Duration
	firstByte time.Duration
	idle      time.Duration
	maxBody   int64
	credits   money.Amount
	// postgres runs the env on a fresh PostgreSQL schema instead of SQLite.
	postgres bool
	// options, when set, adjusts the server's options.
	options func(*Options)
	// models are the catalog's models; modelA and modelB when empty.
	models []string
	// catalog, when set, amends the catalog before it is built.
	catalog func(*catalog.File)
}

const (
	modelA = "test/model-a"
	modelB = "test/model-b"
)

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.firstByte == 0 {
		o.firstByte = 5 * time.Second
	}
	if o.idle == 0 {
		o.idle = 5 * time.Second
	}
	if o.maxBody == 0 {
		o.maxBody = 1 << 20
	}
	if o.credits == 0 {
		o.credits = 10 * money.NanoPerUSD
	}
	file := &catalog.File{}
	clients := map[string]provider.Provider{}
	if len(o.models) == 0 {
		o.models = []string{modelA, modelB}
	}
	for _, model := range o.models {
		m := catalog.Model{ID: model, CanonicalSlug: model, Name: "Test: " + model, ContextLength: 8192,
			InputModalities: []string{"text"}, OutputModalities: []string{"text"}, Tokenizer: "Other"}
		for _, u := range o.upstreams {
			m.Endpoints = append(m.Endpoints, catalog.Endpoint{
				Provider: u.slug, UpstreamModel: "up-" + strings.TrimPrefix(model, "test/"),
				Pricing:       catalog.Pricing{Prompt: money.MustRate(u.prompt), Completion: money.MustRate(cmp.Or(u.completion, "0.000002"))},
				ContextLength: 8192, SupportedParameters: []string{"max_tokens", "temperature"},
			})
		}
		file.Models = append(file.Models, m)
	}
	for _, u := range o.upstreams {
		p := catalog.Provider{Slug: u.slug, Name: "Provider " + strings.ToUpper(u.slug), Protocol: catalog.ProtocolOpenAI}
		p.BaseURL = u.url
		if u.fake != nil {
			p.BaseURL = u.fake.URL
		}
		if p.BaseURL != "" {
			c, err := openaicompat.New(provider.Config{
				Slug: p.Slug, Name: p.Name, Protocol: p.Protocol, BaseURL: p.BaseURL,
				APIKey: "upstream-key", HTTPClient: &http.Client{}, Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				t.Fatal(err)
			}
			clients[u.slug] = c
		}
		file.Providers = append(file.Providers, p)
	}
	if o.catalog != nil {
		o.catalog(file)
	}
	cat, err := catalog.New(file)
	if err != nil {
		t.Fatal(err)
	}
	adapters := provider.NewRegistry()
	adapters.Register(catalog.ProtocolOpenAI, openaicompat.New)
	rt := router.New(cat, router.Options{
		Clients: clients, Adapters: adapters,
		FirstByteTimeout: o.firstByte, RequestTimeout: 10 * time.Second, StreamIdleTimeout: o.idle,
	})
	var st store.Store
	if o.postgres {
		st, err = postgres.Open(context.Background(), pgtest.Schema(t))
	} else {
		st, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts := Options{Catalog: cat, Router: rt, Store: st, MaxBodyBytes: o.maxBody, KeepAliveInterval: o.keepAlive}
	if o.options != nil {
		o.options(&opts)
	}
	s := New(opts)
	t.Cleanup(s.Close) // before the store closes: cleanups run last in, first out
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	e := &env{t: t, srv: srv, api: s, store: st}
	e.key, e.account = e.newKey(o.credits)
	return e
}

// newKey creates an account holding credits and returns its key.
func (e *env) newKey(credits money.Amount) (string, store.Account) {
	e.t.Helper()
	ctx := context.Background()
	acct, err := e.store.CreateAccount(ctx, "test", credits)
	if err != nil {
		e.t.Fatal(err)
	}
	key, hash, label := apikey.New()
	if _, err := e.store.CreateKey(ctx, store.NewKey{AccountID: acct.ID, Hash: hash, Name: "test", Label: label}); err != nil {
		e.t.Fatal(err)
	}
	return key.Reveal(), acct
}

// post sends a JSON body with the env's key.
func (e *env) post(path, body string) *http.Response {
	e.t.Helper()
	return e.do(http.MethodPost, path, body, e.key)
}

func (e *env) do(method, path, body, key string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// balance returns the account's current balance, once every settled
// generation is written.
func (e *env) balance() money.Amount {
	e.t.Helper()
	if err := e.api.Flush(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	a, err := e.store.Account(context.Background(), e.account.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.Balance
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// errorEnvelope decodes an error response and checks its shape.
func errorEnvelope(t *testing.T, resp *http.Response, status int) map[string]any {
	t.Helper()
	body := readAll(t, resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	var env struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		t.Fatalf("not an error envelope: %s", body)
	}
	if code, _ := env.Error["code"].(float64); int(code) != status {
		t.Fatalf("error.code %v, want %d", env.Error["code"], status)
	}
	if resp.Header.Get("X-Generation-Id") == "" && strings.Contains(resp.Request.URL.Path, "completions") {
		t.Fatalf("no X-Generation-Id on an error response")
	}
	return env.Error
}

// sseStream is a parsed client-side stream.
type sseStream struct {
	comments []string
	data     []string // data payloads in order, "[DONE]" included
}

func readStream(t *testing.T, r io.Reader) sseStream {
	t.Helper()
	var s sseStream
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, ":"):
			s.comments = append(s.comments, strings.TrimSpace(line[1:]))
		case strings.HasPrefix(line, "data: "):
			s.data = append(s.data, line[len("data: "):])
		case line == "":
		default:
			t.Fatalf("unexpected stream line %q", line)
		}
	}
	return s
}

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

const chatBody = `{"model":"` + modelA + `","messages":[{"role":"user","content":"Hello"}]}`

func streamBody(model string) string {
	return `{"model":"` + model + `","stream":true,"messages":[{"role":"user","content":"Hello"}]}`
}

// generation returns a generation record. Records are written after the
// response is complete, so it waits a little for them.
func (e *env) generation(id string) store.Generation {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := e.store.Generation(context.Background(), id)
		if err == nil {
			return g
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("generation %s: %v", id, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
