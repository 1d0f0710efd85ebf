package preset

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		slug    string // "" for no invocation
		wantErr string // a fragment of the error
	}{
		{name: "no preset", body: `{"model":"openai/gpt-4o","messages":[]}`},
		{name: "not JSON", body: `{"preset":`},
		{name: "word only in a message", body: `{"model":"m","messages":[{"role":"user","content":"my preset"}]}`},
		{name: "model reference", body: `{"model":"@preset/email-copywriter"}`, slug: "email-copywriter"},
		{name: "preset field", body: `{"model":"openai/gpt-4o","preset":"email"}`, slug: "email"},
		{name: "preset field without model", body: `{"preset":"email"}`, slug: "email"},
		{name: "model suffix", body: `{"model":"openai/gpt-4o@preset/email"}`, slug: "email"},
		{name: "same preset twice", body: `{"model":"@preset/a","preset":"a"}`, slug: "a"},
		{name: "two presets", body: `{"model":"@preset/a","preset":"b"}`, wantErr: "different presets"},
		{name: "preset not a string", body: `{"preset":1}`, wantErr: "must be a string"},
		{name: "empty preset", body: `{"preset":""}`, wantErr: "not a valid preset slug"},
		{name: "bad preset slug", body: `{"preset":"Email"}`, wantErr: "not a valid preset slug"},
		{name: "bad model reference", body: `{"model":"@preset/"}`, wantErr: "not a valid preset slug"},
		{name: "model not a string", body: `{"model":7,"preset":"a"}`, slug: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse([]byte(tt.body))
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.slug == "" && inv != nil:
				t.Fatalf("Parse = %+v, want no invocation", inv)
			case tt.slug != "" && (inv == nil || inv.Slug != tt.slug):
				t.Fatalf("Parse = %+v, want slug %q", inv, tt.slug)
			}
		})
	}
}

func TestParseWithoutPresetDoesNoWork(t *testing.T) {
	body := []byte(`{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`)
	allocs := testing.AllocsPerRun(100, func() {
		if inv, err := Parse(body); inv != nil || err != nil {
			t.Fatal("invocation found")
		}
	})
	if allocs != 0 {
		t.Errorf("Parse of a body without a preset: %v allocations, want 0", allocs)
	}
}

const config = `{
	"model": "openai/gpt-4o",
	"models": ["anthropic/claude-sonnet-4"],
	"provider": {"order": ["openai"], "allow_fallbacks": false},
	"temperature": 0.2,
	"max_tokens": 500,
	"reasoning": {"effort": "high"},
	"system_prompt": "You write <short> emails & nothing else.",
	"tools": [
		{"type": "function", "function": {"name": "send", "description": "preset send"}},
		{"type": "function", "function": {"name": "lookup"}},
		{"type": "web_search"}
	]
}`

