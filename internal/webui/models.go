package webui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// apiModel is the part of the API's model object the pages show.
type apiModel struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Created       int64  `json:"created"`
	Description   string `json:"description"`
	ContextLength int    `json:"context_length"`
	Architecture  struct {
		InputModalities  []string `json:"input_modalities"`
		OutputModalities []string `json:"output_modalities"`
		Tokenizer        string   `json:"tokenizer"`
	} `json:"architecture"`
	Pricing struct {
		Prompt         money.Rate `json:"prompt"`
		Completion     money.Rate `json:"completion"`
		Request        money.Rate `json:"request"`
		Image          money.Rate `json:"image"`
		Reasoning      money.Rate `json:"internal_reasoning"`
		InputCacheRead money.Rate `json:"input_cache_read"`
	} `json:"pricing"`
	TopProvider struct {
		ContextLength       *int `json:"context_length"`
		MaxCompletionTokens *int `json:"max_completion_tokens"`
	} `json:"top_provider"`
	SupportedParameters []string `json:"supported_parameters"`
	Switchyard          struct {
		Routable          bool     `json:"routable"`
		RoutableProviders []string `json:"routable_providers"`
	} `json:"switchyard"`
}

// Author is the part of the id before its slash.
func (m apiModel) Author() string { a, _, _ := strings.Cut(m.ID, "/"); return a }

// CreatedDate is the day the model was published.
func (m apiModel) CreatedDate() string {
	if m.Created == 0 {
		return ""
	}
	return time.Unix(m.Created, 0).UTC().Format(time.DateOnly)
}

// option is a choice of a select.
type option struct{ Value, Label string }

// parameters are the request parameters some model supports, sorted.
func (u *UI) parameters() []string {
	seen := map[string]bool{}
	var out []string
	if u.cat == nil {
		return nil
	}
	for _, m := range u.cat.Models() {
		for _, p := range m.SupportedParameters() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// providerOptions are the catalog's providers by name.
func (u *UI) providerOptions() []option {
	if u.cat == nil {
		return nil
	}
	var out []option
	for _, p := range u.cat.Providers() {
		out = append(out, option{p.Slug, p.Name})
	}
	slices.SortFunc(out, func(a, b option) int { return cmp.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label)) })
	return out
}

// apiEndpoint is one row of the endpoints API.
type apiEndpoint struct {
	ProviderName        string `json:"provider_name"`
	ProviderSlug        string `json:"provider_slug"`
	Tag                 string `json:"tag"`
	ContextLength       int    `json:"context_length"`
	MaxCompletionTokens *int   `json:"max_completion_tokens"`
	Quantization        string `json:"quantization"`
	Pricing             struct {
		Prompt     money.Rate `json:"prompt"`
		Completion money.Rate `json:"completion"`
	} `json:"pricing"`
	Uptime1d   *float64           `json:"uptime_last_1d"`
	Uptime30m  *float64           `json:"uptime_last_30m"`
	Latency    map[string]float64 `json:"latency_last_30m"`
	Throughput map[string]float64 `json:"throughput_last_30m"`
	Routable   bool               `json:"routable"`
	Simulated  bool               `json:"simulated"`
}

// P50Latency is the median time to first token over 30 minutes, in ms.
func (e apiEndpoint) P50Latency() *float64 { return p50(e.Latency) }

// P50Throughput is the median tokens per second over 30 minutes.
func (e apiEndpoint) P50Throughput() *float64 { return p50(e.Throughput) }

func p50(m map[string]float64) *float64 {
	if v, ok := m["p50"]; ok {
		return &v
	}
	return nil
}

// Uptime is the endpoint's uptime over a day as a share, nil without data.
func (e apiEndpoint) Uptime() *float64 {
	if e.Uptime1d == nil {
		return nil
	}
	v := *e.Uptime1d / 100
	return &v
}

// apiActivity is a model's activity.
type apiActivity struct {
	Days []struct {
		Date             string `json:"date"`
		PromptTokens     int64  `json:"prompt_tokens"`
		CompletionTokens int64  `json:"completion_tokens"`
		ReasoningTokens  int64  `json:"reasoning_tokens"`
		Requests         int64  `json:"requests"`
	} `json:"days"`
	Apps []struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Tokens int64  `json:"tokens"`
	} `json:"apps"`
	CheapestHours []struct {
		Hour            int    `json:"hour"`
		PromptPrice     string `json:"prompt_price_per_million"`
		CompletionPrice string `json:"completion_price_per_million"`
	} `json:"cheapest_hours"`
}

// modelData is a model's page.
type modelData struct {
	Model       apiModel
	Endpoints   []endpointRow
	Activity    *apiActivity
	Chart       chartSpec
	BaseURL     string
	Samples     []codeSample
	HasActivity bool
}

