package gemini

import (
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConformance runs the shared conformance suite against fixtures in
// the Gemini API's wire format (protocols.md §3): GenerateContentResponse
// bodies, SSE streams of whole responses that end by closing after the
// chunk with finishReason, google.rpc.Status error bodies, and in-band
// errors as {"error":…} events.
func TestConformance(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New: func(t testing.TB, cfg provider.Config) provider.Provider {
			cfg.BaseURL += "/v1beta"
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Model:   "gemini-2.5-flash",
		Headers: []string{"X-Goog-Api-Key", "Content-Type", "Accept"},
	})
}
