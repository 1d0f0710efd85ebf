package openaicompat

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// upstreamRequest is the body sent upstream. ChatRequest points at a copy
// of the client's request with the quirks applied, never at the original,
// which later fallback attempts reuse.
type upstreamRequest struct {
	*openai.ChatRequest
	RandomSeed *int64 `json:"random_seed,omitempty"`
}

// droppable says how to remove each Field from a request copy.
var droppable = [...]struct {
	field Field
	names []string // the parameters, as in supported_parameters
	clear func(*openai.ChatRequest)
}{
	{FieldTopK, []string{"top_k"}, func(r *openai.ChatRequest) { r.TopK = nil }},
	{FieldMinP, []string{"min_p"}, func(r *openai.ChatRequest) { r.MinP = nil }},
	{FieldTopA, []string{"top_a"}, func(r *openai.ChatRequest) { r.TopA = nil }},
	{FieldRepetitionPenalty, []string{"repetition_penalty"}, func(r *openai.ChatRequest) { r.RepetitionPenalty = nil }},
	{FieldUser, []string{"user"}, func(r *openai.ChatRequest) { r.User = "" }},
	{FieldLogprobs, []string{"logprobs", "top_logprobs"}, func(r *openai.ChatRequest) { r.Logprobs, r.TopLogprobs = nil, nil }},
	{FieldLogitBias, []string{"logit_bias"}, func(r *openai.ChatRequest) { r.LogitBias = nil }},
	{FieldServiceTier, []string{"service_tier"}, func(r *openai.ChatRequest) { r.ServiceTier = "" }},
	{FieldMetadata, []string{"metadata"}, func(r *openai.ChatRequest) { r.Metadata = nil }},
	{FieldModalities, []string{"modalities"}, func(r *openai.ChatRequest) { r.Modalities = nil }},
	{FieldVerbosity, []string{"verbosity"}, func(r *openai.ChatRequest) { r.Verbosity = "" }},
}

// translation is what the response side needs to know of a request's
// encoding.
type translation struct {
	ids     toolIDs // tool-call ids rewritten upstream, to restore
	exclude bool    // reasoning the client asked not to see
}

// strip removes reasoning from a message or delta when the client asked
// to exclude it.
func (t translation) strip(reasoning **string, details *json.RawMessage) {
	if t.exclude {
		*reasoning, *details = nil, nil
	}
}

// encode builds the upstream body for req and what its response's
// translation needs.
func (a *Adapter) encode(req *provider.Request, stream bool) (openai.Spliced, translation, error) {
	q := &a.quirks
	reasoning, err := req.Chat.ReasoningRequest()
	if err == nil && req.Chat.Provider != nil && req.Chat.Provider.RequireParameters {
		err = a.Capabilities().Check(req.Chat)
	}
	if err != nil {
		return nil, translation{}, &provider.Error{Provider: a.name, Status: http.StatusBadRequest, Type: "invalid_request", Message: err.Error(), Err: err}
	}
	body := *req.Chat // shallow copy: fields below are replaced, never written through
	up := upstreamRequest{ChatRequest: &body}

	body.Model = req.UpstreamModel
	body.Stream = stream
	body.StreamOptions = nil
	if stream && !q.NoStreamOptions {
		// Always ask for usage: billing needs it.
		body.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}

	// Routing and control fields are Switchyard's (and OpenRouter's); the
	// router has already acted on them. An OpenRouter upstream understands
	// some of them, but never the model list or route: UpstreamModel is
	// the model we priced.
	body.Models, body.Route, body.Usage, body.Plugins, body.Preset = nil, "", nil, nil, nil
	if !q.OpenRouter {
		// OpenRouter's reasoning object becomes OpenAI's reasoning_effort.
		if body.ReasoningEffort == "" && reasoning.Set {
			body.ReasoningEffort = reasoning.EffortFor(body.MaxOutputTokens())
			if body.ReasoningEffort == openai.EffortMax {
				body.ReasoningEffort = openai.EffortXHigh // OpenAI's strongest
			}
		}
		body.Provider, body.Reasoning, body.IncludeReasoning = nil, nil, nil
		body.SessionID, body.Transforms = "", nil
	}

	for _, f := range droppable {
		if q.Drop&f.field != 0 {
			f.clear(&body)
		}
	}

	switch q.Cap {
	case CapMaxTokens:
		if body.MaxCompletionTokens != nil {
			body.MaxTokens, body.MaxCompletionTokens = body.MaxCompletionTokens, nil
		}
	case CapMaxCompletionTokens:
		if body.MaxCompletionTokens == nil {
			body.MaxCompletionTokens = body.MaxTokens
		}
		body.MaxTokens = nil
	}

	if q.RandomSeed {
		up.RandomSeed, body.Seed = body.Seed, nil
	}
	if q.ToolChoiceAny && bytes.Equal(bytes.TrimSpace(body.ToolChoice), []byte(`"required"`)) {
		body.ToolChoice = json.RawMessage(`"any"`)
	}

	msgs, ids := a.messages(body.Messages)
	body.Messages = nil
	out, err := marshal(&up, msgs)
	if err != nil {
		return nil, translation{}, fmt.Errorf("openaicompat: encode request: %w", err)
	}
	// OpenRouter honours exclude itself; other upstreams that return
	// reasoning have it removed here.
	return out, translation{ids: ids, exclude: reasoning.Exclude && !q.OpenRouter}, nil
}

