package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

type generationConfig struct {
	MaxOutputTokens    *int            `json:"maxOutputTokens,omitempty"`
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	TopK               *int            `json:"topK,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	CandidateCount     *int            `json:"candidateCount,omitempty"`
	Seed               *int64          `json:"seed,omitempty"`
	PresencePenalty    *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseSchema     json.RawMessage `json:"responseSchema,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	ThinkingConfig     *thinkingConfig `json:"thinkingConfig,omitempty"`
}

type thinkingConfig struct {
	IncludeThoughts bool   `json:"includeThoughts,omitempty"`
	ThinkingBudget  *int   `json:"thinkingBudget,omitempty"`
	ThinkingLevel   string `json:"thinkingLevel,omitempty"`
}

// genConfig builds generationConfig for model; nil when nothing is set.
func genConfig(c *openai.ChatRequest, model string, r openai.Reasoning) (*generationConfig, error) {
	g := &generationConfig{
		Temperature:      c.Temperature,
		TopP:             c.TopP,
		TopK:             c.TopK,
		CandidateCount:   c.N,
		Seed:             c.Seed,
		PresencePenalty:  c.PresencePenalty,
		FrequencyPenalty: c.FrequencyPenalty,
	}
	if n := c.MaxOutputTokens(); n > 0 {
		g.MaxOutputTokens = openai.Ptr(n)
	}
	stop, err := openai.ParseStop(c.Stop)
	if err != nil {
		return nil, err
	}
	g.StopSequences = stop
	if err := g.responseFormat(c.ResponseFormat); err != nil {
		return nil, err
	}
	g.ThinkingConfig = thinking(model, r, c.MaxOutputTokens())
	b, _ := json.Marshal(g)
	if string(b) == "{}" {
		return nil, nil
	}
	return g, nil
}

// responseFormat maps response_format: json_object → JSON mode, and
// json_schema → JSON mode with a schema.
func (g *generationConfig) responseFormat(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return fmt.Errorf("response_format: %w", err)
	}
	switch rf.Type {
	case "", "text":
	case "json_object":
		g.ResponseMimeType = "application/json"
	case "json_schema":
		g.ResponseMimeType = "application/json"
		if rf.JSONSchema != nil {
			g.ResponseSchema, g.ResponseJSONSchema = schema(rf.JSONSchema.Schema)
		}
	default:
		return fmt.Errorf("response_format: unsupported type %q", rf.Type)
	}
	return nil
}

// Thinking levels of Gemini 3, weakest first.
var levels = []string{"MINIMAL", "LOW", "MEDIUM", "HIGH"}

// family is how a model family thinks.
type family struct {
	// levels are the thinking levels a Gemini 3 model accepts; none for
	// the budget-based Gemini 2.5.
	levels []string
	// lo and hi bound a thinking budget; canDisable says a budget of 0
	// turns thinking off (else lo is the least thinking there is).
	lo, hi     int
	canDisable bool
}

// maxOutput is the output cap of Gemini 2.5 and 3 models, the base of an
// effort's share when the request sets no max_tokens.
const maxOutput = 65536

// familyOf returns the thinking family of a model id, false for models
// that do not think (Gemini 1.x and 2.0, Gemma).
func familyOf(model string) (family, bool) {
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "gemini-1"), strings.Contains(m, "gemini-2.0"), strings.Contains(m, "gemma"):
		return family{}, false
	case strings.Contains(m, "gemini-3"):
		switch {
		case strings.Contains(m, "gemini-3.1") && strings.Contains(m, "pro"):
			return family{levels: levels[1:]}, true
		case strings.Contains(m, "pro"):
			return family{levels: []string{"LOW", "HIGH"}}, true
		}
		return family{levels: levels}, true
	case strings.Contains(m, "flash-lite"):
		return family{lo: 512, hi: 24576, canDisable: true}, true
	case strings.Contains(m, "flash"):
		return family{lo: 1, hi: 24576, canDisable: true}, true
	}
	return family{lo: 128, hi: 32768}, true // 2.5 Pro and unknown models
}

// thinking maps the reasoning request onto model's thinkingConfig: a
// level for Gemini 3, a budget for Gemini 2.5. Nil leaves the model's
// default, as do models that do not think.
func thinking(model string, r openai.Reasoning, maxTokens int) *thinkingConfig {
	f, ok := familyOf(model)
	if !r.Set || !ok {
		return nil
	}
	if maxTokens <= 0 {
		maxTokens = maxOutput
	}
	tc := &thinkingConfig{IncludeThoughts: r.Enabled && !r.Exclude}
	if f.levels != nil {
		want := "MINIMAL" // reasoning off: Gemini 3 cannot stop thinking
		if r.Enabled {
			want = levelOf(r.EffortFor(maxTokens))
		}
		tc.ThinkingLevel = nearest(want, f.levels)
		return tc
	}
	switch {
	case r.Enabled:
		tc.ThinkingBudget = openai.Ptr(r.Budget(maxTokens, f.lo, f.hi))
	case f.canDisable:
		tc.ThinkingBudget = openai.Ptr(0)
	default:
		tc.ThinkingBudget = openai.Ptr(f.lo)
	}
	return tc
}

// levelOf maps an effort to a thinking level.
func levelOf(effort string) string {
	switch effort {
	case openai.EffortMinimal, openai.EffortNone:
		return "MINIMAL"
	case openai.EffortLow:
		return "LOW"
	case openai.EffortMedium:
		return "MEDIUM"
	}
	return "HIGH" // high, xhigh, max
}

// nearest returns want if supported, else the supported level nearest to
// it, the stronger on a tie.
func nearest(want string, supported []string) string {
	rank := func(l string) int {
		for i, x := range levels {
			if x == l {
				return i
			}
		}
		return 0
	}
	best, dist := supported[0], 1<<30
	for _, l := range supported {
		d := rank(l) - rank(want)
		if d < 0 {
			d = -d
		}
		if d <= dist {
			best, dist = l, d
		}
	}
	return best
}

// schema converts a JSON Schema for Gemini's OpenAPI-subset Schema field:
// keywords Gemini rejects are dropped. A schema with references goes in
// the JSON Schema field instead. Absent schemas stay absent.
func schema(raw json.RawMessage) (openAPI, jsonSchema json.RawMessage) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw, nil
	}
	if hasRefs(v) {
		return nil, raw
	}
	b, err := json.Marshal(clean(v))
	if err != nil {
		return raw, nil
	}
	return b, nil
}

func hasRefs(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "$ref" || k == "$defs" || k == "definitions" || hasRefs(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if hasRefs(x) {
				return true
			}
		}
	}
	return false
}

// clean returns a copy of a schema without additionalProperties, $schema,
// $id and strict.
func clean(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			switch k {
			case "additionalProperties", "$schema", "$id", "strict":
				continue
			case "properties":
				// Property names are data, not keywords.
				if props, ok := x.(map[string]any); ok {
					p := make(map[string]any, len(props))
					for name, s := range props {
						p[name] = clean(s)
					}
					out[k] = p
					continue
				}
			}
			out[k] = clean(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = clean(x)
		}
		return out
	}
	return v
}