// codeSample is a snippet calling the model.
type codeSample struct{ ID, Label, Code string }

// GET /models/{author}/{slug}: a model, its endpoints, activity and code.
func (u *UI) modelPage(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	path := "/api/v1/models/" + escapeID(id)
	var d modelData
	var mo struct {
		Data apiModel `json:"data"`
	}
	if err := u.get(r, s, path, &mo); err != nil {
		return err
	}
	d.Model = mo.Data
	var eps struct {
		Data struct {
			Endpoints []apiEndpoint `json:"endpoints"`
		} `json:"data"`
	}
	if err := u.get(r, s, path+"/endpoints", &eps); err != nil {
		return err
	}
	d.Endpoints = u.endpointRows(d.Model.ID, eps.Data.Endpoints)
	var act struct {
		Data apiActivity `json:"data"`
	}
	var ae *apiError
	switch err := u.get(r, s, path+"/activity", &act); {
	case err == nil:
		d.Activity, d.HasActivity = &act.Data, true
		d.Chart = activityChart(&act.Data)
	case asAPIError(err, &ae) && ae.denied():
	default:
		return err
	}
	d.BaseURL = baseURL(r)
	d.Samples = codeSamples(d.BaseURL, d.Model.ID)
	v := view{Title: d.Model.Name, Active: "models", Scripts: []string{"js/app.js"}, Data: d}
	if d.HasActivity && !d.Chart.Empty() {
		v.withCharts()
	}
	u.render(w, r, s, http.StatusOK, "model", v)
	return nil
}

// endpointRow is a row of a model's endpoints: the API's figures and the
// sparklines of the endpoint's last hour.
type endpointRow struct {
	apiEndpoint
	Spark endpointSparks
}

// endpointRows adds to each endpoint of model its sparklines, from the
// live health. A stealth model's endpoints (named "stealth" by the API)
// have none: their health is their real provider's.
func (u *UI) endpointRows(model string, eps []apiEndpoint) []endpointRow {
	rows := make([]endpointRow, len(eps))
	for i, e := range eps {
		rows[i].apiEndpoint = e
		if u.health == nil {
			continue
		}
		if h, ok := u.health.Lookup(e.ProviderSlug, model); ok {
			rows[i].Spark = sparksOf(h.History())
		}
	}
	return rows
}

// escapeID escapes each segment of a model id for a path.
func escapeID(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// activityChart is the daily token chart of a model.
func activityChart(a *apiActivity) chartSpec {
	c := chartSpec{Kind: "stacked", Title: "Tokens per day", YLabel: "tokens",
		Series: []chartSeries{{Label: "Prompt"}, {Label: "Completion"}, {Label: "Reasoning"}}}
	for _, d := range a.Days {
		c.X = append(c.X, dayUnix(d.Date))
		c.Series[0].Values = append(c.Series[0].Values, float64(d.PromptTokens))
		c.Series[1].Values = append(c.Series[1].Values, float64(d.CompletionTokens))
		c.Series[2].Values = append(c.Series[2].Values, float64(d.ReasoningTokens))
	}
	return c
}

// dayUnix is a YYYY-MM-DD day as Unix seconds (0 if malformed).
func dayUnix(date string) float64 {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0
	}
	return float64(t.Unix())
}

// codeSamples call the model with curl and the OpenAI SDKs.
func codeSamples(base, model string) []codeSample {
	m := strconv.Quote(model)
	return []codeSample{
		{ID: "curl", Label: "curl", Code: "curl " + base + "/chat/completions \\\n" +
			"  -H \"Authorization: Bearer $SWITCHYARD_API_KEY\" \\\n" +
			"  -H 'Content-Type: application/json' \\\n" +
			"  -d '{\"model\": " + m + ", \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}]}'"},
		{ID: "python", Label: "Python (OpenAI SDK)", Code: "import os\nfrom openai import OpenAI\n\n" +
			"client = OpenAI(base_url=\"" + base + "\", api_key=os.environ[\"SWITCHYARD_API_KEY\"])\n" +
			"r = client.chat.completions.create(\n    model=" + m + ",\n" +
			"    messages=[{\"role\": \"user\", \"content\": \"Hello!\"}],\n)\nprint(r.choices[0].message.content)"},
		{ID: "js", Label: "JavaScript (OpenAI SDK)", Code: "import OpenAI from \"openai\";\n\n" +
			"const client = new OpenAI({ baseURL: \"" + base + "\", apiKey: process.env.SWITCHYARD_API_KEY });\n" +
			"const r = await client.chat.completions.create({\n  model: " + m + ",\n" +
			"  messages: [{ role: \"user\", content: \"Hello!\" }],\n});\nconsole.log(r.choices[0].message.content);"},
	}
}
