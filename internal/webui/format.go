package webui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// templateFuncs are the helpers templates format figures with.
func templateFuncs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset":   a.url,
		"perM":    perMillion,
		"usd":     usd,
		"num":     thousands,
		"pct":     percent,
		"fixed":   fixed,
		"tokens":  compactTokens,
		"json":    toJSON,
		"date":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"optDate": optDate,
		"deref":   deref,
		"join":    strings.Join,
		"add":     func(a, b int) int { return a + b },
	}
}

// perMillion renders a per-token rate as USD per million tokens with at
// least two decimals: "$0.15", "$3.00", "$0.00001234"; "free" for zero.
func perMillion(r money.Rate) string {
	if r == 0 {
		return "free"
	}
	s := trimDecimals(r.PerMillion(), 4)
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	return "$" + whole + "." + frac
}

// usd renders an amount as "$1.23" (more decimals when it has them, up
// to the nano-dollar).
func usd(a money.Amount) string {
	s := a.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	out := "$" + thousandsString(whole) + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}

// trimDecimals keeps at most keep significant decimals of a decimal string
// below 1, and two decimals of a larger one, without rounding money: it is
// a display of a price, and the digits dropped are below a display's
// precision. Exact values are in the API.
func trimDecimals(s string, keep int) string {
	whole, frac, ok := strings.Cut(s, ".")
	if !ok {
		return s
	}
	if whole != "0" {
		if len(frac) > 2 {
			frac = strings.TrimRight(frac[:2], "0")
		}
	} else {
		lead := len(frac) - len(strings.TrimLeft(frac, "0"))
		if len(frac) > lead+keep {
			frac = strings.TrimRight(frac[:lead+keep], "0")
		}
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// thousands renders an integer with thousands separators.
func thousands(v any) string {
	switch n := v.(type) {
	case int:
		return thousandsString(strconv.Itoa(n))
	case int64:
		return thousandsString(strconv.FormatInt(n, 10))
	case *int:
		if n == nil {
			return "—"
		}
		return thousandsString(strconv.Itoa(*n))
	}
	return fmt.Sprint(v)
}

func thousandsString(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// compactTokens renders a token count briefly: 1.2K, 3.4M, 5.6B.
func compactTokens(n int64) string {
	switch f := float64(n); {
	case n >= 1_000_000_000:
		return strconv.FormatFloat(f/1e9, 'f', 1, 64) + "B"
	case n >= 1_000_000:
		return strconv.FormatFloat(f/1e6, 'f', 1, 64) + "M"
	case n >= 1_000:
		return strconv.FormatFloat(f/1e3, 'f', 1, 64) + "K"
	}
	return strconv.FormatInt(n, 10)
}

// percent renders a share (0–1) as a percentage; "—" for nil.
func percent(v any) string {
	switch f := v.(type) {
	case float64:
		return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
	case *float64:
		if f == nil {
			return "—"
		}
		return strconv.FormatFloat(*f*100, 'f', 1, 64) + "%"
	}
	return "—"
}

// fixed renders an optional figure with d decimals; "—" for nil.
func fixed(d int, v any) string {
	switch f := v.(type) {
	case float64:
		return strconv.FormatFloat(f, 'f', d, 64)
	case *float64:
		if f == nil {
			return "—"
		}
		return strconv.FormatFloat(*f, 'f', d, 64)
	}
	return "—"
}

// toJSON encodes v for a data-* attribute (html/template escapes it).
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func optDate(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseAmount reads a JSON number of USD as an exact amount.
func parseAmount(n json.Number) money.Amount {
	if n == "" {
		return 0
	}
	a, err := money.ParseAmount(n.String())
	if err != nil {
		return 0
	}
	return a
}
