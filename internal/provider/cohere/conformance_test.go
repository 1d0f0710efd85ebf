package cohere

import (
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConformance runs the shared conformance suite against fixtures in
// Cohere's v2 Chat wire format (protocols.md §5): JSON bodies, SSE streams
// from message-start to message-end, {"id","message"} error bodies and
// in-band errors as message-end with finish_reason ERROR.
func TestConformance(t *testing.T) {
	providertest.RunConformance(t, providertest.Harness{
		New: func(t testing.TB, cfg provider.Config) provider.Provider {
			cfg.BaseURL += "/v2"
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		Model:   "command-a-test",
		Headers: []string{"Authorization", "Content-Type", "Accept"},
	})
}
