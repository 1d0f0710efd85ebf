package router

import (
	"context"
	"net/http"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// keyed answers as the client of one credential, or fails with status.
type keyed struct {
	name   string
	status int
	calls  *[]string
}

func (k keyed) Chat(context.Context, *provider.Request) (*openai.ChatResponse, error) {
	*k.calls = append(*k.calls, k.name)
	if k.status != 0 {
		return nil, &provider.Error{Status: k.status, Type: "auth", Message: k.name + " refused"}
	}
	return &openai.ChatResponse{Choices: []openai.Choice{{Message: openai.ResponseMessage{Role: "assistant", Content: openai.Ptr("hi")}}}}, nil
}

func (k keyed) ChatStream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, &provider.Error{Status: http.StatusNotImplemented, Message: "no streams"}
}

func TestBYOKFirst(t *testing.T) {
	var calls []string
	r := testRouter(t)
	r.clients["mid"] = keyed{name: "mid-shared", calls: &calls}
	r.clients["cheap"] = keyed{name: "cheap-shared", calls: &calls}
	r.planner = newPlanner(r)
	req := &openai.ChatRequest{Model: "a/one", Messages: user("hi")}

	// The account's own key for mid is tried before the cheaper shared
	// endpoint, and the result says so.
	res, err := r.Chat(context.Background(), req, Call{BYOK: map[string]provider.Provider{
		"mid": keyed{name: "mid-own", calls: &calls},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Candidate.BYOK || res.Candidate.Provider.Slug != "mid" || calls[0] != "mid-own" {
		t.Fatalf("served by %s (BYOK %v), calls %v", res.Candidate.Provider.Slug, res.Candidate.BYOK, calls)
	}

	// A refused own key (401, not retryable) falls back to the shared
	// endpoints of the same model, not to the next model.
	calls = nil
	res, err = r.Chat(context.Background(), req, Call{BYOK: map[string]provider.Provider{
		"mid": keyed{name: "mid-own", status: http.StatusUnauthorized, calls: &calls},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Candidate.BYOK || calls[0] != "mid-own" || len(calls) != 2 {
		t.Fatalf("after a refused own key: BYOK %v, calls %v", res.Candidate.BYOK, calls)
	}
}

func TestWithBYOKOrder(t *testing.T) {
	r := testRouter(t)
	p, err := r.Plan(&openai.ChatRequest{Model: "a/one", Messages: user("hi")}, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]provider.Provider{"pricey": stub{}}
	tags := func(cs []Candidate) (out []string) {
		for _, c := range cs {
			tag := c.Provider.Slug
			if c.BYOK {
				tag += "(own)"
			}
			out = append(out, tag)
		}
		return out
	}
	if got := tags(withBYOK(p.Candidates, own, false)); got[0] != "pricey(own)" || len(got) != len(p.Candidates)+1 {
		t.Errorf("unordered: %v", got)
	}
	got := tags(withBYOK(p.Candidates, own, true))
	for i, tag := range got {
		if tag == "pricey(own)" && (i+1 == len(got) || got[i+1] != "pricey") {
			t.Errorf("ordered: own key not just before its original: %v", got)
		}
	}
	if n := len(withBYOK(p.Candidates, nil, false)); n != len(p.Candidates) {
		t.Errorf("no BYOK: %d candidates", n)
	}
}
