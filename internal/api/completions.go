package api

import (
	"encoding/json"
	"net/http"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// POST /completions: the legacy text-completion API, mapped onto chat (the
// prompt becomes one user message) so that every chat-only upstream can
// serve it.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) (err error) {
	g, err := s.begin(w, r)
	if err != nil {
		return err
	}
	defer func() {
		err = s.scrub(g, err)
		s.recordFailure(g, err)
		g.release() // unless settled
	}()
	body, held, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer s.bodies.give(held)
	// The sampling and routing fields are shared with chat, so the legacy
	// body decodes as a ChatRequest plus the fields of its own (the outer
	// Logprobs, an integer here, shadows chat's boolean).
	var legacy struct {
		openai.ChatRequest
		Prompt   json.RawMessage `json:"prompt"`
		Suffix   string          `json:"suffix"`
		Echo     bool            `json:"echo"`
		BestOf   *int            `json:"best_of"`
		Logprobs *int            `json:"logprobs"`
	}
	if err := decodeJSON(body, &legacy); err != nil {
		return err
	}
	req := legacy.ChatRequest
	prompt, err := promptText(legacy.Prompt)
	if err != nil {
		return err
	}
	if legacy.Suffix != "" || legacy.Echo || (legacy.BestOf != nil && *legacy.BestOf > 1) {
		return apierr.New(apierr.InvalidRequest, "suffix, echo and best_of are not supported: completions are served by chat models").
			With("error_type", "invalid_request")
	}
	req.Messages = []openai.Message{{Role: "user", Content: openai.TextContent(prompt)}}
	if err := validateChat(&req); err != nil {
		return err
	}
	g.req = &req
	return s.run(w, r, g, textFormat{})
}

// promptText accepts a string or an array of exactly one string.
func promptText(raw json.RawMessage) (string, error) {
	bad := apierr.New(apierr.InvalidRequest, "prompt must be a non-empty string (or an array of one string)").
		With("error_type", "invalid_request")
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return "", bad
		}
		return s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || len(list) != 1 || list[0] == "" {
		return "", bad
	}
	return list[0], nil
}

// textFormat is the legacy text_completion dialect.
type textFormat struct{}

func (textFormat) response(g *generation, resp *openai.ChatResponse) any {
	out := textCompletion(g, len(resp.Choices))
	out.Usage = resp.Usage
	for _, c := range resp.Choices {
		out.Choices = append(out.Choices, completionChoice(c.Index, c.Message.Content, c.FinishReason, c.NativeFinishReason))
	}
	return out
}

func (textFormat) chunk(g *generation, c *openai.Chunk) any {
	out := textCompletion(g, len(c.Choices))
	for _, ch := range c.Choices {
		out.Choices = append(out.Choices, completionChoice(ch.Index, ch.Delta.Content, ch.FinishReason, ch.NativeFinishReason))
	}
	return out
}

func (textFormat) final(g *generation, u *openai.Usage, e *apierr.Error) any {
	out := textCompletion(g, 1)
	out.Usage = u
	if e != nil {
		body := errorBody(e)
		out.Error = &body
		out.Choices = append(out.Choices, openai.CompletionChoice{
			FinishReason: openai.Ptr(openai.FinishError), Logprobs: json.RawMessage("null")})
	}
	return out
}

// textCompletion starts a text_completion object of g with room for n
// choices.
func textCompletion(g *generation, n int) *openai.CompletionResponse {
	out := &openai.CompletionResponse{
		ID:      g.id,
		Object:  openai.ObjectTextCompletion,
		Created: g.created,
		Model:   g.modelID(),
		Choices: make([]openai.CompletionChoice, 0, n),
	}
	if g.served {
		out.Provider = g.providerName()
	}
	return out
}

func completionChoice(index int, text, finish, nativeFinish *string) openai.CompletionChoice {
	c := openai.CompletionChoice{Index: index, FinishReason: finish, NativeFinishReason: nativeFinish,
		Logprobs: json.RawMessage("null")}
	if text != nil {
		c.Text = *text
	}
	return c
}
