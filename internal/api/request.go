package api

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// readBody reads the request body up to the configured limit. The body is
// parsed as JSON whatever its Content-Type: `curl -d` sends a form type, and
// rejecting it would only annoy. The body's bytes are taken from the
// server's budget of bodies in flight (see bodyBudget) — before reading
// when its length is announced, read by read otherwise — and the caller
// gives back held when the request is done with the body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, held int64, err error) {
	if s.bodyRead > 0 {
		// A deadline on the connection's reads while the body is read,
		// lifted once it is: the stream that may follow must not inherit
		// it. After a failed read it stays, so that net/http's attempt to
		// drain the rest of the body fails at once too and the connection
		// closes after the error. Writers that cannot (tests' recorders)
		// read without one.
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(s.bodyRead)) == nil {
			defer func() {
				if err == nil {
					rc.SetReadDeadline(time.Time{})
				}
			}()
		}
	}
	if r.ContentLength > s.maxBody {
		// Refused unread, and before the budget: a client error, not a
		// wait for room. net/http reads away a short rest of the body
		// after the response, or closes the connection on a long one.
		return nil, 0, errTooLarge(s.maxBody)
	}
	if s.memShort != nil && s.memShort() {
		return nil, 0, errShortOfMemory()
	}
	src := io.Reader(http.MaxBytesReader(w, r.Body, s.maxBody))
	size := r.ContentLength
	var br *budgetReader
	if size > 0 {
		if !s.bodies.take(size) {
			return nil, 0, errOverloaded()
		}
		held = size
	} else {
		br = &budgetReader{r: src, b: &s.bodies}
		src = br
	}
	body, err = readSized(src, size)
	if br != nil {
		held = br.taken
	}
	if err != nil {
		s.bodies.give(held)
		var tooLarge *http.MaxBytesError
		var refused *apierr.Error
		switch {
		case errors.As(err, &tooLarge):
			return nil, 0, errTooLarge(s.maxBody)
		case errors.As(err, &refused):
			return nil, 0, refused
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, 0, apierr.New(apierr.Timeout, "the request body did not arrive within %s", s.bodyRead).
				With("error_type", "timeout")
		}
		return nil, 0, apierr.Wrap(apierr.InvalidRequest, err, "could not read the request body")
	}
	if len(body) == 0 {
		s.bodies.give(held)
		return nil, 0, apierr.New(apierr.InvalidRequest, "request body is empty; expected a JSON object")
	}
	return body, held, nil
}

// errTooLarge is the error for a request body over limit bytes.
func errTooLarge(limit int64) *apierr.Error {
	return apierr.New(apierr.TooLarge, "request body exceeds the limit of %d bytes", limit).
		With("error_type", "payload_too_large")
}

// readSized reads r to its end into a buffer of the size bytes announced
// (Content-Length; ≤ 0 when unknown), instead of growing one by doubling
// from 512 bytes, which copies and clears a large body several times over.
// The buffer is exactly that size (decoded strings alias it, so a stream
// keeps it for as long as it lasts). A body shorter than announced is
// io.ErrUnexpectedEOF; one with more is read on to its end all the same.
func readSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, size)
	n, err := io.ReadFull(r, buf)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // shorter than announced
	}
	if err != nil {
		return buf[:n], err
	}
	var probe [1]byte
	k, err := r.Read(probe[:])
	if k == 0 && err == io.EOF {
		return buf, nil
	}
	if err != nil && err != io.EOF {
		return buf, err
	}
	rest, err := io.ReadAll(r)
	return append(append(buf, probe[:k]...), rest...), err
}

// decodeJSON decodes body into v with a client-readable error. Unknown
// fields are ignored, as OpenAI-compatible clients send vendor extras. A
// chat request, the hot path, is read by openai.DecodeChatRequest: the
// same result and errors as json.Unmarshal's in a fraction of the time.
func decodeJSON(body []byte, v any) error {
	if err := unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return apierr.New(apierr.InvalidRequest, "invalid request: field %q must be %s, got %s",
				typeErr.Field, typeErr.Type, typeErr.Value).With("error_type", "invalid_request")
		case errors.As(err, &typeErr):
			return apierr.New(apierr.InvalidRequest, "invalid request: the body must be a JSON object, got %s",
				typeErr.Value).With("error_type", "invalid_request")
		case errors.As(err, &syntaxErr):
			return apierr.New(apierr.InvalidRequest, "invalid JSON at byte %d: %v", syntaxErr.Offset, err).
				With("error_type", "invalid_request")
		}
		return apierr.New(apierr.InvalidRequest, "invalid JSON: %v", err).With("error_type", "invalid_request")
	}
	return nil
}

// unmarshal is json.Unmarshal, by openai.DecodeChatRequest for a chat
// request.
func unmarshal(body []byte, v any) error {
	if req, ok := v.(*openai.ChatRequest); ok {
		return openai.DecodeChatRequest(body, req)
	}
	return json.Unmarshal(body, v)
}

