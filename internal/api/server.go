// Package api is Switchyard's HTTP surface: the OpenAI- and
// OpenRouter-compatible endpoints, served identically under /api/v1 and /v1
// so that any OpenAI SDK works by changing only its base URL.
//
// Handlers return errors; one wrapper renders them in OpenRouter's envelope
// {"error":{"code","message","metadata"}} with the status of their kind.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime/trace"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/billing"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/classify"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/ratelimit"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/secretbox"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/tokenize"
	"github.com/switchyard-dev/switchyard/internal/usage"
)

// Store is what the API needs of persistence.
type Store interface {
	store.PresetStore
	store.BillingStore
	store.UsageStore
	Account(ctx context.Context, id int64) (store.Account, error)
	KeyByHash(ctx context.Context, hash string) (store.Key, store.Account, error)
	ListKeys(ctx context.Context, accountID int64) ([]store.Key, error)
	CreateKey(ctx context.Context, k store.NewKey) (store.Key, error)
	Generation(ctx context.Context, id string) (store.Generation, error)
	RecentGenerations(ctx context.Context, accountID int64, limit int) ([]store.Generation, error)
}

// Options configures a Server.
type Options struct {
	Catalog *catalog.Catalog
	Router  *router.Router
	Store   Store
	Logger  *slog.Logger
	// MaxBodyBytes bounds request bodies; larger ones get 413.
	MaxBodyBytes int64
	// MaxInflightBodyBytes bounds the bytes of the bodies of all the
	// requests in flight; a request past it gets 503 with Retry-After
	// (≤ 0: unbounded).
	MaxInflightBodyBytes int64
	// MemoryShort, when set, tells when the process is short of memory
	// (package memguard): inference requests that arrive meanwhile get 503
	// with Retry-After before their body is read.
	MemoryShort func() bool
	// BodyReadTimeout bounds reading a request's body (0: unbounded).
	BodyReadTimeout time.Duration
	// KeepAliveInterval is how long a stream waits for its upstream before
	// sending ": SWITCHYARD PROCESSING" comments, and their period.
	KeepAliveInterval time.Duration
	// Metrics, when set, is served at GET /metrics in Prometheus' text
	// format.
	Metrics prometheus.Gatherer

	// FlushInterval bounds how long a settled generation waits before
	// its record and charge are written (billing.AccountantOptions).
	FlushInterval time.Duration
	// Instance names this process in the journal of requests in flight
	// (see billing.AccountantOptions.Instance).
	Instance string
	// Tokens counts prompt tokens for credit holds and for usage an
	// upstream did not report; tokenize.Default() when nil.
	Tokens TokenCounter
	// RequestsPerMinute limits each key's inference requests (0: none).
	// Free variants (":free") are limited per account as OpenRouter does
	// in any case (see package ratelimit).
	RequestsPerMinute int
	// Limiter counts requests for the rate limits; a new one when nil.
	Limiter *ratelimit.Limiter
	// Payments enables credit top-ups (checkout and webhook) when its
	// Provider is set.
	Payments Payments
	// Secrets seals the accounts' own provider keys (BYOK); without it
	// none can be stored. BYOK builds clients with them, and
	// BYOKFeePermille is what their generations cost, in thousandths of
	// the list price.
	Secrets         *secretbox.Box
	BYOK            BYOKClients
	BYOKFeePermille int64

	// Registerer, when set, registers the server's own metrics (billing's
	// flushes, usage recording, overhead).
	Registerer prometheus.Registerer
	// Rankings configures the rankings and datasets endpoints.
	Rankings Rankings
	// UsageFlushInterval is how often usage rollups are written (default
	// 1s; see package usage).
	UsageFlushInterval time.Duration
	// Classify, when set, labels a prompt's text (its system messages and
	// last user message) with its task category in place of package
	// classify's model. Like it, it runs when the generation's record is
	// written, off the request's path.
	Classify func(text string) string
}

// Server serves the API.
type Server struct {
	metrics   prometheus.Gatherer
	cat       *catalog.Catalog
	router    *router.Router
	store     Store
	logger    *slog.Logger
	maxBody   int64
	bodies    bodyBudget
	memShort  func() bool   // Options.MemoryShort
	bodyRead  time.Duration // Options.BodyReadTimeout
	keepAlive time.Duration
	now       func() time.Time

	accountant *billing.Accountant
	tokens     TokenCounter
	limiter    *ratelimit.Limiter
	rpm        int
	payments   Payments
	secrets    *secretbox.Box
	byok       BYOKClients
	byokFee    int64

	usage    *usage.Recorder
	keys     *keyCache
	rankings Rankings
	// sortFigures caches what GET /models' traffic sorts read.
	sortFigures figureCache
	overhead    *overhead           // switchyard_overhead_seconds (overhead.go)
	classify    func(string) string // Options.Classify
}

