// Package config is Switchyard's one typed configuration: defaults, then the
// YAML file, then environment variables, then command-line flags, validated
// in one place.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
)

// Config is the whole configuration of a Switchyard server.
type Config struct {
	// Addr is the listen address, HOST:PORT.
	Addr string `yaml:"addr"`
	// DB is a SQLite file path or a postgres:// URL.
	DB string `yaml:"db"`
	// Demo starts the simulated providers.
	Demo bool `yaml:"demo"`

	// MaxBodyBytes bounds request bodies (413 past it).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxInflightBodyBytes bounds the bytes of all the request bodies held
	// at once: past it a request is refused with 503 and Retry-After
	// rather than read, so that a load beyond capacity cannot grow the
	// process without bound. 0: unbounded.
	MaxInflightBodyBytes int64 `yaml:"max_inflight_body_bytes"`
	// BodyReadTimeout bounds reading a request's body, so that a client
	// trickling one cannot hold its share of MaxInflightBodyBytes (taken
	// when its length is announced) for long.
	BodyReadTimeout time.Duration `yaml:"body_read_timeout"`
	// GCHeadroom is the least allocation, in bytes, the garbage collector
	// lets pass between two cycles while the live heap is smaller (0:
	// Go's default, a cycle each time the heap doubles). GOGC in the
	// environment overrides it. See internal/gctune.
	GCHeadroom int64 `yaml:"gc_headroom"`
	// MemoryLimit is the runtime's soft memory limit in bytes, as
	// GOMEMLIMIT sets it (and GOMEMLIMIT in the environment overrides
	// it): the collector works harder as the heap nears it, and inference
	// requests get 503 while the live heap and stacks are past 80% of it
	// (package memguard). 0: no limit (but GOMEMLIMIT's).
	MemoryLimit int64 `yaml:"memory_limit"`
	// ConnectTimeout bounds connecting to an upstream (TCP and TLS).
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// FirstByteTimeout is how long a streamed upstream may take to send its
	// first chunk before the request fails over to the next endpoint.
	FirstByteTimeout time.Duration `yaml:"first_byte_timeout"`
	// RequestTimeout bounds a whole non-streamed upstream request.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// StreamIdleTimeout bounds the silence between two chunks of a stream.
	StreamIdleTimeout time.Duration `yaml:"stream_idle_timeout"`
	// KeepAliveInterval is the period of ": SWITCHYARD PROCESSING" comments
	// while a stream waits for its upstream.
	KeepAliveInterval time.Duration `yaml:"keepalive_interval"`
	// ShutdownTimeout bounds the drain of in-flight requests on shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Retries is how many more rounds over its endpoints a request gets
	// when all failed with retryable errors (0: none), after a jittered
	// exponential backoff from RetryBackoff that honours Retry-After up
	// to MaxRetryWait.
	Retries      int           `yaml:"retries"`
	RetryBackoff time.Duration `yaml:"retry_backoff"`
	MaxRetryWait time.Duration `yaml:"max_retry_wait"`
	// BreakerFailures consecutive failures open an endpoint's circuit
	// breaker for BreakerCooldown (doubling on failed probes).
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`

	// Billing configures fees, rate limits, BYOK and payments.
	Billing Billing `yaml:"billing"`
	// Rankings configures the rankings and datasets endpoints.
	Rankings Rankings `yaml:"rankings"`

	// Providers add or override catalog providers and their endpoints.
	Providers []Provider `yaml:"providers"`
	// Models add or override catalog models.
	Models []catalog.ModelOverlay `yaml:"models"`
}

// Provider is a provider entry of the config file: the catalog overlay plus
// the credential, which never enters the catalog.
type Provider struct {
	catalog.ProviderOverlay `yaml:",inline"`
	// APIKey is the credential in clear; prefer api_key_env.
	APIKey string `yaml:"api_key"`
	// Headers are sent on every request to this provider.
	Headers map[string]string `yaml:"headers"`
}

// Billing is the billing section of the config file.
type Billing struct {
	// PlatformFeePermille is the fee on credit purchases, in thousandths
	// (50: 5%, OpenRouter's); PlatformFeeMinimum is its floor in USD.
	PlatformFeePermille int    `yaml:"platform_fee_permille"`
	PlatformFeeMinimum  string `yaml:"platform_fee_minimum"`
	// BYOKFeePermille is what a generation served with an account's own
	// provider key costs, in thousandths of its list price (50: 5%).
	BYOKFeePermille int `yaml:"byok_fee_permille"`
	// BYOKKey encrypts the accounts' provider keys at rest: base64 of 32
	// random bytes (secretbox.GenerateKey). Env SWITCHYARD_BYOK_KEY.
	// Without it, BYOK keys cannot be stored.
	BYOKKey string `yaml:"byok_key"`
	// RequestsPerMinute limits each key's inference requests (0: none).
	RequestsPerMinute int `yaml:"requests_per_minute"`
	// FlushInterval bounds how long settled generations wait before their
	// records and charges are written in one batch.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// Stripe sells credits with Stripe Checkout when SecretKey is set.
	Stripe Stripe `yaml:"stripe"`
}

// Rankings is the rankings section of the config file.
type Rankings struct {
	// Public serves the rankings, datasets and model activity to anyone;
	// otherwise they need a management key.
	Public bool `yaml:"public"`
	// HiddenApps (HTTP-Referer URLs, or titles of apps that send none) are
	// kept out of app rankings; their tokens still count for their models.
	HiddenApps []string `yaml:"hidden_apps"`
}

// Stripe configures Stripe Checkout top-ups.
type Stripe struct {
	// SecretKey (env SWITCHYARD_STRIPE_SECRET_KEY) and WebhookSecret (env
	// SWITCHYARD_STRIPE_WEBHOOK_SECRET) are Stripe's; APIBase is for tests.
	SecretKey     string `yaml:"secret_key"`
	WebhookSecret string `yaml:"webhook_secret"`
	APIBase       string `yaml:"api_base"`
	// SuccessURL and CancelURL are where Checkout returns the user.
	SuccessURL string `yaml:"success_url"`
	CancelURL  string `yaml:"cancel_url"`
}

// minMemoryLimit is the least memory_limit: below it the server would
// refuse inference requests with the heap it needs idle.
const minMemoryLimit = 64 << 20

// Default returns the built-in configuration.
func Default() Config {
	return Config{
		Addr:                 "127.0.0.1:8080",
		DB:                   "./switchyard.db",
		MaxBodyBytes:         16 << 20,
		MaxInflightBodyBytes: 256 << 20,
		BodyReadTimeout:      time.Minute,
		GCHeadroom:           64 << 20,
		ConnectTimeout:       10 * time.Second,
		FirstByteTimeout:     120 * time.Second,
		RequestTimeout:       10 * time.Minute,
		StreamIdleTimeout:    5 * time.Minute,
		KeepAliveInterval:    3 * time.Second,
		ShutdownTimeout:      30 * time.Second,
		Retries:              1,
		RetryBackoff:         250 * time.Millisecond,
		MaxRetryWait:         5 * time.Second,
		BreakerFailures:      3,
		BreakerCooldown:      30 * time.Second,
		Billing: Billing{
			PlatformFeePermille: 50,
			PlatformFeeMinimum:  "0",
			BYOKFeePermille:     50,
			FlushInterval:       100 * time.Millisecond,
		},
	}
}

// Load returns the defaults overlaid with the file at path (if path is not
// empty) and then with the environment (SWITCHYARD_ADDR, SWITCHYARD_DB).
// Unknown keys in the file are errors: a typo must not silently change
// behaviour. An empty file means all defaults.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		// Further documents would be ignored, unknown keys and all.
		for {
			var rest any
			err := dec.Decode(&rest)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return cfg, fmt.Errorf("config %s: %w", path, err)
			}
			if rest != nil {
				return cfg, fmt.Errorf("config %s: more than one YAML document", path)
			}
		}
	}
	if v := getenv("SWITCHYARD_ADDR"); v != "" {
		cfg.Addr = v
	}
	if v := getenv("SWITCHYARD_DB"); v != "" {
		cfg.DB = v
	}
	for env, dst := range map[string]*string{
		"SWITCHYARD_BYOK_KEY":              &cfg.Billing.BYOKKey,
		"SWITCHYARD_STRIPE_SECRET_KEY":     &cfg.Billing.Stripe.SecretKey,
		"SWITCHYARD_STRIPE_WEBHOOK_SECRET": &cfg.Billing.Stripe.WebhookSecret,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
	return cfg, nil
}

var protocols = []string{
	catalog.ProtocolOpenAI, catalog.ProtocolAnthropic, catalog.ProtocolGemini, catalog.ProtocolVertex,
	catalog.ProtocolBedrock, catalog.ProtocolCohere, catalog.ProtocolAzure, catalog.ProtocolOllama,
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want HOST:PORT", c.Addr))
	}
	if strings.TrimSpace(c.DB) == "" {
		errs = append(errs, errors.New("db: empty"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("max_body_bytes %d: must be at least 1024", c.MaxBodyBytes))
	}
	if c.MaxInflightBodyBytes != 0 && c.MaxInflightBodyBytes < c.MaxBodyBytes {
		errs = append(errs, fmt.Errorf("max_inflight_body_bytes %d: must be 0 (unbounded) or at least max_body_bytes (%d)",
			c.MaxInflightBodyBytes, c.MaxBodyBytes))
	}
	if c.GCHeadroom < 0 {
		errs = append(errs, fmt.Errorf("gc_headroom %d: must not be negative", c.GCHeadroom))
	}
	if c.MemoryLimit != 0 && c.MemoryLimit < minMemoryLimit {
		errs = append(errs, fmt.Errorf("memory_limit %d: must be 0 (none) or at least %d (64 MiB)", c.MemoryLimit, minMemoryLimit))
	}
	for name, d := range map[string]time.Duration{
		"first_byte_timeout": c.FirstByteTimeout, "request_timeout": c.RequestTimeout,
		"stream_idle_timeout": c.StreamIdleTimeout, "shutdown_timeout": c.ShutdownTimeout,
		"connect_timeout": c.ConnectTimeout, "retry_backoff": c.RetryBackoff, "max_retry_wait": c.MaxRetryWait,
		"breaker_cooldown": c.BreakerCooldown, "body_read_timeout": c.BodyReadTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", name))
		}
	}
	if c.Retries < 0 || c.Retries > 5 {
		errs = append(errs, fmt.Errorf("retries %d: must be between 0 and 5", c.Retries))
	}
	if c.BreakerFailures < 1 {
		errs = append(errs, fmt.Errorf("breaker_failures %d: must be at least 1", c.BreakerFailures))
	}
	b := c.Billing
	if b.PlatformFeePermille < 0 || b.PlatformFeePermille > 1000 {
		errs = append(errs, fmt.Errorf("billing.platform_fee_permille %d: must be between 0 and 1000", b.PlatformFeePermille))
	}
	if _, err := money.ParseAmount(b.PlatformFeeMinimum); err != nil {
		errs = append(errs, fmt.Errorf("billing.platform_fee_minimum %q: want an amount of USD such as 0.30", b.PlatformFeeMinimum))
	}
	if b.BYOKFeePermille < 0 || b.BYOKFeePermille > 1000 {
		errs = append(errs, fmt.Errorf("billing.byok_fee_permille %d: must be between 0 and 1000", b.BYOKFeePermille))
	}
	if b.RequestsPerMinute < 0 {
		errs = append(errs, errors.New("billing.requests_per_minute: must not be negative (0: no limit)"))
	}
	if b.FlushInterval <= 0 || b.FlushInterval > time.Minute {
		errs = append(errs, fmt.Errorf("billing.flush_interval %s: must be positive and at most 1m", b.FlushInterval))
	}
	if st := b.Stripe; st.SecretKey != "" && (st.WebhookSecret == "" || st.SuccessURL == "" || st.CancelURL == "") {
		errs = append(errs, errors.New("billing.stripe: secret_key needs webhook_secret, success_url and cancel_url"))
	}
	if c.KeepAliveInterval < 0 {
		errs = append(errs, errors.New("keepalive_interval: must not be negative (0 disables)"))
	}
	seen := map[string]bool{}
	for i, p := range c.Providers {
		where := fmt.Sprintf("providers[%d]", i)
		switch {
		case p.Slug == "":
			errs = append(errs, fmt.Errorf("%s: slug is required", where))
		case seen[p.Slug]:
			errs = append(errs, fmt.Errorf("%s: duplicate slug %q", where, p.Slug))
		}
		seen[p.Slug] = true
		if p.Protocol != "" && !slices.Contains(protocols, p.Protocol) {
			errs = append(errs, fmt.Errorf("%s (%s): protocol %q is not one of %s", where, p.Slug, p.Protocol, strings.Join(protocols, ", ")))
		}
		if p.APIKey != "" && p.APIKeyEnv != "" {
			errs = append(errs, fmt.Errorf("%s (%s): set api_key or api_key_env, not both", where, p.Slug))
		}
		for j, e := range p.Endpoints {
			if e.Model == "" {
				errs = append(errs, fmt.Errorf("%s (%s).endpoints[%d]: model is required", where, p.Slug, j))
			}
		}
	}
	return errors.Join(errs...)
}
