package demo

import (
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
)

func TestDefaultProfilesServeEveryModelTwice(t *testing.T) {
	profiles := DefaultProfiles()
	if len(profiles) < 3 {
		t.Fatalf("%d default profiles", len(profiles))
	}
	count := make(map[string]int)
	for i := range profiles {
		if err := profiles[i].validate(); err != nil {
			t.Error(err)
		}
		for _, id := range profiles[i].Models {
			count[id]++
		}
	}
	ids := ModelIDs()
	if len(ids) < 4 {
		t.Fatalf("%d demo models", len(ids))
	}
	for _, id := range ids {
		if count[id] < 2 {
			t.Errorf("model %s served by %d providers, want >= 2", id, count[id])
		}
	}
}

func TestCatalogView(t *testing.T) {
	c := start(t, nil, DefaultProfiles()...)

	provs := c.Providers()
	if len(provs) != 3 {
		t.Fatalf("providers = %+v", provs)
	}
	for _, p := range provs {
		if !p.Simulated || p.Protocol != catalog.ProtocolOpenAI || !strings.HasPrefix(p.Slug, "demo-") ||
			!strings.HasPrefix(p.BaseURL, "http://127.0.0.1:") || !strings.HasSuffix(p.BaseURL, "/v1") ||
			!strings.Contains(p.Name, "(demo)") || p.BaseURL != c.BaseURL(p.Slug) {
			t.Errorf("provider = %+v", p)
		}
	}
	if c.APIKey() == "" {
		t.Error("empty API key")
	}

	eps := c.Endpoints()
	mini := eps[modelGPT4oMini]
	if len(mini) != 3 {
		t.Fatalf("gpt-4o-mini endpoints = %+v", mini)
	}
	want := map[string][2]money.Rate{
		"demo-alpha": {money.MustRate("0.00000012"), money.MustRate("0.00000048")},  // 80%
		"demo-beta":  {money.MustRate("0.00000015"), money.MustRate("0.0000006")},   // list price
		"demo-gamma": {money.MustRate("0.000000135"), money.MustRate("0.00000054")}, // 90%
	}
	for _, e := range mini {
		if w := want[e.Provider]; e.Pricing.Prompt != w[0] || e.Pricing.Completion != w[1] {
			t.Errorf("%s pricing = %v/%v, want %v/%v", e.Provider, e.Pricing.Prompt, e.Pricing.Completion, w[0], w[1])
		}
		if e.UpstreamModel != modelGPT4oMini || e.ContextLength == 0 || len(e.SupportedParameters) == 0 {
			t.Errorf("endpoint = %+v", e)
		}
	}

	// AddTo on a catalog that has one of the models and lacks the others.
	f := &catalog.File{Models: []catalog.Model{{ID: modelGPT4oMini, Name: "existing"}}}
	c.AddTo(f)
	cat, err := catalog.New(f)
	if err != nil {
		t.Fatalf("catalog.New: %v", err)
	}
	for _, id := range ModelIDs() {
		m := cat.Model(id)
		if m == nil || len(m.Endpoints) < 2 {
			t.Errorf("model %s = %+v", id, m)
		}
	}
	if m := cat.Model(modelGPT4oMini); m.Name != "existing" || len(m.Endpoints) != 3 {
		t.Errorf("existing model = %+v", m)
	}
	if p := cat.Provider("demo-beta"); p == nil || !p.Simulated {
		t.Errorf("provider = %+v", p)
	}
}
