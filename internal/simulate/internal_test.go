package simulate

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

var slotRE = regexp.MustCompile(`\{([^{}]*)\}`)

// TestBanks: every category has 8 to 15 templates; every slot a template
// names has values and every slot is used; filled prompts have no slot
// left, start with a capital and vary.
func TestBanks(t *testing.T) {
	all := banks()
	if len(all) != len(Categories()) {
		t.Errorf("%d banks for %d categories", len(all), len(Categories()))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range Categories() {
		b, ok := all[c]
		if !ok {
			t.Errorf("no bank for %s", c)
			continue
		}
		if n := len(b.templates); n < 8 || n > 15 {
			t.Errorf("%s: %d templates, want 8 to 15", c, n)
		}
		used := map[string]bool{}
		for _, tmpl := range b.templates {
			for _, m := range slotRE.FindAllStringSubmatch(tmpl, -1) {
				used[m[1]] = true
				if len(b.slots[m[1]]) == 0 {
					t.Errorf("%s: template %q names slot %q, which has no values", c, tmpl, m[1])
				}
			}
		}
		for name := range b.slots {
			if !used[name] {
				t.Errorf("%s: slot %q is never used", c, name)
			}
		}
		seen := map[string]bool{}
		for range 200 {
			p := b.prompt(rng)
			if strings.ContainsAny(p, "{}") || p == "" || p[:1] != strings.ToUpper(p[:1]) {
				t.Fatalf("%s: prompt %q", c, p)
			}
			seen[p] = true
		}
		if len(seen) < 40 {
			t.Errorf("%s: only %d distinct prompts in 200", c, len(seen))
		}
	}
}

// TestAppsMixes: every app's mix names known categories only, the copies
// past the archetypes have their own names and URLs, and a few are
// private.
func TestAppsMixes(t *testing.T) {
	apps := makeApps(len(archetypes()) + 3)
	names, urls := map[string]bool{}, map[string]bool{}
	private := 0
	for _, a := range apps {
		if names[a.Name] || urls[a.URL] {
			t.Errorf("app %q at %q is not unique", a.Name, a.URL)
		}
		names[a.Name], urls[a.URL] = true, true
		for c := range a.Mix {
			if !slices.Contains(Categories(), c) {
				t.Errorf("%s: unknown category %q", a.Name, c)
			}
		}
		if a.Private {
			private++
		}
	}
	if !names["CodePilot 2"] || !urls["https://codepilot-2.example"] || !urls["https://devdocs-helper.example"] {
		t.Errorf("apps %v", names)
	}
	if private == 0 || private > len(apps)/3 {
		t.Errorf("%d private apps of %d", private, len(apps))
	}
	// The mix of one app is drawn as weighted.
	m := newMixPicker(map[string]int{"legal": 9, "finance": 1})
	rng := rand.New(rand.NewPCG(3, 4))
	legal := 0
	for range 1000 {
		if m.pick(rng) == "legal" {
			legal++
		}
	}
	if legal < 850 || legal > 950 {
		t.Errorf("legal drawn %d times in 1000, want about 900", legal)
	}
}

// TestArrivalsMeanRate: over a long stretch the mean rate, bursts included,
// is the target, and bursts raise the rate several times.
func TestArrivalsMeanRate(t *testing.T) {
	const rps = 50.0
	a := newArrivals(rand.New(rand.NewPCG(5, 6)), rps)
	var at, inBurst time.Duration
	n, burstN := 0, 0
	for at < 4*time.Hour {
		gap, burst := a.next(at)
		if burst {
			burstN++
			inBurst += gap
		}
		at += gap
		n++
	}
	if mean := float64(n) / at.Seconds(); mean < 0.95*rps || mean > 1.05*rps {
		t.Errorf("mean rate %.1f/s, want %.0f", mean, rps)
	}
	burstRate := float64(burstN) / inBurst.Seconds()
	quietRate := float64(n-burstN) / (at - inBurst).Seconds()
	if share := inBurst.Seconds() / at.Seconds(); share < 0.08 || share > 0.25 || burstRate < 3*quietRate {
		t.Errorf("bursts take %.0f%% of the time at %.0f/s against %.0f/s outside", 100*share, burstRate, quietRate)
	}
}

// TestPool: simulated models first (cheapest first, free ahead), then
// routable ones, then a gateway's plain list; nothing usable is an error.
func TestPool(t *testing.T) {
	entry := func(id, prompt string, routable, simulated, plain bool) modelEntry {
		var e modelEntry
		e.ID = id
		e.Pricing.Prompt = []byte(`"` + prompt + `"`)
		e.Pricing.Completion = []byte(`"0"`)
		if !plain {
			e.Switchyard = &struct {
				Routable           bool     `json:"routable"`
				RoutableProviders  []string `json:"routable_providers"`
				SimulatedProviders []string `json:"simulated_providers"`
			}{Routable: routable}
			if simulated {
				e.Switchyard.SimulatedProviders = []string{"demo-alpha"}
			}
		}
		return e
	}
	ids := func(ms []model) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.id)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		entries []modelEntry
		want    []string
		wantErr string
	}{
		{"simulated first", []modelEntry{
			entry("b/sim", "0.000002", true, true, false), entry("a/sim", "0.000001", true, true, false),
			entry("z/free", "0", true, true, false), entry("c/real", "0", true, false, false),
			entry("d/off", "0", false, false, false), entry("e/router", "-1", true, true, false),
		}, []string{"z/free", "a/sim", "b/sim"}, ""},
		{"routable", []modelEntry{entry("b/x", "0.1", true, false, false), entry("a/x", "0.1", true, false, false), entry("c/x", "0", false, false, false)},
			[]string{"a/x", "b/x"}, ""},
		{"plain", []modelEntry{entry("b/x", "0.1", false, false, true), entry("a/x", "0.2", false, false, true)},
			[]string{"b/x", "a/x"}, ""},
		{"none routable", []modelEntry{entry("a/x", "0", false, false, false)}, nil, "--demo"},
		{"empty", nil, nil, "no models"},
	} {
		got, err := pool(tc.entries)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(ids(got), tc.want) {
			t.Errorf("%s: pool = %v, %v; want %v", tc.name, ids(got), err, tc.want)
		}
	}
}

