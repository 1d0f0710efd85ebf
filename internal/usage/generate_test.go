package usage

import (
	"reflect"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// TestGenerateRollupsMatchRecords: the rollups the generator writes are
// exactly what rebuilding them from its records gives.
func TestGenerateRollupsMatchRecords(t *testing.T) {
	st := openStore(t)
	end := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	stats, err := Generate(t.Context(), st, GenerateOptions{Records: 5000, Days: 10, End: end, Apps: 30, Keys: 5,
		Models: []string{"a/one", "b/two", "c/three", "d/four"}, Seed: 7, Batch: 1500})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Records != 5000 {
		t.Fatalf("stats %+v", stats)
	}
	q := store.UsageQuery{From: end.AddDate(0, 0, -9), To: end.AddDate(0, 0, 1)}
	read := func() ([]store.ModelDayUsage, []store.AppUsage, []store.CategoryUsage) {
		d, err := st.UsageByModelDay(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		a, err := st.UsageByApp(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		c, err := st.UsageByCategory(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		return d, a, c
	}
	d1, a1, c1 := read()
	var requests int64
	for _, d := range d1 {
		requests += d.Requests
	}
	if requests != 5000 {
		t.Errorf("rollups count %d requests, want 5000", requests)
	}
	if n, err := st.RebuildUsage(t.Context(), q.From, q.To); err != nil || n != 5000 {
		t.Fatalf("RebuildUsage = %d, %v", n, err)
	}
	d2, a2, c2 := read()
	if !reflect.DeepEqual(d1, d2) || !reflect.DeepEqual(a1, a2) || !reflect.DeepEqual(c1, c2) {
		t.Error("the generator's rollups differ from those rebuilt from its records")
	}
	// Popularity is Zipf's: the first model is the most used.
	if m, err := st.UsageByModel(t.Context(), q); err != nil || len(m) != 4 || m[0].Model != "a/one" {
		t.Errorf("UsageByModel = %+v, %v; want a/one first of 4", m, err)
	}
}
