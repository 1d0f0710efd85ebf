package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is an error the simulated server answers with, in OpenAI's
// ErrorResponse shape (protocols.md §1.4): all four keys always present.
type apiError struct {
	status     int
	retryAfter int // seconds; sent as Retry-After when positive
	body       errorBody
}

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func newAPIError(status int, typ, code, param, format string, args ...any) *apiError {
	e := &apiError{status: status, body: errorBody{Message: fmt.Sprintf(format, args...), Type: typ}}
	if code != "" {
		e.body.Code = &code
	}
	if param != "" {
		e.body.Param = &param
	}
	return e
}

func errMissingKey() *apiError {
	return newAPIError(http.StatusUnauthorized, "invalid_request_error", "", "",
		"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
}

func errInvalidURL(r *http.Request) *apiError {
	return newAPIError(http.StatusNotFound, "invalid_request_error", "", "",
		"Invalid URL (%s %s)", r.Method, r.URL.Path)
}

func errModelNotFound(model string) *apiError {
	return newAPIError(http.StatusNotFound, "invalid_request_error", "model_not_found", "",
		"The model `%s` does not exist or you do not have access to it.", model)
}

func errInvalid(param, format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "invalid_request_error", "", param, format, args...)
}

func errOverloaded(name string) *apiError {
	return newAPIError(http.StatusServiceUnavailable, "server_error", "", "",
		"%s is overloaded right now (simulated failure). Please try again later.", name)
}

func errRateLimited(name string) *apiError {
	e := newAPIError(http.StatusTooManyRequests, "requests", "rate_limit_exceeded", "",
		"Rate limit reached for requests on %s (simulated failure). Please try again in 1s.", name)
	e.retryAfter = 1
	return e
}

func errServer(name string) *apiError {
	return newAPIError(http.StatusInternalServerError, "server_error", "", "",
		"%s had an error while processing your request (simulated failure).", name)
}

func errShuttingDown() *apiError {
	return newAPIError(http.StatusServiceUnavailable, "server_error", "", "",
		"The simulated provider is shutting down.")
}

// writeError sends e as the whole response.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.status, errorEnvelope{Error: e.body})
}

// writeJSON sends v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own wire types are marshalled; this is a bug.
		b = []byte(`{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
