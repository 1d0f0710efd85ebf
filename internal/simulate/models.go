package simulate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// maxPool bounds how many models a run spreads its traffic over: the
// cheapest, so that a long tail does not reach the expensive ones.
const maxPool = 50

// model is a model the simulator may request.
type model struct {
	id string
	// price is the prompt plus completion price per token, for ranking.
	price money.Rate
	// providers are the slugs of the providers that can serve it now,
	// when the gateway says (Switchyard's "switchyard" object).
	providers []string
}

// modelEntry is what the simulator reads of an entry of GET /models.
type modelEntry struct {
	ID      string `json:"id"`
	Pricing struct {
		Prompt     json.RawMessage `json:"prompt"`
		Completion json.RawMessage `json:"completion"`
	} `json:"pricing"`
	Architecture struct {
		OutputModalities []string `json:"output_modalities"`
	} `json:"architecture"`
	// Switchyard is Switchyard's addition; other gateways lack it.
	Switchyard *struct {
		Routable           bool     `json:"routable"`
		RoutableProviders  []string `json:"routable_providers"`
		SimulatedProviders []string `json:"simulated_providers"`
	} `json:"switchyard"`
}

// fetchModels returns the models of GET {base}/models.
func fetchModels(ctx context.Context, client *http.Client, base, key string) ([]modelEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/models", nil)
	if err != nil {
		return nil, fmt.Errorf("listing models: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the gateway at %s (is \"switchyard serve --demo\" running?): %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("listing models: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing models: GET %s/models: %s: %s", base, resp.Status, errorMessage(body))
	}
	var list struct {
		Data []modelEntry `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("listing models: GET %s/models did not return a model list: %w", base, err)
	}
	return list.Data, nil
}

// pool chooses the models to send traffic to, most popular first: those
// simulated providers serve when there are any (demo traffic then costs
// nothing real), else those the gateway can route now, else (a gateway
// that does not say) all; text models with a price only, cheapest first,
// at most maxPool.
func pool(entries []modelEntry) ([]model, error) {
	var all, routable, simulated []model
	for _, e := range entries {
		m, ok := toModel(e)
		if !ok {
			continue
		}
		switch {
		case e.Switchyard == nil:
			all = append(all, m)
		case len(e.Switchyard.SimulatedProviders) > 0 && e.Switchyard.Routable:
			simulated = append(simulated, m)
			fallthrough
		case e.Switchyard.Routable:
			routable = append(routable, m)
		}
	}
	var out []model
	switch {
	case len(simulated) > 0:
		out = simulated
	case len(routable) > 0:
		out = routable
	case len(all) > 0:
		out = all
	case len(entries) > 0:
		return nil, errors.New("no model on the gateway can be served now: start it with --demo or configure a provider")
	default:
		return nil, errors.New("the gateway lists no models")
	}
	slices.SortStableFunc(out, func(a, b model) int {
		return cmp.Or(cmp.Compare(a.price, b.price), strings.Compare(a.id, b.id))
	})
	return out[:min(len(out), maxPool)], nil
}

// toModel reads an entry; it refuses models that do not write text and
// those without a usable price (OpenRouter prices its router at "-1").
func toModel(e modelEntry) (model, bool) {
	if e.ID == "" {
		return model{}, false
	}
	if out := e.Architecture.OutputModalities; len(out) > 0 && !slices.Contains(out, "text") {
		return model{}, false
	}
	prompt, ok1 := rate(e.Pricing.Prompt)
	completion, ok2 := rate(e.Pricing.Completion)
	if !ok1 || !ok2 {
		return model{}, false
	}
	m := model{id: e.ID, price: prompt + completion}
	if e.Switchyard != nil {
		m.providers = slices.Clone(e.Switchyard.RoutableProviders)
	}
	return m, true
}

// rate parses a price, a JSON string or number of USD per token; absent
// is free.
func rate(raw json.RawMessage) (money.Rate, bool) {
	s := strings.Trim(string(raw), `"`)
	if s == "" || s == "null" {
		return 0, true
	}
	r, err := money.ParseRate(s)
	return r, err == nil && r >= 0
}
