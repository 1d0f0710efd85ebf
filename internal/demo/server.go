package demo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	randv2 "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// maxBodyBytes bounds a request body; real ones are far smaller.
const maxBodyBytes = 8 << 20

// systemFingerprint is sent on every completion, as OpenAI does.
const systemFingerprint = "fp_switchyard_demo"

// server is one simulated provider's HTTP handler.
type server struct {
	profile *Profile
	logger  *slog.Logger
}

// routes returns the handler: every path requires a bearer token; unknown
// paths and methods get OpenAI's "Invalid URL" 404.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("GET /v1/models", s.listModels)
	mux.HandleFunc("GET /v1/models/{author}/{slug}", s.getModel)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, errInvalidURL(r)) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_"+randomID(32))
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			writeError(w, errMissingKey())
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// modelObject is an entry of GET /v1/models.
type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func newModelObject(id string) modelObject {
	m, _ := lookupModel(id)
	author, _, _ := strings.Cut(id, "/")
	return modelObject{ID: id, Object: "model", Created: m.created, OwnedBy: author}
}

func (s *server) listModels(w http.ResponseWriter, r *http.Request) {
	list := struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{Object: "list", Data: []modelObject{}}
	for _, id := range s.profile.Models {
		list.Data = append(list.Data, newModelObject(id))
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *server) getModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("author") + "/" + r.PathValue("slug")
	if !s.profile.serves(id) {
		writeError(w, errModelNotFound(id))
		return
	}
	writeJSON(w, http.StatusOK, newModelObject(id))
}

// outcome is the fate of one request, drawn from the profile's rates.
type outcome struct {
	fail   *apiError // answer with this error before any byte
	failAt int       // fail part-way, when token failAt is due; -1: never
}

// decide draws the fate of a request whose reply has n tokens.
func (s *server) decide(n int) outcome {
	p := s.profile
	draw := p.Rand
	if draw == nil {
		draw = randv2.Float64
	}
	o := outcome{failAt: -1}
	if p.FailureRate > 0 {
		if r := draw(); r < p.FailureRate {
			if r < p.FailureRate/4 {
				o.fail = errRateLimited(p.Name)
			} else {
				o.fail = errOverloaded(p.Name)
			}
			return o
		}
	}
	if p.MidStreamFailureRate > 0 && draw() < p.MidStreamFailureRate {
		o.failAt = min(int(draw()*float64(n)), max(n-1, 0))
	}
	return o
}

// chat serves POST /v1/chat/completions.
func (s *server) chat(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req openai.ChatRequest
	if e := decodeRequest(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := s.check(&req); e != nil {
		writeError(w, e)
		return
	}
	rep, e := compose(s.profile, &req)
	if e != nil {
		writeError(w, e)
		return
	}
	log := s.logger.With("model", req.Model, "stream", req.Stream)
	started := time.Now()
	o := s.decide(len(rep.pieces))
	if o.fail != nil {
		log.Debug("demo: simulated failure", "status", o.fail.status)
		writeError(w, o.fail)
		return
	}

	if err := sleep(ctx, s.profile.Latency); err != nil {
		log.Debug("demo: client went away before the first token")
		return
	}
	g := generation{
		id:      "chatcmpl-" + randomID(29),
		created: time.Now().Unix(),
		model:   req.Model,
		reply:   rep,
		usage:   usage(promptTokens(&req), len(rep.pieces)),
		pace:    newPacer(s.profile.TokensPerSecond),
		failAt:  o.failAt,
		name:    s.profile.Name,
	}
	defer g.pace.stop()
	var err error
	if req.Stream {
		err = g.stream(ctx, w, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
	} else {
		err = g.complete(ctx, w)
	}
	log.Debug("demo: request done", "completion_tokens", len(rep.pieces),
		"finish_reason", rep.finish, "elapsed", time.Since(started), "err", err)
}

// decodeRequest reads and decodes a JSON body, as OpenAI reports it.
func decodeRequest(w http.ResponseWriter, r *http.Request, req *openai.ChatRequest) *apiError {
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := json.NewDecoder(body).Decode(req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			e := errInvalid("", "The request body is larger than %d bytes.", maxBodyBytes)
			e.status = http.StatusRequestEntityTooLarge
			return e
		}
		return errInvalid("", "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)")
	}
	return nil
}

// check validates the parameters the simulator relies on.
func (s *server) check(req *openai.ChatRequest) *apiError {
	switch {
	case req.Model == "":
		return errInvalid("model", "you must provide a model parameter")
	case len(req.Messages) == 0:
		return errInvalid("messages", "[] is too short - 'messages'")
	case !s.profile.serves(req.Model):
		return errModelNotFound(req.Model)
	case req.N != nil && *req.N != 1:
		return errInvalid("n", "Simulated providers only support n=1.")
	case req.MaxTokens != nil && *req.MaxTokens < 1:
		return errInvalid("max_tokens", "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got %d instead.", *req.MaxTokens)
	case req.MaxCompletionTokens != nil && *req.MaxCompletionTokens < 1:
		return errInvalid("max_completion_tokens", "Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1, but got %d instead.", *req.MaxCompletionTokens)
	}
	return nil
}

// usage builds the usage object of a completion.
func usage(prompt, completion int) *openai.Usage {
	return &openai.Usage{
		PromptTokens:            prompt,
		CompletionTokens:        completion,
		TotalTokens:             prompt + completion,
		PromptTokensDetails:     &openai.PromptTokensDetails{},
		CompletionTokensDetails: &openai.CompletionTokensDetails{},
	}
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// randomID returns n random characters of base32 text.
func randomID(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(rand.Text())
	}
	return b.String()[:n]
}
