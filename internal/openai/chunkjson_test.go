package openai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// appender is a type with a hand-written JSON encoding.
type appender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// checkAppendJSON holds v.AppendJSON to encoding/json: byte for byte to a
// json.Encoder with SetEscapeHTML(false), and to json.Marshal (which
// escapes HTML) in what the bytes decode to.
func checkAppendJSON(t *testing.T, v appender) {
	t.Helper()
	got, err := v.AppendJSON([]byte("prefix"))
	if err != nil {
		t.Fatalf("AppendJSON: %v", err)
	}
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatalf("AppendJSON dropped what dst held: %q", got)
	}
	got = got[len("prefix"):]
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	if want := bytes.TrimSuffix(enc.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Errorf("AppendJSON:\n%s\nwant (json.Encoder, no HTML escaping)\n%s", got, want)
	}
	marshaled, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var gotV, wantV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatalf("AppendJSON wrote invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(marshaled, &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("AppendJSON decodes to\n%#v\njson.Marshal's to\n%#v", gotV, wantV)
	}
	if bytes.ContainsAny(got, "\r\n") {
		t.Errorf("AppendJSON wrote a line break, which an SSE data line cannot carry: %q", got)
	}
}

// trickyStrings are strings whose encodings differ: HTML characters,
// control characters, quotes and backslashes, U+2028 and U+2029, other
// unicode, and invalid UTF-8 (which encoding/json replaces with U+FFFD).
var trickyStrings = []string{
	"",
	" word",
	`<script>alert("x & y")</script>`,
	"tab\there\nnew line\r\x00\x01\x1f\x7f\b\f",
	`back\slash "quoted" / slash`,
	"line\u2028separator\u2029paragraph",
	"é 日本語 🙂 \ufffd",
	"invalid \xff\xfe utf-8 \xc3 and a cut rune \xe2\x80",
}

func TestChunkAppendJSONLikeEncoder(t *testing.T) {
	for _, c := range sampleChunks() {
		checkAppendJSON(t, c)
	}
}

// sampleChunks are chunks with every field set or unset, and strings of
// every kind in each.
func sampleChunks() []*Chunk {
	idx, idx2 := 0, 3
	cost := money.Amount(1234567)
	full := Chunk{
		ID: "gen-1", Object: ObjectChatCompletionChunk, Created: 1767225600, Model: "openai/gpt-4o",
		Provider: "OpenAI", SystemFingerprint: "fp_1", ServiceTier: "default",
		Choices: []ChunkChoice{{
			Index: 1,
			Delta: Delta{Role: "assistant", Content: Ptr("hi <b>"), Refusal: Ptr(""),
				ToolCalls: []ToolCall{
					{Index: &idx, ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: `{"a":"<&>"}`}},
					{Index: &idx2, Function: FunctionCall{Arguments: ""}},
					{},
				},
				Reasoning: Ptr("think\n"), ReasoningDetails: json.RawMessage("[ {\"type\": \"reasoning.text\",\n \"text\":\"<t>\"} ]")},
			FinishReason: Ptr(FinishToolCalls), NativeFinishReason: Ptr("tool_use"),
			Logprobs: json.RawMessage(`{"content": [ {"token":"a","logprob":-0.5} ]}`),
		}, {Index: 2}},
		Usage: &Usage{PromptTokens: 10, CompletionTokens: 20, TotalTokens: 30,
			PromptTokensDetails:     &PromptTokensDetails{CachedTokens: 1, CacheWriteTokens: 2, AudioTokens: 3},
			CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: 4, AudioTokens: 5, ImageTokens: 6},
			Cost:                    &cost, IsBYOK: true},
		Error:             &ErrorBody{Code: 502, Message: "upstream <failed>", Metadata: map[string]any{"provider_name": "X", "raw": "a\nb"}},
		SwitchyardRouting: map[string]any{"strategy": "price", "candidates": []string{"a", "b"}},
	}
	chunks := []*Chunk{
		&full,
		{},
		{Choices: []ChunkChoice{}},
		{ID: "x", Object: ObjectChatCompletionChunk, Created: -1, Model: "m",
			Choices: []ChunkChoice{{Delta: Delta{Content: Ptr("")}, FinishReason: Ptr(FinishError)}},
			Usage:   &Usage{PromptTokensDetails: &PromptTokensDetails{}, CompletionTokensDetails: &CompletionTokensDetails{}, Cost: new(money.Amount)}},
		{Choices: []ChunkChoice{{Delta: Delta{ToolCalls: []ToolCall{}, ReasoningDetails: json.RawMessage{}}, Logprobs: json.RawMessage("null")}}},
		{SwitchyardRouting: (*int)(nil)},
	}
	for _, s := range trickyStrings {
		chunks = append(chunks, &Chunk{ID: s, Object: s, Model: s, Provider: s, SystemFingerprint: s, ServiceTier: s,
			Choices: []ChunkChoice{{Delta: Delta{Role: s, Content: &s, Refusal: &s, Reasoning: &s,
				ToolCalls: []ToolCall{{ID: s, Type: s, Function: FunctionCall{Name: s, Arguments: s}}}},
				FinishReason: &s, NativeFinishReason: &s}}})
	}
	return chunks
}

