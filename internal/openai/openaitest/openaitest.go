// Package openaitest checks JSON documents against the schemas of published
// OpenAPI specifications, so tests can prove that what Switchyard puts on
// the wire is what clients of the APIs it reproduces expect.
//
// Two specifications are embedded, each a Spec:
//
//   - OpenAI, from testdata/openai-openapi.yaml (OpenAI API 2.3.0,
//     OpenAPI 3.1): for example "CreateChatCompletionResponse",
//     "CreateChatCompletionStreamResponse", "CreateCompletionResponse",
//     "CreateEmbeddingResponse", "ListModelsResponse", "Model" and
//     "ErrorResponse". The package-level Check and Validate use it.
//   - OpenRouter, from testdata/openrouter-openapi.yaml (OpenRouter API
//     1.0.0, OpenAPI 3.1): for example "ModelsListResponse", "Model",
//     "ListEndpointsResponse", "PublicEndpoint", "BadRequestResponse" and
//     "NotFoundResponse".
//
// Spec.Check validates against a component schema by name;
// Spec.CheckResponse validates against the schema the spec gives an
// operation's response (method, path template and status), which also
// covers responses whose schema is written inline in the path, such as
// OpenRouter's GET /providers.
//
// The spec's component schemas, and the application/json schemas of its
// operations' responses, are converted to one JSON Schema 2020-12 document
// before they are compiled: references to #/components/schemas/X become
// #/$defs/X; the OpenAPI 3.0 leftovers "nullable: true" and boolean
// "exclusiveMinimum"/"exclusiveMaximum" are rewritten to their 2020-12
// equivalents; the draft 2019-09 "$recursiveRef": "#" of the self-recursive
// filter schemas becomes a $ref to the enclosing component; and duplicate
// names in "required" are dropped. OpenAPI-only keywords (discriminator,
// example, x-*) are annotations that the validator ignores. Formats are not
// asserted. Where the spec does not say additionalProperties: false,
// unknown properties are allowed, so extension fields such as OpenRouter's
// "provider" pass.
package openaitest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var (
	//go:embed testdata/openai-openapi.yaml
	openaiYAML []byte
	//go:embed testdata/openrouter-openapi.yaml
	openrouterYAML []byte
)

// The embedded specifications.
var (
	OpenAI     = newSpec("OpenAI", "urn:switchyard:openai-openapi", openaiYAML)
	OpenRouter = newSpec("OpenRouter", "urn:switchyard:openrouter-openapi", openrouterYAML)
)

// Spec is one embedded OpenAPI specification. Its methods are safe for
// concurrent use; the spec is parsed and converted once, on first use, and
// each schema is compiled once.
type Spec struct {
	name string // for messages
	url  string // names the converted document inside the compiler; nothing is fetched
	yaml []byte

	loadOnce  sync.Once
	loadErr   error
	defs      map[string]any      // converted #/components/schemas
	responses map[string]struct{} // keys of the converted response schemas, see responseKey

	// mu guards compiler, which is not safe for concurrent use, and cache.
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	cache    map[string]compiled // by JSON Pointer into the converted document
}

func newSpec(name, docURL string, yaml []byte) *Spec {
	return &Spec{name: name, url: docURL, yaml: yaml, cache: map[string]compiled{}}
}

// String returns the spec's name, "OpenAI" or "OpenRouter".
func (s *Spec) String() string { return s.name }

type compiled struct {
	schema *jsonschema.Schema
	err    error
}

// responsesKeyword holds the converted response schemas in the converted
// document, beside $defs: {"GET /providers": {"200": schema}}.
const responsesKeyword = "x-responses"

// Validate fails t (with t.Fatalf, so call it from the test's goroutine) if
// body is not valid JSON that conforms to #/components/schemas/<schema> of
// OpenAI's OpenAPI specification. It is OpenAI.Validate.
func Validate(t testing.TB, schema string, body []byte) {
	t.Helper()
	OpenAI.Validate(t, schema, body)
}

// Check returns nil if body is valid JSON that conforms to
// #/components/schemas/<schema> of OpenAI's OpenAPI specification. It is
// OpenAI.Check.
func Check(schema string, body []byte) error { return OpenAI.Check(schema, body) }

// Validate fails t (with t.Fatalf, so call it from the test's goroutine) if
// body is not valid JSON that conforms to #/components/schemas/<schema> of
// the spec.
func (s *Spec) Validate(t testing.TB, schema string, body []byte) {
	t.Helper()
	if err := s.Check(schema, body); err != nil {
		fatal(t, err, body)
	}
}

