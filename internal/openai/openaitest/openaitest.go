// Package openaitest checks JSON documents against the schemas of OpenAI's
// published OpenAPI specification, so tests can prove that what Switchyard
// puts on the wire is what OpenAI's clients expect.
//
// The specification is embedded from testdata/openai-openapi.yaml (OpenAI API
// 2.3.0, OpenAPI 3.1). Any name under #/components/schemas can be checked,
// for example "CreateChatCompletionResponse",
// "CreateChatCompletionStreamResponse", "CreateCompletionResponse",
// "CreateEmbeddingResponse", "ListModelsResponse", "Model" and
// "ErrorResponse".
//
// The spec's component schemas are converted to one JSON Schema 2020-12
// document before they are compiled: references to #/components/schemas/X
// become #/$defs/X; the OpenAPI 3.0 leftovers "nullable: true" and boolean
// "exclusiveMinimum"/"exclusiveMaximum" are rewritten to their 2020-12
// equivalents; the draft 2019-09 "$recursiveRef": "#" of the self-recursive
// filter schemas becomes a $ref to the enclosing component; and duplicate
// names in "required" are dropped. OpenAPI-only keywords (discriminator,
// example, x-*) are annotations that the validator ignores. Formats are not
// asserted. Where the spec does not
// say additionalProperties: false, unknown properties are allowed, so
// extension fields such as OpenRouter's "provider" pass.
package openaitest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

//go:embed testdata/openai-openapi.yaml
var specYAML []byte

// docURL names the converted document inside the compiler; nothing is
// fetched from it.
const docURL = "urn:switchyard:openai-openapi"

var (
	loadOnce sync.Once
	loadErr  error
	defs     map[string]any // converted #/components/schemas

	// mu guards compiler, which is not safe for concurrent use, and cache.
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	cache    = map[string]compiled{}
)

type compiled struct {
	schema *jsonschema.Schema
	err    error
}

// Validate fails t (with t.Fatalf, so call it from the test's goroutine) if
// body is not valid JSON that conforms to #/components/schemas/<schema> of
// OpenAI's OpenAPI specification.
func Validate(t testing.TB, schema string, body []byte) {
	t.Helper()
	if err := Check(schema, body); err != nil {
		t.Fatalf("%v\nbody: %s", err, abbreviate(body, 2048))
	}
}

// Check returns nil if body is valid JSON that conforms to
// #/components/schemas/<schema> of OpenAI's OpenAPI specification, and
// otherwise an error that names each violation by its JSON Pointer in body
// (a *jsonschema.ValidationError is wrapped). It is safe for concurrent use. The spec is parsed once, and each schema is
// compiled once, on first use.
func Check(schema string, body []byte) error {
	sch, err := lookup(schema)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("openaitest: %s: body is not JSON: %w", schema, err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("openaitest: body does not conform to %s: %w", schema, err)
	}
	return nil
}

func lookup(name string) (*jsonschema.Schema, error) {
	loadOnce.Do(load)
	if loadErr != nil {
		return nil, loadErr
	}
	if _, ok := defs[name]; !ok {
		return nil, fmt.Errorf("openaitest: no schema %q in #/components/schemas", name)
	}
	mu.Lock()
	defer mu.Unlock()
	c, ok := cache[name]
	if !ok {
		c.schema, c.err = compiler.Compile(docURL + "#/$defs/" + url.PathEscape(escapePointer(name)))
		if c.err != nil {
			c.err = fmt.Errorf("openaitest: compiling %s: %w", name, c.err)
		}
		cache[name] = c
	}
	return c.schema, c.err
}

// load parses the embedded spec, converts its component schemas and
// registers them with a new compiler.
func load() {
	var spec struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(specYAML, &spec); err != nil {
		loadErr = fmt.Errorf("openaitest: parsing spec: %w", err)
		return
	}
	if len(spec.Components.Schemas) == 0 {
		loadErr = fmt.Errorf("openaitest: spec has no component schemas")
		return
	}
	defs = make(map[string]any, len(spec.Components.Schemas))
	for name, s := range spec.Components.Schemas {
		defs[name] = convert(name, s)
	}
	// A JSON round trip turns YAML's scalar types into what the validator
	// expects (json.Number, string, bool, nil) and fails loudly on anything
	// JSON cannot represent.
	js, err := json.Marshal(map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$defs":   defs,
	})
	if err != nil {
		loadErr = fmt.Errorf("openaitest: converting spec to JSON: %w", err)
		return
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		loadErr = fmt.Errorf("openaitest: converting spec to JSON: %w", err)
		return
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		loadErr = fmt.Errorf("openaitest: %w", err)
		return
	}
	compiler = c
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

// convert rewrites s, a schema within component schema name, in place into
// plain JSON Schema 2020-12. It descends only through keywords that hold
// schemas, so data such as enum, const, default and example values is never
// touched.
func convert(name string, s any) any {
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
			m["$ref"] = "#/$defs/" + name
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
					sub[prop] = convert(name, s)
				}
			}
		case subschemaKeywords[k]:
			if list, ok := v.([]any); ok {
				for i, s := range list {
					list[i] = convert(name, s)
				}
			} else {
				m[k] = convert(name, v)
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
