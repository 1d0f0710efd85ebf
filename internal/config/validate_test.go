package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
)

// validateCases each break one thing; applied together they break all.
// Provider problems append entries, so that the cases compose.
var validateCases = []struct {
	name  string
	spoil func(*Config)
	want  string
}{
	{"addr without port", func(c *Config) { c.Addr = "nope" }, `addr "nope": want HOST:PORT`},
	{"empty db", func(c *Config) { c.DB = "  " }, "db: empty"},
	{"tiny body limit", func(c *Config) { c.MaxBodyBytes = 10 }, "max_body_bytes 10"},
	{"in-flight bodies below one body", func(c *Config) { c.MaxInflightBodyBytes = c.MaxBodyBytes - 1 }, "max_inflight_body_bytes"},
	{"no body read timeout", func(c *Config) { c.BodyReadTimeout = 0 }, "body_read_timeout"},
	{"memory limit in KiB", func(c *Config) { c.MemoryLimit = 65536 }, "memory_limit 65536: must be 0 (none) or at least 67108864"},
	{"zero first byte timeout", func(c *Config) { c.FirstByteTimeout = 0 }, "first_byte_timeout: must be positive"},
	{"negative request timeout", func(c *Config) { c.RequestTimeout = -time.Second }, "request_timeout: must be positive"},
	{"zero stream idle timeout", func(c *Config) { c.StreamIdleTimeout = 0 }, "stream_idle_timeout: must be positive"},
	{"zero shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown_timeout: must be positive"},
	{"negative keepalive", func(c *Config) { c.KeepAliveInterval = -time.Second }, "keepalive_interval: must not be negative"},
	{"duplicate slug", func(c *Config) {
		c.Providers = append(c.Providers, provider("dup"), provider("dup"))
	}, `duplicate slug "dup"`},
	{"missing slug", func(c *Config) {
		c.Providers = append(c.Providers, Provider{ProviderOverlay: catalog.ProviderOverlay{Name: "Nameless"}})
	}, "slug is required"},
	{"bad protocol", func(c *Config) {
		p := provider("smoke")
		p.Protocol = "smoke-signals"
		c.Providers = append(c.Providers, p)
	}, `(smoke): protocol "smoke-signals" is not one of openai, anthropic`},
	{"api_key and api_key_env", func(c *Config) {
		p := provider("both")
		p.APIKey, p.APIKeyEnv = "sk-inline", "BOTH_API_KEY"
		c.Providers = append(c.Providers, p)
	}, "(both): set api_key or api_key_env, not both"},
	{"endpoint without model", func(c *Config) {
		p := provider("nomodel")
		p.Endpoints = append(p.Endpoints, catalog.EndpointOverlay{UpstreamModel: "house-1"})
		c.Providers = append(c.Providers, p)
	}, "(nomodel).endpoints[1]: model is required"},
}

// provider is a valid provider entry.
func provider(slug string) Provider {
	return Provider{ProviderOverlay: catalog.ProviderOverlay{
		Slug: slug, Name: slug, Protocol: catalog.ProtocolOpenAI, BaseURL: "http://127.0.0.1:9/v1",
		Endpoints: []catalog.EndpointOverlay{{Model: "acme/m", UpstreamModel: "m"}},
	}}
}

func TestValidateTable(t *testing.T) {
	for _, tc := range validateCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			tc.spoil(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error lacks %q:\n%v", tc.want, err)
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != 1 {
				t.Fatalf("one problem, %d reported:\n%v", len(lines), err)
			}
		})
	}

	t.Run("all at once", func(t *testing.T) {
		cfg := Default()
		for _, tc := range validateCases {
			tc.spoil(&cfg)
		}
		err := cfg.Validate()
		if err == nil {
			t.Fatal("no error")
		}
		for _, tc := range validateCases {
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error lacks %q", tc.want)
			}
		}
		if lines := strings.Split(err.Error(), "\n"); len(lines) != len(validateCases) {
			t.Errorf("%d problems, %d reported", len(validateCases), len(lines))
		}
		if t.Failed() {
			t.Logf("error:\n%v", err)
		}
	})
}

