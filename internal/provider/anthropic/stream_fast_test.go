package anthropic

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkFastLikeJSON reads data with fastEvent and, if it takes it,
// requires json.Unmarshal to fill an event the same. It reports whether
// fastEvent took it.
func checkFastLikeJSON(t *testing.T, data []byte) bool {
	t.Helper()
	d := newDecoder("test", 0, decodeOptions{})
	var got event
	if !d.fastEvent(data, &got) {
		return false
	}
	var want event
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("fastEvent took %q, which json.Unmarshal rejects: %v", data, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fastEvent(%q) = %+v (delta %+v), json.Unmarshal %+v (delta %+v)", data, got, got.Delta, want, want.Delta)
	}
	return true
}

// fastEvents are events of the usual shapes, which fastEvent must take.
var fastEvents = []string{
	`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}`,
	`{"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","content":[ ],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2,"service_tier":"standard"}}}`,
	`{"type":"message_start","message":{"id":"msg_3","stop_reason":"end_turn","container":null}}`,
	`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	`{"type":"content_block_start","index":2,"content_block":{"text":"hi","type":"text","citations":[]}}`,
	`{"type":"content_block_stop","content_block":{"type":"text"}}`,
	`{"type":"content_block_stop","index":0}`,
	`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":18}}`,
	`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":5,"output_tokens":89,"server_tool_use":{"web_search_requests":1}}}`,
	`{"type":"message_delta","delta":{"stop_reason":null,"stop_sequence":"END"},"usage":{"output_tokens":null}}`,
	`{"usage":{"output_tokens":3},"delta":{"stop_reason":"max_tokens"},"type":"message_delta"}`,
	`{"type":"message_stop"}`,
	`{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":5,"invocationLatency":500,"firstByteLatency":300}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","stop_reason":null}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" word"}}`,
	`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me solve this step by step:\n\n1. First"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}`,
	`{"delta":{"text":"keys in another order","type":"text_delta"},"index":12,"type":"content_block_delta"}`,
	` { "type" : "content_block_delta" , "index" : -0 , "delta" : { "type" : "text_delta" , "text" : "spaced" } } `,
	`{"type":"content_block_delta","delta":{"type":"text_delta","text":"no index"}}`,
	`{"type":"content_block_delta","index":0,"delta":{}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u00e9\n\"quoted\" \ud83d\ude42 \ud800 lone"}}`,
	"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"caf\xc3\xa9 invalid \xff\"}}",
	`{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","text":""}}`,
}

// slowEvents are events fastEvent leaves to json.Unmarshal, valid or not.
var slowEvents = []string{
	// Other events, and starts it does not read.
	`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}`,
	`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
	`{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"abc"}}`,
	`{"type":"content_block_start","index":0,"content_block":null}`, `{"type":"message_start","message":null}`,
	`{"type":"message_start","message":{"id":"m","content":[{"type":"text","text":"x"}]}}`,
	`{"type":"message_start","message":{"id":"m","content":null}}`, `{"type":"message_start","message":{"id":"m","usage":null}}`,
	`{"type":"message_start","message":{"id":"m","ID":"n"}}`, `{"type":"content_block_start","content_block":{"Text":"x"}}`,
	`{"type":"message_start","message":{"id":"a","id":"b"}}`, `{"type":"message_start","message":{"stop_reason":7}}`,
	`{"type":"ping"}`, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
	`{"index":0}`, // no type: the SSE event's name is, which encoding/json's path reads
	// Shapes it does not read.
	`{"type":"content_block_delta","index":0,"delta":null}`, `{"type":"content_block_delta","index":0}`,
	`{"type":"message_delta","usage":{"output_tokens":5,"output_tokens_details":{"thinking_tokens":3}}}`,
	`{"type":"message_delta","usage":null}`, `{"type":"message_delta","delta":null}`,
	`{"type":"message_delta","usage":{"output_tokens":1.5}}`, `{"type":"message_delta","delta":{"stop_reason":5}}`,
	`{"type":"message_delta","usage":{"output_tokens":1},"usage":{"output_tokens":2}}`,
	`{"type":"message_delta","usage":{"output_tokens":1,"output_tokens":2}}`,
	`{"type":"message_stop","message":null}`,
	`{"type":"message_stop","extra":[1,]}`, `{"type":"message_stop","extra":"\x"}`,
	`{"type":"content_block_delta","index":null,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":null,"text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"},"usage":null}`,
	`{"type":"content_block_d\u0065lta","index":0,"delta":{"type":"text_delta","text":"x"}}`,
	// Keys encoding/json matches despite their case or spelling.
	`{"type":"message_delta","usage":{"Output_tokens":1}}`, `{"type":"message_delta","delta":{"Stop_reason":"x"}}`,
	`{"type":"message_stop","Message":{}}`, `{"type":"message_stop","USAGE":{}}`,
	`{"Type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","Index":0,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","Text":"x"}}`,
	`{"type":"content_block_delta","index":0,"\u0064elta":{"type":"text_delta","text":"x"}}`,
	// Repeated keys.
	`{"type":"content_block_delta","index":0,"index":1,"delta":{"type":"text_delta","text":"x"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","text":"b"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"delta":{"text":"b"}}`,
	// Numbers encoding/json will not put in an int, or that are not JSON.
	`{"type":"content_block_delta","index":1.0,"delta":{"text":"x"}}`, `{"type":"content_block_delta","index":1e0,"delta":{"text":"x"}}`,
	`{"type":"content_block_delta","index":12345678901234567890,"delta":{"text":"x"}}`,
	`{"type":"content_block_delta","index":01,"delta":{"text":"x"}}`, `{"type":"content_block_delta","index":-,"delta":{"text":"x"}}`,
	`{"type":"content_block_delta","index":"0","delta":{"text":"x"}}`,
	// Wrong types and invalid JSON.
	`{"type":"content_block_delta","index":0,"delta":{"text":5}}`, `{"type":"content_block_delta","index":0,"delta":[]}`,
	``, `{`, `{"type":"content_block_delta"`, `{"type":"content_block_delta",}`, `{"type" "content_block_delta"}`,
	`{"type":"content_block_delta","delta":{"text":"x"}}x`, `{"type":"content_block_delta","delta":{"text":"x",}}`,
	`{"type":"content_block_delta","delta":{"text":"a` + "\t" + `b"}}`, `{"type":"content_block_delta","delta":{"text":"\x"}}`,
	`[]`, `null`, `"content_block_delta"`,
}

