package openaicompat

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// checkFastLikeJSON decodes data with decodeFast and, if it takes it,
// requires decode and completion.chunk, the json.Decoder path, to give
// the same chunk. It reports whether decodeFast took it.
func checkFastLikeJSON(t *testing.T, data []byte) bool {
	t.Helper()
	fast := newDecoder("test", translation{})
	got, gotFinished, ok := fast.decodeFast(data)
	if !ok {
		return false
	}
	slow := newDecoder("test", translation{})
	c, err := slow.decode(data)
	if err != nil {
		t.Fatalf("decodeFast took %q, which the json.Decoder rejects: %v", data, err)
	}
	if c.failed() {
		t.Fatalf("decodeFast took %q, an in-band error", data)
	}
	want, wantFinished := c.chunk(nil)
	if !reflect.DeepEqual(got, want) || gotFinished != wantFinished {
		t.Fatalf("decodeFast(%q) =\n%#v, %v\nthe json.Decoder path's\n%#v, %v", data, got, gotFinished, want, wantFinished)
	}
	if fast.rep != slow.rep {
		t.Fatalf("decodeFast(%q) remembers %+v, the json.Decoder %+v", data, fast.rep, slow.rep)
	}
	return true
}

// fastChunks are chunks of the usual shapes, which decodeFast must take.
var fastChunks = []string{
	`{"choices":[{"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":1767225600,"id":"chatcmpl-bench","model":"bench-gpt","object":"chat.completion.chunk","system_fingerprint":"fp_bench"}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","service_tier":"default","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"r4N7vQ2m"}`,
	`{"choices":[{"delta":{},"finish_reason":"stop","index":0,"logprobs":null}],"created":1,"id":"x","model":"m","object":"chat.completion.chunk"}`,
	`{"choices":[{"delta":{"content":null,"reasoning_content":"let me think"},"finish_reason":null,"index":0}],"id":"d","model":"deepseek-reasoner","object":"chat.completion.chunk","created":2}`,
	`{"choices":[{"delta":{"reasoning":"hmm","content":""},"index":0,"finish_reason":"length"}],"id":"g","x_groq":null,"error":null}`,
	`{"choices":[{"delta":{"content":"\u00e9\n\"quoted\" \ud83d\ude42"},"finish_reason":"eos","index":3}],"id":"esc\u0041ped","model":"m"}`,
	"{\"choices\":[{\"delta\":{\"content\":\"caf\xc3\xa9 \xe2\x80\xa8 invalid \xff\"},\"index\":0}],\"id\":\"\xff\"}",
	` { "id" : "spaced" , "choices" : [ { "index" : 0 , "delta" : { "content" : "a" } } ] , "created" : -12 }`,
	`{"choices":[],"created":0,"id":"empty","model":"m","object":"chat.completion.chunk"}`,
	`{"choices":null,"id":"null-choices","created":null,"model":null}`,
	`{"id":"unknowns","choices":[{"index":0,"delta":{"content":"x","extra":{"a":[1,2.5e-3,true,false,null,{"b":"c"}],"d":{}},"audio":null},"extra":[]}],"meta":{"nested":[[[]]]},"n":-0.5E+7}`,
	`{"choices":[{"delta":{"role":"user","content":"x"},"finish_reason":"tool_calls","index":0}]}`,
	`{"choices":[{"delta":{"role":null,"reasoning":null},"finish_reason":null,"index":null,"logprobs":null}]}`,
	`{}`,
	// Usage, alone or with a choice, in each dialect's spelling.
	`{"choices":[],"created":1,"id":"u","model":"m","object":"chat.completion.chunk","usage":{"completion_tokens":17,"completion_tokens_details":{"accepted_prediction_tokens":0,"audio_tokens":0,"reasoning_tokens":5,"rejected_prediction_tokens":0},"prompt_tokens":256,"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":128},"total_tokens":273}}`,
	`{"choices":[{"delta":{},"finish_reason":"stop","index":0}],"usage":{"prompt_tokens":10,"completion_tokens":2,"prompt_cache_hit_tokens":8,"prompt_cache_miss_tokens":2}}`,
	`{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":0,"prompt_token_details":{"cached_tokens":3},"num_cached_tokens":4}}`,
	`{"usage":{"prompt_tokens":1,"prompt_tokens_details":null,"completion_tokens_details":{},"prompt_token_details":{"cached_tokens":2,"cache_write_tokens":3,"audio_tokens":4}}}`,
	`{"usage":{"completion_tokens_details":{"reasoning_tokens":1,"audio_tokens":2,"image_tokens":3},"prompt_tokens_details":{"cache_write_tokens":9}}}`,
	`{"usage":null,"x_groq":null}`,
	`{"usage":{}}`,
	`{"choices":[{"delta":{"reasoning":"a","reasoning_content":"b","content":"c"}}]}`,
	`{"choices":[{"delta":{"reasoning":"","reasoning_content":"b"},"finish_reason":""}]}`,
}

