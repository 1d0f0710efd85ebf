package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// reply is what a simulated model answers to one request.
type reply struct {
	// pieces are the completion's tokens: the content text, or the tool
	// call's argument JSON when tool is set. Joined they are the whole
	// output, and len(pieces) is usage.completion_tokens.
	pieces []string
	tool   *toolCall
	finish string
}

type toolCall struct{ id, name string }

// output returns the whole completion text (or tool arguments).
func (r *reply) output() string { return strings.Join(r.pieces, "") }

// fillers pad replies to a realistic length. They are cycled through from a
// position derived from the request, so replies vary but are reproducible.
func fillers() []string {
	return []string{
		"Switchyard routed this request to one of several simulated providers running on your machine.",
		"In demo mode no provider key is needed and no real model is called.",
		"If a provider fails before sending its first byte, the router fails over to the next endpoint.",
		"Set provider.order in the request to choose which simulated provider goes first.",
		"Demo prices are copied from real list prices, so the cost in the usage block looks familiar.",
		"Streaming uses Server-Sent Events, exactly like the OpenAI API, so existing SDKs work unchanged.",
		"Each simulated provider has its own latency, speed and failure rate.",
		"Ask for stream_options.include_usage to get token counts and cost in a final chunk.",
		"Watch the gateway log to see retries and fallbacks happen when a provider misbehaves.",
		"Add a real provider key to your configuration to get real answers.",
	}
}

// Bounds of a reply's length in tokens (a very long quoted question aside).
const (
	minReplyTokens = 50
	maxReplyTokens = 150
)

// compose builds the reply of profile p to req. The text depends only on
// the request and the profile; the ids are random.
func compose(p *Profile, req *openai.ChatRequest) (reply, *apiError) {
	stops, err := parseStop(req.Stop)
	if err != nil {
		return reply{}, err
	}
	if tc, args, ok := chooseTool(req); ok {
		tc.id = "call_" + randomID(24)
		return limit(reply{pieces: tokenize(args), tool: &tc, finish: openai.FinishToolCalls}, req.MaxOutputTokens()), nil
	}

	var b strings.Builder
	fmt.Fprintf(&b, "[Simulated reply from %s as %s] ", p.Name, req.Model)
	last := req.Messages[len(req.Messages)-1]
	quoted := ""
	switch {
	case last.Role == "tool":
		quoted = quote(last.Content.PlainText())
		fmt.Fprintf(&b, "The tool returned: «%s».", quoted)
	default:
		quoted = quote(lastUserText(req.Messages))
		if quoted == "" {
			b.WriteString("You sent no question.")
		} else {
			fmt.Fprintf(&b, "You asked: «%s».", quoted)
		}
	}

	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", p.Slug, req.Model, quoted)
	sum := h.Sum64()
	target := minReplyTokens + int(sum%80) // aim for 50–129 tokens
	fill := fillers()
	start := int((sum >> 8) % uint64(len(fill)))
	n := countTokens(b.String())
	for i := 0; i < len(fill) && n < target; i++ {
		s := " " + fill[(start+i)%len(fill)]
		if c := countTokens(s); n+c <= maxReplyTokens {
			b.WriteString(s)
			n += c
		}
	}

	text := b.String()
	for _, s := range stops {
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	return limit(reply{pieces: tokenize(text), finish: openai.FinishStop}, req.MaxOutputTokens()), nil
}

// limit cuts r to max tokens (0: no limit), finishing with "length".
func limit(r reply, max int) reply {
	if max > 0 && len(r.pieces) > max {
		r.pieces = r.pieces[:max]
		r.finish = openai.FinishLength
	}
	return r
}

// parseStop decodes the stop parameter: a string, an array of strings, or
// null. Empty strings are dropped.
func parseStop(raw json.RawMessage) ([]string, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var list []string
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errInvalid("stop", "Invalid value for 'stop': %v", err)
		}
		list = []string{s}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errInvalid("stop", "Invalid type for 'stop': expected a string or an array of strings.")
	}
	out := list[:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// lastUserText returns the plain text of the last user message.
func lastUserText(msgs []openai.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content.PlainText()
		}
	}
	return ""
}

// quote collapses whitespace and keeps the first 80 characters of s.
func quote(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	return string([]rune(s)[:80]) + "…"
}

