package simulate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Shares of requests with OpenRouter's routing extras, and the shape of
// the popularity curves.
const (
	fallbackShare    = 0.10 // send models: [a, b]
	providerShare    = 0.08 // send provider preferences
	temperatureShare = 0.5  // set a temperature
	modelZipfS       = 1.1  // model popularity: rank k weighs 1/(k+1)^s
	appZipfS         = 0.8  // app popularity
	minMaxTokens     = 16   // the smallest max_tokens a request asks for
	usersPerApp      = 40   // distinct "user" values per app
)

// plan is one request, decided before it is sent.
type plan struct {
	app      *App
	category string
	model    string // the first choice
	stream   bool
	fallback bool // the body lists fallback models
	body     []byte
}

// planner decides requests. It is used by one goroutine: with the same
// seed, apps and models, it decides the same requests in the same order,
// however the gateway answers.
type planner struct {
	rng         *rand.Rand
	apps        []App
	appPick     picker
	mixes       []mixPicker
	banks       map[string]bank
	models      []model
	modelPick   picker
	streamShare float64
	maxTokens   int
}

func newPlanner(rng *rand.Rand, apps []App, models []model, streamShare float64, maxTokens int) *planner {
	p := &planner{
		rng: rng, apps: apps, appPick: zipf(len(apps), appZipfS), banks: banks(),
		models: models, modelPick: zipf(len(models), modelZipfS),
		streamShare: streamShare, maxTokens: maxTokens,
	}
	for _, a := range apps {
		p.mixes = append(p.mixes, newMixPicker(a.Mix))
	}
	return p
}

// next decides the next request.
func (p *planner) next() (*plan, error) {
	i := p.appPick.pick(p.rng)
	app := &p.apps[i]
	category := p.mixes[i].pick(p.rng)
	m := p.models[p.modelPick.pick(p.rng)]

	req := openai.ChatRequest{
		Model:  m.id,
		Stream: p.rng.Float64() < p.streamShare,
		User:   fmt.Sprintf("user-%d", p.rng.IntN(usersPerApp)),
	}
	if app.system != "" {
		req.Messages = append(req.Messages, openai.Message{Role: "system", Content: openai.TextContent(app.system)})
	}
	req.Messages = append(req.Messages, openai.Message{Role: "user", Content: openai.TextContent(p.banks[category].prompt(p.rng))})
	if req.Stream {
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	maxTokens := p.maxTokens
	if maxTokens > minMaxTokens {
		maxTokens = minMaxTokens + p.rng.IntN(p.maxTokens-minMaxTokens+1)
	}
	req.MaxTokens = &maxTokens
	if p.rng.Float64() < temperatureShare {
		t := []float64{0.2, 0.7, 1}[p.rng.IntN(3)]
		req.Temperature = &t
	}
	if len(p.models) > 1 && p.rng.Float64() < fallbackShare {
		other := p.models[p.rng.IntN(len(p.models))].id
		for other == m.id {
			other = p.models[p.rng.IntN(len(p.models))].id
		}
		req.Models = []string{m.id, other}
	}
	if p.rng.Float64() < providerShare {
		req.Provider = p.providerPrefs(m)
	}
	body, err := json.Marshal(&req)
	if err != nil {
		return nil, fmt.Errorf("encoding a request: %w", err)
	}
	return &plan{app: app, category: category, model: m.id, stream: req.Stream, fallback: len(req.Models) > 0, body: body}, nil
}

// providerPrefs returns provider preferences a client might send: a
// preferred provider of the model, when the gateway named them, or a sort.
func (p *planner) providerPrefs(m model) *openai.ProviderPrefs {
	if len(m.providers) > 0 && p.rng.IntN(2) == 0 {
		return &openai.ProviderPrefs{Order: []string{m.providers[p.rng.IntN(len(m.providers))]}}
	}
	by := []string{`"price"`, `"latency"`, `"throughput"`}[p.rng.IntN(3)]
	return &openai.ProviderPrefs{Sort: json.RawMessage(by)}
}