func TestFastEventLikeJSON(t *testing.T) {
	for _, data := range fastEvents {
		if !checkFastLikeJSON(t, []byte(data)) {
			t.Errorf("fastEvent declined a usual event: %s", data)
		}
	}
	for _, data := range slowEvents {
		if checkFastLikeJSON(t, []byte(data)) {
			t.Errorf("fastEvent took %s", data)
		}
	}
}

// TestFastEventTakesRecordedStreams checks every event of the recorded
// streams of testdata/conformance, as recorded (indented) and compacted:
// fastEvent agrees with json.Unmarshal, and takes each event of the types
// it reads.
func TestFastEventTakesRecordedStreams(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.reply.json"))
	if err != nil {
		t.Fatal(err)
	}
	taken := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Framing string `json:"framing"`
			Events  []struct {
				Data json.RawMessage `json:"data"`
			} `json:"events"`
		}
		if err := json.Unmarshal(b, &rec); err != nil || rec.Framing != "sse" {
			continue // not a stream
		}
		for _, ev := range rec.Events {
			var compact bytes.Buffer
			if err := json.Compact(&compact, ev.Data); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, data := range [][]byte{ev.Data, compact.Bytes()} {
				took := checkFastLikeJSON(t, data)
				if mustTake(compact.Bytes()) {
					if !took {
						t.Errorf("%s: fastEvent declined %s", f, data)
					}
					taken++
				}
			}
		}
	}
	if taken == 0 {
		t.Error("no event of the types fastEvent reads in the recorded streams")
	}
	t.Logf("%d recorded events taken", taken)
}

// mustTake reports whether fastEvent must take a recorded event (compact
// JSON): one of the types it reads, but for the starts of blocks other than
// text and thinking token counts.
func mustTake(event []byte) bool {
	if bytes.Contains(event, []byte(`"output_tokens_details"`)) ||
		bytes.HasPrefix(event, []byte(`{"type":"content_block_start"`)) && !bytes.Contains(event, []byte(`"content_block":{"type":"text"`)) {
		return false
	}
	for _, typ := range fastTypes {
		if bytes.Contains(event, []byte(`"type":`+typ)) {
			return true
		}
	}
	return false
}

func FuzzFastEvent(f *testing.F) {
	for _, s := range append(append([]string{}, fastEvents...), slowEvents...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		checkFastLikeJSON(t, bytes.TrimSpace([]byte(data)))
	})
}

// TestFastEventAllocs pins what fastEvent allocates for a text delta: its
// text, nothing else.
func TestFastEventAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	d := newDecoder("allocs", 0, decodeOptions{})
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" word"}}`)
	allocs := testing.AllocsPerRun(100, func() {
		var e event
		if !d.fastEvent(data, &e) {
			t.Fatal("declined")
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations to read a text delta, want at most 1", allocs)
	}
}