// slowChunks are chunks decodeFast leaves to the json.Decoder, valid or
// not: whatever it does with them must agree with the json.Decoder.
var slowChunks = []string{
	// Shapes it does not read.
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}`,
	`{"object":"error","id":"e","message":"vLLM's old error"}`,
	`{"usage":{"prompt_tokens":"1"}}`, `{"usage":{"Prompt_Tokens":1}}`, `{"usage":{"prompt_tokens":1,"prompt_tokens":2}}`,
	`{"usage":{"prompt_tokens_details":{"cached_tokens":1.0}}}`, `{"usage":{"completion_tokens_details":{"Reasoning_Tokens":1}}}`,
	`{"usage":{"prompt_tokens_details":[]}}`, `{"usage":[]}`, `{"usage":{"prompt_tokens":1,}}`,
	`{"x_groq":{"id":"req_1","usage":{"prompt_tokens":1,"completion_tokens":2}}}`,
	`{"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]}`,
	`{"choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":"t"},{"type":"text","text":"x"}]}}]}`,
	`{"choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[]}}]}`,
	`{"choices":[{"index":0,"message":{"content":"a"}}]}`,
	`{"choices":[{"index":0,"delta":{"refusal":"no"}}]}`,
	`{"choices":[{"index":0,"delta":{"role":"assist\u0061nt"}}]}`,
	`{"choices":[{"index":0,"delta":{"reasoning_details":[{"type":"reasoning.text","text":"t"}]}}]}`,
	`{"error":{"message":"overloaded"}}`,
	`{"x_groq":{"id":"req_1"}}`,
	// Keys encoding/json matches to fields despite their case or spelling.
	`{"ID":"upper","choices":[]}`,
	`{"Choices":[{"index":0,"delta":{"content":"a"}}]}`,
	`{"choices":[{"Delta":{"content":"a"}}]}`,
	`{"choices":[{"delta":{"Content":"a"}}]}`,
	`{"\u0069d":"escaped key"}`,
	"{\"\u017fervice_tier\":\"long s\"}",
	// Repeated keys.
	`{"id":"a","id":"b"}`,
	`{"choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}`,
	// Numbers encoding/json will not put in an integer.
	`{"created":1.5}`, `{"created":1e3}`, `{"created":12345678901234567890}`, `{"choices":[{"index":-1.0}]}`,
	// Values of the wrong type.
	`{"id":1}`, `{"created":"1"}`, `{"choices":{}}`, `{"choices":[1]}`, `{"choices":[{"delta":[]}]}`,
	`{"choices":[{"delta":{"content":5}}]}`, `{"choices":[{"finish_reason":1}]}`,
	// Invalid JSON.
	``, `{`, `{"id":"a"`, `{"id":"a",}`, `{"id" "a"}`, `{"id":"a"}x`, `{"id":"a"} {}`, `[]`, `null`,
	"{\"id\":\"a\tb\"}", `{"id":"\x"}`, `{"id":"\u12"}`, `{"n":01}`, `{"n":-}`, `{"n":1.}`, `{"n":1e}`, `{"n":.5}`,
	`{"n":tru}`, `{"n":nul}`, `{"id":nullx}`, `{"n":[1,]}`, `{"n":{"a"}}`, `{"n":{"a":1,}}`, `{"n":{1:2}}`,
	`{"choices":[{"index":0}],}`, `{"choices":[{"index":0},]}`, `{"id":"trailing space"} `,
}

