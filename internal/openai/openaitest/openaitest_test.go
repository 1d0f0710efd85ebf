package openaitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// examples holds the x-oaiMeta example of each component schema that has one.
var examples = sync.OnceValues(func() (map[string]string, error) {
	var spec struct {
		Components struct {
			Schemas map[string]struct {
				Meta struct {
					Example string `yaml:"example"`
				} `yaml:"x-oaiMeta"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openaiYAML, &spec); err != nil {
		return nil, err
	}
	ex := make(map[string]string)
	for name, s := range spec.Components.Schemas {
		if s.Meta.Example != "" {
			ex[name] = s.Meta.Example
		}
	}
	return ex, nil
})

// specExample returns the x-oaiMeta example the spec gives for a component
// schema, or fails t.
func specExample(t *testing.T, schema string) string {
	t.Helper()
	ex, err := examples()
	if err != nil {
		t.Fatal(err)
	}
	if ex[schema] == "" {
		t.Fatalf("spec has no x-oaiMeta example for %s", schema)
	}
	return ex[schema]
}

// edit decodes a JSON object, applies f to it and re-encodes it.
func edit(t *testing.T, body string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSpecExamplesPass(t *testing.T) {
	for _, schema := range []string{"CreateChatCompletionResponse", "CreateCompletionResponse", "Model"} {
		t.Run(schema, func(t *testing.T) {
			Validate(t, schema, []byte(specExample(t, schema)))
		})
	}
	t.Run("CreateChatCompletionStreamResponse", func(t *testing.T) {
		// The example is several chunks separated by blank lines, with
		// "...." standing for the chunks left out.
		n := 0
		for chunk := range strings.SplitSeq(specExample(t, "CreateChatCompletionStreamResponse"), "\n\n") {
			chunk = strings.TrimSpace(chunk)
			if chunk == "" || strings.Trim(chunk, ".") == "" {
				continue
			}
			Validate(t, "CreateChatCompletionStreamResponse", []byte(chunk))
			n++
		}
		if n < 2 {
			t.Fatalf("found %d chunks in the spec's example", n)
		}
	})
}

func TestCheckRejects(t *testing.T) {
	completion := specExample(t, "CreateChatCompletionResponse")
	chunk := `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}`
	tests := []struct {
		name, schema string
		body         []byte
		want         string // in the error
	}{
		{"wrong object", "CreateChatCompletionResponse",
			edit(t, completion, func(m map[string]any) { m["object"] = "wrong" }), "/object"},
		{"missing choices", "CreateChatCompletionResponse",
			edit(t, completion, func(m map[string]any) { delete(m, "choices") }), "choices"},
		{"created is a string", "CreateChatCompletionResponse",
			edit(t, completion, func(m map[string]any) { m["created"] = "1741570283" }), "/created"},
		{"unknown finish_reason", "CreateChatCompletionResponse",
			edit(t, completion, func(m map[string]any) {
				m["choices"].([]any)[0].(map[string]any)["finish_reason"] = "error"
			}), "/choices/0/finish_reason"},
		// Only the streamed finish_reason is nullable.
		{"null finish_reason", "CreateChatCompletionResponse",
			edit(t, completion, func(m map[string]any) {
				m["choices"].([]any)[0].(map[string]any)["finish_reason"] = nil
			}), "/choices/0/finish_reason"},
		{"chunk with completion object", "CreateChatCompletionStreamResponse",
			edit(t, chunk, func(m map[string]any) { m["object"] = "chat.completion" }), "/object"},
		{"chunk without delta", "CreateChatCompletionStreamResponse",
			edit(t, chunk, func(m map[string]any) {
				delete(m["choices"].([]any)[0].(map[string]any), "delta")
			}), "delta"},
		{"chunk with unknown finish_reason", "CreateChatCompletionStreamResponse",
			edit(t, chunk, func(m map[string]any) {
				m["choices"].([]any)[0].(map[string]any)["finish_reason"] = "error"
			}), "/choices/0/finish_reason"},
		{"not JSON", "CreateChatCompletionResponse", []byte(`{"id":`), "not JSON"},
		{"trailing data", "CreateChatCompletionResponse", []byte(completion + "{}"), "not JSON"},
		{"unknown schema", "NoSuchSchema", []byte(`{}`), `no schema "NoSuchSchema"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.schema, tt.body)
			if err == nil {
				t.Fatalf("Check(%s) = nil for %s", tt.schema, tt.body)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check(%s) = %v, want an error mentioning %q", tt.schema, err, tt.want)
			}
		})
	}
}

