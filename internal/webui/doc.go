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
package webui