// New returns a Server.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tokens == nil {
		o.Tokens = tokenize.Default()
	}
	if o.Limiter == nil {
		o.Limiter = ratelimit.New(ratelimit.Options{})
	}
	if o.Classify == nil {
		classify.Classify("") // trains the model now, not on the first request
	}
	// The usage rollups are fed a batch of records at a time, as the
	// accountant writes them: off the requests' path, with their task
	// categories, which are classified then.
	rollups := usage.New(o.Store, usage.Options{FlushInterval: o.UsageFlushInterval, Registerer: o.Registerer,
		Logger: o.Logger.With("component", "usage")})
	return &Server{
		cat:       o.Catalog,
		router:    o.Router,
		store:     o.Store,
		logger:    o.Logger,
		maxBody:   o.MaxBodyBytes,
		bodies:    bodyBudget{limit: o.MaxInflightBodyBytes},
		memShort:  o.MemoryShort,
		bodyRead:  o.BodyReadTimeout,
		keepAlive: o.KeepAliveInterval,
		now:       time.Now,
		metrics:   o.Metrics,
		accountant: billing.NewAccountant(billing.StoreLedger(o.Store), billing.AccountantOptions{
			FlushInterval: o.FlushInterval, Instance: o.Instance, Logger: o.Logger.With("component", "billing"),
			Written: rollups.RecordAll, Registerer: o.Registerer,
		}),
		tokens:   o.Tokens,
		limiter:  o.Limiter,
		rpm:      o.RequestsPerMinute,
		payments: o.Payments,
		secrets:  o.Secrets,
		byok:     o.BYOK,
		byokFee:  o.BYOKFeePermille,
		usage:    rollups,
		rankings: o.Rankings,
		keys:     newKeyCache(),
		overhead: newOverhead(o.Registerer),
		classify: o.Classify,
	}
}

// Flush writes every generation settled so far (their records and
// charges are batched off the request path).
func (s *Server) Flush(ctx context.Context) error {
	return errors.Join(s.accountant.Flush(ctx), s.usage.Flush(ctx))
}

// Close writes what is settled and the usage rollups pending, and stops
// the background writers. Call it after the HTTP server has shut down, so
// that no request is in flight.
func (s *Server) Close() {
	s.accountant.Close()
	s.usage.Close()
}

// Handler returns the API's routes under both /api/v1 and /v1.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("POST "+prefix+"/chat/completions", s.handle(s.chatCompletions))
		mux.Handle("POST "+prefix+"/completions", s.handle(s.completions))
		mux.Handle("GET "+prefix+"/models", s.handle(s.listModels))
		mux.Handle("GET "+prefix+"/models/{rest...}", s.handle(s.modelSubresource))
		mux.Handle("GET "+prefix+"/providers", s.handle(s.listProviders))
		mux.Handle("GET "+prefix+"/generation", s.handle(s.getGeneration))
		mux.Handle("GET "+prefix+"/generations", s.handle(s.listGenerations))
	}
	s.presetRoutes(mux)
	s.rankingRoutes(mux)
	s.stealthRoutes(mux)
	s.keyRoutes(mux)
	s.paymentRoutes(mux)
	s.byokRoutes(mux)
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle(prefix+"/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
			return apierr.New(apierr.NotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
		}))
	}
	if s.metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	return mux
}

// handlerFunc is an HTTP handler that returns its error for rendering.
type handlerFunc func(http.ResponseWriter, *http.Request) error

// handle renders a handler's error in the API envelope. While an execution
// trace is being recorded (serve --trace), each request is a task of it.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if trace.IsEnabled() {
			s.serveTask(h, w, r)
			return
		}
		s.serve(h, w, r)
	})
}

func (s *Server) serve(h handlerFunc, w http.ResponseWriter, r *http.Request) {
	err := h(w, r)
	if err == nil {
		return
	}
	if errors.Is(err, http.ErrAbortHandler) {
		panic(http.ErrAbortHandler)
	}
	e := apierr.From(err)
	s.logError(r, e)
	writeError(w, e)
}

// serveTask serves r as a task of the execution trace named by its route
// ("POST /api/v1/chat/completions"): go tool trace shows the tasks' times,
// the slowest first, and what each one's goroutines did meanwhile. A
// served request also logs its overhead to the task (overhead.go).
func (s *Server) serveTask(h handlerFunc, w http.ResponseWriter, r *http.Request) {
	ctx, task := trace.NewTask(r.Context(), r.Pattern)
	defer task.End()
	s.serve(h, w, r.WithContext(ctx))
}

func (s *Server) logError(r *http.Request, e *apierr.Error) {
	level := slog.LevelInfo
	if e.Kind.Status() >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", e.Kind.Status()), slog.String("message", e.Message),
	}
	if e.Cause != nil {
		attrs = append(attrs, slog.String("cause", e.Cause.Error()))
	}
	s.logger.LogAttrs(r.Context(), level, "request failed", attrs...)
}

// writeError writes e as the JSON error envelope.
func writeError(w http.ResponseWriter, e *apierr.Error) {
	status := e.Kind.Status()
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	writeJSON(w, status, openai.ErrorEnvelope{Error: errorBody(e)})
}

func errorBody(e *apierr.Error) openai.ErrorBody {
	return openai.ErrorBody{Code: e.Kind.Status(), Message: e.Message, Metadata: e.Metadata}
}

// writeJSON writes v with status. Encoding our own types cannot fail; if it
// somehow does, the client gets a 500 instead of half a body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":500,"message":"internal error: response encoding failed"}}`)
	}
	writeJSONBytes(w, status, b)
}

// writeJSONBytes writes b, a JSON document, with status.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
