package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

// presetEnv is a Server on a real SQLite store with the preset routes, a
// management key and an inference key of one account, and a management key
// of another.
type presetEnv struct {
	*env
	server  *Server
	mgmt    string // management key of e.account
	otherMg string // management key of another account
}

func newPresetEnv(t *testing.T) *presetEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := New(Options{Store: st, MaxBodyBytes: 1 << 20})
	mux := http.NewServeMux()
	s.presetRoutes(mux)
	mux.Handle("/", s.Handler())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)

	e := &env{t: t, srv: hs, store: st}
	e.key, e.account = e.newKey(1_000_000)
	pe := &presetEnv{env: e, server: s}
	pe.mgmt = pe.managementKey(e.account.ID)
	other, err := st.CreateAccount(context.Background(), "other", 0)
	if err != nil {
		t.Fatal(err)
	}
	pe.otherMg = pe.managementKey(other.ID)
	return pe
}

func (e *presetEnv) managementKey(accountID int64) string {
	e.t.Helper()
	key, hash, label := apikey.New()
	_, err := e.store.CreateKey(context.Background(), store.NewKey{AccountID: accountID, Hash: hash, Name: "admin", Label: label, IsManagement: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return key.Reveal()
}

// presetData decodes a successful response's "data".
func presetData[T any](t *testing.T, resp *http.Response, status int) T {
	t.Helper()
	body := readAll(t, resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	var out struct{ Data T }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return out.Data
}

const emailConfig = `{"model":"openai/gpt-4o","temperature":0.3,"system_prompt":"Write emails.",
	"provider":{"order":["openai"]},"tools":[{"type":"function","function":{"name":"send"}}]}`

func TestPresetCRUD(t *testing.T) {
	e := newPresetEnv(t)
	for _, prefix := range []string{"/api/v1", "/v1"} {
		t.Run(prefix, func(t *testing.T) {
			slug := "email" + strings.ReplaceAll(prefix, "/", "-")
			created := presetData[presetJSON](t, e.do("POST", prefix+"/presets",
				`{"slug":"`+slug+`","description":"emails","config":`+emailConfig+`}`, e.mgmt), http.StatusCreated)
			if created.Slug != slug || created.Name != slug || created.Version != 1 || created.Description != "emails" ||
				!strings.Contains(string(created.Config), `"system_prompt":"Write emails."`) {
				t.Errorf("created %+v", created)
			}
			got := presetData[presetJSON](t, e.do("GET", prefix+"/presets/"+slug, "", e.mgmt), http.StatusOK)
			if got.Version != 1 || string(got.Config) != string(created.Config) {
				t.Errorf("GET = %+v", got)
			}

			updated := presetData[presetJSON](t, e.do("PATCH", prefix+"/presets/"+slug,
				`{"name":"Emails","config":{"model":"anthropic/claude-sonnet-4","max_tokens":100}}`, e.mgmt), http.StatusOK)
			if updated.Version != 2 || updated.Name != "Emails" || updated.Description != "emails" ||
				string(updated.Config) != `{"model":"anthropic/claude-sonnet-4","max_tokens":100}` {
				t.Errorf("PATCH = %+v", updated)
			}
			renamed := presetData[presetJSON](t, e.do("PATCH", prefix+"/presets/"+slug, `{"description":"v3"}`, e.mgmt), http.StatusOK)
			if renamed.Version != 3 || renamed.Name != "Emails" || string(renamed.Config) != string(updated.Config) {
				t.Errorf("PATCH description = %+v", renamed)
			}

			versions := presetData[[]presetJSON](t, e.do("GET", prefix+"/presets/"+slug+"/versions", "", e.mgmt), http.StatusOK)
			if len(versions) != 3 || versions[0].Version != 1 || versions[2].Version != 3 ||
				string(versions[0].Config) != string(created.Config) {
				t.Errorf("versions = %+v", versions)
			}
			list := presetData[[]presetJSON](t, e.do("GET", prefix+"/presets", "", e.mgmt), http.StatusOK)
			found := false
			for _, p := range list {
				found = found || p.Slug == slug && p.Version == 3
			}
			if !found {
				t.Errorf("list %+v lacks %s version 3", list, slug)
			}

			deleted := presetData[map[string]any](t, e.do("DELETE", prefix+"/presets/"+slug, "", e.mgmt), http.StatusOK)
			if deleted["deleted"] != true {
				t.Errorf("DELETE = %v", deleted)
			}
			errorEnvelope(t, e.do("GET", prefix+"/presets/"+slug, "", e.mgmt), http.StatusNotFound)
		})
	}
}

func TestPresetAuthorization(t *testing.T) {
	e := newPresetEnv(t)
	presetData[presetJSON](t, e.do("POST", "/api/v1/presets", `{"slug":"mine","config":{}}`, e.mgmt), http.StatusCreated)
	requests := []struct{ method, path, body string }{
		{"GET", "/api/v1/presets", ""},
		{"POST", "/api/v1/presets", `{"slug":"x","config":{}}`},
		{"GET", "/api/v1/presets/mine", ""},
		{"PATCH", "/api/v1/presets/mine", `{"name":"x"}`},
		{"DELETE", "/api/v1/presets/mine", ""},
		{"GET", "/v1/presets/mine/versions", ""},
	}
	for _, r := range requests {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			errorEnvelope(t, e.do(r.method, r.path, r.body, ""), http.StatusUnauthorized)
			got := errorEnvelope(t, e.do(r.method, r.path, r.body, e.key), http.StatusForbidden)
			if md, _ := got["metadata"].(map[string]any); md["error_type"] != "permission_denied" {
				t.Errorf("inference key: error %v, want permission_denied", got)
			}
		})
	}
	// Another account's management key sees none of them.
	if list := presetData[[]presetJSON](t, e.do("GET", "/api/v1/presets", "", e.otherMg), http.StatusOK); len(list) != 0 {
		t.Errorf("other account lists %+v", list)
	}
	errorEnvelope(t, e.do("GET", "/api/v1/presets/mine", "", e.otherMg), http.StatusNotFound)
	errorEnvelope(t, e.do("DELETE", "/api/v1/presets/mine", "", e.otherMg), http.StatusNotFound)
	presetData[presetJSON](t, e.do("GET", "/api/v1/presets/mine", "", e.mgmt), http.StatusOK)
}

func TestPresetValidation(t *testing.T) {
	e := newPresetEnv(t)
	presetData[presetJSON](t, e.do("POST", "/api/v1/presets", `{"slug":"taken","config":{}}`, e.mgmt), http.StatusCreated)
	tests := []struct {
		name, method, path, body string
		status                   int
		message                  string // a fragment of error.message
	}{
		{"unknown config field", "POST", "/api/v1/presets", `{"slug":"a","config":{"temprature":1}}`, 400, `unknown field "temprature"`},
		{"config of the wrong type", "POST", "/api/v1/presets", `{"slug":"a","config":{"temperature":"hot"}}`, 400, "not a valid chat request"},
		{"temperature out of range", "POST", "/api/v1/presets", `{"slug":"a","config":{"temperature":5}}`, 400, "temperature"},
		{"config not an object", "POST", "/api/v1/presets", `{"slug":"a","config":[]}`, 400, "JSON object"},
		{"config messages", "POST", "/api/v1/presets", `{"slug":"a","config":{"messages":[]}}`, 400, "messages is not allowed"},
		{"no config", "POST", "/api/v1/presets", `{"slug":"a"}`, 400, "config is required"},
		{"bad slug", "POST", "/api/v1/presets", `{"slug":"Has Caps","config":{}}`, 400, "slug must be"},
		{"unknown body field", "POST", "/api/v1/presets", `{"slug":"a","config":{},"extra":1}`, 400, `unknown field "extra"`},
		{"duplicate slug", "POST", "/api/v1/presets", `{"slug":"taken","config":{}}`, 400, "already exists"},
		{"empty patch", "PATCH", "/api/v1/presets/taken", `{}`, 400, "nothing to update"},
		{"patch slug", "PATCH", "/api/v1/presets/taken", `{"slug":"other"}`, 400, `unknown field "slug"`},
		{"patch bad config", "PATCH", "/api/v1/presets/taken", `{"config":{"top_p":3}}`, 400, "top_p"},
		{"patch missing", "PATCH", "/api/v1/presets/missing", `{"name":"x"}`, 404, `preset "missing" not found`},
		{"versions of missing", "GET", "/api/v1/presets/missing/versions", "", 404, "not found"},
		{"broken JSON", "POST", "/api/v1/presets", `{"slug":`, 400, "invalid request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorEnvelope(t, e.do(tt.method, tt.path, tt.body, e.mgmt), tt.status)
			if msg, _ := got["message"].(string); !strings.Contains(msg, tt.message) {
				t.Errorf("message %q, want one containing %q", msg, tt.message)
			}
		})
	}
	if v := presetData[presetJSON](t, e.do("GET", "/api/v1/presets/taken", "", e.mgmt), http.StatusOK); v.Version != 1 {
		t.Errorf("rejected updates added versions: %+v", v)
	}
}

