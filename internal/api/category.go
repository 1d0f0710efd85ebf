package api

import (
	"strings"

	"github.com/switchyard-dev/switchyard/internal/classify"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// maxClassifiedBytes bounds the prompt text handed to the classifier,
// which itself reads at most its first 2 KiB and last 512 bytes.
const maxClassifiedBytes = 5 << 10

// classifiedText is the text a request's task category is read from: its
// system messages and its last user message — the instructions and the
// task at hand — joined by line breaks, at most maxClassifiedBytes.
func classifiedText(req *openai.ChatRequest) string {
	var system []string
	user := ""
	for i := range req.Messages {
		m := &req.Messages[i]
		switch m.Role {
		case "system", "developer":
			system = append(system, messageText(m))
		case "user":
			user = messageText(m)
		}
	}
	if len(system) == 0 { // the common case: no copy
		return user
	}
	var b strings.Builder
	for _, s := range append(system, user) {
		if b.Len()+len(s) > maxClassifiedBytes {
			s = s[:max(maxClassifiedBytes-b.Len(), 0)]
		}
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.String()
}

// messageText is a message's text: its string content, or its first text
// part.
func messageText(m *openai.Message) string {
	if m.Content.Text != "" || len(m.Content.Parts) == 0 {
		return m.Content.Text
	}
	for _, p := range m.Content.Parts {
		if p.Type == "text" && p.Text != "" {
			return p.Text
		}
	}
	return ""
}

// validCategory reports whether c names a task category.
func validCategory(c string) bool { return classify.Valid(c) }
