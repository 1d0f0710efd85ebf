package webui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkPages measures the server time of the heaviest pages, signed in
// with a management key (the browser test measures the first paint).
func BenchmarkPages(b *testing.B) {
	e := newEnv(b, envOptions{})
	c := e.client()
	c.signIn(e.mgmt)
	u, _ := url.Parse(e.srv.URL)
	cookies := c.http.Jar.Cookies(u)
	for _, path := range []string{"/models", "/models?sort=name", "/models?sort=used", "/models?sort=throughput",
		"/models/openai/gpt-4o-mini", "/rankings", "/activity", "/admin"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.ui.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: status %d", path, rec.Code)
				}
			}
		})
	}
}
