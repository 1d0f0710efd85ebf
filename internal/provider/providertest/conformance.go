package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

var update = flag.Bool("update", false, "rewrite the conformance goldens under testdata/")

// The conformance suite.
//
// RunConformance runs every adapter through the same cases, in the style of
// testing/slogtest: each adapter package has a conformance_test.go that
// calls it with a Harness, and a directory of fixtures (by default
// testdata/conformance) holding, for each case, <case>.reply.json — the
// native upstream answer(s) the Replay fake serves, written from the
// provider's documentation (see Reply) — and <case>.golden.json — the
// transcript of the exact upstream requests the adapter sent and of what
// the client saw, compared byte for byte and rewritten with -update.
//
// Fixtures must make the upstream say these canonical things, which the
// suite checks for whatever the protocol:
//
//   - text, text_stream: content ConfText, native finish for a natural stop,
//     usage 12 prompt / 6 completion tokens.
//   - length: any text, stopped by the output cap.
//   - tool_call, tool_call_stream: one call of get_weather {"city":"Paris"}
//     (streamed in at least two argument fragments where the protocol
//     streams arguments).
//   - parallel_tool_calls: two calls, get_weather {"city":"Paris"} then
//     {"city":"London"}, streamed.
//   - tool_result, image: content ConfText (after the tool results; for
//     the images, of which one is a data: URL and one the fake's own
//     {{FAKE}}/image.png).
//   - structured_output: content {"city":"Paris","temp_c":21}.
//   - reasoning, reasoning_stream: two replies. The first reasons
//     ConfReasoning (signed, where the protocol signs reasoning) and
//     answers "42"; the second answers ConfText. The suite sends the
//     first turn's reasoning back and checks that every signature reaches
//     the upstream verbatim.
//   - cached_usage: 2000 prompt tokens of which 1800 read from the cache
//     and (where the protocol reports writes) 100 written to it, 10
//     completion tokens.
//   - error_rate_limit (429, retry after 7 s, message "Slow down."),
//     error_overloaded ("Overloaded."), error_auth (401, "Invalid API
//     key."), error_bad_request (400, "Bad request."), error_server (500,
//     "Internal failure."): the provider's native error bodies.
//   - midstream_error: content "Hello", then the provider's in-band error
//     ("Overloaded.").
//   - midstream_cut: content "Hello", then the body ends without the
//     protocol's final event.
//   - client_cancel: a stream that sends its first content event and then
//     hangs ("hang_after").
//
// Cases that need a capability the adapter does not declare (see
// provider.Capabilities) are skipped.
const (
	ConfText      = "Hello! How can I help?"
	ConfReasoning = "Let me think."
)

// Harness describes an adapter to RunConformance.
type Harness struct {
	// New builds the adapter under test. cfg points at the Replay fake
	// (BaseURL is its root, APIKey "test-key", Media may fetch from it);
	// New may adjust it, for instance append a path to BaseURL.
	New func(t testing.TB, cfg provider.Config) provider.Provider
	// Model is the upstream model id of every request.
	Model string
	// Dir holds the fixtures and goldens; default testdata/conformance.
	Dir string
	// Replies, when set, is where the fixtures are read instead of Dir:
	// for a second adapter of the same protocol (Azure's OpenAI) that
	// shares the fixtures but has goldens of its own.
	Replies string
	// Adapt, when set, rewrites each fixture reply before it is served:
	// the same protocol on another host (Anthropic's Messages API on
	// Bedrock wraps its events in AWS event-stream chunks).
	Adapt func(Reply) Reply
	// Headers are the request headers recorded in goldens (for example
	// the credential header and the protocol version).
	Headers []string
}

// confCase is one case of the suite.
type confCase struct {
	name    string
	needs   func(provider.Capabilities) bool
	stream  bool
	request string
	check   func(t *testing.T, r *confResult)
	// next, when set, builds a second request from the first result.
	next      func(t *testing.T, first *confResult, request string) string
	checkNext func(t *testing.T, first, second *confResult, body []byte)
	cancel    bool
}

