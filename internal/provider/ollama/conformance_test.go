package ollama

import (
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConformance runs the shared conformance suite against fixtures in
// Ollama's native /api/chat wire format (protocols.md §7): JSON bodies,
// NDJSON streams ending with the done:true line, {"error":"…"} bodies and
// {"error":"…"} lines as in-band errors.
func TestConformance(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New: func(t testing.TB, cfg provider.Config) provider.Provider {
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Model:   "llama3.2:test",
		Headers: []string{"Authorization", "Content-Type", "Accept"},
	})
}