// ValidateResponse fails t (with t.Fatalf) if body is not valid JSON that
// conforms to the spec's application/json schema for the response to
// method path (a path template of the spec, such as
// "/models/{author}/{slug}/endpoints") with the given status.
func (s *Spec) ValidateResponse(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	if err := s.CheckResponse(method, path, status, body); err != nil {
		fatal(t, err, body)
	}
}

func fatal(t testing.TB, err error, body []byte) {
	t.Helper()
	t.Fatalf("%v\nbody: %s", err, abbreviate(body, 2048))
}

// Check returns nil if body is valid JSON that conforms to
// #/components/schemas/<schema> of the spec, and otherwise an error that
// names each violation by its JSON Pointer in body (a
// *jsonschema.ValidationError is wrapped).
func (s *Spec) Check(schema string, body []byte) error {
	if err := s.load(); err != nil {
		return err
	}
	if _, ok := s.defs[schema]; !ok {
		return fmt.Errorf("openaitest: no schema %q in #/components/schemas of the %s spec", schema, s.name)
	}
	return s.check(s.name+" "+schema, "/$defs/"+escapePointer(schema), body)
}

// CheckResponse is like Check, with the schema the spec gives the
// application/json response to method path with the given status: the one
// listed for that status, else for its class ("4XX"), else "default".
func (s *Spec) CheckResponse(method, path string, status int, body []byte) error {
	if err := s.load(); err != nil {
		return err
	}
	op := responseKey(method, path)
	code := strconv.Itoa(status)
	for _, c := range []string{code, code[:1] + "XX", "default"} {
		if _, ok := s.responses[op+" "+c]; ok {
			name := fmt.Sprintf("%s response %s %s", s.name, op, code)
			return s.check(name, responsePointer(op, c), body)
		}
	}
	return fmt.Errorf("openaitest: the %s spec has no application/json schema for the %d response to %s", s.name, status, op)
}

func responseKey(method, path string) string { return strings.ToUpper(method) + " " + path }

// responsePointer is where the converted document holds the schema of a
// response.
func responsePointer(op, code string) string {
	return "/" + responsesKeyword + "/" + escapePointer(op) + "/" + escapePointer(code)
}

// check validates body against the schema at ptr in the converted
// document; name is what messages call it.
func (s *Spec) check(name, ptr string, body []byte) error {
	sch, err := s.compile(name, ptr)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("openaitest: %s: body is not JSON: %w", name, err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("openaitest: body does not conform to %s: %w", name, err)
	}
	return nil
}

func (s *Spec) compile(name, ptr string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[ptr]
	if !ok {
		c.schema, c.err = s.compiler.Compile(s.url + fragment(ptr))
		if c.err != nil {
			c.err = fmt.Errorf("openaitest: compiling %s: %w", name, c.err)
		}
		s.cache[ptr] = c
	}
	return c.schema, c.err
}

// schemaNames returns the names of the spec's component schemas.
func (s *Spec) schemaNames() ([]string, error) {
	if err := s.load(); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(s.defs))
	for name := range s.defs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// openAPI is the part of a specification that is converted.
type openAPI struct {
	Components struct {
		Schemas map[string]any `yaml:"schemas"`
	} `yaml:"components"`
	// Paths maps a path template to its path item: operations by method,
	// each with responses by status, content by media type, and schema.
	Paths map[string]map[string]any `yaml:"paths"`
}

// responseSchema returns op.responses[code].content["application/json"].schema.
func responseSchema(r any) (any, bool) {
	for _, key := range []string{"content", "application/json", "schema"} {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, false
		}
		if r, ok = m[key]; !ok {
			return nil, false
		}
	}
	return r, r != nil
}

func (s *Spec) load() error {
	s.loadOnce.Do(func() {
		s.loadErr = s.doLoad()
		if s.loadErr != nil {
			s.loadErr = fmt.Errorf("openaitest: %s spec: %w", s.name, s.loadErr)
		}
	})
	return s.loadErr
}