// TestChunkEncoder holds a ChunkEncoder to AppendJSON over a stream of
// chunks whose heads repeat, change, and come back.
func TestChunkEncoder(t *testing.T) {
	chunks := sampleChunks()
	var enc ChunkEncoder
	for i := range 3 * len(chunks) {
		// 0, 0, 1, 0, 2, 2, 3, 0, ...: each chunk after itself, after
		// another, and the first again between them.
		c := chunks[i/3]
		if i%3 == 2 {
			c = chunks[0]
		}
		want, wantErr := c.AppendJSON([]byte("prefix"))
		got, err := enc.Append([]byte("prefix"), c)
		if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
			t.Fatalf("chunk %d: Append =\n%s, %v\nAppendJSON\n%s, %v", i, got, err, want, wantErr)
		}
	}
	// A chunk changed in place, as a relay's chunks may be.
	c := contentChunk()
	enc.Append(nil, c)
	c.Model, c.Created = "another/model", c.Created+1
	want, _ := c.AppendJSON(nil)
	if got, _ := enc.Append(nil, c); !bytes.Equal(got, want) {
		t.Errorf("after the head changed: %s, want %s", got, want)
	}
}

func TestCompletionResponseAppendJSONLikeEncoder(t *testing.T) {
	cost := money.Amount(-5)
	responses := []*CompletionResponse{
		{},
		{ID: "cmpl-1", Object: ObjectTextCompletion, Created: 1, Model: "m", Provider: "P",
			Choices: []CompletionChoice{
				{Index: 0, Text: "hello", FinishReason: Ptr("stop"), NativeFinishReason: Ptr("eos"), Logprobs: json.RawMessage("null")},
				{Index: 1, Text: "", Logprobs: json.RawMessage("{ \"tokens\": [\"a\"] }")},
				{Index: 2},
			},
			Usage: &Usage{PromptTokens: 1, Cost: &cost},
			Error: &ErrorBody{Code: 500, Message: "m"}},
		{Choices: []CompletionChoice{}},
	}
	for _, s := range trickyStrings {
		responses = append(responses, &CompletionResponse{ID: s, Object: s, Model: s, Provider: s,
			Choices: []CompletionChoice{{Text: s, FinishReason: &s}}})
	}
	for _, r := range responses {
		checkAppendJSON(t, r)
	}
}

