// Package webui is Switchyard's web interface, served by the same binary on
// the same port as the API: the model catalog, a model's page, rankings,
// the account's activity, keys and credits, a playground that streams
// answers, and an operator's admin page.
//
// Pages are rendered on the server with html/template and read without
// JavaScript; a little vanilla JavaScript enhances them (charts, table
// sorting, the playground's streaming). Assets are embedded with go:embed
// and served under /ui/static/ with a content hash in their query, so they
// are cached as immutable, and gzipped when the client accepts it. There is
// no build step, no CDN and no framework.
//
// The interface owns no business logic: every figure it shows comes from
// the API, called in process (an *http.Request served into an
// httptest.ResponseRecorder by Options.API) with the signed-in session's
// key. A session holds that key in memory only (never on disk, never
// rendered back); its cookie is HttpOnly and SameSite=Lax, and every POST
// carries the session's CSRF token and is refused when it comes from
// another site. Every page is served under a Content-Security-Policy that
// allows only this origin's scripts and styles, so no page has inline
// script or style.
//
// # Charts
//
// Charts are drawn with uPlot (static/vendor/uplot, MIT licence, vendored
// unmodified from the npm package uplot 1.6.32). It was chosen because it
// is small (about 50 KB minified, 22 KB gzipped, where Chart.js is about
// three times that), draws time series fast on a canvas, has no
// dependencies, is MIT-licensed and actively maintained. Line, stacked
// area (cumulative series drawn over each other), bar (uPlot.paths.bars)
// and scatter (points only) charts are all drawn with it; every page
// stays under 100 KB of gzipped JavaScript and CSS (asserted by a test).
//
// The sparklines of a model's endpoints (uptime, median latency and
// throughput over the last hour, minute by minute, from
// health.Endpoint.History) are not charts: they are small inline SVG paths
// drawn on the server, with no script and no style attribute (the CSP
// allows none inline); app.css styles them by class.
//
// # First paint
//
// Pages aim to paint within 200 ms on localhost. Nothing but app.css
// blocks rendering (scripts are deferred); pages with charts preload
// uPlot and charts.js loads and runs it only once the page has painted,
// so a chart never delays a page's text and tables. The catalog is
// paginated on the server (modelsPerPage models a page, page links that
// keep the filters and sort, no JavaScript needed): the whole catalog in
// one table took Chromium hundreds of milliseconds to lay out. Its own
// sorts (most used, throughput, name) read every matching model, and
// keep that list and the usage and throughput figures for figureTTL.
//
// TestBrowser logs each page's first contentful paint. For figures worth
// comparing, run
//
//	SWITCHYARD_FIRST_PAINT=10 go test ./internal/webui -run TestFirstPaint -v
//
// which visits every page that many times and logs the minimum and median
// paint, serving time, size, element count, render-blocking assets and
// renderer CPU: on a shared machine single paints vary by hundreds of
// milliseconds with the load.
//
// # Screenshots
//
// TestBrowser takes a screenshot of every page into a temporary directory.
// The README shows those in testdata/screenshots; refresh them with
//
//	SWITCHYARD_SCREENSHOTS=1 go test ./internal/webui -run TestBrowser
package webui