// TestDecodeFastLikeJSON holds decodeFast to the json.Decoder on chunks
// of every kind, and checks that it takes the usual ones.
func TestDecodeFastLikeJSON(t *testing.T) {
	for _, data := range fastChunks {
		if !checkFastLikeJSON(t, []byte(data)) {
			t.Errorf("decodeFast declined a usual chunk: %s", data)
		}
	}
	for _, data := range slowChunks {
		if checkFastLikeJSON(t, []byte(data)) {
			t.Errorf("decodeFast took %s", data)
		}
	}
}

// TestDecodeFastTakesDialects checks that decodeFast takes the content
// chunks of every dialect's stream, and agrees with the json.Decoder on
// all its chunks.
func TestDecodeFastTakesDialects(t *testing.T) {
	for d := providertest.OpenAI; d <= providertest.Together; d++ {
		fast := 0
		for _, data := range streamData(providertest.StreamBody(d, providertest.WithReplyChunks("a", "b", "c"))) {
			if checkFastLikeJSON(t, data) {
				fast++
			}
		}
		if fast < 3 {
			t.Errorf("dialect %d: decodeFast took %d chunks, want at least the 3 content chunks", d, fast)
		}
	}
}

// streamData returns the data of each event of an SSE body but [DONE].
func streamData(body []byte) [][]byte {
	var out [][]byte
	for _, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if data, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			if data = bytes.TrimSpace(data); string(data) != "[DONE]" {
				out = append(out, data)
			}
		}
	}
	return out
}

func FuzzDecodeFast(f *testing.F) {
	for _, s := range append(append([]string{}, fastChunks...), slowChunks...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		checkFastLikeJSON(t, bytes.TrimSpace([]byte(data)))
	})
}

// TestDecodeFastAllocs pins what decodeFast allocates for a content
// chunk: the chunk and its text, nothing else.
func TestDecodeFastAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	d := newDecoder("allocs", translation{})
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, ok := d.decodeFast(benchChunk); !ok {
			t.Fatal("declined")
		}
	})
	if allocs > 2 {
		t.Errorf("%v allocations to decode a content chunk, want at most 2", allocs)
	}
}

var benchChunk = []byte(`{"choices":[{"delta":{"content":" word"},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-fake0","model":"fake-model","obfuscation":"r4N7vQ2m","object":"chat.completion.chunk","service_tier":"default","system_fingerprint":"fp_fake","usage":null}`)

func BenchmarkDecodeChunk(b *testing.B) {
	// A chunk like the one before, read from its template; and parsed.
	b.Run("decodeFast", func(b *testing.B) {
		d := newDecoder("bench", translation{})
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := d.decodeFast(benchChunk); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("decodeFast/parsed", func(b *testing.B) {
		d := newDecoder("bench", translation{})
		b.ReportAllocs()
		for b.Loop() {
			d.tmpl.forget()
			if _, _, ok := d.decodeFast(benchChunk); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("json.Decoder", func(b *testing.B) {
		d := newDecoder("bench", translation{})
		b.ReportAllocs()
		for b.Loop() {
			c, err := d.decode(benchChunk)
			if err != nil {
				b.Fatal(err)
			}
			c.chunk(nil)
		}
	})
}

// TestDecodeFastKnowsEveryField checks decodeFast's lists of fields
// against the structs the json.Decoder fills: a field added to them
// (wire.go) must be added to decodeFast too, which would otherwise skip
// its key as unknown.
func TestDecodeFastKnowsEveryField(t *testing.T) {
	for _, tc := range []struct {
		typ    reflect.Type
		fields []string
	}{
		{reflect.TypeFor[completion](), completionFields},
		{reflect.TypeFor[choice](), choiceFields},
		{reflect.TypeFor[message](), messageFields},
		{reflect.TypeFor[xGroq](), xGroqFields},
		{reflect.TypeFor[usage](), usageFields},
		{reflect.TypeFor[openai.PromptTokensDetails](), promptFields},
		{reflect.TypeFor[openai.CompletionTokensDetails](), completionTokenFields},
	} {
		var want []string
		for f := range tc.typ.Fields() {
			if f.IsExported() {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				want = append(want, name)
			}
		}
		if !slices.Equal(tc.fields, want) {
			t.Errorf("decodeFast's fields of %v: %q, want %q", tc.typ, tc.fields, want)
		}
	}
}
