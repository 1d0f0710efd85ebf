package providertest

import (
	"net/http"
	"strings"
	"time"
)

// Dialect selects which member of the OpenAI-compatible family a fake
// imitates (protocols.md §1, §6, §8): where it puts reasoning and usage,
// its finish reasons, its error shapes and which requests it rejects.
type Dialect int

const (
	// OpenAI rejects parameters outside its schema with a 400, and sends
	// usage only when stream_options.include_usage is set.
	OpenAI Dialect = iota
	// Mistral rejects unknown fields with a 422 and tool-call ids that are
	// not nine letters and digits with a 400; usage rides on the last
	// chunk; its own tool-call ids have nine characters.
	Mistral
	// DeepSeek reasons in reasoning_content, reports cache hits as
	// prompt_cache_hit_tokens, and pads bodies with keep-alives: blank
	// lines before a JSON body, ": keep-alive" comments in streams.
	DeepSeek
	// Groq adds x_groq to bodies and chunks: its request id, usage on the
	// last chunk, errors as x_groq.error.
	Groq
	// Together ends outputs with finish_reason "eos".
	Together
	// VLLM always sends a usage chunk and reports errors with an integer
	// code.
	VLLM
	// OpenRouter sends ": OPENROUTER PROCESSING" comments, a provider
	// field, usage with cost on every stream, and numeric error codes.
	OpenRouter
)

// Usage is the token usage a fake reports, rendered in its dialect.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	CachedTokens     int
	ReasoningTokens  int
}

// ToolCall is a tool call a fake makes. An empty ID gets one in the
// dialect's format.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON text
}

// An Option scripts a fake's answers.
type Option func(*script)

// script is what a fake answers to one request.
type script struct {
	dialect    Dialect
	apiKey     string
	model      string
	reply      []string
	reasoning  []string
	toolCalls  []ToolCall
	finish     string
	usage      Usage
	status     int
	errBody    string
	header     http.Header
	hang       time.Duration
	delay      time.Duration
	burst      bool // stream events written without a flush each
	stallAfter int
	stall      time.Duration
	errAfter   int
	errPayload string
	dropAfter  int
	closeAfter int
	comment    string
	crlf       bool
	raw        []string
	rawBody    *string
}

func newScript(d Dialect) script {
	return script{
		dialect:    d,
		reply:      []string{"Hello", " from", " the", " fake."},
		usage:      Usage{PromptTokens: 12, CompletionTokens: 4},
		header:     make(http.Header),
		errAfter:   -1,
		dropAfter:  -1,
		closeAfter: -1,
		stallAfter: -1,
	}
}

// clone returns a copy that options may change without touching s.
func (s script) clone() script {
	s.header = s.header.Clone()
	return s
}

// WithAPIKey makes the fake answer 401 unless the request carries
// "Authorization: Bearer key".
func WithAPIKey(key string) Option { return func(s *script) { s.apiKey = key } }

// WithModel sets the model the fake reports; by default it echoes the
// request's.
func WithModel(m string) Option { return func(s *script) { s.model = m } }

// WithReply sets the reply text. Streams carry it word by word.
func WithReply(text string) Option {
	return func(s *script) { s.reply = splitWords(text) }
}

// WithReplyChunks sets the reply as the given stream deltas, verbatim: one
// huge piece tests readers against long lines.
func WithReplyChunks(pieces ...string) Option {
	return func(s *script) { s.reply = pieces }
}

// WithReasoning makes the fake reason before replying, in its dialect's
// reasoning field, one delta per piece.
func WithReasoning(pieces ...string) Option {
	return func(s *script) { s.reasoning = pieces }
}

// WithToolCalls makes the fake call tools instead of replying with text.
func WithToolCalls(calls ...ToolCall) Option {
	return func(s *script) { s.toolCalls, s.reply = calls, nil }
}

// WithFinishReason overrides the finish_reason the fake reports.
func WithFinishReason(r string) Option { return func(s *script) { s.finish = r } }

// WithUsage sets the token usage the fake reports.
func WithUsage(u Usage) Option { return func(s *script) { s.usage = u } }

// WithStatus makes the fake fail with status and body. An empty body gets
// the dialect's error body for the status.
func WithStatus(status int, body string) Option {
	return func(s *script) { s.status, s.errBody = status, body }
}

// WithHeader adds a response header (Retry-After, x-ratelimit-…).
func WithHeader(key, value string) Option {
	return func(s *script) { s.header.Add(key, value) }
}

// WithHang delays the response headers by d, or until the request is
// cancelled.
func WithHang(d time.Duration) Option { return func(s *script) { s.hang = d } }

// WithChunkDelay waits d before each stream event.
func WithChunkDelay(d time.Duration) Option { return func(s *script) { s.delay = d } }

// WithBurst writes a stream's events without flushing each: they leave
// together, in as few writes as the server's buffers allow, as from an
// upstream that generates faster than the network carries.
func WithBurst() Option { return func(s *script) { s.burst = true } }

// WithStallAfter pauses the stream for d after n events, or until the
// request is cancelled: an upstream that stops sending mid-stream.
func WithStallAfter(n int, d time.Duration) Option {
	return func(s *script) { s.stallAfter, s.stall = n, d }
}

// WithMidStreamError sends payload as a data event after n events and ends
// the stream without [DONE]. An empty payload gets the dialect's in-band
// error.
func WithMidStreamError(n int, payload string) Option {
	return func(s *script) { s.errAfter, s.errPayload = n, payload }
}

// WithDropAfter aborts the connection after n stream events.
func WithDropAfter(n int) Option { return func(s *script) { s.dropAfter = n } }

// WithCloseAfter ends the response cleanly after n stream events, without
// [DONE]: a truncation the reader can only notice by what is missing.
func WithCloseAfter(n int) Option { return func(s *script) { s.closeAfter = n } }

// WithKeepAlive writes the comment line ": text" before every stream event.
func WithKeepAlive(text string) Option { return func(s *script) { s.comment = text } }

// WithCRLF frames the stream with CRLF line endings.
func WithCRLF() Option { return func(s *script) { s.crlf = true } }

// WithRawStream replaces the generated stream: each payload is sent as one
// data event, verbatim (include "[DONE]" to end it). Delays, keep-alives and
// interruptions still apply.
func WithRawStream(payloads ...string) Option {
	return func(s *script) { s.raw = payloads }
}

// WithRawBody replaces the generated non-streamed body, verbatim.
func WithRawBody(body string) Option { return func(s *script) { s.rawBody = &body } }

func splitWords(text string) []string {
	var out []string
	for text != "" {
		i := strings.IndexByte(text[1:], ' ') + 1
		if i == 0 {
			i = len(text)
		}
		out = append(out, text[:i])
		text = text[i:]
	}
	return out
}
