package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
)

func noEnv(string) string { return "" }

// TestREADMEExample loads the configuration example of the README, so the
// documented shape can never drift from what the code accepts.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Configuration file.*?```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no yaml block under ## Configuration file")
	}
	path := filepath.Join(t.TempDir(), "switchyard.yaml")
	if err := os.WriteFile(path, m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Providers) != 1 {
		t.Fatalf("providers %+v", cfg.Providers)
	}
	p := cfg.Providers[0]
	if p.Slug != "acme" || p.Protocol != "openai" || p.APIKeyEnv != "ACME_API_KEY" || len(p.Endpoints) != 1 ||
		p.Endpoints[0].UpstreamModel != "llama-3.3-70b" || *p.Endpoints[0].Pricing.Prompt != "0.00000059" ||
		p.Headers["X-Team"] != "research" || cfg.FirstByteTimeout != 120*time.Second || len(cfg.Models) != 1 {
		t.Fatalf("decoded %+v", cfg)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if cfg, err := Load(write("empty.yaml", ""), noEnv); err != nil || cfg.Addr != Default().Addr {
		t.Errorf("empty file: %+v %v", cfg, err)
	}
	if _, err := Load(write("typo.yaml", "adress: 1.2.3.4:5\n"), noEnv); err == nil || !strings.Contains(err.Error(), "adress") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), noEnv); err == nil {
		t.Error("missing file: no error")
	}
	env := map[string]string{"SWITCHYARD_DB": "postgres://db/x", "SWITCHYARD_ADDR": "0.0.0.0:9"}
	cfg, err := Load(write("db.yaml", "db: file.db\naddr: 127.0.0.1:1\n"), func(k string) string { return env[k] })
	if err != nil || cfg.DB != "postgres://db/x" || cfg.Addr != "0.0.0.0:9" {
		t.Errorf("env overrides: %+v %v", cfg, err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := Default()
	cfg.Addr = "nope"
	cfg.KeepAliveInterval = -1
	cfg.MaxBodyBytes = 10
	cfg.RequestTimeout = 0
	cfg.Providers = []Provider{
		{ProviderOverlay: catalog.ProviderOverlay{Slug: "a", Protocol: "smoke-signals"}},
		{ProviderOverlay: catalog.ProviderOverlay{Slug: "a", APIKeyEnv: "K",
			Endpoints: []catalog.EndpointOverlay{{UpstreamModel: "x"}}}, APIKey: "k"},
		{},
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`addr "nope"`, "keepalive_interval", "max_body_bytes", "request_timeout",
		`protocol "smoke-signals"`, `duplicate slug "a"`, "api_key or api_key_env", "endpoints[0]: model is required",
		"providers[2]: slug is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if d := Default(); d.Validate() != nil {
		t.Errorf("defaults invalid: %v", d.Validate())
	}
}
