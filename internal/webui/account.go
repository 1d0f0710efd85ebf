package webui

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// activityRow is one row of GET /api/v1/activity.
type activityRow struct {
	Date             string      `json:"date"`
	Model            string      `json:"model"`
	ProviderName     string      `json:"provider_name"`
	APIKeyHash       string      `json:"api_key_hash"`
	APIKeyName       string      `json:"api_key_name"`
	Usage            json.Number `json:"usage"`
	Requests         int64       `json:"requests"`
	PromptTokens     int64       `json:"prompt_tokens"`
	CompletionTokens int64       `json:"completion_tokens"`
	ReasoningTokens  int64       `json:"reasoning_tokens"`
}

// activityTotal sums activity rows; spend is exact.
type activityTotal struct {
	Name     string
	Sub      string
	Spend    money.Amount
	Requests int64
	Tokens   int64
}

func (t *activityTotal) add(r activityRow) {
	t.Spend += parseAmount(r.Usage)
	t.Requests += r.Requests
	t.Tokens += r.PromptTokens + r.CompletionTokens
}

// activityData is the activity page.
type activityData struct {
	Total                  activityTotal
	ByModel, ByKey         []activityTotal
	Recent                 []recentGeneration
	Spend, Tokens          chartSpec
	Rows                   int
	Days                   int
	FirstDay, LastDay, CSV string
}

// GET /activity: the account's spend, tokens and requests per day (30
// days), by model and by key.
func (u *UI) activityPage(w http.ResponseWriter, r *http.Request, s *session) error {
	if !u.signedIn(w, r, s) {
		return nil
	}
	if !s.management {
		return needManagement("The activity page")
	}
	var out struct {
		Data []activityRow `json:"data"`
	}
	if err := u.get(r, s, "/api/v1/activity", &out); err != nil {
		return err
	}
	d := summarizeActivity(out.Data, u.now())
	var recent struct {
		Data []generationJSON `json:"data"`
	}
	if err := u.get(r, s, "/api/v1/generations?limit=25", &recent); err != nil {
		return err
	}
	for _, g := range recent.Data {
		d.Recent = append(d.Recent, g.row())
	}
	v := view{Title: "Activity", Active: "activity", Data: d, Scripts: []string{"js/app.js"}}
	v.withCharts()
	u.render(w, r, s, http.StatusOK, "activity", v)
	return nil
}

// activityDays is how many days the activity page charts, today included
// (the API's default window is 30 completed days and today).
const activityDays = 31

// summarizeActivity totals the rows per day, model and key.
func summarizeActivity(rows []activityRow, now time.Time) activityData {
	d := activityData{Rows: len(rows), Days: activityDays, CSV: "/activity.csv"}
	today := now.UTC().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, -(activityDays - 1))
	d.FirstDay, d.LastDay = first.Format(time.DateOnly), today.Format(time.DateOnly)
	d.Spend = chartSpec{Kind: "line", Title: "Spend per day (USD)", Series: []chartSeries{{Label: "Spend ($)"}}}
	d.Tokens = chartSpec{Kind: "line", Title: "Tokens and requests per day",
		Series: []chartSeries{{Label: "Tokens"}, {Label: "Requests"}}}
	index := map[string]int{}
	days := make([]activityTotal, activityDays)
	for i := range activityDays {
		day := first.AddDate(0, 0, i)
		index[day.Format(time.DateOnly)] = i
		d.Spend.X = append(d.Spend.X, float64(day.Unix()))
	}
	d.Tokens.X = d.Spend.X
	models, keys := map[string]*activityTotal{}, map[string]*activityTotal{}
	for _, row := range rows {
		d.Total.add(row)
		if i, ok := index[row.Date]; ok {
			days[i].add(row)
		}
		m := models[row.Model]
		if m == nil {
			m = &activityTotal{Name: row.Model}
			models[row.Model] = m
		}
		m.add(row)
		k := keys[row.APIKeyHash]
		if k == nil {
			k = &activityTotal{Name: cmp.Or(row.APIKeyName, "(deleted key)"), Sub: shortHash(row.APIKeyHash)}
			keys[row.APIKeyHash] = k
		}
		k.add(row)
	}
	for _, day := range days {
		// The chart plots dollars as floats: a display, not money.
		usd, _ := strconv.ParseFloat(day.Spend.String(), 64)
		d.Spend.Series[0].Values = append(d.Spend.Series[0].Values, usd)
		d.Tokens.Series[0].Values = append(d.Tokens.Series[0].Values, float64(day.Tokens))
		d.Tokens.Series[1].Values = append(d.Tokens.Series[1].Values, float64(day.Requests))
	}
	d.ByModel, d.ByKey = sortedTotals(models), sortedTotals(keys)
	return d
}

