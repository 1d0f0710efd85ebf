package providertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// obj is a JSON object under construction; nil values render as null.
type obj = map[string]any

// render builds one answer of a script in its dialect.
type render struct {
	s            *script
	id           string
	model        string
	includeUsage bool // the request asked for a usage chunk
}

const created = 1700000000

func newRender(s *script, req obj, n int) *render {
	r := &render{s: s, id: fmt.Sprintf("chatcmpl-fake%d", n), model: s.model}
	if r.model == "" {
		r.model, _ = req["model"].(string)
	}
	if so, ok := req["stream_options"].(obj); ok {
		r.includeUsage, _ = so["include_usage"].(bool)
	}
	return r
}

func (r *render) reasoningField() string {
	if r.s.dialect == DeepSeek {
		return "reasoning_content"
	}
	return "reasoning"
}

func (r *render) finishReason() string {
	switch {
	case r.s.finish != "":
		return r.s.finish
	case len(r.s.toolCalls) > 0:
		return "tool_calls"
	case r.s.dialect == Together:
		return "eos"
	}
	return "stop"
}

func (r *render) toolCallID(i int) string {
	if id := r.s.toolCalls[i].ID; id != "" {
		return id
	}
	if r.s.dialect == Mistral {
		return fmt.Sprintf("FakeCall%d", i%10) // [a-zA-Z0-9]{9}
	}
	return fmt.Sprintf("call_fake%d", i)
}

func (r *render) usage() obj {
	u := r.s.usage
	out := obj{
		"prompt_tokens":     u.PromptTokens,
		"completion_tokens": u.CompletionTokens,
		"total_tokens":      u.PromptTokens + u.CompletionTokens,
	}
	switch r.s.dialect {
	case DeepSeek:
		out["prompt_cache_hit_tokens"] = u.CachedTokens
		out["prompt_cache_miss_tokens"] = u.PromptTokens - u.CachedTokens
	case Mistral:
		if u.CachedTokens > 0 {
			out["num_cached_tokens"] = u.CachedTokens
		}
	default:
		out["prompt_tokens_details"] = obj{"cached_tokens": u.CachedTokens}
	}
	if r.s.dialect != Mistral {
		out["completion_tokens_details"] = obj{"reasoning_tokens": u.ReasoningTokens}
	}
	if r.s.dialect == OpenRouter {
		out["cost"] = 0.00012
		out["is_byok"] = false
	}
	return out
}

// envelope returns the fields every body and chunk of the dialect has.
func (r *render) envelope(object string) obj {
	o := obj{"id": r.id, "object": object, "created": created, "model": r.model}
	switch r.s.dialect {
	case OpenAI:
		o["system_fingerprint"] = "fp_fake"
		o["service_tier"] = "default"
	case OpenRouter:
		o["provider"] = "OpenAI"
	}
	return o
}

// response renders the non-streamed body.
func (r *render) response() []byte {
	if r.s.rawBody != nil {
		return []byte(*r.s.rawBody)
	}
	msg := obj{"role": "assistant", "content": nil, "refusal": nil}
	if len(r.s.reply) > 0 {
		msg["content"] = strings.Join(r.s.reply, "")
	}
	if len(r.s.reasoning) > 0 {
		msg[r.reasoningField()] = strings.Join(r.s.reasoning, "")
	}
	if len(r.s.toolCalls) > 0 {
		calls := make([]obj, len(r.s.toolCalls))
		for i, tc := range r.s.toolCalls {
			calls[i] = obj{"id": r.toolCallID(i), "type": "function",
				"function": obj{"name": tc.Name, "arguments": tc.Arguments}}
		}
		msg["tool_calls"] = calls
	}
	body := r.envelope("chat.completion")
	body["choices"] = []obj{{"index": 0, "message": msg, "logprobs": nil, "finish_reason": r.finishReason()}}
	body["usage"] = r.usage()
	if r.s.dialect == Groq {
		body["x_groq"] = obj{"id": "req_fake"}
	}
	b := marshal(body)
	if r.s.dialect == DeepSeek {
		b = append([]byte("\n\n"), b...) // keep-alive lines sent while queued
	}
	return b
}