// messagesNull is how the encoder writes up's messages, left nil for
// marshal to fill in. Its first match is the messages field, which comes
// second, after the model: a string, in which the encoder escapes every
// quote.
var messagesNull = []byte(`"messages":null`)

// marshal encodes up, whose messages are nil, with msgs for messages. The
// request's few small fields go through encoding/json; the messages, which
// hold the prompt, are written by openai.SpliceMessagesJSON, which repeats
// a client's text content as it came instead of escaping it again and
// having encoding/json check the result byte by byte, and refers to a long
// one where it is rather than copying it.
func marshal(up *upstreamRequest, msgs []openai.Message) (openai.Spliced, error) {
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(up); err != nil {
		return nil, err
	}
	fields := head.Bytes()
	at := bytes.Index(fields, messagesNull)
	if at < 0 {
		return nil, fmt.Errorf("no messages in %.40q", fields)
	}
	var out openai.Spliced
	buf := make([]byte, 0, len(fields)+openai.MessagesJSONSize(msgs, true))
	buf = append(buf, fields[:at+len(`"messages":`)]...)
	buf, err := openai.SpliceMessagesJSON(&out, buf, msgs)
	if err != nil {
		return nil, err
	}
	return append(out, append(buf, fields[at+len(messagesNull):]...)), nil
}

// messages returns msgs as the upstream should see them: without earlier
// turns' reasoning (which only OpenRouter accepts back) and with tool-call
// ids shortened where required. It copies only when something changes.
func (a *Adapter) messages(msgs []openai.Message) ([]openai.Message, toolIDs) {
	q := &a.quirks
	change := func(m *openai.Message) bool {
		if !q.OpenRouter && (m.Reasoning != "" || m.ReasoningDetails != nil) {
			return true
		}
		return q.ShortToolCallIDs && (len(m.ToolCalls) > 0 || m.ToolCallID != "")
	}
	i := 0
	for i < len(msgs) && !change(&msgs[i]) {
		i++
	}
	if i == len(msgs) {
		return msgs, nil
	}

	out := make([]openai.Message, len(msgs))
	copy(out, msgs)
	var ids toolIDs
	for ; i < len(out); i++ {
		m := &out[i]
		if !q.OpenRouter {
			m.Reasoning, m.ReasoningDetails = "", nil
		}
		if !q.ShortToolCallIDs {
			continue
		}
		if len(m.ToolCalls) > 0 {
			calls := make([]openai.ToolCall, len(m.ToolCalls))
			copy(calls, m.ToolCalls)
			for j := range calls {
				calls[j].ID = ids.shorten(calls[j].ID)
			}
			m.ToolCalls = calls
		}
		if m.ToolCallID != "" {
			m.ToolCallID = ids.shorten(m.ToolCallID)
		}
	}
	return out, ids
}

// toolIDs maps the short tool-call ids sent upstream back to the client's.
type toolIDs map[string]string

const (
	shortIDLen   = 9
	base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// shorten returns id as nine letters and digits: unchanged if it already
// is, else derived from its SHA-256 so that the same id maps to the same
// short id in every request of a conversation.
func (m *toolIDs) shorten(id string) string {
	if isShortID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	n := binary.BigEndian.Uint64(sum[:8])
	var b [shortIDLen]byte
	for i := range b {
		b[i] = base62Digits[n%62]
		n /= 62
	}
	short := string(b[:])
	if *m == nil {
		*m = make(toolIDs)
	}
	(*m)[short] = id
	return short
}

// restore returns the client's id for an id seen in a response.
func (m toolIDs) restore(id string) string {
	if orig, ok := m[id]; ok {
		return orig
	}
	return id
}

func isShortID(id string) bool {
	if len(id) != shortIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