func TestValidateAccepts(t *testing.T) {
	valid := map[string]func(*Config){
		"defaults":               func(*Config) {},
		"keepalive off":          func(c *Config) { c.KeepAliveInterval = 0 },
		"any host":               func(c *Config) { c.Addr = ":8080" },
		"ipv6":                   func(c *Config) { c.Addr = "[::1]:0" },
		"postgres":               func(c *Config) { c.DB = "postgres://u@db:5432/switchyard" },
		"protocol left out":      func(c *Config) { p := provider("p"); p.Protocol = ""; c.Providers = []Provider{p} },
		"inline key":             func(c *Config) { p := provider("p"); p.APIKey = "k"; c.Providers = []Provider{p} },
		"key variable":           func(c *Config) { p := provider("p"); p.APIKeyEnv = "P_KEY"; c.Providers = []Provider{p} },
		"provider with no model": func(c *Config) { c.Providers = []Provider{{ProviderOverlay: catalog.ProviderOverlay{Slug: "groq"}}} },
		"every protocol": func(c *Config) {
			for _, proto := range protocols {
				p := provider("p-" + proto)
				p.Protocol = proto
				c.Providers = append(c.Providers, p)
			}
		},
	}
	for name, set := range valid {
		cfg := Default()
		set(&cfg)
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadYAML(t *testing.T) {
	noEnv := func(string) string { return "" }
	load := func(t *testing.T, body string) (Config, error) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "switchyard.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(path, noEnv)
	}

	for name, body := range map[string]string{
		"empty":            "",
		"only comments":    "# nothing set yet\n\n",
		"empty document":   "---\n",
		"null document":    "null\n",
		"trailing marker":  "addr: 127.0.0.1:8080\n---\n",
		"empty documents":  "---\naddr: 127.0.0.1:8080\n---\n# nothing\n---\n",
		"explicit default": "addr: 127.0.0.1:8080\ndb: ./switchyard.db\n",
	} {
		t.Run("defaults/"+name, func(t *testing.T) {
			cfg, err := load(t, body)
			if err != nil {
				t.Fatal(err)
			}
			if d := Default(); cfg.Addr != d.Addr || cfg.DB != d.DB || cfg.KeepAliveInterval != d.KeepAliveInterval ||
				cfg.MaxBodyBytes != d.MaxBodyBytes || cfg.ShutdownTimeout != d.ShutdownTimeout || len(cfg.Providers) != 0 {
				t.Fatalf("got %+v, want the defaults", cfg)
			}
		})
	}

	t.Run("values", func(t *testing.T) {
		cfg, err := load(t, "addr: 0.0.0.0:9090\ndemo: true\nmax_body_bytes: 2048\nfirst_byte_timeout: 90s\n"+
			"request_timeout: 2m30s\nkeepalive_interval: 0s\n")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Addr != "0.0.0.0:9090" || !cfg.Demo || cfg.MaxBodyBytes != 2048 || cfg.FirstByteTimeout != 90*time.Second ||
			cfg.RequestTimeout != 150*time.Second || cfg.KeepAliveInterval != 0 {
			t.Fatalf("got %+v", cfg)
		}
		// Fields the file leaves out keep their defaults.
		if cfg.DB != Default().DB || cfg.StreamIdleTimeout != Default().StreamIdleTimeout {
			t.Fatalf("defaults lost: %+v", cfg)
		}
	})

	for name, tc := range map[string]struct{ body, want string }{
		"unknown top-level key": {"adress: 1.2.3.4:5\n", "adress"},
		"unknown provider key":  {"providers:\n  - slug: acme\n    api_key_envv: ACME_KEY\n", "api_key_envv"},
		"unknown endpoint key":  {"providers:\n  - slug: acme\n    endpoints:\n      - model: a/b\n        upstream: b\n", "upstream"},
		"unknown pricing key":   {"providers:\n  - slug: acme\n    endpoints:\n      - model: a/b\n        pricing: {input: \"1\"}\n", "input"},
		"unknown model key":     {"models:\n  - id: a/b\n    context: 10\n", "context"},
		"duration without unit": {"keepalive_interval: 3\n", "time.Duration"},
		"wrong type":            {"max_body_bytes: lots\n", "lots"},
		"not a mapping":         {"- addr: 1.2.3.4:5\n", "config"},
		"syntax error":          {"addr: [\n", "config"},
		"second document":       {"addr: 127.0.0.1:1\n---\nadress: 1.2.3.4:5\n", "more than one YAML document"},
	} {
		t.Run("error/"+name, func(t *testing.T) {
			_, err := load(t, tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), noEnv); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestLoadEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	// Without a file, the environment overrides the defaults.
	cfg, err := Load("", env(map[string]string{"SWITCHYARD_DB": "postgres://db/sy", "SWITCHYARD_ADDR": "0.0.0.0:9"}))
	if err != nil || cfg.DB != "postgres://db/sy" || cfg.Addr != "0.0.0.0:9" {
		t.Fatalf("no file: %+v %v", cfg, err)
	}

	// The environment overrides the file, one variable at a time; an empty
	// variable overrides nothing.
	path := filepath.Join(t.TempDir(), "switchyard.yaml")
	if err := os.WriteFile(path, []byte("addr: 127.0.0.1:1\ndb: file.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env      map[string]string
		addr, db string
	}{
		{nil, "127.0.0.1:1", "file.db"},
		{map[string]string{"SWITCHYARD_ADDR": ""}, "127.0.0.1:1", "file.db"},
		{map[string]string{"SWITCHYARD_DB": "env.db"}, "127.0.0.1:1", "env.db"},
		{map[string]string{"SWITCHYARD_ADDR": "[::1]:2"}, "[::1]:2", "file.db"},
		{map[string]string{"SWITCHYARD_ADDR": "[::1]:2", "SWITCHYARD_DB": "env.db"}, "[::1]:2", "env.db"},
	} {
		cfg, err := Load(path, env(tc.env))
		if err != nil || cfg.Addr != tc.addr || cfg.DB != tc.db {
			t.Errorf("env %v: addr %q db %q, want %q %q (%v)", tc.env, cfg.Addr, cfg.DB, tc.addr, tc.db, err)
		}
	}

}
