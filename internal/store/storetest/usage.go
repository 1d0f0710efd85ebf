package storetest

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// usageFixture is a set of generations over three UTC days, across
// models, providers, apps (one private, one titled only), categories and
// outcomes.
func usageFixture(t *testing.T, s store.Store) (day0 time.Time, gens []store.Generation) {
	a := mustAccount(t, s, usd(100))
	k1, k2 := mustKey(t, s, a.ID), mustKey(t, s, a.ID)
	day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	models := []string{"a/one", "b/two", "a/three"}
	apps := []struct{ referer, title string }{
		{"https://code.example", "Code"}, {"https://chat.example", "Chat"}, {"", "Titled only"}, {"", ""},
	}
	categories := []string{"programming", "roleplay", "other"}
	for i := range 120 {
		app := apps[i%len(apps)]
		g := gen(t, []store.Key{k1, k2}[i%2], money.Amount(1000+i))
		g.Model, g.ProviderSlug, g.ProviderName = models[i%3], []string{"p", "q"}[i%2], "P"
		g.HTTPReferer, g.AppTitle = app.referer, app.title
		g.Category = categories[(i/2)%3]
		g.AppPrivate = i%10 == 0
		g.PromptTokens, g.CompletionTokens, g.ReasoningTokens = 10+i, 20+2*i, i%7
		g.LatencyMs, g.GenerationTimeMs = int64(100+i), int64(1000+i)
		g.Status, g.FinishReason = 200, "stop"
		if i%13 == 0 {
			g.Status, g.FinishReason, g.Cost, g.PromptTokens, g.CompletionTokens, g.ReasoningTokens = 502, "error", 0, 0, 0, 0
			g.ProviderSlug = ""
		}
		// 23:50 on day 0 and on day 1, and 00:10 the next day: the
		// days are UTC's; the last ones fall on day 3, after the range.
		g.CreatedAt = day0.Add(time.Duration(i%4)*24*time.Hour - 10*time.Minute + time.Duration(i%3)*20*time.Minute)
		gens = append(gens, g)
	}
	mustRecordBatch(t, s, gens)
	return day0, gens
}

// wantUsage computes what the queries should return for q from gens,
// independently of the rollups.
func wantUsage(gens []store.Generation, q store.UsageQuery) (models []store.ModelUsage, days []store.ModelDayUsage, apps []store.AppUsage, cats []store.CategoryUsage) {
	byModel := map[string]*store.Tokens{}
	byDay := map[[2]string]*store.Tokens{}
	byApp := map[string]*store.AppUsage{}
	byCat := map[[2]string]*store.Tokens{}
	add := func(m map[[2]string]*store.Tokens, k [2]string, u store.Tokens) {
		if m[k] == nil {
			m[k] = new(store.Tokens)
		}
		m[k].Add(u)
	}
	for _, g := range gens {
		day := store.Day(g.CreatedAt)
		if day.Before(q.From) || !day.Before(q.To) || (q.Category != "" && g.Category != q.Category) || (q.Model != "" && g.Model != q.Model) {
			continue
		}
		u := store.UsageOf(g).Tokens
		if byModel[g.Model] == nil {
			byModel[g.Model] = new(store.Tokens)
		}
		byModel[g.Model].Add(u)
		add(byDay, [2]string{day.Format(time.DateOnly), g.Model}, u)
		add(byCat, [2]string{g.Category, g.Model}, u)
		if app := store.AppOf(g.HTTPReferer, g.AppTitle); app != "" && !g.AppPrivate {
			if byApp[app] == nil {
				byApp[app] = &store.AppUsage{App: app}
			}
			a := byApp[app]
			a.Tokens.Add(store.Tokens{Requests: u.Requests, Prompt: u.Prompt, Completion: u.Completion, Reasoning: u.Reasoning})
			if g.AppTitle != "" {
				a.Title = g.AppTitle
			}
		}
	}
	for m, u := range byModel {
		models = append(models, store.ModelUsage{Model: m, Tokens: *u})
	}
	slices.SortFunc(models, func(x, y store.ModelUsage) int {
		return cmp.Or(cmp.Compare(y.Total(), x.Total()), cmp.Compare(x.Model, y.Model))
	})
	for k, u := range byDay {
		d, _ := time.Parse(time.DateOnly, k[0])
		days = append(days, store.ModelDayUsage{Day: d, Model: k[1], Tokens: *u})
	}
	slices.SortFunc(days, func(x, y store.ModelDayUsage) int {
		return cmp.Or(x.Day.Compare(y.Day), cmp.Compare(y.Total(), x.Total()), cmp.Compare(x.Model, y.Model))
	})
	for _, a := range byApp {
		apps = append(apps, *a)
	}
	slices.SortFunc(apps, func(x, y store.AppUsage) int {
		return cmp.Or(cmp.Compare(y.Total(), x.Total()), cmp.Compare(x.App, y.App))
	})
	for k, u := range byCat {
		cats = append(cats, store.CategoryUsage{Category: k[0], Model: k[1], Tokens: *u})
	}
	slices.SortFunc(cats, func(x, y store.CategoryUsage) int {
		return cmp.Or(cmp.Compare(x.Category, y.Category), cmp.Compare(y.Total(), x.Total()), cmp.Compare(x.Model, y.Model))
	})
	return models, days, apps, cats
}