// TestAppendJSONEveryField fills every field of the chunk types, found by
// reflection, so that a field added to them without being added to their
// appenders fails here.
func TestAppendJSONEveryField(t *testing.T) {
	for _, v := range []appender{new(Chunk), new(CompletionResponse)} {
		fill(reflect.ValueOf(v).Elem(), 0)
		checkAppendJSON(t, v)
		// Every field is set, so every field is written.
		var m map[string]any
		out, _ := v.AppendJSON(nil)
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		if want := reflect.TypeOf(v).Elem().NumField(); len(m) != want {
			t.Errorf("%T: %d fields written, want %d: %s", v, len(m), want, out)
		}
	}
}

// fill sets every field of v to a non-zero value.
func fill(v reflect.Value, depth int) {
	switch v.Type() {
	case reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(`{ "raw": [1, "<two>"] }`))
		return
	case reflect.TypeFor[money.Amount]():
		v.SetInt(987654321)
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s<&>\u2028" + strings.Repeat("x", depth))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(7 + depth))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range v.Len() {
			fill(v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(reflect.ValueOf("key"), reflect.ValueOf(any("value")))
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"explained": []any{"a", 1.5}}))
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

// TestAppendJSONInvalidRaw checks that raw JSON that is not valid fails
// the encoding, as it fails json.Marshal, rather than reaching a client.
func TestAppendJSONInvalidRaw(t *testing.T) {
	for _, c := range []*Chunk{
		{Choices: []ChunkChoice{{Logprobs: json.RawMessage(`{"a":`)}}},
		{Choices: []ChunkChoice{{Delta: Delta{ReasoningDetails: json.RawMessage("[1,]")}}}},
	} {
		if _, err := json.Marshal(c); err == nil {
			t.Fatal("json.Marshal accepted invalid raw JSON")
		}
		if out, err := c.AppendJSON(nil); err == nil {
			t.Errorf("AppendJSON accepted invalid raw JSON: %s", out)
		}
	}
}

func FuzzChunkAppendJSON(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, s, int64(1), 2, true)
	}
	f.Fuzz(func(t *testing.T, content, name string, created int64, index int, byok bool) {
		checkAppendJSON(t, &Chunk{ID: name, Object: ObjectChatCompletionChunk, Created: created, Model: name, Provider: name,
			Choices: []ChunkChoice{{Index: index, Delta: Delta{Role: name, Content: &content,
				ToolCalls: []ToolCall{{Index: &index, ID: name, Function: FunctionCall{Name: name, Arguments: content}}}},
				FinishReason: &name}},
			Usage: &Usage{PromptTokens: index, TotalTokens: int(created), IsBYOK: byok}})
		checkAppendJSON(t, &CompletionResponse{ID: name, Created: created,
			Choices: []CompletionChoice{{Index: index, Text: content, NativeFinishReason: &name}}})
	})
}

// TestChunkAppendJSONAllocs pins that a content chunk is written without
// allocating once the buffer has grown.
func TestChunkAppendJSONAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := contentChunk()
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = c.AppendJSON(buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations to write a chunk, want 0", allocs)
	}
	var enc ChunkEncoder
	enc.Append(nil, c)
	allocs = testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = enc.Append(buf[:0], c); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations to write a chunk with a ChunkEncoder, want 0", allocs)
	}
}

// contentChunk is the usual chunk of a stream: one choice with a bit of
// content.
func contentChunk() *Chunk {
	return &Chunk{ID: "gen-1767225600-abcdefghijklmnopqrst", Object: ObjectChatCompletionChunk, Created: 1767225600,
		Model: "openai/gpt-4o-mini", Provider: "OpenAI", SystemFingerprint: "fp_bench",
		Choices: []ChunkChoice{{Delta: Delta{Content: Ptr(" word")}}}}
}

func BenchmarkChunkJSON(b *testing.B) {
	c := contentChunk()
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf, _ = c.AppendJSON(buf[:0])
		}
	})
	b.Run("ChunkEncoder", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		var enc ChunkEncoder
		for b.Loop() {
			buf, _ = enc.Append(buf[:0], c)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(c)
		}
	})
}