// sortedTotals lists totals by spend, then tokens, then name.
func sortedTotals(m map[string]*activityTotal) []activityTotal {
	out := make([]activityTotal, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b activityTotal) int {
		return cmp.Or(cmp.Compare(b.Spend, a.Spend), cmp.Compare(b.Tokens, a.Tokens), strings.Compare(a.Name, b.Name))
	})
	return out
}

func shortHash(h string) string { return h[:min(len(h), 12)] }

// GET /activity.csv: the API's CSV of the account's activity, fetched
// with the session's key.
func (u *UI) activityCSV(w http.ResponseWriter, r *http.Request, s *session) error {
	if !u.signedIn(w, r, s) {
		return nil
	}
	rec := u.call(r, s, http.MethodGet, "/api/v1/activity?format=csv", nil)
	if rec.Code != http.StatusOK {
		return errorOf(rec.Code, rec.Body.Bytes())
	}
	h := w.Header()
	for _, name := range []string{"Content-Type", "Content-Disposition", "Content-Length"} {
		if v := rec.Header().Get(name); v != "" {
			h.Set(name, v)
		}
	}
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(rec.Body.Bytes())
	return nil
}

// apiKey is a key of GET /api/v1/keys.
type apiKey struct {
	Hash           string      `json:"hash"`
	Name           string      `json:"name"`
	Label          string      `json:"label"`
	Disabled       bool        `json:"disabled"`
	Limit          json.Number `json:"limit"`
	LimitRemaining json.Number `json:"limit_remaining"`
	LimitReset     *string     `json:"limit_reset"`
	Usage          json.Number `json:"usage"`
	UsageDaily     json.Number `json:"usage_daily"`
	UsageMonthly   json.Number `json:"usage_monthly"`
	CreatedAt      time.Time   `json:"created_at"`
	ExpiresAt      *time.Time  `json:"expires_at"`
}

// Spent is the key's usage ever.
func (k apiKey) Spent() money.Amount { return parseAmount(k.Usage) }

// SpentToday is the key's usage this UTC day.
func (k apiKey) SpentToday() money.Amount { return parseAmount(k.UsageDaily) }

// LimitText describes the key's limit.
func (k apiKey) LimitText() string {
	if k.Limit == "" {
		return "none"
	}
	s := usd(parseAmount(k.Limit))
	if k.LimitReset != nil && *k.LimitReset != "" {
		s += " " + *k.LimitReset
	}
	return s + " (" + usd(parseAmount(k.LimitRemaining)) + " left)"
}

// ShortHash is the first 12 characters of the key's hash.
func (k apiKey) ShortHash() string { return shortHash(k.Hash) }

// keysData is the keys page.
type keysData struct {
	Keys []apiKey
}

// GET /keys: the account's inference keys and the form creating one.
func (u *UI) keysPage(w http.ResponseWriter, r *http.Request, s *session) error {
	if !u.signedIn(w, r, s) {
		return nil
	}
	if !s.management {
		return needManagement("Managing keys")
	}
	var out struct {
		Data []apiKey `json:"data"`
	}
	if err := u.get(r, s, "/api/v1/keys?include_disabled=true", &out); err != nil {
		return err
	}
	u.render(w, r, s, http.StatusOK, "keys", view{Title: "API keys", Active: "keys",
		Scripts: []string{"js/app.js"}, Data: keysData{Keys: out.Data}})
	return nil
}