func TestParseCost(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want money.Amount
		err  bool
	}{
		{"0", 0, false},
		{"0.000123", 123_000, false},
		{"1.5", 1_500_000_000, false},
		{"1.2e-05", 12_000, false},
		{"0.0000000015", 2, false},    // 1.5 nano rounds half away from zero
		{"0.0000000014999", 1, false}, // rounds down
		{"-0.0000000015", -2, false},
		{"abc", 0, true},
		{"1e30", 0, true},
	} {
		got, err := parseCost(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseCost(%q) = %d, %v; want %d (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := percentile(d, 50), percentile(d, 99); p50 != 100*time.Millisecond || p99 != 198*time.Millisecond {
		t.Errorf("p50 %v p99 %v", p50, p99)
	}
	if p := percentile(d[:1], 99); p != time.Millisecond {
		t.Errorf("p99 of one = %v", p)
	}
	if p := percentile(nil, 50); p != 0 {
		t.Errorf("p50 of none = %v", p)
	}
}

func TestAPIBase(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":     "http://127.0.0.1:8080/api/v1",
		"http://127.0.0.1:8080/":    "http://127.0.0.1:8080/api/v1",
		"http://h:1/api/v1/":        "http://h:1/api/v1",
		"https://gw.example/v1":     "https://gw.example/v1",
		"https://gw.example/prefix": "https://gw.example/prefix/api/v1",
		"127.0.0.1:8080":            "",
		"ftp://h/":                  "",
		"http://":                   "",
	} {
		got, err := apiBase(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("apiBase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestProgress: a bounded run shows a bar and how much is done; a writer
// that is no terminal gets whole lines.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 10*time.Second, 0)
	if p.tty || p.interval != logInterval {
		t.Fatalf("a buffer is taken for a terminal")
	}
	p.show(snapshot{elapsed: 2 * time.Second, sent: 40, ok: 30, failed: 5, busy: 5}, false)
	p.show(snapshot{elapsed: 5 * time.Second, sent: 160, ok: 140, failed: 10, busy: 10, burst: true}, false)
	p.show(snapshot{elapsed: 12 * time.Second, sent: 180, ok: 170, failed: 10}, true) // the whole run's rate
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 3 || strings.Contains(buf.String(), "\r") {
		t.Fatalf("output %q", buf.String())
	}
	for i, want := range []string{
		"simulate: 2s [====                    ]  20%  sent 40  ok 30  failed 5  in flight 5  20.0 req/s",
		"simulate: 5s [============            ]  50%  sent 160  ok 140  failed 10  in flight 10  40.0 req/s  (burst)",
		"simulate: 12s [========================] 100%  sent 180  ok 170  failed 10  in flight 0  15.0 req/s",
	} {
		if lines[i] != want {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], want)
		}
	}
	// The request bound, when it is nearer, sets the bar; with no bound
	// there is none.
	p = newProgress(&buf, time.Hour, 100)
	if f, ok := p.fraction(snapshot{elapsed: time.Minute, sent: 75}); !ok || f != 0.75 {
		t.Errorf("fraction %v %v, want 0.75", f, ok)
	}
	if _, ok := newProgress(&buf, 0, 0).fraction(snapshot{sent: 5}); ok {
		t.Error("an unbounded run has a bar")
	}
}

func TestOptionsValidate(t *testing.T) {
	good := Options{BaseURL: "http://h:1", APIKey: "k"}
	o, err := good.withDefaults()
	if err != nil || o.Concurrency != DefaultConcurrency || o.RPS != DefaultRPS || o.Apps != DefaultApps ||
		o.MaxTokens != DefaultMaxTokens || o.Seed == 0 {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	for _, bad := range []func(*Options){
		func(o *Options) { o.APIKey = "" },
		func(o *Options) { o.BaseURL = "" },
		func(o *Options) { o.StreamShare = 1.5 },
		func(o *Options) { o.RPS = -1 },
		func(o *Options) { o.Requests = -1 },
		func(o *Options) { o.Apps = maxApps + 1 },
	} {
		o := good
		bad(&o)
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
