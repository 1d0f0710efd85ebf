package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
)

func testGenerationProviderResponses(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)

	// A long upstream message is clipped to MaxProviderErrorBytes, on a
	// character boundary ("€" is three bytes, so 500 falls inside one).
	long := strings.Repeat("€", 200)
	g := gen(t, k, 10)
	g.ProviderResponses = []store.ProviderResponse{
		{Provider: "a", Name: "A", Model: "test/model", Endpoint: "a/eu", Status: 502, LatencyMs: 9, Error: long},
		{Provider: "b", Name: "B", Model: "test/model", Endpoint: "b", Status: 200, LatencyMs: 40},
	}
	mustRecord(t, s, g)
	got, err := s.Generation(ctx, g.ID)
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	if len(got.ProviderResponses) != 2 {
		t.Fatalf("ProviderResponses = %+v, want 2", got.ProviderResponses)
	}
	wantErrMsg := long[:498] // 166 whole characters
	if e := got.ProviderResponses[0].Error; e != wantErrMsg {
		t.Errorf("clipped error: %d bytes, want %d", len(e), len(wantErrMsg))
	}
	if g.ProviderResponses[0].Error != long {
		t.Errorf("RecordGeneration changed its argument")
	}
	want := g.ProviderResponses[1]
	if got.ProviderResponses[1] != want {
		t.Errorf("ProviderResponses[1] = %+v, want %+v", got.ProviderResponses[1], want)
	}

	bad := gen(t, k, 10)
	bad.ProviderResponses = []store.ProviderResponse{{Provider: "a", Status: 200, LatencyMs: -1}}
	wantErr(t, "RecordGeneration(negative attempt latency)", s.RecordGeneration(ctx, bad), store.ErrInvalid)
	_, err = s.Generation(ctx, bad.ID)
	wantErr(t, "Generation(rejected)", err, store.ErrNotFound)
	wantMoney(t, s, a.ID, usd(1)-10, usd(1), 10)
}

// newPreset returns a preset of the account with a config mentioning tag.
func newPreset(accountID int64, slug, tag string) store.NewPreset {
	return store.NewPreset{
		AccountID: accountID, Slug: slug, Name: "Preset " + tag, Description: "about " + tag,
		Config: json.RawMessage(fmt.Sprintf(`{ "temperature": 0.5,
			"model": "openai/gpt-4o", "system_prompt": "You write %s." }`, tag)),
	}
}

// compact is how a store returns a config: json.Compact, keys in the
// client's order.
func compact(t *testing.T, config []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, config); err != nil {
		t.Fatalf("compact %s: %v", config, err)
	}
	return b.String()
}

// wantPreset checks a returned preset against what was stored.
func wantPreset(t *testing.T, what string, got store.Preset, np store.NewPreset, version int) {
	t.Helper()
	if got.AccountID != np.AccountID || got.Slug != np.Slug || got.Name != np.Name ||
		got.Description != np.Description || got.Version != version {
		t.Errorf("%s = %+v, want %+v version %d", what, got, np, version)
	}
	if want := compact(t, np.Config); string(got.Config) != want {
		t.Errorf("%s config %s, want %s", what, got.Config, want)
	}
	if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("%s times not UTC: %v, %v", what, got.CreatedAt, got.UpdatedAt)
	}
	if got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("%s updated %v before created %v", what, got.UpdatedAt, got.CreatedAt)
	}
}

