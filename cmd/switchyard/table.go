package main

import (
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// table writes aligned columns: a header row, then one row per call to
// row, laid out when flushed.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

// row writes one row. Callers pass cells through cell when they hold
// text from outside (names, notes).
func (t *table) row(cells ...string) {
	io.WriteString(t.tw, strings.Join(cells, "\t")+"\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// cell makes text safe for a table cell: empty is "-", and text with a
// tab, newline or other control character is quoted so it cannot break
// the layout or write escape sequences to the terminal.
func cell(s string) string {
	switch {
	case s == "":
		return "-"
	case strings.ContainsFunc(s, unicode.IsControl):
		return strconv.Quote(s)
	}
	return s
}

// usd renders an amount exactly, as "$12.5" or "-$0.000001".
func usd(a money.Amount) string {
	if s, neg := strings.CutPrefix(a.String(), "-"); neg {
		return "-$" + s
	}
	return "$" + a.String()
}

// timestamp renders a stored time (UTC, milliseconds) to the second.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