// POST /keys: creates a key (name, limit, limit_reset, expires_at) and
// shows it once, on the next page.
func (u *UI) createKey(w http.ResponseWriter, r *http.Request, s *session) error {
	if !s.management {
		return needManagement("Managing keys")
	}
	in := map[string]any{"name": r.PostFormValue("name")}
	if v := strings.TrimSpace(r.PostFormValue("limit")); v != "" {
		a, err := money.ParseAmount(v)
		if err != nil || a < 0 {
			s.addFlash(true, "The limit must be an amount of USD such as 5 or 12.50.")
			return redirectBack(w, r, "/keys")
		}
		in["limit"] = json.RawMessage(a.String())
	}
	if v := r.PostFormValue("limit_reset"); v != "" {
		in["limit_reset"] = v
	}
	if v := strings.TrimSpace(r.PostFormValue("expires_at")); v != "" {
		day, err := time.Parse(time.DateOnly, v)
		if err != nil {
			s.addFlash(true, "The expiry must be a date.")
			return redirectBack(w, r, "/keys")
		}
		in["expires_at"] = day.Add(24*time.Hour - time.Second).Format(time.RFC3339) // the end of that UTC day
	}
	var out struct {
		Key  string `json:"key"`
		Data apiKey `json:"data"`
	}
	err := u.do(r, s, http.MethodPost, "/api/v1/keys", in, &out)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status < 500:
		s.addFlash(true, "The key was not created: "+ae.Message)
	case err != nil:
		return err
	default:
		s.setNewKey(createdKey{Name: out.Data.Name, Key: out.Key})
	}
	return redirectBack(w, r, "/keys")
}

// POST /keys/{hash}/{disable,enable,delete}: changes a key.
func (u *UI) changeKey(w http.ResponseWriter, r *http.Request, s *session) error {
	if !s.management {
		return needManagement("Managing keys")
	}
	path := "/api/v1/keys/" + url.PathEscape(r.PathValue("hash"))
	var err error
	var done string
	switch r.PathValue("action") {
	case "disable":
		err, done = u.do(r, s, http.MethodPatch, path, map[string]any{"disabled": true}, nil), "disabled"
	case "enable":
		err, done = u.do(r, s, http.MethodPatch, path, map[string]any{"disabled": false}, nil), "enabled"
	case "delete":
		err, done = u.do(r, s, http.MethodDelete, path, nil, nil), "deleted"
	default:
		return &pageError{Status: http.StatusNotFound, Message: "No such action on a key."}
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status < 500:
		s.addFlash(true, "The key was not changed: "+ae.Message)
	case err != nil:
		return err
	default:
		s.addFlash(false, "Key "+shortHash(r.PathValue("hash"))+" "+done+".")
	}
	return redirectBack(w, r, "/keys")
}

// creditsData is the credits page.
type creditsData struct {
	Credits, Usage, Balance money.Amount
	Key                     apiKey
	KeyLimit                string
}

// GET /credits: the account's balance and the calling key's usage.
func (u *UI) creditsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	if !u.signedIn(w, r, s) {
		return nil
	}
	var cr struct {
		Data struct {
			TotalCredits json.Number `json:"total_credits"`
			TotalUsage   json.Number `json:"total_usage"`
		} `json:"data"`
	}
	if err := u.get(r, s, "/api/v1/credits", &cr); err != nil {
		return err
	}
	var key struct {
		Data apiKey `json:"data"`
	}
	if err := u.get(r, s, "/api/v1/key", &key); err != nil {
		return err
	}
	d := creditsData{Credits: parseAmount(cr.Data.TotalCredits), Usage: parseAmount(cr.Data.TotalUsage), Key: key.Data}
	d.Balance = d.Credits - d.Usage
	u.render(w, r, s, http.StatusOK, "credits", view{Title: "Credits", Active: "credits", Data: d})
	return nil
}

