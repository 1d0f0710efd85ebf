package simulate_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/simulate"
	"github.com/switchyard-dev/switchyard/internal/simulate/simulatetest"
)

const testKey = "sk-sy-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// demoModels are a demo gateway's models: five served by simulated
// providers, one routable only by a real provider, one not routable.
func demoModels() []simulatetest.Model {
	sim := []string{"demo-alpha", "demo-beta"}
	return []simulatetest.Model{
		{ID: "pricey/large", Prompt: "0.00001", Completion: "0.00003", Routable: true, Simulated: true, Providers: sim},
		{ID: "mid/medium", Prompt: "0.00000015", Completion: "0.0000006", Routable: true, Simulated: true, Providers: sim},
		{ID: "free/small:free", Prompt: "0", Completion: "0", Routable: true, Simulated: true, Providers: sim},
		{ID: "cheap/small", Prompt: "0.00000013", Completion: "0.0000004", Routable: true, Simulated: true, Providers: sim},
		{ID: "mid/haiku", Prompt: "0.0000008", Completion: "0.000004", Routable: true, Simulated: true, Providers: sim},
		{ID: "real/only", Prompt: "0.0000001", Completion: "0.0000001", Routable: true, Providers: []string{"openai"}},
		{ID: "cheap/unroutable", Prompt: "0", Completion: "0"},
	}
}

