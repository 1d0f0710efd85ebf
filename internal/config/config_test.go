package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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

// TestREADMEBillingExample loads the billing example of the README's Money
// section, and checks the environment overrides of its secrets.
func TestREADMEBillingExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Money.*?```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no yaml block under ## Money")
	}
	path := filepath.Join(t.TempDir(), "switchyard.yaml")
	if err := os.WriteFile(path, m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SWITCHYARD_BYOK_KEY": "k", "SWITCHYARD_STRIPE_SECRET_KEY": "sk_test_x"}
	cfg, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Billing
	if b.PlatformFeePermille != 50 || b.BYOKFeePermille != 50 || b.FlushInterval != 100*time.Millisecond ||
		b.BYOKKey != "k" || b.Stripe.SecretKey != "sk_test_x" || b.Stripe.SuccessURL == "" {
		t.Fatalf("billing %+v", b)
	}
	// A secret key without a webhook secret cannot verify payments.
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "webhook_secret") {
		t.Fatalf("Validate: %v", err)
	}
	cfg.Billing.Stripe.WebhookSecret = "whsec_x"
	cfg.Billing.PlatformFeePermille = 1001
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "platform_fee_permille") {
		t.Fatalf("Validate: %v", err)
	}
}
