package bench

import (
	"net/http"
	"strconv"
	"strings"
)

// Protocols of the upstream a scenario reaches.
const (
	ProtocolOpenAI    = "openai"
	ProtocolAnthropic = "anthropic"
)

// Scenario is one kind of request, sent to each target in turn.
type Scenario struct {
	Name        string // short, for --scenarios and the tables
	Title       string
	Protocol    string // of the upstream: ProtocolOpenAI or ProtocolAnthropic (translated by the gateway)
	Stream      bool
	PromptBytes int
	// TLS has the floor and the gateway reach the upstream over HTTPS
	// with HTTP/2, as hosted providers are reached (the gateway through
	// internal/h2), instead of plain HTTP/1.1 (through internal/h1).
	TLS bool
}

// Scenarios are the load scenarios in the order they run: each kind of
// request (non-streamed, streamed, each translated to Anthropic or not)
// with a 1 KB and a 100 KB prompt to a plain-HTTP upstream, then the
// 1 KB ones to the upstream over HTTPS (HTTP/2), as hosted providers are
// reached. The TLS ones run last: the floor and the gateway are started
// again for them.
var Scenarios = []Scenario{
	{Name: "json-1k", Title: "non-streamed, 1 KB prompt", Protocol: ProtocolOpenAI, PromptBytes: 1 << 10},
	{Name: "json-100k", Title: "non-streamed, 100 KB prompt", Protocol: ProtocolOpenAI, PromptBytes: 100 << 10},
	{Name: "sse20-1k", Title: "streamed, 20 chunks, 1 KB prompt", Protocol: ProtocolOpenAI, Stream: true, PromptBytes: 1 << 10},
	{Name: "sse20-100k", Title: "streamed, 20 chunks, 100 KB prompt", Protocol: ProtocolOpenAI, Stream: true, PromptBytes: 100 << 10},
	{Name: "anthropic-json-1k", Title: "translated to Anthropic, non-streamed, 1 KB prompt", Protocol: ProtocolAnthropic, PromptBytes: 1 << 10},
	{Name: "anthropic-json-100k", Title: "translated to Anthropic, non-streamed, 100 KB prompt", Protocol: ProtocolAnthropic, PromptBytes: 100 << 10},
	{Name: "anthropic-sse20-1k", Title: "translated to Anthropic, streamed, 20 chunks, 1 KB prompt", Protocol: ProtocolAnthropic, Stream: true, PromptBytes: 1 << 10},
	{Name: "anthropic-sse20-100k", Title: "translated to Anthropic, streamed, 20 chunks, 100 KB prompt", Protocol: ProtocolAnthropic, Stream: true, PromptBytes: 100 << 10},
	{Name: "tls-json-1k", Title: "non-streamed, 1 KB prompt, upstream over HTTPS (HTTP/2)", Protocol: ProtocolOpenAI, PromptBytes: 1 << 10, TLS: true},
	{Name: "tls-sse20-1k", Title: "streamed, 20 chunks, 1 KB prompt, upstream over HTTPS (HTTP/2)", Protocol: ProtocolOpenAI, Stream: true, PromptBytes: 1 << 10, TLS: true},
	{Name: "tls-anthropic-sse20-1k", Title: "translated to Anthropic, streamed, 20 chunks, 1 KB prompt, upstream over HTTPS (HTTP/2)", Protocol: ProtocolAnthropic, Stream: true, PromptBytes: 1 << 10, TLS: true},
}

// The models the generated gateway config declares, and what the upstream
// is asked for.
const (
	gatewayModelOpenAI     = "bench/gpt"
	gatewayModelAnthropic  = "bench/claude"
	gatewayModelIdle       = "bench/idle"
	upstreamModelOpenAI    = "bench-gpt"
	upstreamModelAnthropic = "bench-claude"
	upstreamKey            = "bench-upstream-key"
	maxTokens              = "64"
)

const systemPrompt = "You are a concise assistant. Answer in one short sentence."

// prompt is n bytes of plain ASCII prose (nothing to escape in JSON).
func prompt(n int) string {
	const text = "Summarise the following notes on the migration of the billing service. " +
		"The team moved the ledger to append-only storage, added idempotent settlement, " +
		"and measured the latency of every request on the hot path before and after. "
	var b strings.Builder
	b.Grow(n)
	for b.Len() < n {
		b.WriteString(text[:min(len(text), n-b.Len())])
	}
	return b.String()
}