// chooseTool decides whether to answer with a tool call, as a model would:
// never with tool_choice "none"; always with "required" or a named
// function; with "auto" (the default) when the last message is the user's
// and mentions the weather. It returns the call and its JSON arguments.
func chooseTool(req *openai.ChatRequest) (toolCall, string, bool) {
	var tools []*openai.FunctionDef
	for _, t := range req.Tools {
		if t.Type == "function" && t.Function != nil && t.Function.Name != "" {
			tools = append(tools, t.Function)
		}
	}
	if len(tools) == 0 {
		return toolCall{}, "", false
	}
	var mode string
	var named struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(req.ToolChoice, &mode) != nil && json.Unmarshal(req.ToolChoice, &named) == nil {
		mode = "named"
	}
	last := req.Messages[len(req.Messages)-1]
	pick := tools[0]
	for _, t := range tools {
		if strings.Contains(strings.ToLower(t.Name), "weather") {
			pick = t
			break
		}
	}
	switch mode {
	case "none":
		return toolCall{}, "", false
	case "required":
	case "named":
		for _, t := range tools {
			if t.Name == named.Function.Name {
				pick = t
			}
		}
	default:
		text := last.Content.PlainText()
		if last.Role != "user" || !strings.Contains(strings.ToLower(text), "weather") {
			return toolCall{}, "", false
		}
	}
	args, _ := json.Marshal(map[string]string{argumentName(pick.Parameters): location(lastUserText(req.Messages))})
	return toolCall{name: pick.Name}, string(args), true
}

// argumentName picks the parameter to fill from a function's JSON schema:
// "location" or "city" when present, else the first required property.
func argumentName(schema json.RawMessage) string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	_ = json.Unmarshal(schema, &s) // a schema we cannot read gets the default
	for _, k := range []string{"location", "city"} {
		if _, ok := s.Properties[k]; ok {
			return k
		}
	}
	if len(s.Required) > 0 {
		return s.Required[0]
	}
	return "location"
}

// location finds a place name in text: the capitalised words after "in",
// "for" or "at" ("weather in New York?" → "New York").
func location(text string) string {
	words := strings.Fields(text)
	for i, w := range words {
		switch strings.ToLower(w) {
		case "in", "for", "at":
		default:
			continue
		}
		var place []string
		for _, next := range words[i+1:] {
			trimmed := strings.TrimRightFunc(next, unicode.IsPunct)
			r, _ := utf8.DecodeRuneInString(trimmed)
			if !unicode.IsUpper(r) {
				break
			}
			place = append(place, trimmed)
			if trimmed != next {
				break
			}
		}
		if len(place) > 0 {
			return strings.Join(place, " ")
		}
	}
	return "San Francisco"
}

// promptTokens approximates the prompt's token count with the same
// tokenizer as the completion, plus OpenAI-like per-message overheads.
func promptTokens(req *openai.ChatRequest) int {
	n := 3
	for _, m := range req.Messages {
		n += 4 + countTokens(m.Content.PlainText()) + countTokens(m.Name)
		for _, p := range m.Content.Parts {
			if p.Type == "image_url" {
				n += 85
			}
		}
		for _, tc := range m.ToolCalls {
			n += countTokens(tc.Function.Name) + countTokens(tc.Function.Arguments)
		}
	}
	for _, t := range req.Tools {
		if f := t.Function; f != nil {
			n += 8 + countTokens(f.Name) + countTokens(f.Description) + countTokens(string(f.Parameters))
		}
	}
	return n
}

// maxWordRunes splits long words, as a BPE tokenizer would.
const maxWordRunes = 8

// nextToken returns the byte length of the first token of s: leading
// whitespace plus a run of up to maxWordRunes letters and digits, or plus
// one other character. Trailing whitespace is a token of its own.
func nextToken(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return i
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	i += n
	if !isWordRune(r) {
		return i
	}
	for runes := 1; i < len(s) && runes < maxWordRunes; runes++ {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			break
		}
		i += n
	}
	return i
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// tokenize splits s into tokens whose concatenation is s.
func tokenize(s string) []string {
	var out []string
	for len(s) > 0 {
		n := nextToken(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// countTokens returns len(tokenize(s)) without allocating.
func countTokens(s string) int {
	c := 0
	for len(s) > 0 {
		s = s[nextToken(s):]
		c++
	}
	return c
}
