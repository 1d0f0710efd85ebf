package anthropic

import (
	"testing"

	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConformance runs the shared conformance suite against fixtures in
// Anthropic's Messages wire format (protocols.md §2): message bodies, SSE
// streams from message_start to message_stop with pings, signed thinking
// blocks, {"type":"error"} bodies and in-band error events.
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
		Model:   "claude-test",
		Headers: []string{"X-Api-Key", "Anthropic-Version", "Content-Type", "Accept"},
	})
}
