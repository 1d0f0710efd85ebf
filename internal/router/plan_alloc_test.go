package router

import (
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// TestPlanAllocs pins the allocations of one routing decision (measured:
// 2 for a model with four endpoints, three routable; BenchmarkPlan
// measures the same over 100,000 models).
func TestPlanAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := testRouter(t)
	req := &openai.ChatRequest{Model: "a/one", Messages: user("What is the capital of France?")}
	var p *Plan
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if p, err = r.Plan(req, PlanOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	if len(p.Candidates) != 3 {
		t.Fatalf("plan %s, want the three routable endpoints", order(p))
	}
	const limit = 3
	if allocs > limit {
		t.Errorf("%v allocations per routing decision, want at most %d", allocs, limit)
	}
}
