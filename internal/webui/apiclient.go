package webui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
)

// apiError is a non-2xx answer of the API: its status and the message of
// its error envelope.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("API %d: %s", e.Status, e.Message) }

// denied reports whether the API refused the caller (no key, a wrong kind
// of key) or found nothing: the cases where a page hides a section.
func (e *apiError) denied() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status == http.StatusNotFound
}

// apiRequest builds a request of the in-process API carrying the session's
// key (none when s is nil) and the page request's context and host.
func apiRequest(r *http.Request, s *session, method, path string, body io.Reader) *http.Request {
	req, err := http.NewRequestWithContext(r.Context(), method, path, body)
	if err != nil {
		// Paths are built by this package from escaped parts.
		panic(fmt.Sprintf("webui: bad API request %s %s: %v", method, path, err))
	}
	req.Host = r.Host
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s != nil {
		req.Header.Set("Authorization", "Bearer "+s.key)
	}
	return req
}

// call serves one request of the API in process and returns its recorded
// response.
func (u *UI) call(r *http.Request, s *session, method, path string, in any) *httptest.ResponseRecorder {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			panic(fmt.Sprintf("webui: encoding API request body: %v", err)) // our own types
		}
		body = bytes.NewReader(b)
	}
	rec := httptest.NewRecorder()
	u.api.ServeHTTP(rec, apiRequest(r, s, method, path, body))
	return rec
}

// do calls the API and decodes a 2xx answer's JSON into out (when not
// nil). Other answers are an *apiError with the API's message.
func (u *UI) do(r *http.Request, s *session, method, path string, in, out any) error {
	rec := u.call(r, s, method, path, in)
	if rec.Code < 200 || rec.Code > 299 {
		return errorOf(rec.Code, rec.Body.Bytes())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		return fmt.Errorf("decoding %s %s: %w", method, path, err)
	}
	return nil
}

// get calls GET path and decodes its JSON into out.
func (u *UI) get(r *http.Request, s *session, path string, out any) error {
	return u.do(r, s, http.MethodGet, path, nil, out)
}

// errorOf reads the API's error envelope.
func errorOf(status int, body []byte) *apiError {
	var env struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := http.StatusText(status)
	if json.Unmarshal(body, &env) == nil && env.Error.Message != "" {
		msg = env.Error.Message
	}
	return &apiError{Status: status, Message: msg}
}
