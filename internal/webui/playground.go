package webui

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxPlaygroundBody bounds a playground request's body.
const maxPlaygroundBody = 1 << 20

// playgroundData is the playground page.
type playgroundData struct {
	Models   []option // routable models
	Model    string   // preselected
	Second   string
	CanChat  bool
	Reason   string // why the session cannot chat
	Provider []option
}

// GET /playground: the form; playground.js streams the answers.
func (u *UI) playgroundPage(w http.ResponseWriter, r *http.Request, s *session) error {
	out, err := u.matchingModels(r, s, url.Values{})
	if err != nil {
		return err
	}
	d := playgroundData{Model: r.URL.Query().Get("model")}
	providers := map[string]bool{}
	for _, m := range out.Data {
		if m.Switchyard.Routable {
			d.Models = append(d.Models, option{m.ID, m.Name})
			for _, p := range m.Switchyard.RoutableProviders {
				providers[p] = true
			}
		}
	}
	slices.SortFunc(d.Models, func(a, b option) int { return strings.Compare(a.Value, b.Value) })
	for p := range providers {
		d.Provider = append(d.Provider, option{p, p})
	}
	slices.SortFunc(d.Provider, func(a, b option) int { return strings.Compare(a.Value, b.Value) })
	if !slices.ContainsFunc(d.Models, func(o option) bool { return o.Value == d.Model }) && len(d.Models) > 0 {
		d.Model = d.Models[0].Value
	}
	if len(d.Models) > 1 {
		d.Second = d.Models[1].Value
		if d.Second == d.Model {
			d.Second = d.Models[0].Value
		}
	}
	switch {
	case s == nil:
		d.Reason = "Sign in with an API key to chat."
	case s.management:
		d.Reason = "Management keys cannot call models: sign in with an API key to chat."
	case len(d.Models) == 0:
		d.Reason = "No model is routable on this server: configure a provider's credentials."
	default:
		d.CanChat = true
	}
	u.render(w, r, s, http.StatusOK, "playground", view{Title: "Playground", Active: "playground",
		Scripts: []string{"js/playground.js"}, Data: d})
	return nil
}

// flushWriter flushes every write of a streamed answer to the browser.
type flushWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (f *flushWriter) Header() http.Header         { return f.w.Header() }
func (f *flushWriter) WriteHeader(status int)      { f.w.WriteHeader(status) }
func (f *flushWriter) Unwrap() http.ResponseWriter { return f.w }
func (f *flushWriter) Flush()                      { f.rc.Flush() }

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// POST /ui/playground/chat: the JSON body goes to the API's
// /api/v1/chat/completions with the session's key, and its answer
// (server-sent events when streamed) comes back as it is written.
func (u *UI) playgroundChat(w http.ResponseWriter, r *http.Request, s *session) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPlaygroundBody+1))
	if err != nil {
		return &pageError{Status: http.StatusBadRequest, Message: "The request could not be read."}
	}
	if len(body) > maxPlaygroundBody || !json.Valid(body) {
		return &pageError{Status: http.StatusBadRequest, Message: "The request must be a JSON chat completion request under 1 MiB."}
	}
	req := apiRequest(r, s, http.MethodPost, "/api/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("X-Title", "Switchyard Playground")
	u.api.ServeHTTP(&flushWriter{w: w, rc: http.NewResponseController(w)}, req)
	return nil
}