func TestApplyPreset(t *testing.T) {
	e := newPresetEnv(t)
	presetData[presetJSON](t, e.do("POST", "/api/v1/presets", `{"slug":"email","config":`+emailConfig+`}`, e.mgmt), http.StatusCreated)
	ctx := context.Background()
	tests := []struct {
		name    string
		body    string
		want    string // the merged body, compared as JSON; "" for unchanged
		status  int    // for an error
		message string
	}{
		{name: "no preset", body: chatBody},
		{
			name: "model reference",
			body: `{"model":"@preset/email","temperature":1,"messages":[{"role":"user","content":"Hi"}]}`,
			want: `{"model":"openai/gpt-4o","temperature":1,"provider":{"order":["openai"]},
				"tools":[{"type":"function","function":{"name":"send"}}],
				"messages":[{"role":"system","content":"Write emails."},{"role":"user","content":"Hi"}]}`,
		},
		{
			name: "preset field",
			body: `{"model":"test/model-a","preset":"email","messages":[]}`,
			want: `{"model":"test/model-a","temperature":0.3,"provider":{"order":["openai"]},
				"tools":[{"type":"function","function":{"name":"send"}}],
				"messages":[{"role":"system","content":"Write emails."}]}`,
		},
		{
			name: "model suffix",
			body: `{"model":"test/model-b@preset/email","messages":[],"tools":[{"type":"function","function":{"name":"send","strict":true}}]}`,
			want: `{"model":"test/model-b","temperature":0.3,"provider":{"order":["openai"]},
				"tools":[{"type":"function","function":{"name":"send","strict":true}}],
				"messages":[{"role":"system","content":"Write emails."}]}`,
		},
		{name: "unknown preset", body: `{"model":"@preset/nope","messages":[]}`, status: 404, message: `preset "nope" not found`},
		{name: "conflicting presets", body: `{"model":"@preset/email","preset":"other"}`, status: 400, message: "different presets"},
		{name: "bad slug", body: `{"preset":"NO"}`, status: 400, message: "not a valid preset slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.server.applyPreset(ctx, e.account.ID, []byte(tt.body))
			if tt.status != 0 {
				// Rendered as the chat handler renders it.
				rec, req := httptest.NewRecorder(), httptest.NewRequest("POST", "/apply-preset", nil)
				e.server.handle(func(http.ResponseWriter, *http.Request) error { return err }).ServeHTTP(rec, req)
				resp := rec.Result()
				resp.Request = req
				env := errorEnvelope(t, resp, tt.status)
				if msg, _ := env["message"].(string); !strings.Contains(msg, tt.message) {
					t.Errorf("message %q, want one containing %q", msg, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatalf("applyPreset: %v", err)
			}
			want := tt.want
			if want == "" {
				if string(got) != tt.body {
					t.Errorf("applyPreset changed a body without a preset: %s", got)
				}
				return
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("merged body %s: %v", got, err)
			}
			if err := json.Unmarshal([]byte(want), &w); err != nil {
				t.Fatal(err)
			}
			if gb, wb := presetCanonical(t, g), presetCanonical(t, w); gb != wb {
				t.Errorf("merged\n%s\nwant\n%s", gb, wb)
			}
		})
	}
	// Presets are per account: another account's request cannot use it.
	other, err := e.store.CreateAccount(ctx, "third", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.server.applyPreset(ctx, other.ID, []byte(`{"preset":"email"}`)); err == nil {
		t.Error("another account applied the preset")
	}
}

func presetCanonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestChatInvokesPreset serves chat requests that invoke a preset, and
// some that only mention one, through a fake upstream: the upstream gets
// the merged request and never the preset field.
func TestChatInvokesPreset(t *testing.T) {
	fake := providertest.NewOpenAI(t)
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}}})
	config := `{"model":"` + modelB + `","temperature":0.3,"system_prompt":"Write emails."}`
	if _, err := e.store.CreatePreset(context.Background(), store.NewPreset{AccountID: e.account.ID, Slug: "email",
		Name: "Email", Config: json.RawMessage(config)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body      string
		status          int
		model           string  // the upstream model
		temperature     float64 // 0: not sent
		messages        int     // sent upstream
		notFoundMessage string
	}{
		{name: "preset field", body: `{"model":"` + modelA + `","preset":"email","messages":[{"role":"user","content":"Hi"}]}`,
			status: 200, model: "up-model-a", temperature: 0.3, messages: 2},
		{name: "model reference", body: `{"model":"@preset/email","messages":[{"role":"user","content":"Hi"}]}`,
			status: 200, model: "up-model-b", temperature: 0.3, messages: 2},
		{name: "only mentioned", body: `{"model":"` + modelA + `","messages":[{"role":"user","content":"use \"preset\": \"@preset/nope\""}]}`,
			status: 200, model: "up-model-a", messages: 1},
		{name: "unknown preset", body: `{"model":"` + modelA + `","preset":"nope","messages":[{"role":"user","content":"Hi"}]}`,
			status: 404, notFoundMessage: `preset \"nope\" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(fake.Requests())
			resp := e.post("/api/v1/chat/completions", tt.body)
			body := readAll(t, resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if !strings.Contains(string(body), tt.notFoundMessage) {
					t.Errorf("error %s, want one containing %q", body, tt.notFoundMessage)
				}
				if len(fake.Requests()) != before {
					t.Error("the upstream was called")
				}
				return
			}
			sent := fake.Last().JSON
			if _, ok := sent["preset"]; ok {
				t.Errorf("the preset field was sent upstream: %v", sent)
			}
			if sent["model"] != tt.model {
				t.Errorf("upstream model %v, want %s", sent["model"], tt.model)
			}
			if got, _ := sent["temperature"].(float64); got != tt.temperature {
				t.Errorf("temperature %v, want %v", sent["temperature"], tt.temperature)
			}
			if msgs, _ := sent["messages"].([]any); len(msgs) != tt.messages {
				t.Errorf("%d messages sent, want %d: %v", len(msgs), tt.messages, msgs)
			}
		})
	}
}
