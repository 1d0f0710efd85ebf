package tokenize

import (
	"encoding/json"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Fixed costs of a chat prompt, from OpenAI's published accounting.
const (
	// PerMessage is the overhead of each message (its role and delimiters).
	PerMessage = 3
	// PerName is the overhead of a message's name field.
	PerName = 1
	// ReplyPriming is the overhead of the assistant turn the reply starts.
	ReplyPriming = 3
	// PerImage is what each image part counts, whatever its size or
	// detail: OpenAI's high-detail price for an image of six 512-px tiles,
	// 85 + 6×170. Six tiles is what a 16:9 or 3:2 picture (the usual
	// screenshot or photo) costs once resized to 768 px on its short side;
	// square and 4:3 images cost 4 tiles (765), low detail 85, and Gemini
	// 258. Only unusually elongated images cost more at OpenAI (up to 1,445),
	// and Claude's largest (about 1.15 megapixels) about 1,600, which the
	// 1.25 estimate factor applied to Claude (1,382) nearly covers. We cannot
	// know an image's size without fetching or decoding it, which the
	// request path must not do; settlement uses the upstream's usage.
	PerImage = 1105
	// BytesPerDataToken converts the size of opaque part data (files,
	// audio, video, reasoning details; usually base64 or a URL) to tokens:
	// one per three bytes, rounded up. Upstreams decode such data rather
	// than tokenize it, and a decoded PDF page or second of audio costs far
	// fewer tokens than its base64 size/3 (a PDF page of some 50 KB costs
	// Claude 1,500–3,000 tokens, not 17,000), so the figure errs high. It
	// cannot see what a URL points to: for a remote file the hold is a
	// guess, and settlement uses the upstream's usage.
	BytesPerDataToken = 3
)

// Chat returns the prompt tokens of a chat request in the given tokenizer
// family: the text of every message (text parts, name, tool calls' names
// and arguments, tool call ids, refusals and reasoning), each image part as
// [PerImage], other parts by their data size, the tool definitions as their
// JSON, and the per-message and reply overheads. For families counted by
// estimate, the whole sum is scaled as [Counter.Text] scales text.
func (c *Counter) Chat(family string, req *openai.ChatRequest) int {
	enc, exact := c.forFamily(family)
	t := tally{enc: enc}
	for i := range req.Messages {
		t.message(&req.Messages[i])
	}
	for i := range req.Tools {
		t.tool(&req.Tools[i])
	}
	t.tokens += ReplyPriming
	if exact {
		return t.tokens
	}
	return conservative(t.tokens, t.bytes)
}

// ChatBound returns an upper bound of the prompt tokens an upstream counts
// for a chat request, whatever its tokenizer, in one pass over its bytes:
// Chat's sum with each byte of text counted as a token. No byte-level BPE
// (GPT, Llama 3, Qwen…) and no SentencePiece vocabulary with byte fallback
// (Llama 2, Mistral, Gemma) spends more than a token per byte. (Chat's
// scaled estimate for unshipped families can exceed the bound on rare
// scripts; it is an estimate, the bound is not.) A credit hold sized with
// the bound needs no tokenizing when the balance covers it by far, which is
// nearly always; Chat is needed only when the balance is close.
func ChatBound(req *openai.ChatRequest) int {
	t := tally{}
	for i := range req.Messages {
		t.message(&req.Messages[i])
	}
	for i := range req.Tools {
		t.tool(&req.Tools[i])
	}
	return t.tokens + ReplyPriming
}

// tally sums the tokens of a request's parts and the bytes of its text;
// without an encoder it counts a token per byte (ChatBound).
type tally struct {
	enc    *encoder
	tokens int
	bytes  int
}

func (t *tally) text(s string) {
	if t.enc == nil {
		t.tokens += len(s)
	} else {
		t.tokens += t.enc.count(s)
	}
	t.bytes += len(s)
}

func (t *tally) data(size int) {
	t.tokens += ceilDiv(size, BytesPerDataToken)
}

func (t *tally) message(m *openai.Message) {
	t.tokens += PerMessage
	t.text(m.Role)
	if m.Name != "" {
		t.tokens += PerName
		t.text(m.Name)
	}
	if m.Content.IsParts() {
		for i := range m.Content.Parts {
			t.part(&m.Content.Parts[i])
		}
	} else {
		t.text(m.Content.Text)
	}
	for i := range m.ToolCalls {
		t.text(m.ToolCalls[i].Function.Name)
		t.text(m.ToolCalls[i].Function.Arguments)
	}
	t.text(m.ToolCallID)
	if m.Refusal != nil {
		t.text(*m.Refusal)
	}
	t.text(m.Reasoning)
	t.data(len(m.ReasoningDetails))
}

func (t *tally) part(p *openai.ContentPart) {
	switch p.Type {
	case "text":
		t.text(p.Text)
	case "image_url":
		t.tokens += PerImage
	default: // file, input_audio, video_url and types we do not know
		t.data(len(p.File) + len(p.InputAudio) + len(p.VideoURL))
	}
}

// tool counts a tool definition as the JSON sent upstream. Marshalling
// cannot fail for a decoded request; for a hand-built one with invalid
// parameters JSON, the fields are counted one by one instead.
func (t *tally) tool(tool *openai.Tool) {
	b, err := json.Marshal(tool)
	if err == nil {
		t.text(string(b))
		return
	}
	if f := tool.Function; f != nil {
		t.text(f.Name)
		t.text(f.Description)
		t.text(string(f.Parameters))
	}
}