const (
	confSystem = `{"role":"system","content":"You are terse."}`
	confTools  = `"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
	confText   = `{"messages":[` + confSystem + `,{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."},{"role":"user","content":"Say hello again."}],"max_tokens":100,"temperature":0.5,"stop":["END"]}`
	confTool   = `{"messages":[{"role":"user","content":"What is the weather in Paris?"}],` + confTools + `,"tool_choice":"auto","max_tokens":200}`
	confPNG    = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVQI12P4z8AAAAMBAQAY3Y2wAAAAAElFTkSuQmCC"
)

func confCases() []confCase {
	streamed := func(req string) string {
		return strings.Replace(req, `{"messages"`, `{"stream":true,"stream_options":{"include_usage":true},"messages"`, 1)
	}
	textCheck := func(t *testing.T, r *confResult) {
		r.noError(t)
		r.equal(t, "content", r.content, ConfText)
		r.equal(t, "finish_reason", r.finish, "stop")
		r.usage(t, 12, 6, 0, 0)
	}
	toolCheck := func(cities ...string) func(t *testing.T, r *confResult) {
		return func(t *testing.T, r *confResult) {
			r.noError(t)
			r.equal(t, "finish_reason", r.finish, "tool_calls")
			if len(r.calls) != len(cities) {
				t.Fatalf("%d tool calls, want %d: %+v", len(r.calls), len(cities), r.calls)
			}
			seen := map[string]bool{}
			for i, c := range r.calls {
				if c.ID == "" || seen[c.ID] {
					t.Errorf("tool call %d has an empty or repeated id %q", i, c.ID)
				}
				seen[c.ID] = true
				r.equal(t, "tool name", c.Function.Name, "get_weather")
				r.jsonEqual(t, "tool arguments", c.Function.Arguments, `{"city":"`+cities[i]+`"}`)
			}
		}
	}
	errCheck := func(status int, typ, msg string, retryable bool, retryAfter time.Duration) func(t *testing.T, r *confResult) {
		return func(t *testing.T, r *confResult) {
			var pe *provider.Error
			if !errors.As(r.err, &pe) {
				t.Fatalf("error = %v (%T), want a *provider.Error", r.err, r.err)
			}
			if status != 0 && pe.Status != status {
				t.Errorf("status = %d, want %d", pe.Status, status)
			}
			r.equal(t, "error type", pe.Type, typ)
			if pe.Retryable() != retryable {
				t.Errorf("retryable = %v, want %v", pe.Retryable(), retryable)
			}
			if !strings.Contains(pe.Message, msg) {
				t.Errorf("message %q does not carry the upstream's %q", pe.Message, msg)
			}
			if retryAfter != 0 && pe.RetryAfter != retryAfter {
				t.Errorf("retry after %v, want %v", pe.RetryAfter, retryAfter)
			}
		}
	}
	midCheck := func(t *testing.T, r *confResult) {
		var pe *provider.Error
		if !errors.As(r.err, &pe) {
			t.Fatalf("stream ended with %v (%T), want a *provider.Error", r.err, r.err)
		}
		r.equal(t, "content before the error", r.content, "Hello")
		if r.finish != "" {
			t.Errorf("a failed stream reported finish_reason %q", r.finish)
		}
	}
	reasoningReq := `{"messages":[{"role":"user","content":"What is six times seven?"}],"reasoning":{"effort":"high"},"max_tokens":4000}`
	reasoningCheck := func(t *testing.T, r *confResult) {
		r.noError(t)
		r.equal(t, "reasoning", r.reasoning, ConfReasoning)
		r.equal(t, "content", r.content, "42")
		if r.caps.ReasoningDetails && len(r.details) == 0 {
			t.Error("no reasoning_details from an adapter that declares them")
		}
	}
	reasoningNext := func(t *testing.T, first *confResult, request string) string {
		var req map[string]any
		if err := json.Unmarshal([]byte(request), &req); err != nil {
			t.Fatal(err)
		}
		delete(req, "stream")
		delete(req, "stream_options")
		assistant := map[string]any{"role": "assistant", "content": first.content, "reasoning": first.reasoning}
		if len(first.details) > 0 {
			assistant["reasoning_details"] = first.details
		}
		req["messages"] = append(req["messages"].([]any), assistant, map[string]any{"role": "user", "content": "Are you sure?"})
		b, _ := json.Marshal(req)
		return string(b)
	}
	reasoningCheckNext := func(t *testing.T, first, second *confResult, body []byte) {
		second.noError(t)
		second.equal(t, "second answer", second.content, ConfText)
		for _, d := range first.details {
			for _, secret := range []string{d.Signature, d.Data} {
				if secret != "" && !bytes.Contains(body, []byte(secret)) {
					t.Errorf("reasoning detail %q did not reach the upstream on the next turn", secret)
				}
			}
		}
	}
	return []confCase{
		{name: "text", request: confText, check: textCheck},
		{name: "text_stream", stream: true, request: streamed(confText), check: textCheck},
		{name: "length", request: `{"messages":[{"role":"user","content":"Count to a thousand."}],"max_tokens":5}`, check: func(t *testing.T, r *confResult) {
			r.noError(t)
			r.equal(t, "finish_reason", r.finish, "length")
			if r.native == "" {
				t.Error("native_finish_reason is empty")
			}
		}},
		{name: "tool_call", needs: func(c provider.Capabilities) bool { return c.Tools }, request: confTool, check: toolCheck("Paris")},
		{name: "tool_call_stream", needs: func(c provider.Capabilities) bool { return c.Tools }, stream: true, request: streamed(confTool), check: toolCheck("Paris")},
		{name: "parallel_tool_calls", needs: func(c provider.Capabilities) bool { return c.ParallelToolCalls }, stream: true,
			request: streamed(`{"messages":[{"role":"user","content":"Weather in Paris and London?"}],` + confTools + `}`), check: toolCheck("Paris", "London")},
		{name: "tool_result", needs: func(c provider.Capabilities) bool { return c.Tools },
			request: `{"messages":[{"role":"user","content":"Weather in Paris and London?"},` +
				`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"London\"}"}}]},` +
				`{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"tool","tool_call_id":"call_2","content":"rainy"}],` + confTools + `}`,
			check: func(t *testing.T, r *confResult) { r.noError(t); r.equal(t, "content", r.content, ConfText) }},
		{name: "image", needs: func(c provider.Capabilities) bool { return c.Images },
			request: `{"messages":[{"role":"user","content":[{"type":"text","text":"What is in these images?"},{"type":"image_url","image_url":{"url":"` + confPNG + `"}},{"type":"image_url","image_url":{"url":"{{FAKE}}/image.png"}}]}]}`,
			check:   func(t *testing.T, r *confResult) { r.noError(t); r.equal(t, "content", r.content, ConfText) }},
		{name: "structured_output", needs: func(c provider.Capabilities) bool { return c.StructuredOutputs },
			request: `{"messages":[{"role":"user","content":"Weather in Paris as JSON."}],"response_format":{"type":"json_schema","json_schema":{"name":"weather","strict":true,"schema":{"type":"object","properties":{"city":{"type":"string"},"temp_c":{"type":"number"}},"required":["city","temp_c"],"additionalProperties":false}}}}`,
			check: func(t *testing.T, r *confResult) {
				r.noError(t)
				r.jsonEqual(t, "content", r.content, `{"city":"Paris","temp_c":21}`)
				r.equal(t, "finish_reason", r.finish, "stop")
			}},
		{name: "reasoning", needs: func(c provider.Capabilities) bool { return c.Reasoning }, request: reasoningReq,
			check: reasoningCheck, next: reasoningNext, checkNext: reasoningCheckNext},
		{name: "reasoning_stream", needs: func(c provider.Capabilities) bool { return c.Reasoning }, stream: true, request: streamed(reasoningReq),
			check: reasoningCheck, next: reasoningNext, checkNext: reasoningCheckNext},
		{name: "cached_usage", needs: func(c provider.Capabilities) bool { return c.PromptCaching || c.CachedUsage },
			request: `{"messages":[{"role":"system","content":[{"type":"text","text":"A long, stable system prompt.","cache_control":{"type":"ephemeral"}}]},{"role":"user","content":"Hi"}]}`,
			check: func(t *testing.T, r *confResult) {
				r.noError(t)
				write := 0
				if r.caps.CacheWriteUsage {
					write = 100
				}
				r.usage(t, 2000, 10, 1800, write)
			}},
		{name: "error_rate_limit", request: confText, check: errCheck(429, "rate_limit_exceeded", "Slow down.", true, 7*time.Second)},
		{name: "error_overloaded", request: confText, check: errCheck(0, "provider_overloaded", "Overloaded.", true, 0)},
		{name: "error_auth", request: confText, check: errCheck(401, "authentication", "Invalid API key.", false, 0)},
		{name: "error_bad_request", request: confText, check: errCheck(400, "invalid_request", "Bad request.", false, 0)},
		{name: "error_server", request: confText, check: errCheck(500, "server", "Internal failure.", true, 0)},
		{name: "midstream_error", stream: true, request: streamed(confText), check: func(t *testing.T, r *confResult) {
			midCheck(t, r)
			var pe *provider.Error
			if errors.As(r.err, &pe) && !strings.Contains(pe.Message, "Overloaded.") {
				t.Errorf("in-band error message %q does not carry the upstream's", pe.Message)
			}
		}},
		{name: "midstream_cut", stream: true, request: streamed(confText), check: midCheck},
		{name: "client_cancel", stream: true, cancel: true, request: streamed(confText)},
	}
}

// RunConformance runs the conformance suite against the adapter h builds.
func RunConformance(t *testing.T, h Harness) {
	if h.Dir == "" {
		h.Dir = filepath.Join("testdata", "conformance")
	}
	if h.Replies == "" {
		h.Replies = h.Dir
	}
	for _, c := range confCases() {
		t.Run(c.name, func(t *testing.T) { runCase(t, h, c) })
	}
}

func runCase(t *testing.T, h Harness, c confCase) {
	fake := NewReplay(t)
	cfg := provider.Config{
		Slug: "conformance", Name: "Conformance", BaseURL: fake.URL, APIKey: "test-key",
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Media:      media.New(media.Options{AllowPrivate: true}),
	}
	p := h.New(t, cfg)
	d, ok := p.(provider.Describer)
	if !ok {
		t.Fatalf("%T does not declare its capabilities (provider.Describer)", p)
	}
	caps := d.Capabilities()
	if c.needs != nil && !c.needs(caps) {
		t.Skipf("the adapter does not declare the capability %s needs", c.name)
	}
	replies, err := LoadReplies(filepath.Join(h.Replies, c.name+".reply.json"))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	if h.Adapt != nil {
		for i := range replies {
			replies[i] = h.Adapt(replies[i])
		}
	}
	fake.Script(replies...)

	tr := &transcript{}
	request := strings.ReplaceAll(c.request, "{{FAKE}}", fake.URL)
	first := run(t, p, h, c, request, caps)
	tr.Outputs = append(tr.Outputs, first.golden(fake))
	if c.cancel {
		checkCancel(t, fake, first)
	} else {
		c.check(t, first)
	}
	if c.next != nil && !t.Failed() {
		second := run(t, p, h, c, c.next(t, first, request), caps)
		tr.Outputs = append(tr.Outputs, second.golden(fake))
		reqs := fake.Requests()
		c.checkNext(t, first, second, reqs[len(reqs)-1].Body)
	}
	for _, r := range fake.Requests() {
		tr.Requests = append(tr.Requests, goldenRequest(fake, r, h.Headers))
	}
	compareGolden(t, filepath.Join(h.Dir, c.name+".golden.json"), tr)
}

// run sends one request and collects what the client would see.
func run(t *testing.T, p provider.Provider, h Harness, c confCase, request string, caps provider.Capabilities) *confResult {
	t.Helper()
	var chat openai.ChatRequest
	if err := json.Unmarshal([]byte(request), &chat); err != nil {
		t.Fatalf("suite request: %v", err)
	}
	req := &provider.Request{Chat: &chat, UpstreamModel: h.Model}
	r := &confResult{caps: caps, stream: chat.Stream}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !chat.Stream {
		r.resp, r.err = p.Chat(ctx, req)
		r.fromResponse()
		return r
	}
	s, err := p.ChatStream(ctx, req)
	if err != nil {
		r.err = err
		return r
	}
	defer s.Close()
	for {
		if c.cancel && r.content != "" {
			r.cancelled = cancelStream(s, cancel)
			return r
		}
		ch, err := s.Next()
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			return r
		}
		r.add(ch)
	}
}

// cancelStream reads the stream until it blocks on the hanging upstream,
// cancels the request and reports how long the stream took to fail, or -1
// if it did not within 5 s or ended as if complete.
func cancelStream(s provider.Stream, cancel context.CancelFunc) time.Duration {
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		for {
			if _, err := s.Next(); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(20 * time.Millisecond) // let Next block on the hanging body
	cancel()
	select {
	case err := <-done:
		if err == nil || err == io.EOF {
			return -1
		}
		return time.Since(start)
	case <-time.After(5 * time.Second):
		s.Close() // unblock the goroutine
		return -1
	}
}

func checkCancel(t *testing.T, fake *Replay, r *confResult) {
	if len(r.chunks) == 0 {
		t.Fatalf("no chunk before the hang (error %v)", r.err)
	}
	if r.cancelled < 0 {
		t.Fatal("Next did not return an error within 5s of the client cancelling")
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || !reqs[0].WaitCanceled(5*time.Second) {
		t.Fatal("the upstream request was not cancelled with the client")
	}
}

// confResult is what a client saw: a response, or chunks assembled the way
// a client assembles them, or an error.
type confResult struct {
	caps      provider.Capabilities
	stream    bool
	resp      *openai.ChatResponse
	chunks    []*openai.Chunk
	err       error
	cancelled time.Duration

	content, reasoning, finish, native string
	calls                              []openai.ToolCall
	details                            []openai.ReasoningDetail
	use                                *openai.Usage
}

func (r *confResult) fromResponse() {
	if r.resp == nil {
		return
	}
	r.use = r.resp.Usage
	if len(r.resp.Choices) == 0 {
		return
	}
	ch := r.resp.Choices[0]
	m := ch.Message
	r.content = deref(m.Content)
	r.reasoning = deref(m.Reasoning)
	r.calls = m.ToolCalls
	r.details, _ = openai.ParseReasoningDetails(m.ReasoningDetails)
	r.finish, r.native = deref(ch.FinishReason), deref(ch.NativeFinishReason)
}

// add merges a chunk as a client does: text concatenated, tool calls and
// reasoning details assembled by index, the last usage kept.
func (r *confResult) add(c *openai.Chunk) {
	r.chunks = append(r.chunks, c)
	if c.Usage != nil {
		r.use = c.Usage
	}
	for _, ch := range c.Choices {
		d := ch.Delta
		r.content += deref(d.Content)
		r.reasoning += deref(d.Reasoning)
		for _, tc := range d.ToolCalls {
			i := 0
			if tc.Index != nil {
				i = *tc.Index
			}
			for len(r.calls) <= i {
				r.calls = append(r.calls, openai.ToolCall{})
			}
			call := &r.calls[i]
			if tc.ID != "" {
				if call.ID != "" && call.ID != tc.ID {
					call.ID = "<changed mid-stream: " + call.ID + " then " + tc.ID + ">"
				} else {
					call.ID = tc.ID
				}
			}
			if tc.Function.Name != "" {
				call.Function.Name = tc.Function.Name
			}
			call.Function.Arguments += tc.Function.Arguments
		}
		details, _ := openai.ParseReasoningDetails(d.ReasoningDetails)
		for _, dd := range details {
			r.mergeDetail(dd)
		}
		if ch.FinishReason != nil {
			r.finish = *ch.FinishReason
		}
		if ch.NativeFinishReason != nil {
			r.native = *ch.NativeFinishReason
		}
	}
}

func (r *confResult) mergeDetail(d openai.ReasoningDetail) {
	for i := range r.details {
		x := &r.details[i]
		if x.Index != d.Index {
			continue
		}
		x.Text += d.Text
		x.Summary += d.Summary
		x.Data += d.Data
		x.Signature += d.Signature
		x.Type, x.Format, x.ID = cmpOr(d.Type, x.Type), cmpOr(d.Format, x.Format), cmpOr(d.ID, x.ID)
		return
	}
	r.details = append(r.details, d)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (r *confResult) noError(t *testing.T) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
}

func (r *confResult) equal(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func (r *confResult) jsonEqual(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s %q is not JSON: %v", what, got, err)
		return
	}
	_ = json.Unmarshal([]byte(want), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("%s = %s, want %s", what, gb, wb)
	}
}

// usage checks the usage as OpenAI defines it: prompt tokens include
// cached ones, total is their sum.
func (r *confResult) usage(t *testing.T, prompt, completion, cached, written int) {
	t.Helper()
	u := r.use
	if u == nil {
		t.Fatal("no usage")
	}
	if u.PromptTokens != prompt || u.CompletionTokens != completion || u.TotalTokens != prompt+completion {
		t.Errorf("usage %d+%d=%d, want %d+%d=%d", u.PromptTokens, u.CompletionTokens, u.TotalTokens, prompt, completion, prompt+completion)
	}
	if u.CachedTokens() != cached || u.CacheWriteTokens() != written {
		t.Errorf("cached %d, written %d; want %d, %d", u.CachedTokens(), u.CacheWriteTokens(), cached, written)
	}
}

// transcript is a case's golden file.
type transcript struct {
	Requests []any `json:"upstream_requests"`
	Outputs  []any `json:"client_saw"`
}

func goldenRequest(fake *Replay, r *Request, headers []string) any {
	out := map[string]any{"method": r.Method, "path": fake.fixtureURL(r.Path)}
	if r.Query != "" {
		out["path"] = out["path"].(string) + "?" + r.Query
	}
	if len(headers) > 0 {
		h := map[string]string{}
		for _, k := range headers {
			if v := r.Header.Get(k); v != "" {
				h[http.CanonicalHeaderKey(k)] = v
			}
		}
		out["headers"] = h
	}
	body := fake.fixtureURL(string(r.Body))
	var v any
	if json.Unmarshal([]byte(body), &v) == nil {
		out["body"] = v
	} else {
		out["body"] = body
	}
	return out
}

// golden renders the result for the transcript, with the values that
// change from run to run (creation times, generated ids) made stable:
// tool-call ids become <call-1>, <call-2>… in order of appearance, so a
// changing id still shows.
func (r *confResult) golden(fake *Replay) any {
	ids := map[string]string{}
	norm := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal([]byte(fake.fixtureURL(string(b))), &out)
		normalize(out, ids, "")
		return out
	}
	switch {
	case r.err != nil && len(r.chunks) == 0:
		return map[string]any{"error": goldenError(r.err)}
	case r.resp != nil:
		return map[string]any{"response": norm(r.resp)}
	}
	out := map[string]any{"chunks": norm(r.chunks)}
	if r.err != nil {
		out["error"] = goldenError(r.err)
	}
	return out
}

func goldenError(err error) any {
	var pe *provider.Error
	if !errors.As(err, &pe) {
		return map[string]any{"message": err.Error()}
	}
	return map[string]any{"status": pe.Status, "type": pe.Type, "code": pe.Code, "message": pe.Message,
		"retryable": pe.Retryable(), "retry_after_seconds": pe.RetryAfter.Seconds()}
}

func normalize(v any, ids map[string]string, parent string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch {
			case k == "created":
				x[k] = 0
			case k == "id" && parent == "":
				x[k] = "<id>"
			case k == "id" && (parent == "tool_calls" || parent == "reasoning_details"):
				if s, ok := val.(string); ok && s != "" {
					if _, seen := ids[s]; !seen {
						ids[s] = "<call-" + strconv.Itoa(len(ids)+1) + ">"
					}
					x[k] = ids[s]
				}
			default:
				normalize(val, ids, k)
			}
		}
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && parent == "" {
				normalize(m, ids, "") // chunks: each is a top-level object
				continue
			}
			normalize(e, ids, parent)
		}
	}
}

func compareGolden(t *testing.T, path string, tr *transcript) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tr); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (run go test -run Conformance -update to write it, then review it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("transcript differs from %s (if the change is intended, rerun with -update and review the diff):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line of two transcripts.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return ""
}
