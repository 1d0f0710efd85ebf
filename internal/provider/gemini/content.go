package gemini

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// parts translates message content; media (images, files) is allowed in
// user messages only. Empty text is dropped.
func (t translator) parts(c openai.Content, media bool) ([]part, error) {
	if c.IsNull() {
		return nil, nil
	}
	if !c.IsParts() {
		if c.Text == "" {
			return nil, nil
		}
		return []part{textPart(c.Text)}, nil
	}
	var out []part
	for i, p := range c.Parts {
		if p.Type != "text" && !media {
			return nil, fmt.Errorf("content[%d]: %s parts are only supported in user messages", i, p.Type)
		}
		var err error
		switch p.Type {
		case "text":
			if p.Text != "" {
				out = append(out, textPart(p.Text))
			}
		case "image_url":
			if p.ImageURL == nil {
				return nil, fmt.Errorf("content[%d]: image_url part without image_url", i)
			}
			var ip part
			if ip, err = t.mediaPart(p.ImageURL.URL, ""); err == nil {
				out = append(out, ip)
			}
		case "file":
			var fp part
			if fp, err = t.filePart(p.File); err == nil {
				out = append(out, fp)
			}
		default:
			err = fmt.Errorf("unsupported content part type %q", p.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("content[%d]: %w", i, err)
		}
	}
	return out, nil
}

func textPart(s string) part { return part{Text: &s} }

// mediaPart loads an image or file: a gs:// URI (Cloud Storage, which
// Gemini reads itself) becomes fileData; a data: URL or an http(s) URL,
// which the Gemini API cannot fetch, is loaded by the media fetcher and
// sent as inlineData. mimeType, when known, overrides a guess.
func (t translator) mediaPart(u, mimeType string) (part, error) {
	if strings.HasPrefix(u, "gs://") {
		if mimeType == "" {
			mimeType = guessMime(u)
		}
		return part{FileData: &fileData{MimeType: mimeType, FileURI: u}}, nil
	}
	if !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return part{}, errors.New("URL must be a data:, http(s) or gs:// URL")
	}
	mt, data, err := t.fetch.Inline(t.ctx, u)
	if err != nil {
		return part{}, err
	}
	return part{InlineData: &blob{MimeType: mt, Data: data}}, nil
}

// filePart translates a file part ({filename, file_data}): file_data is
// a data: URL (a PDF, usually), an http(s) URL or a gs:// URI.
func (t translator) filePart(raw json.RawMessage) (part, error) {
	var f struct {
		Filename string `json:"filename"`
		FileData string `json:"file_data"`
		FileID   string `json:"file_id"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return part{}, fmt.Errorf("file part: %w", err)
	}
	switch {
	case f.FileData != "":
		return t.mediaPart(f.FileData, mimeByExt(f.Filename))
	case f.FileID != "":
		return part{}, errors.New("file part: file_id is not supported; send file_data")
	}
	return part{}, errors.New("file part without file_data")
}

var mimeTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".webp": "image/webp",
	".gif":  "image/gif",
	".heic": "image/heic",
	".heif": "image/heif",
	".pdf":  "application/pdf",
}

// mimeByExt is the media type of a file name's extension, or "".
func mimeByExt(name string) string {
	if i := strings.IndexAny(name, "?#"); i >= 0 {
		name = name[:i]
	}
	return mimeTypes[strings.ToLower(path.Ext(name))]
}

// guessMime guesses a URI's media type from its extension; image/jpeg
// when unknown.
func guessMime(u string) string {
	if t := mimeByExt(u); t != "" {
		return t
	}
	return "image/jpeg"
}