// checkUsage compares every query over several selections with wantUsage.
func checkUsage(t *testing.T, s store.Store, what string, day0 time.Time, gens []store.Generation) {
	t.Helper()
	ctx := t.Context()
	for _, q := range []store.UsageQuery{
		{From: day0, To: day0.AddDate(0, 0, 3)},
		{From: day0.AddDate(0, 0, 1), To: day0.AddDate(0, 0, 2)},
		{From: day0.AddDate(0, 0, -1), To: day0.AddDate(0, 0, 5), Category: "programming"},
		{From: day0, To: day0.AddDate(0, 0, 5), Model: "b/two"},
		{From: day0.AddDate(0, 0, 10), To: day0.AddDate(0, 0, 11)},
	} {
		wm, wd, wa, wc := wantUsage(gens, q)
		gm, err := s.UsageByModel(ctx, q)
		check(t, fmt.Sprintf("%s: UsageByModel(%+v)", what, q), gm, wm, err)
		gd, err := s.UsageByModelDay(ctx, q)
		check(t, fmt.Sprintf("%s: UsageByModelDay(%+v)", what, q), gd, wd, err)
		ga, err := s.UsageByApp(ctx, q)
		check(t, fmt.Sprintf("%s: UsageByApp(%+v)", what, q), ga, wa, err)
		gc, err := s.UsageByCategory(ctx, q)
		check(t, fmt.Sprintf("%s: UsageByCategory(%+v)", what, q), gc, wc, err)
	}
}

func check[T any](t *testing.T, what string, got, want []T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// testUsageRollups: rows added in batches (any split, any order) and a
// rebuild from the generation records give the same, exact figures.
func testUsageRollups(t *testing.T, s store.Store) {
	day0, gens := usageFixture(t, s)
	var rows []store.UsageRow
	for _, g := range gens {
		rows = append(rows, store.UsageOf(g))
	}
	slices.Reverse(rows)
	for i := 0; i < len(rows); i += 37 {
		if err := s.AddUsage(t.Context(), rows[i:min(i+37, len(rows))]); err != nil {
			t.Fatalf("AddUsage: %v", err)
		}
	}
	checkUsage(t, s, "added", day0, gens)

	n, err := s.RebuildUsage(t.Context(), day0.AddDate(0, 0, -1), day0.AddDate(0, 0, 5))
	if err != nil {
		t.Fatalf("RebuildUsage: %v", err)
	}
	if n != int64(len(gens)) {
		t.Errorf("RebuildUsage counted %d generations, want %d", n, len(gens))
	}
	checkUsage(t, s, "rebuilt", day0, gens)

	// A rebuild of one day leaves the others as they were.
	if _, err := s.RebuildUsage(t.Context(), day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 2)); err != nil {
		t.Fatalf("RebuildUsage: %v", err)
	}
	checkUsage(t, s, "one day rebuilt", day0, gens)
}

// testImportGenerations: imported history is stored as given, charges no
// one, rebuilds into the same rollups as recorded generations, and a
// batch with an id already stored writes nothing.
func testImportGenerations(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)
	day0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var gens []store.Generation
	for i := range 1234 { // more than one multi-row INSERT
		g := gen(t, k, money.Amount(i))
		g.Model, g.ProviderSlug, g.Category, g.Status = []string{"x/a", "y/b"}[i%2], "p", "trivia", 200
		g.HTTPReferer, g.AppTitle = "https://imported.example", "Imported"
		g.PromptTokens, g.CompletionTokens = i, 2*i
		g.CreatedAt = day0.Add(time.Duration(i) * time.Minute)
		gens = append(gens, g)
	}
	gens[7].ProviderResponses = []store.ProviderResponse{{Provider: "p", Name: "P", Model: "x/a", Endpoint: "p", Status: 200}}
	if err := s.ImportGenerations(ctx, gens); err != nil {
		t.Fatalf("ImportGenerations: %v", err)
	}
	for _, i := range []int{0, 7, 1233} {
		got, err := s.Generation(ctx, gens[i].ID)
		want := gens[i]
		want.CreatedAt = store.Timestamp(want.CreatedAt)
		if err != nil || !equalGeneration(got, want) {
			t.Errorf("Generation(%s) = %s, %v; want %s", want.ID, fmtGen(got), err, fmtGen(want))
		}
	}
	if acct := mustAccountByID(t, s, a.ID); acct.Balance != usd(1) || acct.TotalUsage != 0 {
		t.Errorf("account after import: %+v; want untouched", acct)
	}
	if n := len(mustLedger(t, s, a.ID, 0)); n != 1 {
		t.Errorf("%d ledger entries after import, want the initial credit only", n)
	}
	dup := gen(t, k, 0)
	err := s.ImportGenerations(ctx, []store.Generation{dup, gens[5]})
	wantErr(t, "import of a stored id", err, store.ErrAlreadyExists)
	wantErr(t, "the new id of the refused batch", func() error { _, err := s.Generation(ctx, dup.ID); return err }(), store.ErrNotFound)

	if _, err := s.RebuildUsage(ctx, day0, day0.AddDate(0, 0, 2)); err != nil {
		t.Fatal(err)
	}
	checkUsage(t, s, "imported", day0, gens)
}
