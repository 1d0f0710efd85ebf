package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// translator holds the state of one request's message translation.
type translator struct {
	ctx       context.Context
	media     *media.Fetcher
	anthropic bool // the model is Anthropic's: its reasoning is replayed

	// toolBlocks reports toolUse or toolResult blocks in the history;
	// toolNames are the tool names the history used, in order.
	toolBlocks bool
	toolNames  []string
	// docNames counts document names, which must be unique in a request.
	docNames map[string]int
}

// add appends one OpenAI message to r, merging it into the previous turn
// when the roles agree (Converse wants alternating turns).
func (t *translator) add(r *converseRequest, m *openai.Message) error {
	switch m.Role {
	case "system", "developer":
		blocks, err := t.blocks(m.Content, false)
		if err != nil {
			return err
		}
		r.System = append(r.System, blocks...)
	case "user":
		blocks, err := t.blocks(m.Content, true)
		if err != nil {
			return err
		}
		r.append("user", blocks)
	case "assistant":
		blocks, err := t.reasoning(m.ReasoningDetails)
		if err != nil {
			return err
		}
		content, err := t.blocks(m.Content, false)
		if err != nil {
			return err
		}
		blocks = append(blocks, content...)
		for i, tc := range m.ToolCalls {
			input, err := openai.ToolArguments(tc.Function.Arguments)
			if err != nil {
				return fmt.Errorf("tool_calls[%d]: %w", i, err)
			}
			blocks = append(blocks, contentBlock{ToolUse: &toolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: input}})
			t.usedTool(tc.Function.Name)
		}
		r.append("assistant", blocks)
	case "tool":
		if m.ToolCallID == "" {
			return errors.New("tool message without tool_call_id")
		}
		text := m.Content.PlainText()
		blocks := []contentBlock{{ToolResult: &toolResult{ToolUseID: m.ToolCallID, Content: []contentBlock{{Text: &text}}}}}
		if m.Content.IsParts() {
			for _, p := range m.Content.Parts {
				if cp := cacheControl(p.CacheControl); cp != nil {
					blocks = append(blocks, contentBlock{CachePoint: cp})
					break
				}
			}
		}
		t.usedTool(m.Name)
		r.append("user", blocks)
	default:
		return fmt.Errorf("unsupported role %q", m.Role)
	}
	return nil
}

// usedTool records a tool block of the history and its tool's name.
func (t *translator) usedTool(name string) {
	t.toolBlocks = true
	if name == "" {
		return
	}
	for _, n := range t.toolNames {
		if n == name {
			return
		}
	}
	t.toolNames = append(t.toolNames, name)
}

func (r *converseRequest) append(role string, blocks []contentBlock) {
	if len(blocks) == 0 {
		return
	}
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Content = append(r.Messages[n-1].Content, blocks...)
		return
	}
	r.Messages = append(r.Messages, message{Role: role, Content: blocks})
}

// blocks translates message content. Empty text is dropped, since Bedrock
// rejects blank text blocks. Images and files are accepted where media is
// (user messages). A part with cache_control is followed by a cachePoint.
func (t *translator) blocks(c openai.Content, allowMedia bool) ([]contentBlock, error) {
	if c.IsNull() {
		return nil, nil
	}
	if !c.IsParts() {
		if c.Text == "" {
			return nil, nil
		}
		s := c.Text
		return []contentBlock{{Text: &s}}, nil
	}
	var out []contentBlock
	for i, p := range c.Parts {
		switch p.Type {
		case "text":
			if p.Text != "" {
				s := p.Text
				out = append(out, contentBlock{Text: &s})
			}
		case "image_url", "file":
			if !allowMedia {
				return nil, fmt.Errorf("content[%d]: %s parts are only supported in user messages", i, p.Type)
			}
			b, err := t.mediaBlock(p)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %w", i, err)
			}
			out = append(out, b)
		default:
			return nil, fmt.Errorf("content[%d]: unsupported content part type %q", i, p.Type)
		}
		if cp := cacheControl(p.CacheControl); cp != nil && len(out) > 0 && out[len(out)-1].CachePoint == nil {
			out = append(out, contentBlock{CachePoint: cp})
		}
	}
	return out, nil
}

// cacheControl returns the cachePoint of a part's cache_control
// ({"type":"ephemeral","ttl":"5m"|"1h"}), or nil when there is none.
func cacheControl(raw json.RawMessage) *cachePoint {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var cc struct {
		TTL string `json:"ttl"`
	}
	_ = json.Unmarshal(raw, &cc)
	cp := &cachePoint{Type: "default"}
	if cc.TTL == "5m" || cc.TTL == "1h" {
		cp.TTL = cc.TTL
	}
	return cp
}

// imageFormats maps image MIME types to Converse image formats.
var imageFormats = map[string]string{
	"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp",
}

// documentFormats maps document MIME types to Converse document formats.
var documentFormats = map[string]string{
	"application/pdf":    "pdf",
	"text/csv":           "csv",
	"application/msword": "doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
	"application/vnd.ms-excel": "xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
	"text/html":     "html",
	"text/plain":    "txt",
	"text/markdown": "md",
}

