package webui

import (
	"strconv"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/health"
)

// Sparklines are drawn on the server as inline SVG (no script, no style
// attribute: the CSP allows neither inline): one path in a viewBox one
// unit wide per minute of an endpoint's last hour, stretched to the
// element's size, its stroke kept thin by vector-effect.
const (
	sparkHeight = 20.0 // viewBox height
	sparkPad    = 2.0  // room for the stroke above and below the line
)

// sparkline is a small line chart of a figure over the last hour, minute
// by minute; minutes without data are gaps.
type sparkline struct {
	// Label describes the line for screen readers and as a tooltip.
	Label string
	// Path is the SVG path of the runs of minutes with data, and Dots that
	// of lone minutes (drawn as round dots): x is the minute (0 to
	// health.HistoryMinutes-1), y grows downwards from the top of the
	// viewBox.
	Path, Dots string
}

// Base is the path of the hour's baseline, so that a reader sees where in
// the hour the data lies.
func (s *sparkline) Base() string {
	return "M0 " + strconv.FormatFloat(sparkHeight-sparkPad/2, 'f', 1, 64) + " H" + strconv.Itoa(health.HistoryMinutes-1)
}

// ViewBox is the SVG viewBox of the line.
func (s *sparkline) ViewBox() string {
	return "0 0 " + strconv.Itoa(health.HistoryMinutes-1) + " " + strconv.FormatFloat(sparkHeight, 'f', -1, 64)
}

// endpointSparks are an endpoint's sparklines; nil ones have no data.
type endpointSparks struct {
	Uptime, Latency, Throughput *sparkline
}

// sparksOf draws an endpoint's last hour: uptime on a fixed 0–100% scale,
// median latency and throughput each scaled between its own extremes.
func sparksOf(h []health.HistoryPoint) endpointSparks {
	n := len(h)
	uptime, latency, throughput := make([]*float64, n), make([]*float64, n), make([]*float64, n)
	for i, p := range h {
		if p.Requests > 0 {
			uptime[i] = &p.Uptime
		}
		if p.LatencyCount > 0 {
			latency[i] = &p.LatencyP50
		}
		if p.ThroughputCount > 0 {
			throughput[i] = &p.ThroughputP50
		}
	}
	return endpointSparks{
		Uptime:     newSparkline("Uptime", uptime, 0, 1, func(v float64) string { return percent(v) }),
		Latency:    newSparkline("Median latency", latency, -1, -1, func(v float64) string { return fixed(0, v) + " ms" }),
		Throughput: newSparkline("Median throughput", throughput, -1, -1, func(v float64) string { return fixed(1, v) + " tok/s" }),
	}
}

// newSparkline draws values (nil for a minute without data) between lo
// and hi, or between their own extremes when lo >= hi; nil when no minute
// has data. Each run of minutes with data is one stroke, and a lone minute
// a dot.
func newSparkline(what string, values []*float64, lo, hi float64, format func(float64) string) *sparkline {
	vmin, vmax, last, count := 0.0, 0.0, 0.0, 0
	for _, v := range values {
		if v == nil {
			continue
		}
		if count == 0 || *v < vmin {
			vmin = *v
		}
		if count == 0 || *v > vmax {
			vmax = *v
		}
		last = *v
		count++
	}
	if count == 0 {
		return nil
	}
	if lo >= hi {
		lo, hi = vmin, vmax
	}
	y := func(v float64) string {
		f := 0.5 // a flat line sits in the middle
		if hi > lo {
			f = (min(max(v, lo), hi) - lo) / (hi - lo)
		}
		return strconv.FormatFloat(sparkHeight-sparkPad-f*(sparkHeight-2*sparkPad), 'f', 1, 64)
	}
	var line, dots strings.Builder
	moveTo := func(b *strings.Builder, i int, v float64) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("M" + strconv.Itoa(i) + " " + y(v))
	}
	for i, v := range values {
		if v == nil {
			continue
		}
		prev := i > 0 && values[i-1] != nil
		next := i+1 < len(values) && values[i+1] != nil
		switch {
		case prev:
			line.WriteString(" L" + strconv.Itoa(i) + " " + y(*v))
		case next:
			moveTo(&line, i, *v)
		default: // a zero-length segment: its round caps draw a dot
			moveTo(&dots, i, *v)
			dots.WriteString(" h0")
		}
	}
	label := what + " per minute over the last hour: "
	if vmin == vmax {
		label += format(vmin)
	} else {
		label += format(vmin) + " to " + format(vmax)
	}
	label += ", latest " + format(last) + " (" + strconv.Itoa(count) + " of " + strconv.Itoa(len(values)) + " minutes with data)"
	return &sparkline{Label: label, Path: line.String(), Dots: dots.String()}
}