func equalPreset(a, b store.Preset) bool {
	return a.AccountID == b.AccountID && a.Slug == b.Slug && a.Name == b.Name && a.Description == b.Description &&
		string(a.Config) == string(b.Config) && a.Version == b.Version &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func mustPreset(t *testing.T, s store.Store, accountID int64, slug string) store.Preset {
	t.Helper()
	p, err := s.Preset(t.Context(), accountID, slug)
	if err != nil {
		t.Fatalf("Preset(%s): %v", slug, err)
	}
	return p
}

func testPresetLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now()
	a := mustAccount(t, s, 0)

	v1 := newPreset(a.ID, "email-copywriter", "emails")
	p1, err := s.CreatePreset(ctx, v1)
	if err != nil {
		t.Fatalf("CreatePreset: %v", err)
	}
	wantPreset(t, "CreatePreset", p1, v1, 1)
	wantRecentUTC(t, "preset CreatedAt", p1.CreatedAt, before)
	if !p1.UpdatedAt.Equal(p1.CreatedAt) {
		t.Errorf("version 1 UpdatedAt %v, CreatedAt %v", p1.UpdatedAt, p1.CreatedAt)
	}
	if got := mustPreset(t, s, a.ID, v1.Slug); !equalPreset(got, p1) {
		t.Errorf("Preset = %+v, want %+v", got, p1)
	}

	v2 := newPreset(a.ID, v1.Slug, "newsletters")
	v2.Name = "Renamed"
	p2, err := s.UpdatePreset(ctx, v2)
	if err != nil {
		t.Fatalf("UpdatePreset: %v", err)
	}
	wantPreset(t, "UpdatePreset", p2, v2, 2)
	if !p2.CreatedAt.Equal(p1.CreatedAt) {
		t.Errorf("UpdatePreset CreatedAt %v, want the first version's %v", p2.CreatedAt, p1.CreatedAt)
	}
	if got := mustPreset(t, s, a.ID, v1.Slug); !equalPreset(got, p2) {
		t.Errorf("Preset after update = %+v, want the latest %+v", got, p2)
	}
	v3 := newPreset(a.ID, v1.Slug, "tweets")
	v3.Config = json.RawMessage(`{}`)
	p3, err := s.UpdatePreset(ctx, v3)
	if err != nil {
		t.Fatalf("UpdatePreset: %v", err)
	}
	wantPreset(t, "UpdatePreset(empty config)", p3, v3, 3)

	versions, err := s.PresetVersions(ctx, a.ID, v1.Slug)
	if err != nil {
		t.Fatalf("PresetVersions: %v", err)
	}
	if len(versions) != 3 {
		t.Fatalf("PresetVersions: %d, want 3", len(versions))
	}
	for i, want := range []store.Preset{p1, p2, p3} {
		if !equalPreset(versions[i], want) {
			t.Errorf("PresetVersions[%d] = %+v, want %+v", i, versions[i], want)
		}
	}

	other := newPreset(a.ID, "a-first", "lists")
	po, err := s.CreatePreset(ctx, other)
	if err != nil {
		t.Fatalf("CreatePreset: %v", err)
	}
	list, err := s.ListPresets(ctx, a.ID)
	if err != nil {
		t.Fatalf("ListPresets: %v", err)
	}
	if len(list) != 2 || !equalPreset(list[0], po) || !equalPreset(list[1], p3) {
		t.Errorf("ListPresets = %+v, want [%+v %+v] (latest versions, by slug)", list, po, p3)
	}

	if err := s.DeletePreset(ctx, a.ID, v1.Slug); err != nil {
		t.Fatalf("DeletePreset: %v", err)
	}
	_, err = s.Preset(ctx, a.ID, v1.Slug)
	wantErr(t, "Preset(deleted)", err, store.ErrNotFound)
	_, err = s.PresetVersions(ctx, a.ID, v1.Slug)
	wantErr(t, "PresetVersions(deleted)", err, store.ErrNotFound)
	wantErr(t, "DeletePreset(deleted)", s.DeletePreset(ctx, a.ID, v1.Slug), store.ErrNotFound)
	if list, err := s.ListPresets(ctx, a.ID); err != nil || len(list) != 1 || list[0].Slug != other.Slug {
		t.Errorf("ListPresets after delete = %+v, %v", list, err)
	}

	// The slug is free again, and starts over at version 1.
	again, err := s.CreatePreset(ctx, v2)
	if err != nil {
		t.Fatalf("CreatePreset(after delete): %v", err)
	}
	wantPreset(t, "CreatePreset(after delete)", again, v2, 1)
	if versions, err := s.PresetVersions(ctx, a.ID, v2.Slug); err != nil || len(versions) != 1 {
		t.Errorf("PresetVersions after re-create = %d versions, %v; want 1", len(versions), err)
	}
}

func testPresetErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, 0)
	mustCreate := func(np store.NewPreset) {
		t.Helper()
		if _, err := s.CreatePreset(ctx, np); err != nil {
			t.Fatalf("CreatePreset: %v", err)
		}
	}
	mustCreate(newPreset(a.ID, "taken", "x"))

	cases := []struct {
		name   string
		mutate func(*store.NewPreset)
		want   error
	}{
		{"duplicate slug", func(p *store.NewPreset) { p.Slug = "taken" }, store.ErrAlreadyExists},
		{"unknown account", func(p *store.NewPreset) { p.AccountID = a.ID + 1000 }, store.ErrNotFound},
		{"no account", func(p *store.NewPreset) { p.AccountID = 0 }, store.ErrInvalid},
		{"empty slug", func(p *store.NewPreset) { p.Slug = "" }, store.ErrInvalid},
		{"upper-case slug", func(p *store.NewPreset) { p.Slug = "Email" }, store.ErrInvalid},
		{"slug with a slash", func(p *store.NewPreset) { p.Slug = "a/b" }, store.ErrInvalid},
		{"slug with a leading hyphen", func(p *store.NewPreset) { p.Slug = "-a" }, store.ErrInvalid},
		{"long slug", func(p *store.NewPreset) { p.Slug = strings.Repeat("a", store.MaxPresetSlugLen+1) }, store.ErrInvalid},
		{"array config", func(p *store.NewPreset) { p.Config = json.RawMessage(`[1]`) }, store.ErrInvalid},
		{"null config", func(p *store.NewPreset) { p.Config = json.RawMessage(`null`) }, store.ErrInvalid},
		{"no config", func(p *store.NewPreset) { p.Config = nil }, store.ErrInvalid},
		{"broken config", func(p *store.NewPreset) { p.Config = json.RawMessage(`{"model":`) }, store.ErrInvalid},
	}
	for _, c := range cases {
		np := newPreset(a.ID, "fresh", "y")
		c.mutate(&np)
		_, err := s.CreatePreset(ctx, np)
		wantErr(t, "CreatePreset("+c.name+")", err, c.want)
	}
	if _, err := s.Preset(ctx, a.ID, "fresh"); err == nil {
		t.Errorf("a rejected CreatePreset stored a preset")
	}

	_, err := s.UpdatePreset(ctx, newPreset(a.ID, "missing", "z"))
	wantErr(t, "UpdatePreset(missing)", err, store.ErrNotFound)
	bad := newPreset(a.ID, "taken", "z")
	bad.Config = json.RawMessage(`"string"`)
	_, err = s.UpdatePreset(ctx, bad)
	wantErr(t, "UpdatePreset(string config)", err, store.ErrInvalid)
	if p := mustPreset(t, s, a.ID, "taken"); p.Version != 1 {
		t.Errorf("a rejected UpdatePreset added version %d", p.Version)
	}
	_, err = s.Preset(ctx, a.ID, "missing")
	wantErr(t, "Preset(missing)", err, store.ErrNotFound)
	_, err = s.PresetVersions(ctx, a.ID, "missing")
	wantErr(t, "PresetVersions(missing)", err, store.ErrNotFound)
	wantErr(t, "DeletePreset(missing)", s.DeletePreset(ctx, a.ID, "missing"), store.ErrNotFound)
	if list, err := s.ListPresets(ctx, a.ID+1000); err != nil || len(list) != 0 {
		t.Errorf("ListPresets(unknown account) = %+v, %v; want none", list, err)
	}
}

func testPresetsPerAccount(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := mustAccount(t, s, 0), mustAccount(t, s, 0)
	pa, err := s.CreatePreset(ctx, newPreset(a.ID, "shared-name", "a"))
	if err != nil {
		t.Fatalf("CreatePreset(a): %v", err)
	}
	// Slugs are unique per account, not globally.
	pb, err := s.CreatePreset(ctx, newPreset(b.ID, "shared-name", "b"))
	if err != nil {
		t.Fatalf("CreatePreset(b, same slug): %v", err)
	}
	if got := mustPreset(t, s, a.ID, "shared-name"); !equalPreset(got, pa) {
		t.Errorf("Preset(a) = %+v, want %+v", got, pa)
	}
	if got := mustPreset(t, s, b.ID, "shared-name"); !equalPreset(got, pb) {
		t.Errorf("Preset(b) = %+v, want %+v", got, pb)
	}
	// One account cannot update or delete the other's.
	_, err = s.UpdatePreset(ctx, newPreset(b.ID, "only-a", "x"))
	wantErr(t, "UpdatePreset(other account)", err, store.ErrNotFound)
	if err := s.DeletePreset(ctx, b.ID, "shared-name"); err != nil {
		t.Fatalf("DeletePreset(b): %v", err)
	}
	if got := mustPreset(t, s, a.ID, "shared-name"); !equalPreset(got, pa) {
		t.Errorf("deleting b's preset changed a's: %+v", got)
	}
	if list, err := s.ListPresets(ctx, b.ID); err != nil || len(list) != 0 {
		t.Errorf("ListPresets(b) = %+v, %v; want none", list, err)
	}
}

func testConcurrentPresetUpdates(t *testing.T, s store.Store) {
	const n = 20
	ctx := t.Context()
	a := mustAccount(t, s, 0)
	if _, err := s.CreatePreset(ctx, newPreset(a.ID, "hot", "v1")); err != nil {
		t.Fatalf("CreatePreset: %v", err)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.UpdatePreset(ctx, newPreset(a.ID, "hot", fmt.Sprint(i))); err != nil {
				t.Errorf("UpdatePreset: %v", err)
			}
		})
	}
	wg.Wait()
	versions, err := s.PresetVersions(ctx, a.ID, "hot")
	if err != nil {
		t.Fatalf("PresetVersions: %v", err)
	}
	if len(versions) != n+1 {
		t.Fatalf("%d versions, want %d", len(versions), n+1)
	}
	for i, v := range versions {
		if v.Version != i+1 {
			t.Errorf("versions[%d].Version = %d, want %d", i, v.Version, i+1)
		}
	}
	if p := mustPreset(t, s, a.ID, "hot"); p.Version != n+1 {
		t.Errorf("latest version %d, want %d", p.Version, n+1)
	}
}