func TestCheckErrorDetail(t *testing.T) {
	err := Check("CreateChatCompletionResponse", edit(t, specExample(t, "CreateChatCompletionResponse"), func(m map[string]any) {
		m["object"] = "wrong"
		delete(m, "choices")
	}))
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Check = %v, want a *jsonschema.ValidationError", err)
	}
	for _, want := range []string{"'/object'", "'choices'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// The spec does not set additionalProperties: false on responses or
// chunks, so gateway extensions (OpenRouter's "provider",
// "native_finish_reason", usage.cost, ...) are allowed.
func TestExtraFieldsAllowed(t *testing.T) {
	chunk := `{"id":"gen-1","object":"chat.completion.chunk","created":1694268190,"model":"openai/gpt-4o-mini","provider":"OpenAI","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null,"native_finish_reason":null,"logprobs":null}],"usage":null}`
	Validate(t, "CreateChatCompletionStreamResponse", []byte(chunk))

	final := `{"id":"gen-1","object":"chat.completion.chunk","created":1694268190,"model":"openai/gpt-4o-mini","provider":"OpenAI","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,"cost":"0.0000123","is_byok":false}}`
	Validate(t, "CreateChatCompletionStreamResponse", []byte(final))

	completion := edit(t, specExample(t, "CreateChatCompletionResponse"), func(m map[string]any) {
		m["provider"] = "OpenAI"
	})
	Validate(t, "CreateChatCompletionResponse", completion)
}

// nullable: true (OpenAPI 3.0 style) must admit null and still check the
// non-null value, enum included.
func TestNullable(t *testing.T) {
	const base = `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":%s,"logprobs":%s}],"usage":%s}`
	tests := []struct {
		finish, logprobs, usage string
		ok                      bool
	}{
		{`null`, `null`, `null`, true},
		{`"stop"`, `{"content":null,"refusal":null}`, `{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}`, true},
		{`"bogus"`, `null`, `null`, false},          // enum still applies
		{`null`, `{"content":null}`, `null`, false}, // required still applies
		{`null`, `null`, `{"prompt_tokens":"1"}`, false},
		{`null`, `"none"`, `null`, false},
	}
	for _, tt := range tests {
		body := fmt.Sprintf(base, tt.finish, tt.logprobs, tt.usage)
		if err := Check("CreateChatCompletionStreamResponse", []byte(body)); (err == nil) != tt.ok {
			t.Errorf("Check(%s) = %v, want ok=%v", body, err, tt.ok)
		}
	}
}

// CompoundFilter refers to itself with the draft 2019-09 $recursiveRef,
// which is converted to a $ref.
func TestRecursiveSchema(t *testing.T) {
	Validate(t, "CompoundFilter", []byte(`{"type":"and","filters":[
		{"type":"eq","key":"a","value":1},
		{"type":"or","filters":[{"type":"ne","key":"b","value":"x"}]}]}`))
	if err := Check("CompoundFilter", []byte(`{"type":"and","filters":[
		{"type":"or","filters":[{"type":"bogus","key":"b","value":"x"}]}]}`)); err == nil {
		t.Error("a nested filter with an unknown operator passed")
	}
}

// OpenAPI 3.0's boolean exclusiveMinimum is converted to the 2020-12 form.
func TestExclusiveMinimum(t *testing.T) {
	for _, tt := range []struct {
		multiplier string
		ok         bool
	}{{`0.5`, true}, {`"auto"`, true}, {`0`, false}, {`-1`, false}} {
		body := `{"model":"gpt-4o-mini","training_file":"file-abc123","hyperparameters":{"learning_rate_multiplier":` + tt.multiplier + `}}`
		if err := Check("CreateFineTuningJobRequest", []byte(body)); (err == nil) != tt.ok {
			t.Errorf("learning_rate_multiplier %s: Check = %v, want ok=%v", tt.multiplier, err, tt.ok)
		}
	}
}

func TestOtherSchemas(t *testing.T) {
	tests := []struct {
		schema, body string
		ok           bool
	}{
		{"ListModelsResponse", `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1686935002,"owned_by":"openai"}]}`, true},
		{"ListModelsResponse", `{"object":"list","data":[{"id":"gpt-4o","object":"model","owned_by":"openai"}]}`, false},
		{"ErrorResponse", `{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}`, true},
		// OpenRouter's error shape has an integer code and no type or param.
		{"ErrorResponse", `{"error":{"code":400,"message":"bad"}}`, false},
		{"CreateEmbeddingResponse", `{"object":"list","model":"text-embedding-3-small","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],"usage":{"prompt_tokens":2,"total_tokens":2}}`, true},
	}
	for _, tt := range tests {
		if err := Check(tt.schema, []byte(tt.body)); (err == nil) != tt.ok {
			t.Errorf("Check(%s, %s) = %v, want ok=%v", tt.schema, tt.body, err, tt.ok)
		}
	}
}

// Every component schema and every response schema of each spec compiles,
// so a spec update that the conversion does not handle fails here rather
// than in some caller's test.
func TestAllSchemasCompile(t *testing.T) {
	for _, spec := range []*Spec{OpenAI, OpenRouter} {
		t.Run(spec.String(), func(t *testing.T) {
			names, err := spec.schemaNames()
			if err != nil {
				t.Fatal(err)
			}
			if len(names) < 100 || len(spec.responses) < 50 {
				t.Fatalf("only %d component schemas and %d response schemas", len(names), len(spec.responses))
			}
			for _, name := range names {
				if _, err := spec.compile(name, "/$defs/"+escapePointer(name)); err != nil {
					t.Error(err)
				}
			}
			for _, key := range slices.Sorted(maps.Keys(spec.responses)) {
				i := strings.LastIndexByte(key, ' ')
				if _, err := spec.compile(key, responsePointer(key[:i], key[i+1:])); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	body := []byte(specExample(t, "CreateCompletionResponse"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, schema := range []string{"CreateCompletionResponse", "CreateChatCompletionResponse"} {
				err := Check(schema, body)
				if (err == nil) != (schema == "CreateCompletionResponse") {
					t.Errorf("Check(%s) = %v", schema, err)
				}
			}
		})
	}
	wg.Wait()
}

// fakeTB records what Validate reports instead of failing the test.
type fakeTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
}

func TestValidateFails(t *testing.T) {
	var tb fakeTB
	Validate(&tb, "CreateChatCompletionResponse", []byte(`{"object":"wrong"}`))
	if !tb.failed {
		t.Fatal("Validate did not fail")
	}
	for _, want := range []string{"CreateChatCompletionResponse", "/object", `body: {"object":"wrong"}`} {
		if !strings.Contains(tb.msg, want) {
			t.Errorf("Validate reported %q, want it to mention %q", tb.msg, want)
		}
	}

	tb = fakeTB{}
	Validate(&tb, "CreateCompletionResponse", []byte(specExample(t, "CreateCompletionResponse")))
	if tb.failed {
		t.Errorf("Validate failed a valid body: %s", tb.msg)
	}
}

func BenchmarkCheck(b *testing.B) {
	body := []byte(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null,"logprobs":null}]}`)
	if err := Check("CreateChatCompletionStreamResponse", body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Check("CreateChatCompletionStreamResponse", body); err != nil {
			b.Fatal(err)
		}
	}
}

// openRouterExamples holds the example of each component schema of the
// OpenRouter spec that has one, and of each operation's application/json
// response, keyed by responseKey and status ("GET /providers 200").
var openRouterExamples = sync.OnceValues(func() (map[string][]byte, error) {
	type withExample struct {
		Example any `yaml:"example"`
	}
	var spec struct {
		Components struct {
			Schemas map[string]withExample `yaml:"schemas"`
		} `yaml:"components"`
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openrouterYAML, &spec); err != nil {
		return nil, err
	}
	ex := make(map[string][]byte)
	add := func(key string, v any) error {
		if v == nil {
			return nil
		}
		b, err := json.Marshal(v)
		ex[key] = b
		return err
	}
	for name, s := range spec.Components.Schemas {
		if err := add(name, s.Example); err != nil {
			return nil, err
		}
	}
	for path, item := range spec.Paths {
		for method, op := range item {
			op, _ := op.(map[string]any)
			rs, _ := op["responses"].(map[string]any)
			for code, r := range rs {
				r, _ := r.(map[string]any)
				content, _ := r["content"].(map[string]any)
				media, _ := content["application/json"].(map[string]any)
				if err := add(responseKey(method, path)+" "+code, media["example"]); err != nil {
					return nil, err
				}
			}
		}
	}
	return ex, nil
})

func openRouterExample(t *testing.T, key string) []byte {
	t.Helper()
	ex, err := openRouterExamples()
	if err != nil {
		t.Fatal(err)
	}
	if ex[key] == nil {
		t.Fatalf("the OpenRouter spec has no example for %s", key)
	}
	return ex[key]
}

func TestOpenRouterExamplesPass(t *testing.T) {
	for _, schema := range []string{"Model", "ModelArchitecture", "PublicEndpoint", "PublicPricing",
		"TopProviderInfo", "BadRequestResponse", "NotFoundResponse", "UnauthorizedResponse",
		"PaymentRequiredResponse", "ServiceUnavailableResponse"} {
		t.Run(schema, func(t *testing.T) {
			OpenRouter.Validate(t, schema, openRouterExample(t, schema))
		})
	}
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/models", 200},
		{"GET", "/models", 400},
		{"GET", "/models/{author}/{slug}/endpoints", 200},
		{"GET", "/models/{author}/{slug}/endpoints", 404},
		{"GET", "/providers", 200},
		{"POST", "/chat/completions", 400},
	} {
		key := responseKey(tt.method, tt.path) + " " + strconv.Itoa(tt.status)
		t.Run(key, func(t *testing.T) {
			body := openRouterExample(t, key)
			if key == "GET /models 200" {
				// The spec's example leaves out two fields its schema
				// (ModelsListResponse) requires.
				if OpenRouter.CheckResponse(tt.method, tt.path, tt.status, body) == nil {
					t.Error("the example of GET /models now conforms: drop this fix-up")
				}
				body = edit(t, string(body), func(m map[string]any) {
					m["total_count"] = len(m["data"].([]any))
					m["links"] = map[string]any{"next": nil}
				})
			}
			OpenRouter.ValidateResponse(t, tt.method, tt.path, tt.status, body)
		})
	}
}

func TestOpenRouterRejects(t *testing.T) {
	model := string(openRouterExample(t, "Model"))
	endpoint := string(openRouterExample(t, "PublicEndpoint"))
	providers := string(openRouterExample(t, "GET /providers 200"))
	tests := []struct {
		name, schema string
		body         []byte
		want         string // in the error
	}{
		{"model without supported_voices", "Model",
			edit(t, model, func(m map[string]any) { delete(m, "supported_voices") }), "supported_voices"},
		{"unknown tokenizer", "Model",
			edit(t, model, func(m map[string]any) { m["architecture"].(map[string]any)["tokenizer"] = "GPT-4" }),
			"/architecture/tokenizer"},
		{"unknown input modality", "Model",
			edit(t, model, func(m map[string]any) {
				m["architecture"].(map[string]any)["input_modalities"] = []any{"smell"}
			}), "/architecture/input_modalities/0"},
		{"numeric price", "Model",
			edit(t, model, func(m map[string]any) { m["pricing"].(map[string]any)["prompt"] = 0.00003 }), "/pricing/prompt"},
		{"unknown quantization", "PublicEndpoint",
			edit(t, endpoint, func(m map[string]any) { m["quantization"] = "q4_k_m" }), "/quantization"},
		{"endpoint without uptime", "PublicEndpoint",
			edit(t, endpoint, func(m map[string]any) { delete(m, "uptime_last_5m") }), "uptime_last_5m"},
		{"error code is a string", "BadRequestResponse",
			[]byte(`{"error":{"code":"invalid_request","message":"bad"}}`), "/error/code"},
		{"unknown schema", "NoSuchSchema", []byte(`{}`), `no schema "NoSuchSchema"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := OpenRouter.Check(tt.schema, tt.body)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check(%s) = %v, want an error mentioning %q", tt.schema, err, tt.want)
			}
		})
	}

	// Inline response schemas are checked too.
	noPrivacy := edit(t, providers, func(m map[string]any) {
		delete(m["data"].([]any)[0].(map[string]any), "privacy_policy_url")
	})
	if err := OpenRouter.CheckResponse("GET", "/providers", 200, noPrivacy); err == nil ||
		!strings.Contains(err.Error(), "privacy_policy_url") {
		t.Errorf("CheckResponse(GET /providers) = %v for a provider without privacy_policy_url", err)
	}
	if err := OpenRouter.CheckResponse("GET", "/models/{author}/{slug}/endpoints", 200, []byte(`{"data":{"id":"a/b"}}`)); err == nil {
		t.Error("CheckResponse accepted an endpoints list without endpoints")
	}
	// A status the operation does not list, and an unknown operation.
	if err := OpenRouter.CheckResponse("GET", "/providers", 404, []byte(`{}`)); err == nil ||
		!strings.Contains(err.Error(), "no application/json schema") {
		t.Errorf("CheckResponse(GET /providers 404) = %v", err)
	}
	if err := OpenRouter.CheckResponse("GET", "/nothing", 200, []byte(`{}`)); err == nil {
		t.Error("CheckResponse accepted an unknown path")
	}
}

// The two specs are separate: a schema name means what its spec says.
func TestSpecsAreSeparate(t *testing.T) {
	openAIModel := []byte(`{"id":"gpt-4o","object":"model","created":1686935002,"owned_by":"openai"}`)
	if err := OpenAI.Check("Model", openAIModel); err != nil {
		t.Errorf("OpenAI Model: %v", err)
	}
	if err := OpenRouter.Check("Model", openAIModel); err == nil {
		t.Error("an OpenAI Model passed as an OpenRouter Model")
	}
	if err := OpenAI.Check("PublicEndpoint", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "OpenAI spec") {
		t.Errorf("OpenAI.Check(PublicEndpoint) = %v", err)
	}
}
