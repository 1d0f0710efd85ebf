package router

import (
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

func autoRouter(t *testing.T) *Router {
	t.Helper()
	model := func(id, rate string, context int, modalities []string, params ...string) catalog.Model {
		e := ep("p", rate)
		e.SupportedParameters = append(e.SupportedParameters, params...)
		return catalog.Model{ID: id, ContextLength: context, InputModalities: modalities, Endpoints: []catalog.Endpoint{e}}
	}
	text, vision := []string{"text"}, []string{"text", "image"}
	f := &catalog.File{
		Providers: []catalog.Provider{{Slug: "p", Name: "P", Protocol: "openai"}, {Slug: "off", Name: "Off", Protocol: "openai"}},
		Models: []catalog.Model{
			model("m/tiny", "0.0000001", 8192, text),
			model("m/small", "0.0000002", 32768, text, "tools", "tool_choice"),
			model("m/medium", "0.000001", 131072, vision, "tools", "tool_choice", "response_format"),
			model("m/large", "0.000003", 200000, vision, "tools", "tool_choice", "reasoning"),
			model("m/huge", "0.00001", 1000000, vision, "tools", "tool_choice", "reasoning", "response_format"),
			{ID: "m/offline", Endpoints: []catalog.Endpoint{ep("off", "0.000002")}},
		},
	}
	return newTestRouter(t, f, []string{"p"}, Options{})
}

// switchyard/auto picks the cheapest model of the upper price half of
// those that can serve the request.
func TestAuto(t *testing.T) {
	r := autoRouter(t)
	tools := []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}}
	image := []openai.Message{{Role: "user", Content: openai.PartsContent(
		openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "https://x/y.png"}})}}
	tests := []struct {
		name string
		req  openai.ChatRequest
		want string
	}{
		{"plain: the middle of five", openai.ChatRequest{Messages: user("hi")}, "m/medium"},
		{"tools: the middle of four", openai.ChatRequest{Messages: user("hi"), Tools: tools}, "m/large"},
		{"images", openai.ChatRequest{Messages: image}, "m/large"},
		{"reasoning", openai.ChatRequest{Messages: user("hi"), ReasoningEffort: "low"}, "m/huge"},
		{"context", openai.ChatRequest{Messages: user(strings.Repeat("x", 4*150_000))}, "m/huge"},
		{"a fallback after auto", openai.ChatRequest{Messages: user("hi"), Models: []string{"m/tiny"}}, "m/medium"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Model = AutoModel
			p, err := r.Plan(&tt.req, PlanOptions{Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Candidates[0].Model.ID; got != tt.want {
				t.Fatalf("chose %s, want %s", got, tt.want)
			}
			if p.Explain.Models[0] != tt.want || !strings.Contains(strings.Join(p.Explain.Candidates[0].Reasons, ";"), AutoModel+" chose "+tt.want) {
				t.Errorf("explanation %+v", p.Explain)
			}
		})
	}
	_, err := r.Plan(&openai.ChatRequest{Model: AutoModel, Messages: user(strings.Repeat("x", 4*2_000_000))}, PlanOptions{})
	if e := apierr.From(err); e.Kind != apierr.NotFound || !strings.Contains(e.Message, AutoModel) {
		t.Fatalf("got %v", err)
	}
}