func TestApply(t *testing.T) {
	tests := []struct {
		name   string
		config string // default: config
		body   string
		want   string // the merged body, compared as JSON
	}{
		{
			name: "model reference takes the preset's model and everything else",
			body: `{"model":"@preset/p","messages":[{"role":"user","content":"Hi"}]}`,
			want: `{"model":"openai/gpt-4o","models":["anthropic/claude-sonnet-4"],
				"provider":{"order":["openai"],"allow_fallbacks":false},"temperature":0.2,"max_tokens":500,
				"reasoning":{"effort":"high"},
				"tools":[{"type":"function","function":{"name":"send","description":"preset send"}},
					{"type":"function","function":{"name":"lookup"}},{"type":"web_search"}],
				"messages":[{"role":"system","content":"You write <short> emails & nothing else."},
					{"role":"user","content":"Hi"}]}`,
		},
		{
			name:   "preset field: the request's model wins",
			config: `{"model":"openai/gpt-4o","temperature":0.2}`,
			body:   `{"model":"mistral/large","preset":"p","messages":[]}`,
			want:   `{"model":"mistral/large","temperature":0.2,"messages":[]}`,
		},
		{
			name:   "preset field without a model: the preset's",
			config: `{"model":"openai/gpt-4o"}`,
			body:   `{"preset":"p","messages":[]}`,
			want:   `{"model":"openai/gpt-4o","messages":[]}`,
		},
		{
			name:   "model suffix: the model before it wins",
			config: `{"model":"openai/gpt-4o","top_p":0.9}`,
			body:   `{"model":"meta/llama@preset/p","messages":[]}`,
			want:   `{"model":"meta/llama","top_p":0.9,"messages":[]}`,
		},
		{
			name:   "model reference to a preset without a model",
			config: `{"models":["a/b","c/d"]}`,
			body:   `{"model":"@preset/p","messages":[]}`,
			want:   `{"models":["a/b","c/d"],"messages":[]}`,
		},
		{
			name:   "request fields override, objects whole; null clears",
			config: `{"temperature":0.2,"provider":{"order":["openai"],"sort":"price"},"max_tokens":500,"stop":["x"]}`,
			body:   `{"model":"@preset/p","temperature":1,"provider":{"only":["groq"]},"max_tokens":null,"messages":[]}`,
			want:   `{"temperature":1,"provider":{"only":["groq"]},"max_tokens":null,"stop":["x"],"messages":[]}`,
		},
		{
			name: "tools unioned, the request's definition winning",
			body: `{"model":"@preset/p","messages":[],"tools":[
				{"type":"function","function":{"name":"send","description":"request send"}},
				{"type":"function","function":{"name":"extra"}},
				{"type":"web_search","max_results":3}]}`,
			config: `{"tools":[{"type":"function","function":{"name":"send","description":"preset send"}},
				{"type":"function","function":{"name":"lookup"}},{"type":"web_search"},{"unreadable":true}]}`,
			want: `{"messages":[],"tools":[
				{"type":"function","function":{"name":"lookup"}},{"unreadable":true},
				{"type":"function","function":{"name":"send","description":"request send"}},
				{"type":"function","function":{"name":"extra"}},
				{"type":"web_search","max_results":3}]}`,
		},
		{
			name:   "request tools, none in the preset",
			config: `{}`,
			body:   `{"preset":"p","model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f"}}]}`,
			want:   `{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f"}}]}`,
		},
		{
			name:   "null request tools keep the preset's",
			config: `{"tools":[{"type":"function","function":{"name":"f"}}]}`,
			body:   `{"preset":"p","model":"m","messages":[],"tools":null}`,
			want:   `{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"f"}}]}`,
		},
		{
			name:   "system prompt before the request's own system message",
			config: `{"system_prompt":"Be brief."}`,
			body:   `{"preset":"p","model":"m","messages":[{"role":"system","content":"Be kind."},{"role":"user","content":"Hi"}]}`,
			want: `{"model":"m","messages":[{"role":"system","content":"Be brief."},
				{"role":"system","content":"Be kind."},{"role":"user","content":"Hi"}]}`,
		},
		{
			name:   "system prompt without request messages",
			config: `{"system_prompt":"Be brief."}`,
			body:   `{"preset":"p","model":"m"}`,
			want:   `{"model":"m","messages":[{"role":"system","content":"Be brief."}]}`,
		},
		{
			name:   "empty system prompt adds nothing",
			config: `{"system_prompt":""}`,
			body:   `{"preset":"p","model":"m","messages":[]}`,
			want:   `{"model":"m","messages":[]}`,
		},
		{
			name:   "unknown request fields pass through",
			config: `{"temperature":0.5}`,
			body:   `{"preset":"p","model":"m","messages":[],"vendor_extra":{"a":1}}`,
			want:   `{"model":"m","temperature":0.5,"messages":[],"vendor_extra":{"a":1}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.config
			if cfg == "" {
				cfg = config
			}
			inv, err := Parse([]byte(tt.body))
			if err != nil || inv == nil {
				t.Fatalf("Parse = %v, %v", inv, err)
			}
			got, err := inv.Apply(json.RawMessage(cfg))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !jsonEqual(t, got, []byte(tt.want)) {
				t.Errorf("Apply =\n%s\nwant\n%s", got, tt.want)
			}
			if bytes.Contains(got, []byte(`"preset"`)) || bytes.Contains(got, []byte(`system_prompt`)) {
				t.Errorf("Apply left a preset field: %s", got)
			}
		})
	}
}

func TestApplyKeepsHTMLCharacters(t *testing.T) {
	inv, _ := Parse([]byte(`{"preset":"p","model":"m","messages":[{"role":"user","content":"a<b && c>d"}]}`))
	got, err := inv.Apply(json.RawMessage(`{"system_prompt":"<tag>"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(`"a<b && c>d"`)) || !bytes.Contains(got, []byte(`"<tag>"`)) {
		t.Errorf("Apply escaped HTML characters: %s", got)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct{ name, config, body, want string }{
		{"messages not an array", `{"system_prompt":"x"}`, `{"preset":"p","messages":{}}`, "messages must be an array"},
		{"tools not an array", `{}`, `{"preset":"p","tools":{"type":"function"}}`, "tools must be an array"},
		{"stored config not an object", `[]`, `{"preset":"p"}`, "stored config"},
		{"stored system prompt not a string", `{"system_prompt":1}`, `{"preset":"p"}`, "system_prompt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse([]byte(tt.body))
			if err != nil || inv == nil {
				t.Fatalf("Parse = %v, %v", inv, err)
			}
			if _, err := inv.Apply(json.RawMessage(tt.config)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	tests := []struct {
		name, config string
		wantErr      string // "" if valid
	}{
		{"full", config, ""},
		{"empty", `{}`, ""},
		{"system prompt only", `{"system_prompt":"Be brief."}`, ""},
		{"provider preferences", `{"provider":{"order":["groq"],"sort":{"by":"price","partition":"none"}}}`, ""},
		{"not an object", `["model"]`, "JSON object"},
		{"null", `null`, "JSON object"},
		{"broken", `{"model":`, "JSON object"},
		{"unknown field", `{"model":"m","temprature":0.5}`, `unknown field "temprature"`},
		{"wrong type", `{"temperature":"hot"}`, "not a valid chat request"},
		{"system prompt not a string", `{"system_prompt":["x"]}`, "system_prompt must be a string"},
		{"messages", `{"messages":[{"role":"user","content":"x"}]}`, "config.messages is not allowed"},
		{"preset", `{"preset":"other"}`, "config.preset is not allowed"},
		{"nested preset model", `{"model":"@preset/other"}`, "do not nest"},
		{"nested preset fallback", `{"models":["a/b","x@preset/other"]}`, "do not nest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := CheckConfig(json.RawMessage(tt.config))
			if tt.wantErr == "" {
				if err != nil || req == nil {
					t.Fatalf("CheckConfig = %v, %v", req, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckConfig error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	req, err := CheckConfig(json.RawMessage(config))
	if err != nil {
		t.Fatal(err)
	}
	if req.Model != "openai/gpt-4o" || *req.Temperature != 0.2 || *req.MaxTokens != 500 || len(req.Tools) != 3 {
		t.Errorf("CheckConfig decoded %+v", req)
	}
}

func BenchmarkParseWithoutPreset(b *testing.B) {
	body := []byte(`{"model":"openai/gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("hello ", 200) + `"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Parse(body)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("decode %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}
