package webui

import "errors"

// chartSpec is a chart as charts.js draws it (from a data-chart
// attribute): X values (Unix seconds for time axes) and named series.
type chartSpec struct {
	// Kind is "line", "stacked" (stacked areas), "bars" (categories on
	// X, labelled by Labels) or "scatter" (one point per X, labelled).
	Kind   string        `json:"kind"`
	Title  string        `json:"title"`
	YLabel string        `json:"yLabel,omitempty"`
	XLabel string        `json:"xLabel,omitempty"`
	XLog   bool          `json:"xLog,omitempty"`
	YPct   bool          `json:"yPct,omitempty"` // values are shares, shown as percentages
	X      []float64     `json:"x"`
	Labels []string      `json:"labels,omitempty"`
	Series []chartSeries `json:"series"`
}

// chartSeries is one named series of a chart.
type chartSeries struct {
	Label  string    `json:"label"`
	Values []float64 `json:"values"`
}

// Empty reports whether the chart has nothing to draw.
func (c chartSpec) Empty() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v != 0 {
				return false
			}
		}
	}
	return true
}

// asAPIError reports whether err is an API error, setting *target.
func asAPIError(err error, target **apiError) bool { return err != nil && errors.As(err, target) }