// events renders the data payloads of the stream, "[DONE]" included.
func (r *render) events() []string {
	if r.s.raw != nil {
		return r.s.raw
	}
	var out []string
	add := func(delta obj, finish any, extra obj) {
		c := r.envelope("chat.completion.chunk")
		c["choices"] = []obj{{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}
		if r.s.dialect == OpenAI {
			c["obfuscation"] = "r4N7vQ2m"
			if r.includeUsage {
				c["usage"] = nil
			}
		}
		for k, v := range extra {
			c[k] = v
		}
		out = append(out, string(marshal(c)))
	}

	var first obj
	if r.s.dialect == Groq {
		first = obj{"x_groq": obj{"id": "req_fake"}}
	}
	add(obj{"role": "assistant", "content": ""}, nil, first)
	for _, p := range r.s.reasoning {
		add(obj{"content": nil, r.reasoningField(): p}, nil, nil)
	}
	for _, p := range r.s.reply {
		add(obj{"content": p}, nil, nil)
	}
	for i, tc := range r.s.toolCalls {
		add(obj{"tool_calls": []obj{{"index": i, "id": r.toolCallID(i), "type": "function",
			"function": obj{"name": tc.Name, "arguments": ""}}}}, nil, nil)
		half := len(tc.Arguments) / 2
		for _, part := range []string{tc.Arguments[:half], tc.Arguments[half:]} {
			add(obj{"tool_calls": []obj{{"index": i, "function": obj{"arguments": part}}}}, nil, nil)
		}
	}

	var last obj
	switch r.s.dialect {
	case Groq:
		last = obj{"x_groq": obj{"id": "req_fake", "usage": r.usage()}}
	case Mistral:
		last = obj{"usage": r.usage()}
	}
	add(obj{}, r.finishReason(), last)

	if r.includeUsage && r.s.dialect != Mistral || r.s.dialect == VLLM || r.s.dialect == OpenRouter {
		c := r.envelope("chat.completion.chunk")
		c["choices"] = []obj{}
		c["usage"] = r.usage()
		out = append(out, string(marshal(c)))
	}
	return append(out, "[DONE]")
}

// streamError renders the dialect's in-band error event.
func (r *render) streamError() string {
	if r.s.errPayload != "" {
		return r.s.errPayload
	}
	switch r.s.dialect {
	case VLLM:
		return `{"error":{"message":"Internal server error","type":"InternalServerError","param":null,"code":500}}`
	case Groq:
		c := r.envelope("chat.completion.chunk")
		c["choices"] = []obj{}
		c["x_groq"] = obj{"id": "req_fake", "error": "Service Unavailable"}
		return string(marshal(c))
	case OpenRouter:
		c := r.envelope("chat.completion.chunk")
		c["error"] = obj{"code": "server_error", "message": "Provider disconnected unexpectedly"}
		c["choices"] = []obj{{"index": 0, "delta": obj{"content": ""}, "finish_reason": "error"}}
		return string(marshal(c))
	}
	return `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`
}

// errorBody renders the dialect's error body for an HTTP status.
func errorBody(d Dialect, status int) string {
	msg, typ, code := http.StatusText(status), "invalid_request_error", any(nil)
	switch {
	case status == http.StatusUnauthorized:
		msg, code = "Incorrect API key provided: sk-fake. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_api_key"
	case status == http.StatusTooManyRequests:
		msg, typ, code = "Rate limit reached for requests", "requests", "rate_limit_exceeded"
	case status >= 500:
		msg, typ = "The server had an error while processing your request. Sorry about that!", "server_error"
	}
	switch d {
	case Mistral:
		return string(marshal(obj{"object": "error", "message": msg, "type": typ, "param": nil, "code": code}))
	case VLLM:
		return string(marshal(obj{"error": obj{"message": msg, "type": typ, "param": nil, "code": status}}))
	case OpenRouter:
		return string(marshal(obj{"error": obj{"code": status, "message": msg}}))
	}
	return string(marshal(obj{"error": obj{"message": msg, "type": typ, "param": nil, "code": code}}))
}

// frame renders one SSE event, preceded by the script's keep-alive comment.
func (s *script) frame(payload string) []byte {
	var b []byte
	if s.comment != "" {
		b = s.comments(s.comment)
	}
	return append(b, s.line("data: "+payload)...)
}

// comments renders comment lines, as upstreams send keep-alives.
func (s *script) comments(text string) []byte { return s.line(": " + text) }

// line renders one line and the blank line that ends an event.
func (s *script) line(l string) []byte {
	if s.crlf {
		return []byte(l + "\r\n\r\n")
	}
	return []byte(l + "\n\n")
}

// ending is how a scripted stream ends once its events are sent.
type ending int

const (
	endNormally ending = iota // the events end with [DONE], or are cut cleanly
	endInBand                 // an in-band error event follows
	endDrop                   // the connection is aborted
)

// plan returns the events a stream sends, cut where the script says, and
// how it ends. The earliest cut wins.
func (r *render) plan() ([]string, ending) {
	events := r.events()
	n, end := len(events), endNormally
	for _, c := range []struct {
		at  int
		end ending
	}{{r.s.errAfter, endInBand}, {r.s.closeAfter, endNormally}, {r.s.dropAfter, endDrop}} {
		if c.at >= 0 && c.at < n {
			n, end = c.at, c.end
		}
	}
	return events[:n], end
}

// StreamBody renders the whole SSE body a fake of dialect d sends for a
// streamed request with usage requested, for benchmarks and parser tests
// that need no server. Mid-stream errors and cuts apply; delays, hangs and
// drops (but for the cut) do not.
func StreamBody(d Dialect, opts ...Option) []byte {
	s := newScript(d)
	for _, o := range opts {
		o(&s)
	}
	req := obj{"model": "fake-model", "stream": true, "stream_options": obj{"include_usage": true}}
	r := newRender(&s, req, 0)
	events, end := r.plan()
	var b []byte
	for _, ev := range events {
		b = append(b, s.frame(ev)...)
	}
	if end == endInBand {
		b = append(b, s.frame(r.streamError())...)
	}
	return b
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of plain values are marshalled
	}
	return b
}