// doLoad parses the embedded spec, converts its schemas and registers them
// with a new compiler.
func (s *Spec) doLoad() error {
	var spec openAPI
	if err := yaml.Unmarshal(s.yaml, &spec); err != nil {
		return fmt.Errorf("parsing: %w", err)
	}
	if len(spec.Components.Schemas) == 0 {
		return fmt.Errorf("no component schemas")
	}
	s.defs = make(map[string]any, len(spec.Components.Schemas))
	for name, sch := range spec.Components.Schemas {
		s.defs[name] = convert("/$defs/"+escapePointer(name), sch)
	}
	s.responses = map[string]struct{}{}
	responses := map[string]map[string]any{}
	for path, item := range spec.Paths {
		for method, op := range item {
			op, _ := op.(map[string]any)
			rs, _ := op["responses"].(map[string]any)
			for code, r := range rs {
				sch, ok := responseSchema(r)
				if !ok {
					continue
				}
				key := responseKey(method, path)
				if responses[key] == nil {
					responses[key] = map[string]any{}
				}
				responses[key][code] = convert(responsePointer(key, code), sch)
				s.responses[key+" "+code] = struct{}{}
			}
		}
	}
	// A JSON round trip turns YAML's scalar types into what the validator
	// expects (json.Number, string, bool, nil) and fails loudly on anything
	// JSON cannot represent.
	js, err := json.Marshal(map[string]any{
		"$schema":        "https://json-schema.org/draft/2020-12/schema",
		"$defs":          s.defs,
		responsesKeyword: responses,
	})
	if err != nil {
		return fmt.Errorf("converting to JSON: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return fmt.Errorf("converting to JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(s.url, doc); err != nil {
		return err
	}
	s.compiler = c
	return nil
}

// subschemaKeywords hold a schema or a list of schemas; mapKeywords hold a
// map of names to schemas.
var (
	subschemaKeywords = map[string]bool{
		"allOf": true, "anyOf": true, "oneOf": true, "not": true,
		"if": true, "then": true, "else": true,
		"items": true, "prefixItems": true, "contains": true, "unevaluatedItems": true,
		"additionalProperties": true, "unevaluatedProperties": true, "propertyNames": true,
		"contentSchema": true,
	}
	mapKeywords = map[string]bool{
		"properties": true, "patternProperties": true, "dependentSchemas": true,
		"$defs": true, "definitions": true,
	}
)

const componentPrefix = "#/components/schemas/"

// convert rewrites s, a schema within the component or response schema at
// JSON Pointer self in the converted document, in place into plain JSON
// Schema 2020-12. It descends only through keywords that hold
// schemas, so data such as enum, const, default and example values is never
// touched.
func convert(self string, s any) any {
	m, ok := s.(map[string]any)
	if !ok {
		return s // a boolean schema
	}
	for k, v := range m {
		switch {
		case k == "$ref":
			if ref, ok := v.(string); ok && strings.HasPrefix(ref, componentPrefix) {
				m[k] = "#/$defs/" + strings.TrimPrefix(ref, componentPrefix)
			}
		case k == "$recursiveRef" && v == "#":
			// The spec's self-recursive filters pair this draft 2019-09
			// keyword with "$recursiveAnchor: true" on the component to
			// mean "this component": say so with a plain $ref.
			delete(m, k)
			m["$ref"] = fragment(self)
		case k == "$recursiveAnchor":
			delete(m, k)
		case k == "required":
			// The spec lists some names twice, which 2020-12 forbids.
			if list, ok := v.([]any); ok {
				m[k] = dedupe(list)
			}
		case mapKeywords[k]:
			if sub, ok := v.(map[string]any); ok {
				for prop, s := range sub {
					sub[prop] = convert(self, s)
				}
			}
		case subschemaKeywords[k]:
			if list, ok := v.([]any); ok {
				for i, s := range list {
					list[i] = convert(self, s)
				}
			} else {
				m[k] = convert(self, v)
			}
		}
	}
	// OpenAPI 3.0: exclusiveMinimum/exclusiveMaximum are booleans that
	// modify minimum/maximum; in 2020-12 they are the bound itself.
	for _, kw := range [][2]string{{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}} {
		excl, bound := kw[0], kw[1]
		if b, ok := m[excl].(bool); ok {
			delete(m, excl)
			if v, ok := m[bound]; ok && b {
				m[excl] = v
				delete(m, bound)
			}
		}
	}
	// OpenAPI 3.0: nullable: true adds null to whatever the schema allows
	// (including its enum), which anyOf expresses exactly.
	nullable, _ := m["nullable"].(bool)
	delete(m, "nullable")
	if nullable {
		return map[string]any{"anyOf": []any{m, map[string]any{"type": "null"}}}
	}
	return m
}

func dedupe(list []any) []any {
	seen := make(map[any]bool, len(list))
	out := list[:0]
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// fragment returns the URI fragment for a JSON Pointer, percent-encoding
// each reference token.
func fragment(ptr string) string {
	var b strings.Builder
	b.WriteString("#")
	for i, seg := range strings.Split(ptr, "/") {
		if i > 0 {
			b.WriteString("/")
		}
		b.WriteString(url.PathEscape(seg))
	}
	return b.String()
}

// escapePointer escapes a JSON Pointer reference token (RFC 6901).
func escapePointer(tok string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
}

func abbreviate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return fmt.Sprintf("%s… (%d bytes)", b[:n], len(b))
}