// POST /credits/checkout: starts a payment for credits and sends the
// browser to the payment provider's page.
func (u *UI) checkout(w http.ResponseWriter, r *http.Request, s *session) error {
	amount := strings.TrimSpace(r.PostFormValue("amount"))
	a, err := money.ParseAmount(amount)
	if err != nil || a <= 0 {
		s.addFlash(true, "Enter an amount of USD such as 20.")
		return redirectBack(w, r, "/credits")
	}
	var out struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	}
	err = u.do(r, s, http.MethodPost, "/api/v1/billing/checkout", map[string]any{"amount": json.RawMessage(a.String())}, &out)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		s.addFlash(true, "Payments are not configured on this server: ask its operator to add credits "+
			"(switchyard credits add), or to configure billing.stripe.")
		return redirectBack(w, r, "/credits")
	case errors.As(err, &ae) && ae.Status < 500:
		s.addFlash(true, "The payment could not be started: "+ae.Message)
		return redirectBack(w, r, "/credits")
	case err != nil:
		return err
	}
	target, perr := url.Parse(out.Data.URL)
	if perr != nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		return &pageError{Status: http.StatusBadGateway, Message: "The payment provider returned no usable address."}
	}
	// A 303 to another origin after a form submission would break the
	// form-action 'self' policy in browsers that apply it to redirects:
	// the page refreshes to the payment page instead, with a link.
	u.render(w, r, s, http.StatusOK, "redirect", view{Title: "Continue to payment", Refresh: target.String(),
		Data: target.String()})
	return nil
}

// generationJSON is a generation as GET /api/v1/generations lists it (the
// fields the activity page shows).
type generationJSON struct {
	ID                string      `json:"id"`
	CreatedAt         time.Time   `json:"created_at"`
	Model             string      `json:"model"`
	ProviderName      string      `json:"provider_name"`
	Status            int         `json:"status"`
	Error             *string     `json:"error"`
	Streamed          bool        `json:"streamed"`
	FinishReason      *string     `json:"finish_reason"`
	TokensPrompt      int64       `json:"tokens_prompt"`
	TokensCompletion  int64       `json:"tokens_completion"`
	TotalCost         json.Number `json:"total_cost"`
	Latency           int64       `json:"latency"`
	ProviderResponses []struct {
		Provider string `json:"provider"`
		Status   int    `json:"status"`
	} `json:"provider_responses"`
}

// recentGeneration is a row of the activity page's recent generations:
// the routing attempts as "Groq 429 → Together 200".
type recentGeneration struct {
	ID, When, Model, Provider, Outcome, Attempts string
	Tokens                                       int64
	Cost                                         money.Amount
	LatencyMs                                    int64
	Failed                                       bool
}

func (g generationJSON) row() recentGeneration {
	r := recentGeneration{ID: g.ID, When: g.CreatedAt.UTC().Format("01-02 15:04:05"), Model: g.Model,
		Provider: cmp.Or(g.ProviderName, "—"), Tokens: g.TokensPrompt + g.TokensCompletion,
		Cost: parseAmount(g.TotalCost), LatencyMs: g.Latency}
	var attempts []string
	for _, a := range g.ProviderResponses {
		attempts = append(attempts, fmt.Sprintf("%s %d", a.Provider, a.Status))
	}
	r.Attempts = cmp.Or(strings.Join(attempts, " → "), "none")
	switch {
	case g.Status != http.StatusOK:
		r.Outcome, r.Failed = fmt.Sprintf("%d", g.Status), true
		if g.Error != nil {
			r.Outcome += ": " + *g.Error
		}
	case g.FinishReason != nil && *g.FinishReason == "error":
		r.Outcome, r.Failed = "error mid-stream", true
	default:
		r.Outcome = "ok"
		if g.FinishReason != nil {
			r.Outcome = *g.FinishReason
		}
	}
	return r
}