// documentExtensions are the Converse document formats, by file extension,
// for files whose MIME type is missing or generic.
var documentExtensions = map[string]string{
	".pdf": "pdf", ".csv": "csv", ".doc": "doc", ".docx": "docx", ".xls": "xls", ".xlsx": "xlsx",
	".html": "html", ".htm": "html", ".txt": "txt", ".md": "md", ".markdown": "md",
}

// filePart is the payload of a file content part.
type filePart struct {
	Filename string `json:"filename"`
	FileData string `json:"file_data"` // a data: URL or an http(s) URL
	FileID   string `json:"file_id"`
}

// mediaBlock translates an image_url or file part, loading its bytes with
// the media fetcher (Bedrock takes media inline only).
func (t *translator) mediaBlock(p openai.ContentPart) (contentBlock, error) {
	if p.Type == "image_url" {
		if p.ImageURL == nil || p.ImageURL.URL == "" {
			return contentBlock{}, errors.New("image_url part without a url")
		}
		mt, data, err := t.media.Inline(t.ctx, p.ImageURL.URL)
		if err != nil {
			return contentBlock{}, err
		}
		format, ok := imageFormats[strings.ToLower(mt)]
		if !ok {
			return contentBlock{}, fmt.Errorf("unsupported image type %q (png, jpeg, gif or webp)", mt)
		}
		return contentBlock{Image: &imageBlock{Format: format, Source: source{Bytes: data}}}, nil
	}
	var f filePart
	if len(p.File) == 0 || json.Unmarshal(p.File, &f) != nil {
		return contentBlock{}, errors.New("file part without a file object")
	}
	if f.FileData == "" {
		if f.FileID != "" {
			return contentBlock{}, errors.New("file_id is not supported: send the file as file_data")
		}
		return contentBlock{}, errors.New("file part without file_data")
	}
	mt, data, err := t.media.Inline(t.ctx, f.FileData)
	if err != nil {
		return contentBlock{}, err
	}
	format, ok := documentFormats[strings.ToLower(mt)]
	if !ok {
		format, ok = documentExtensions[strings.ToLower(path.Ext(f.Filename))]
	}
	if !ok {
		return contentBlock{}, fmt.Errorf("unsupported document type %q (pdf, csv, doc, docx, xls, xlsx, html, txt or md)", mt)
	}
	return contentBlock{Document: &documentBlock{Format: format, Name: t.documentName(f.Filename, format), Source: source{Bytes: data}}}, nil
}

// documentName returns a unique document name following Bedrock's rules:
// only alphanumerics, single whitespace characters, hyphens, parentheses
// and square brackets. The extension is dropped (dots are not allowed);
// other characters become spaces. A name with nothing left is
// "document <format>".
func (t *translator) documentName(filename, format string) string {
	base := strings.TrimSuffix(filename, path.Ext(filename))
	var b strings.Builder
	space := false
	for _, r := range base {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '(' || r == ')' || r == '[' || r == ']'
		if !ok {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	name := b.String()
	if name == "" {
		name = "document " + format
	}
	if t.docNames == nil {
		t.docNames = make(map[string]int)
	}
	t.docNames[name]++
	if n := t.docNames[name]; n > 1 {
		name = fmt.Sprintf("%s (%d)", name, n)
	}
	return name
}

// reasoning returns the reasoningContent blocks replaying an assistant
// message's reasoning_details, which go first in its turn. Only Anthropic
// models take them, and only details in Anthropic's format: signed text
// (fragments of one streamed block, sharing an index, are joined; text
// without a signature cannot be verified and is dropped) and redacted
// (encrypted) data. Other formats are dropped.
func (t *translator) reasoning(raw json.RawMessage) ([]contentBlock, error) {
	details, err := openai.ParseReasoningDetails(raw)
	if err != nil || !t.anthropic {
		return nil, err
	}
	var out []contentBlock
	var open *reasoningText // a text block still collecting fragments
	openIndex := 0
	for _, d := range details {
		if d.Format != openai.FormatAnthropic {
			open = nil
			continue
		}
		switch d.Type {
		case openai.ReasoningText:
			if open == nil || open.Signature != "" || openIndex != d.Index {
				open, openIndex = &reasoningText{}, d.Index
				out = append(out, contentBlock{ReasoningContent: &reasoningContent{ReasoningText: open}})
			}
			open.Text += d.Text
			if d.Signature != "" {
				open.Signature = d.Signature
			}
		case openai.ReasoningEncrypted:
			open = nil
			if d.Data != "" {
				out = append(out, contentBlock{ReasoningContent: &reasoningContent{RedactedContent: d.Data}})
			}
		default:
			open = nil
		}
	}
	signed := out[:0]
	for _, b := range out {
		if rt := b.ReasoningContent.ReasoningText; rt == nil || rt.Signature != "" {
			signed = append(signed, b)
		}
	}
	return signed, nil
}
