package gemini

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// png is the start of a PNG file, enough for content sniffing.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func TestHTTPMediaInlined(t *testing.T) {
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cat":
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		case "/doc":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte("%PDF-1.7\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	msg := openai.Message{Role: "user", Content: openai.PartsContent(
		openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: files.URL + "/cat"}},
		openai.ContentPart{Type: "file", File: json.RawMessage(`{"filename":"d.pdf","file_data":"` + files.URL + `/doc"}`)},
	)}

	f := newFake(t, jsonAnswer(200, okBody))
	if _, err := f.provider(t).Chat(context.Background(), chatReq(msg)); err != nil {
		t.Fatal(err)
	}
	parts := f.request(t)["contents"].([]any)[0].(map[string]any)["parts"].([]any)
	want := []string{
		`{"inlineData":{"data":"` + base64.StdEncoding.EncodeToString(png) + `","mimeType":"image/png"}}`,
		`{"inlineData":{"data":"` + base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\n")) + `","mimeType":"application/pdf"}}`,
	}
	for i, w := range want {
		if got := jsonString(t, parts[i]); got != w {
			t.Errorf("part %d = %s, want %s", i, got, w)
		}
	}

	// The default fetcher refuses the loopback address: a 400 naming it.
	p, err := New(provider.Config{BaseURL: f.srv.URL, HTTPClient: f.srv.Client(), Media: media.Default})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Chat(context.Background(), chatReq(msg))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || !errors.Is(err, media.ErrForbiddenAddress) ||
		!strings.Contains(pe.Message, "not a public internet address") {
		t.Fatalf("err = %#v", err)
	}

	// A missing image is a 400 too.
	missing := openai.Message{Role: "user", Content: openai.PartsContent(
		openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: files.URL + "/nope.png"}})}
	_, err = f.provider(t).Chat(context.Background(), chatReq(missing))
	if !errors.As(err, &pe) || pe.Status != 400 || !strings.Contains(pe.Message, "404") {
		t.Fatalf("err = %#v", err)
	}
}
