package openaicompat

import (
	"path/filepath"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func TestConformance(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New: func(t testing.TB, cfg provider.Config) provider.Provider {
			cfg.BaseURL += "/v1"
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Model:   "gpt-test",
		Headers: []string{"Authorization", "Accept", "Content-Type"},
	})
}

// Azure OpenAI speaks the same dialect on other URLs and with another
// credential header: the same fixtures, goldens of its own.
func TestConformanceAzure(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New: func(t testing.TB, cfg provider.Config) provider.Provider {
			cfg.BaseURL += "?api-version=2024-10-21"
			p, err := NewAzure(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Model:   "my-gpt-deployment",
		Dir:     filepath.Join("testdata", "conformance", "azure"),
		Replies: filepath.Join("testdata", "conformance"),
		Headers: []string{"Api-Key", "Authorization", "Accept"},
	})
}