// ChatBody is a chat completions request for model, with a system
// message, a user message of promptBytes and max_tokens 64.
func ChatBody(model string, stream bool, promptBytes int) []byte {
	s := `{"model":"` + model + `","max_tokens":` + maxTokens + `,` +
		`"messages":[{"role":"system","content":"` + systemPrompt + `"},` +
		`{"role":"user","content":"` + prompt(promptBytes) + `"}]`
	if stream {
		s += `,"stream":true`
	}
	return []byte(s + "}")
}

// anthropicBody is the same request in Anthropic's Messages dialect.
func anthropicBody(stream bool, promptBytes int) []byte {
	s := `{"model":"` + upstreamModelAnthropic + `","max_tokens":` + maxTokens + `,` +
		`"system":"` + systemPrompt + `",` +
		`"messages":[{"role":"user","content":"` + prompt(promptBytes) + `"}]`
	if stream {
		s += `,"stream":true`
	}
	return []byte(s + "}")
}

// targetRequests are a scenario's requests: to the upstream itself
// (direct, and through the floor proxy with base = the proxy's address) in
// the upstream's own dialect, and to the gateway as an OpenAI chat request.
type targetRequests struct {
	upstream func(base string) *Request
	gateway  *Request
}

func (sc Scenario) requests(gatewayBase, key string) targetRequests {
	gh := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key}}
	model := gatewayModelOpenAI
	if sc.Protocol == ProtocolAnthropic {
		model = gatewayModelAnthropic
	}
	var done []byte
	if sc.Stream {
		done = []byte("[DONE]")
	}
	tr := targetRequests{gateway: &Request{
		URL: gatewayBase + "/api/v1/chat/completions", Header: gh, Body: ChatBody(model, sc.Stream, sc.PromptBytes),
		Stream: sc.Stream, Done: done,
	}}
	if sc.Protocol == ProtocolAnthropic {
		body := anthropicBody(sc.Stream, sc.PromptBytes)
		h := http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {upstreamKey}, "Anthropic-Version": {"2023-06-01"}}
		var done []byte
		if sc.Stream {
			done = []byte("message_stop")
		}
		tr.upstream = func(base string) *Request {
			return &Request{URL: base + "/v1/messages", Header: h, Body: body, Stream: sc.Stream, Done: done}
		}
		return tr
	}
	body := ChatBody(upstreamModelOpenAI, sc.Stream, sc.PromptBytes)
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + upstreamKey}}
	tr.upstream = func(base string) *Request {
		return &Request{URL: base + "/v1/chat/completions", Header: h, Body: body, Stream: sc.Stream, Done: done}
	}
	return tr
}

// gatewayConfig is the YAML configuration of the gateway under test: one
// OpenAI-protocol and one Anthropic-protocol provider on the fake
// upstream, priced models for both, billing as configured by default.
func gatewayConfig(addr, db, upstreamBase string) string {
	return `# Generated by switchyard bench.
addr: ` + strconv.Quote(addr) + `
db: ` + strconv.Quote(db) + `
providers:
  - slug: bench-openai
    name: Bench OpenAI
    protocol: openai
    base_url: ` + strconv.Quote(upstreamBase+"/v1") + `
    api_key: ` + upstreamKey + `
    endpoints:
      - model: ` + gatewayModelOpenAI + `
        upstream_model: ` + upstreamModelOpenAI + `
        pricing: { prompt: "0.00000015", completion: "0.0000006" }
        context_length: 1000000
      - model: ` + gatewayModelIdle + `
        upstream_model: ` + ModelIdle + `
        pricing: { prompt: "0.00000015", completion: "0.0000006" }
        context_length: 1000000
  - slug: bench-anthropic
    name: Bench Anthropic
    protocol: anthropic
    base_url: ` + strconv.Quote(upstreamBase+"/v1") + `
    api_key: ` + upstreamKey + `
    endpoints:
      - model: ` + gatewayModelAnthropic + `
        upstream_model: ` + upstreamModelAnthropic + `
        pricing: { prompt: "0.000003", completion: "0.000015" }
        context_length: 1000000
`
}
