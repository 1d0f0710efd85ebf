package demo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

func TestTokenize(t *testing.T) {
	for _, s := range []string{
		"", " ", "Hello, world.", "  leading and trailing  ", "«quoted» — dash",
		"unbelievably-long-identifiers_are_split", "日本語のテキスト", "a\n\nb", `{"city":"New York"}`,
	} {
		toks := tokenize(s)
		if strings.Join(toks, "") != s {
			t.Errorf("tokenize(%q) = %q does not rejoin", s, toks)
		}
		if countTokens(s) != len(toks) {
			t.Errorf("countTokens(%q) = %d, tokenize has %d", s, countTokens(s), len(toks))
		}
		for _, tok := range toks {
			if tok == "" {
				t.Errorf("tokenize(%q) has an empty token", s)
			}
		}
	}
	if got := tokenize("Hello, world."); strings.Join(got, "|") != "Hello|,| world|." {
		t.Errorf("tokenize = %q", got)
	}
}

func TestLocation(t *testing.T) {
	for in, want := range map[string]string{
		"What's the weather in New York?":      "New York",
		"weather for Paris, please":            "Paris",
		"is it raining at Heathrow Airport":    "Heathrow Airport",
		"what is the weather in my town today": "San Francisco",
		"weather":                              "San Francisco",
	} {
		if got := location(in); got != want {
			t.Errorf("location(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestArgumentName(t *testing.T) {
	for schema, want := range map[string]string{
		`{"properties":{"location":{},"unit":{}}}`:         "location",
		`{"properties":{"city":{}}}`:                       "city",
		`{"properties":{"place":{}},"required":["place"]}`: "place",
		``:      "location",
		`"bad"`: "location",
	} {
		if got := argumentName(json.RawMessage(schema)); got != want {
			t.Errorf("argumentName(%s) = %q, want %q", schema, got, want)
		}
	}
}

func TestParseStop(t *testing.T) {
	for in, want := range map[string]string{
		``: "", `null`: "", `"x"`: "x", `["a","","b"]`: "a|b",
	} {
		got, err := parseStop(json.RawMessage(in))
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("parseStop(%s) = %q, %v", in, got, err)
		}
	}
	if _, err := parseStop(json.RawMessage(`42`)); err == nil {
		t.Error("parseStop(42) succeeded")
	}
}

func TestComposeQuotesAndVaries(t *testing.T) {
	p := fast("demo-a")
	req := func(model, q string) *openai.ChatRequest {
		return &openai.ChatRequest{Model: model, Messages: []openai.Message{
			{Role: "system", Content: openai.TextContent("be brief")},
			{Role: "user", Content: openai.TextContent(q)},
		}}
	}
	long := strings.Repeat("word ", 40)
	r, err := compose(&p, req(modelHaiku, long))
	if err != nil {
		t.Fatal(err)
	}
	text := r.output()
	if !strings.Contains(text, "«"+strings.TrimSpace(long)[:80]+"…»") {
		t.Errorf("long question not cut to 80 characters: %q", text)
	}
	lengths := make(map[int]bool)
	for _, q := range []string{"a", "b", "c", "d", "e", "f"} {
		r, _ := compose(&p, req(modelHaiku, q))
		n := len(r.pieces)
		if n < 40 || n > maxReplyTokens {
			t.Errorf("reply to %q has %d tokens", q, n)
		}
		lengths[n] = true
	}
	if len(lengths) < 2 {
		t.Errorf("all replies have the same length: %v", lengths)
	}

	tool := &openai.ChatRequest{Model: modelHaiku, Messages: []openai.Message{
		{Role: "user", Content: openai.TextContent("weather in Oslo?")},
		{Role: "tool", ToolCallID: "call_1", Content: openai.TextContent("sunny, 21°C")},
	}, Tools: []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "get_weather"}}}}
	r, _ = compose(&p, tool)
	if r.tool != nil || !strings.Contains(r.output(), "The tool returned: «sunny, 21°C»") {
		t.Errorf("reply after a tool result = %q (tool %v)", r.output(), r.tool)
	}
}
