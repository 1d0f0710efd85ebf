package api

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// activityDays is how many completed UTC days GET /activity covers by
// default, as OpenRouter's does; today so far is added to them.
const activityDays = 30

// activityJSON is one row of GET /activity: one UTC day's use of one model
// at one provider by one key. OpenRouter's rows are per endpoint and have
// no key; ours are per model, provider and key, and endpoint_id is the
// provider's slug. byok_usage_inference, the provider's own bill for
// BYOK generations, is not known to Switchyard and is 0; what BYOK
// generations were charged (their fee) is in usage.
type activityJSON struct {
	Date               string       `json:"date"`
	Model              string       `json:"model"`
	ModelPermaslug     string       `json:"model_permaslug"`
	EndpointID         string       `json:"endpoint_id"`
	ProviderName       string       `json:"provider_name"`
	APIKeyHash         string       `json:"api_key_hash"`
	APIKeyName         string       `json:"api_key_name"`
	Usage              money.Amount `json:"usage"`
	BYOKUsageInference money.Amount `json:"byok_usage_inference"`
	Requests           int64        `json:"requests"`
	PromptTokens       int64        `json:"prompt_tokens"`
	CompletionTokens   int64        `json:"completion_tokens"`
	ReasoningTokens    int64        `json:"reasoning_tokens"`
}

// activityCSVHeader names the CSV columns of GET /activity.
var activityCSVHeader = []string{"date", "model", "provider_name", "api_key_hash", "api_key_name", "requests",
	"prompt_tokens", "completion_tokens", "reasoning_tokens", "usage"}

// GET /activity[?date=YYYY-MM-DD][&api_key_hash=H][&format=json|csv]: the
// account's use per UTC day, model and key, ordered by day, model and key
// hash; for one day, or by default the last 30 completed days and today so
// far. With format=csv, or an Accept header preferring text/csv, it is a
// CSV file whose usage column is exact decimal USD.
func (s *Server) activity(w http.ResponseWriter, r *http.Request) error {
	c, err := s.manage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	since, until := today.AddDate(0, 0, -activityDays), today.AddDate(0, 0, 1)
	if v := q.Get("date"); v != "" {
		day, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return keyInvalid("date must be a UTC day as YYYY-MM-DD, not %q", v)
		}
		since, until = day, day.AddDate(0, 0, 1)
	}
	asCSV := false
	switch f := q.Get("format"); f {
	case "":
		asCSV = prefersCSV(r.Header.Get("Accept"))
	case "csv":
		asCSV = true
	case "json":
	default:
		return keyInvalid(`format must be "json" or "csv", not %q`, f)
	}
	if err := s.flush(r.Context()); err != nil {
		return err
	}
	rows, err := s.store.Activity(r.Context(), c.account.ID, since, until)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading activity")
	}
	if hash := q.Get("api_key_hash"); hash != "" {
		kept := rows[:0]
		for _, row := range rows {
			if row.KeyHash == hash {
				kept = append(kept, row)
			}
		}
		rows = kept
	}
	if asCSV {
		return writeActivityCSV(w, rows, since, until)
	}
	out := make([]activityJSON, len(rows))
	for i, row := range rows {
		out[i] = activityJSON{
			Date: row.Day.Format(time.DateOnly), Model: row.Model, ModelPermaslug: s.permaslug(row.Model),
			EndpointID: row.ProviderSlug, ProviderName: row.ProviderName, APIKeyHash: row.KeyHash, APIKeyName: row.KeyName, Usage: row.Spend,
			Requests: row.Requests, PromptTokens: row.PromptTokens,
			CompletionTokens: row.CompletionTokens, ReasoningTokens: row.ReasoningTokens,
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// permaslug is the catalog's canonical slug of a model, or the model as
// asked for if the catalog no longer has it.
func (s *Server) permaslug(model string) string {
	if s.cat != nil {
		if m := s.cat.Model(model); m != nil && m.CanonicalSlug != "" {
			return m.CanonicalSlug
		}
	}
	return model
}

// writeActivityCSV writes rows as a CSV attachment named after the days
// [since, until) it covers.
func writeActivityCSV(w http.ResponseWriter, rows []store.ActivityRow, since, until time.Time) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(activityCSVHeader)
	for _, row := range rows {
		cw.Write([]string{
			row.Day.Format(time.DateOnly), row.Model, row.ProviderName, row.KeyHash, row.KeyName,
			strconv.FormatInt(row.Requests, 10), strconv.FormatInt(row.PromptTokens, 10),
			strconv.FormatInt(row.CompletionTokens, 10), strconv.FormatInt(row.ReasoningTokens, 10),
			row.Spend.String(),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while writing CSV")
	}
	name := "switchyard-activity-" + since.Format(time.DateOnly)
	if last := until.AddDate(0, 0, -1); !last.Equal(since) {
		name += "-to-" + last.Format(time.DateOnly)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

// prefersCSV reports whether an Accept header names text/csv before
// application/json (or without it). Quality values are not weighed.
func prefersCSV(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return true
		case "application/json":
			return false
		}
	}
	return false
}
