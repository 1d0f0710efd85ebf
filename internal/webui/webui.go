package webui

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
)

// Options configures the web interface.
type Options struct {
	// API serves the JSON API (api.Server.Handler); every page reads its
	// data from it in process.
	API http.Handler
	// Catalog lists the providers, modalities and parameters the model
	// filters offer.
	Catalog *catalog.Catalog
	// Health is the endpoints' live health shown on the admin page; nil
	// shows none.
	Health *health.Registry
	Logger *slog.Logger
	// Secure marks the session cookie Secure: set it when the interface is
	// reached over HTTPS (directly or through a TLS-terminating proxy).
	Secure bool
}

// contentSecurityPolicy allows only this origin's scripts, styles and
// connections, and data: images; no page may be framed.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// sessionTTL is how long a session lasts after sign-in.
const sessionTTL = 12 * time.Hour

// maxSessions bounds the sessions held in memory; past it the oldest is
// dropped.
const maxSessions = 10_000

// UI is the web interface's handler.
type UI struct {
	api      http.Handler
	cat      *catalog.Catalog
	health   *health.Registry
	logger   *slog.Logger
	secure   bool
	sessions *sessions
	assets   *assets
	pages    *pages
	mux      *http.ServeMux
	now      func() time.Time
	figures  ttlCache[figures]   // the catalog's usage and throughput figures
	lists    ttlCache[modelList] // the models matching a query, for the catalog's own sorts
}

// New returns the web interface: pages at "/" and assets under
// "/ui/static/". Paths of the API (/api/, /v1/, /metrics, /healthz) are
// not its own: mount it beside the API with Mount.
func New(o Options) *UI {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	u := &UI{
		api:      o.API,
		cat:      o.Catalog,
		health:   o.Health,
		logger:   o.Logger,
		secure:   o.Secure,
		sessions: newSessions(maxSessions, sessionTTL, time.Now),
		assets:   mustLoadAssets(),
		now:      time.Now,
	}
	u.pages = mustParsePages(u.assets)
	u.mux = u.routes()
	return u
}

// Mount returns the process's root handler: the API's paths (/api/, /v1/,
// /metrics, /healthz) to api, everything else to the web interface built
// from o, whose API is api unless o sets one.
func Mount(api http.Handler, o Options) http.Handler {
	if o.API == nil {
		o.API = api
	}
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/v1/", "/metrics", "/healthz"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", New(o))
	return mux
}

// ServeHTTP serves a page or an asset with the security headers every
// response of the interface carries.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	u.mux.ServeHTTP(w, r)
}

// routes registers the pages and the assets.
func (u *UI) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /ui/static/{file...}", u.assets)
	page := func(pattern string, h pageFunc) { mux.Handle(pattern, u.page(h)) }
	page("GET /{$}", u.modelsPage)
	page("GET /models", u.modelsPage)
	page("GET /models/{id...}", u.modelPage)
	page("GET /rankings", u.rankingsPage)
	page("GET /activity", u.activityPage)
	mux.Handle("GET /activity.csv", u.page(u.activityCSV))
	page("GET /keys", u.keysPage)
	page("POST /keys", u.post(u.createKey))
	page("POST /keys/{hash}/{action}", u.post(u.changeKey))
	page("GET /credits", u.creditsPage)
	page("POST /credits/checkout", u.post(u.checkout))
	page("GET /playground", u.playgroundPage)
	mux.Handle("POST /ui/playground/chat", u.page(u.post(u.playgroundChat)))
	page("GET /admin", u.adminPage)
	page("GET /signin", u.signInPage)
	page("POST /signin", u.signIn)
	page("POST /signout", u.post(u.signOut))
	page("/", u.notFound)
	return mux
}
