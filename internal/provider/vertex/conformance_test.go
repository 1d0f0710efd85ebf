package vertex

import (
	"path/filepath"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/googleauth"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConformance runs the shared conformance suite for Gemini models on
// Vertex AI, which answers with the Gemini API's bodies: the fixtures are
// package gemini's, the goldens (Vertex URLs, bearer token) are these.
func TestConformance(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New: func(t testing.TB, cfg provider.Config) provider.Provider {
			cfg.BaseURL += "/v1/projects/test-project/locations/us-central1"
			cfg.Auth = googleauth.Static("test-token")
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Model:   "gemini-2.5-flash",
		Replies: filepath.Join("..", "gemini", "testdata", "conformance"),
		Headers: []string{"Authorization", "X-Goog-Api-Key", "Content-Type", "Accept"},
	})
}
