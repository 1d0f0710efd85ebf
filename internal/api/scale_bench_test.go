package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/store/storeopen"
)

// BenchmarkRankingsAtScale times every rankings endpoint on a store filled
// by "switchyard usage generate" (its DSN in SWITCHYARD_SCALE_DB, history
// ending on SWITCHYARD_SCALE_DATE, default 2026-12-05). It is skipped
// without one; README.md records its figures for 10 million records.
func BenchmarkRankingsAtScale(b *testing.B) {
	dsn := os.Getenv("SWITCHYARD_SCALE_DB")
	if dsn == "" {
		b.Skip("SWITCHYARD_SCALE_DB is not set: fill a store with switchyard usage generate first")
	}
	date := os.Getenv("SWITCHYARD_SCALE_DATE")
	if date == "" {
		date = "2026-12-05"
	}
	st, err := storeopen.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	file, err := catalog.Bundled()
	if err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.New(file)
	if err != nil {
		b.Fatal(err)
	}
	s := New(Options{Catalog: cat, Router: router.New(cat, router.Options{}), Store: st, Rankings: Rankings{Public: true}})
	defer s.Close()
	h := s.Handler()
	model := file.Models[0].ID
	for _, tc := range []struct{ name, path string }{
		{"models/week", "/api/v1/rankings/models?period=week&date=" + date},
		{"models/month/programming", "/api/v1/rankings/models?period=month&category=programming&date=" + date},
		{"trending/week", "/api/v1/rankings/trending?period=week&date=" + date},
		{"authors/month", "/api/v1/rankings/authors?period=month&date=" + date},
		{"apps/week", "/api/v1/rankings/apps?period=week&date=" + date},
		{"value/week", "/api/v1/rankings/value?period=week&date=" + date},
		{"providers", "/api/v1/rankings/providers"},
		{"datasets/rankings-daily/30d", "/api/v1/datasets/rankings-daily?days=30&date=" + date},
		{"datasets/app-rankings/trending", "/api/v1/datasets/app-rankings?sort=trending&date=" + date},
		{"classifications/task", "/api/v1/classifications/task?date=" + date},
		{"model activity/30d", "/api/v1/models/" + model + "/activity?days=30"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", tc.path, w.Code, w.Body)
				}
			}
		})
	}
}
