package webui

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

//go:embed templates
var templateFS embed.FS

// pages are the parsed templates, one set per page (each page file
// defines "content" inside the shared layout).
type pages struct {
	byName map[string]*template.Template
}

// mustParsePages parses every page with the layout; the templates are
// part of the binary, so a failure is a build error.
func mustParsePages(a *assets) *pages {
	funcs := templateFuncs(a)
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t := template.Must(layout.Clone())
		p.byName[name] = template.Must(t.ParseFS(templateFS, file))
	}
	return p
}

// view is what the layout renders around a page's content.
type view struct {
	Title   string
	Active  string // the navigation entry of the page
	User    *userView
	CSRF    string
	Flashes []flash
	NewKey  *createdKey
	Scripts []string // asset names
	Styles  []string
	// Preloads are assets the page fetches at once but a script applies
	// later (see withCharts).
	Preloads []preload
	Path     string // the page's path and query, for sign-in's next
	Refresh  string // an address the page refreshes to at once
	Data     any
}

// preload is an asset the page fetches without applying it.
type preload struct {
	ID, Asset, As string // As: "script" or "style"
}

// withCharts makes the page draw its charts: charts.js, which loads
// uPlot once the page has painted (the preloads fetch it meanwhile), so
// that neither uPlot's stylesheet nor its script delays the first paint.
// Only a page that shows a chart calls it: Chromium warns of preloads a
// page does not use.
func (v *view) withCharts() {
	v.Scripts = append(v.Scripts, "js/charts.js")
	v.Preloads = append(v.Preloads, preload{"uplot-css", "vendor/uplot/uPlot.min.css", "style"},
		preload{"uplot-js", "vendor/uplot/uPlot.iife.min.js", "script"})
}

// userView is the signed-in session as pages show it (never its key).
type userView struct {
	Label      string
	Management bool
}

// pageError is an error page's status and message.
type pageError struct {
	Status  int
	Message string
}

func (e *pageError) Error() string { return e.Message }

// pageFunc renders a page for a request and its session (nil when signed
// out), or returns the error to render instead.
type pageFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// page adapts a pageFunc: it finds the session and renders its error.
func (u *UI) page(h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := u.sessionOf(r)
		if err := h(w, r, s); err != nil {
			u.renderError(w, r, s, err)
		}
	})
}

// sessionOf returns the request's live session, or nil.
func (u *UI) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return u.sessions.get(c.Value)
}

// render writes a page with status.
func (u *UI) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, v view) {
	t := u.pages.byName[name]
	if t == nil {
		panic("webui: no page template " + name)
	}
	if s != nil {
		v.User = &userView{Label: s.label, Management: s.management}
		v.CSRF = s.csrf
		flashes, newKey := s.takeFlashes()
		v.Flashes = append(flashes, v.Flashes...)
		if v.NewKey == nil {
			v.NewKey = newKey
		}
	}
	v.Path = r.URL.RequestURI()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		u.logger.LogAttrs(r.Context(), slog.LevelError, "rendering page failed",
			slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "internal error while rendering the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept-Encoding, Cookie")
	body := buf.Bytes()
	// Only pages without a session are compressed: a signed-in page holds
	// the CSRF token next to text an attacker may choose (a search), which
	// compression would let them guess (BREACH).
	if s == nil && buf.Len() > 1024 && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(body)
		if zw.Close() == nil {
			h.Set("Content-Encoding", "gzip")
			body = gz.Bytes()
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// renderError renders err as an error page: a pageError or an API error
// with its status and message, anything else as a logged 500.
func (u *UI) renderError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	pe := &pageError{Status: http.StatusInternalServerError, Message: "Something went wrong on the server."}
	var (
		asPage *pageError
		asAPI  *apiError
	)
	switch {
	case errors.As(err, &asPage):
		pe = asPage
	case errors.As(err, &asAPI):
		pe = &pageError{Status: asAPI.Status, Message: asAPI.Message}
	}
	if pe.Status >= 500 {
		u.logger.LogAttrs(r.Context(), slog.LevelError, "page failed", slog.String("path", r.URL.Path),
			slog.String("error", err.Error()))
	}
	u.render(w, r, s, pe.Status, "error", view{Title: http.StatusText(pe.Status), Data: pe})
}

// notFound is every path no page has.
func (u *UI) notFound(w http.ResponseWriter, r *http.Request, s *session) error {
	return &pageError{Status: http.StatusNotFound, Message: "There is no page at " + r.URL.Path + "."}
}

// signedIn returns a redirect to the sign-in page when s is nil.
func (u *UI) signedIn(w http.ResponseWriter, r *http.Request, s *session) bool {
	if s != nil {
		return true
	}
	http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return false
}

// needManagement is the error of a page that needs a management key.
func needManagement(what string) error {
	return &pageError{Status: http.StatusForbidden,
		Message: what + " needs a management key. Sign out and sign in with one (switchyard keys create --management)."}
}

// post guards a state-changing request: it must come from this site, from
// a signed-in session, with the session's CSRF token in the csrf form
// field or the X-CSRF-Token header.
func (u *UI) post(h pageFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		if crossSite(r) {
			return &pageError{Status: http.StatusForbidden, Message: "Cross-site requests are refused."}
		}
		if s == nil {
			return &pageError{Status: http.StatusForbidden, Message: "Your session has ended: sign in again."}
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		token := r.Header.Get("X-CSRF-Token")
		if token == "" && isForm(r) {
			token = r.PostFormValue("csrf")
		}
		if !s.checkCSRF(token) {
			return &pageError{Status: http.StatusForbidden, Message: "The form's security token is missing or stale: reload the page and try again."}
		}
		return h(w, r, s)
	}
}

// isForm reports whether a request's body is a URL-encoded form.
func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
}

// crossSite reports whether the browser says a request comes from another
// site: Sec-Fetch-Site cross-site, or an Origin other than this host.
func crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	o, err := url.Parse(origin)
	return err != nil || o.Host == "" || !strings.EqualFold(o.Host, r.Host)
}

// baseURL is the API's base URL as the client reached this server: the
// scheme from TLS or X-Forwarded-Proto, the host from Host.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0])); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host + "/api/v1"
}

// redirectBack sends the browser to path after a POST.
func redirectBack(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// safeNext is a same-site path to return to after signing in.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