// TestRunAgainstAGateway runs 600 requests against a fake gateway that
// fails some, and checks what the gateway got against the report.
func TestRunAgainstAGateway(t *testing.T) {
	gw := simulatetest.Start(t, simulatetest.Config{
		Key: testKey, Models: demoModels(),
		Answer: func(n int) simulatetest.Answer {
			switch {
			case n%10 == 0:
				return simulatetest.Answer{Status: 503}
			case n%7 == 0:
				return simulatetest.Answer{InBand: true} // fails streams only
			}
			return simulatetest.Answer{}
		},
	})
	const requests, share, maxTokens = 600, 0.3, 64
	rep, err := simulate.Run(t.Context(), simulate.Options{
		BaseURL: gw.URL, APIKey: testKey, Requests: requests, RPS: 5000, Concurrency: 16,
		Seed: 7, StreamShare: share, MaxTokens: maxTokens,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := gw.Requests()

	// The report's counts are the gateway's.
	var ok, failed503, inBand, streamed, fallbacks, promptTokens, completionTokens int
	var spend money.Amount
	byModel, byApp := map[string]int{}, map[string]int{}
	prompts := map[string]bool{}
	for _, r := range got {
		byModel[r.Body.Model]++
		byApp[r.Header.Get("X-Title")]++
		prompts[r.Prompt] = true
		spend += r.Cost
		promptTokens += r.PromptTokens
		completionTokens += r.CompletionTokens
		switch {
		case r.Status == 503:
			failed503++
		case r.Status == 200 && r.Body.Stream && r.Answer.InBand:
			inBand++
		case r.Status == 200:
			ok++
		default:
			t.Errorf("the gateway answered %d", r.Status)
		}
		if r.Body.Stream {
			streamed++
			if r.Body.StreamOptions == nil || !r.Body.StreamOptions.IncludeUsage {
				t.Errorf("a stream without stream_options.include_usage")
			}
		}
		if len(r.Body.Models) > 0 {
			fallbacks++
			if len(r.Body.Models) != 2 || r.Body.Models[0] != r.Body.Model || r.Body.Models[1] == r.Body.Model {
				t.Errorf("fallbacks %q for model %q", r.Body.Models, r.Body.Model)
			}
		}
		if mt := *r.Body.MaxTokens; mt < 16 || mt > maxTokens {
			t.Errorf("max_tokens %d outside [16, %d]", mt, maxTokens)
		}
	}
	if len(got) != requests || rep.Requests != requests || rep.Cancelled != 0 {
		t.Fatalf("the gateway got %d requests, the report says %d (%d cancelled); want %d", len(got), rep.Requests, rep.Cancelled, requests)
	}
	wantErrors := map[string]int{"503": failed503, "stream": inBand}
	if rep.OK != ok || !maps.Equal(rep.Errors, wantErrors) || rep.OK+rep.Errored() != requests {
		t.Errorf("report: %d ok, errors %v; the gateway: %d ok, errors %v", rep.OK, rep.Errors, ok, wantErrors)
	}
	if failed503 == 0 || inBand == 0 {
		t.Errorf("the test injected no failure: %d 503s, %d in-band", failed503, inBand)
	}
	if rep.Spend != spend || spend == 0 || rep.PromptTokens != int64(promptTokens) || rep.CompletionTokens != int64(completionTokens) {
		t.Errorf("report: spend %s, tokens %d+%d; the gateway charged %s for %d+%d",
			rep.Spend, rep.PromptTokens, rep.CompletionTokens, spend, promptTokens, completionTokens)
	}
	if rep.Streamed != streamed || rep.WithFallbacks != fallbacks || fallbacks == 0 {
		t.Errorf("report: %d streamed, %d with fallbacks; the gateway got %d and %d", rep.Streamed, rep.WithFallbacks, streamed, fallbacks)
	}
	if s := float64(streamed) / requests; s < share-0.07 || s > share+0.07 {
		t.Errorf("streamed share %.2f, want about %.2f", s, share)
	}
	for m, n := range byModel {
		if rep.ByModel[m].Requests != n {
			t.Errorf("model %s: the gateway got %d requests, the report says %d", m, n, rep.ByModel[m].Requests)
		}
	}
	for a, n := range byApp {
		if rep.ByApp[a].Requests != n {
			t.Errorf("app %s: the gateway got %d requests, the report says %d", a, n, rep.ByApp[a].Requests)
		}
	}
	if rep.LatencyP50 <= 0 || rep.LatencyP99 < rep.LatencyP50 {
		t.Errorf("latency p50 %v p99 %v", rep.LatencyP50, rep.LatencyP99)
	}

	// Only models simulated providers serve; a long tail behind the
	// cheapest.
	if byModel["real/only"]+byModel["cheap/unroutable"] != 0 {
		t.Errorf("requests for models the demo does not serve: %v", byModel)
	}
	counts := slices.Sorted(maps.Values(byModel))
	if len(counts) != 5 {
		t.Fatalf("requests spread over %d models, want the 5 simulated: %v", len(counts), byModel)
	}
	top, median := counts[4], counts[2]
	if top < 2*median || byModel["free/small:free"] != top || byModel["pricey/large"] != counts[0] {
		t.Errorf("popularity is not long-tailed, cheapest first: %v", byModel)
	}

	// Every category, and varied prompts.
	total := 0
	for _, c := range simulate.Categories() {
		if rep.ByCategory[c].Requests == 0 {
			t.Errorf("no %s prompt in %d requests: %v", c, requests, rep.ByCategory)
		}
		total += rep.ByCategory[c].Requests
	}
	if total != requests || len(rep.ByCategory) != len(simulate.Categories()) {
		t.Errorf("categories add up to %d of %d: %v", total, requests, rep.ByCategory)
	}
	if len(prompts) < requests/3 {
		t.Errorf("only %d distinct prompts in %d requests", len(prompts), requests)
	}

	// Every request carries the key and its app's attribution.
	apps := map[string]simulate.App{}
	for _, a := range rep.Apps {
		apps[a.Name] = a
	}
	var private, public int
	for _, r := range got {
		if h := r.Header.Get("Authorization"); h != "Bearer "+testKey {
			t.Fatalf("Authorization %q", h)
		}
		a, ok := apps[r.Header.Get("X-Title")]
		if !ok || r.Header.Get("HTTP-Referer") != a.URL || !strings.HasPrefix(a.URL, "https://") {
			t.Fatalf("X-Title %q with HTTP-Referer %q: not one of the apps", r.Header.Get("X-Title"), r.Header.Get("HTTP-Referer"))
		}
		want := ""
		if a.Private {
			want, private = "true", private+1
		} else {
			public++
		}
		if h := r.Header.Get("X-Switchyard-Private"); h != want {
			t.Errorf("app %s (private %v) sent X-Switchyard-Private %q", a.Name, a.Private, h)
		}
	}
	if private == 0 || public == 0 || len(rep.Apps) != simulate.DefaultApps {
		t.Errorf("%d apps; %d requests from private apps, %d from public ones", len(rep.Apps), private, public)
	}

	var out bytes.Buffer
	if err := rep.Format(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Sent 600 requests", "$" + spend.String(), "503: ", "CodePilot", "(private)", "free/small:free", "programming"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestSeedReproducesRequests: the same seed sends the same requests; another
// seed does not.
func TestSeedReproducesRequests(t *testing.T) {
	bodies := func(seed int64) []string {
		gw := simulatetest.Start(t, simulatetest.Config{Key: testKey, Models: demoModels()})
		_, err := simulate.Run(t.Context(), simulate.Options{
			BaseURL: gw.URL + "/v1", APIKey: testKey, Requests: 40, RPS: 5000, Concurrency: 1, Seed: seed, StreamShare: 0.5,
		})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range gw.Requests() {
			out = append(out, r.Header.Get("X-Title")+" "+r.Body.Model+" "+r.Prompt)
		}
		return out
	}
	a, b, c := bodies(42), bodies(42), bodies(43)
	if len(a) != 40 || !slices.Equal(a, b) {
		t.Errorf("seed 42 twice sent different requests:\n%q\n%q", a, b)
	}
	if slices.Equal(a, c) {
		t.Error("seeds 42 and 43 sent the same requests")
	}
}

// TestOutOfCreditsStops: the first 402 stops the run with ErrOutOfCredits
// and the gateway's message, long before its duration.
func TestOutOfCreditsStops(t *testing.T) {
	const credits, concurrency = 20, 4
	gw := simulatetest.Start(t, simulatetest.Config{Key: testKey, Models: demoModels(),
		Answer: func(n int) simulatetest.Answer {
			if n > credits {
				return simulatetest.Answer{Status: 402}
			}
			return simulatetest.Answer{}
		}})
	start := time.Now()
	rep, err := simulate.Run(t.Context(), simulate.Options{
		BaseURL: gw.URL, APIKey: testKey, Duration: 30 * time.Second, RPS: 500, Concurrency: concurrency, Seed: 1,
	})
	if !errors.Is(err, simulate.ErrOutOfCredits) || !strings.Contains(err.Error(), "simulated status 402") {
		t.Fatalf("err = %v, want ErrOutOfCredits with the gateway's message", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the run went on for %v after running out of credits", d)
	}
	got := len(gw.Requests())
	if got > credits+2*concurrency || rep.Requests != got || rep.OK != credits || rep.Errors["402"] != got-credits {
		t.Errorf("the gateway got %d requests (%d affordable); report: %d sent, %d ok, errors %v",
			got, credits, rep.Requests, rep.OK, rep.Errors)
	}
}

// TestRefusedKeyStops: a 401 stops the run with ErrKeyRefused.
func TestRefusedKeyStops(t *testing.T) {
	gw := simulatetest.Start(t, simulatetest.Config{Key: testKey, Models: demoModels()})
	rep, err := simulate.Run(t.Context(), simulate.Options{
		BaseURL: gw.URL, APIKey: "sk-sy-v1-wrong", Duration: 30 * time.Second, RPS: 500, Concurrency: 2, Seed: 1,
	})
	if !errors.Is(err, simulate.ErrKeyRefused) {
		t.Fatalf("err = %v, want ErrKeyRefused", err)
	}
	if n := len(gw.Requests()); n > 4 || rep.Errors["401"] != n {
		t.Errorf("%d requests with a refused key; report errors %v", n, rep.Errors)
	}
}

// TestCancelStopsPromptly: cancelling ctx cancels the requests in flight
// (here, answers that never end) and returns the report so far.
func TestCancelStopsPromptly(t *testing.T) {
	gw := simulatetest.Start(t, simulatetest.Config{Key: testKey, Models: demoModels(),
		Answer: func(int) simulatetest.Answer { return simulatetest.Answer{Hang: true} }})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for len(gw.Requests()) < 4 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	rep, err := simulate.Run(ctx, simulate.Options{
		BaseURL: gw.URL, APIKey: testKey, Duration: time.Minute, RPS: 200, Concurrency: 4, StreamShare: 0.5, Seed: 3,
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run returned %v after the start, long after it was cancelled", d)
	}
	if rep.Requests < 4 || rep.Cancelled != rep.Requests || rep.OK != 0 || rep.Errored() != 0 {
		t.Errorf("report: %d sent, %d cancelled, %d ok, errors %v", rep.Requests, rep.Cancelled, rep.OK, rep.Errors)
	}
}

// TestModelChoice: a gateway that does not say what it can route has all
// its models used; one that can route none is an error, as is no gateway.
func TestModelChoice(t *testing.T) {
	plain := []simulatetest.Model{
		{ID: "a/one", Prompt: "0.000001", Completion: "0.000002", Plain: true},
		{ID: "b/two", Prompt: "0.0000001", Completion: "0.0000002", Plain: true},
	}
	gw := simulatetest.Start(t, simulatetest.Config{Key: testKey, Models: plain})
	rep, err := simulate.Run(t.Context(), simulate.Options{BaseURL: gw.URL, APIKey: testKey, Requests: 100, RPS: 5000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := rep.ByModel["a/one"].Requests, rep.ByModel["b/two"].Requests; a == 0 || b <= a || a+b != 100 {
		t.Errorf("requests by model %v: want both, the cheaper more", rep.ByModel)
	}

	none := simulatetest.Start(t, simulatetest.Config{Key: testKey, Models: []simulatetest.Model{{ID: "x/y", Prompt: "0", Completion: "0"}}})
	if _, err := simulate.Run(t.Context(), simulate.Options{BaseURL: none.URL, APIKey: testKey, Requests: 1}); err == nil ||
		!strings.Contains(err.Error(), "--demo") || len(none.Requests()) != 0 {
		t.Errorf("a gateway that can route nothing: err = %v, %d requests", err, len(none.Requests()))
	}

	down := simulatetest.Start(t, simulatetest.Config{Key: testKey})
	url := down.URL
	down.Close()
	if _, err := simulate.Run(t.Context(), simulate.Options{BaseURL: url, APIKey: testKey, Requests: 1}); err == nil ||
		!strings.Contains(err.Error(), "cannot reach the gateway") {
		t.Errorf("no gateway: err = %v", err)
	}
}