var validRoles = map[string]bool{
	"system": true, "developer": true, "user": true, "assistant": true, "tool": true, "function": true,
}

// validateChat checks what every upstream would reject anyway, so the client
// gets a precise 400 without an upstream round trip.
func validateChat(req *openai.ChatRequest) error {
	bad := func(format string, args ...any) error {
		return apierr.New(apierr.InvalidRequest, format, args...).With("error_type", "invalid_request")
	}
	if req.Model == "" && len(req.Models) == 0 {
		return bad("model is required")
	}
	if len(req.Messages) == 0 {
		return bad("messages must be a non-empty array")
	}
	for i, m := range req.Messages {
		if !validRoles[m.Role] {
			return bad("messages[%d].role %q is not one of system, developer, user, assistant, tool", i, m.Role)
		}
		if m.Role == "tool" && m.ToolCallID == "" {
			return bad("messages[%d]: a tool message needs tool_call_id", i)
		}
	}
	if n := req.MaxTokens; n != nil && *n < 1 {
		return bad("max_tokens must be at least 1")
	}
	if n := req.MaxCompletionTokens; n != nil && *n < 1 {
		return bad("max_completion_tokens must be at least 1")
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		return bad("temperature must be between 0 and 2")
	}
	if p := req.TopP; p != nil && (*p < 0 || *p > 1) {
		return bad("top_p must be between 0 and 1")
	}
	for i, t := range req.Tools {
		if t.Type == "function" && (t.Function == nil || t.Function.Name == "") {
			return bad("tools[%d].function.name is required", i)
		}
	}
	return nil
}

// caller is an authenticated API key and its account; seq is the
// accountant's flush sequence number taken before they were read (see
// billing.Budget).
type caller struct {
	key     store.Key
	account store.Account
	seq     uint64
}

// errInvalidKey is the error of a key that is malformed or unknown, built
// when needed: not on every request.
func errInvalidKey() *apierr.Error {
	return apierr.New(apierr.Unauthorized, "invalid API key").With("error_type", "authentication")
}

// authenticate resolves the bearer key. The plaintext is hashed at once and
// never logged; lookups are by hash, compared in constant time.
func (s *Server) authenticate(r *http.Request) (*caller, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return nil, apierr.New(apierr.Unauthorized, "missing API key: send Authorization: Bearer <key>").
			With("error_type", "authentication")
	}
	if !apikey.LooksValid(token) {
		return nil, errInvalidKey()
	}
	hash := apikey.Hash(token)
	now := s.now()
	c, cached := s.keys.get(hash, now)
	if !cached {
		seq := s.accountant.Seq()
		k, a, err := s.store.KeyByHash(r.Context(), hash)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, errInvalidKey()
		case err != nil:
			return nil, apierr.Wrap(apierr.Internal, err, "internal error while checking the API key")
		case !apikey.Equal(k.Hash, hash):
			return nil, errInvalidKey()
		}
		c = &caller{key: k, account: a, seq: seq}
		s.keys.put(hash, c, now)
	}
	k := c.key
	switch {
	case k.Disabled:
		return nil, apierr.New(apierr.Unauthorized, "API key is disabled").With("error_type", "authentication")
	case k.Expired(now):
		return nil, apierr.New(apierr.Unauthorized, "API key expired at %s", k.ExpiresAt.UTC().Format(time.RFC3339)).
			With("error_type", "authentication")
	}
	return c, nil
}

// authenticateInference is authenticate for endpoints that spend credits
// (the credit hold checks the balance; see reserve).
func (s *Server) authenticateInference(r *http.Request) (*caller, error) {
	c, err := s.authenticate(r)
	if err != nil {
		return c, err
	}
	if c.key.IsManagement {
		return c, apierr.New(apierr.Forbidden, "management keys cannot call inference endpoints").
			With("error_type", "permission_denied")
	}
	return c, nil
}

// attribution is the app attribution a client sends.
type attribution struct {
	referer, title string
	// private keeps the app out of public rankings (X-Switchyard-Private).
	private bool
}

func attributionOf(r *http.Request) attribution {
	title := r.Header.Get("X-OpenRouter-Title")
	if title == "" {
		title = r.Header.Get("X-Title")
	}
	private, _ := strconv.ParseBool(strings.TrimSpace(r.Header.Get("X-Switchyard-Private")))
	return attribution{referer: bounded(r.Header.Get("HTTP-Referer"), 512), title: bounded(title, 256), private: private}
}

func bounded(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newGenerationID returns "gen-<unix>-<20 random alphanumerics>".
func newGenerationID(unix int64) string {
	var r [20]byte
	rand.Read(r[:])
	var buf [48]byte // "gen-" + up to 20 digits + "-" + 20
	b := strconv.AppendInt(append(buf[:0], "gen-"...), unix, 10)
	b = append(b, '-')
	for _, c := range r {
		b = append(b, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(b)
}
