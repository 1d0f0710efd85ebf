// Switchyard web UI charts: every <figure class="chart" data-chart="…">
// is drawn with uPlot from the JSON spec the server rendered into it
// (see chartSpec in charts.go). Kinds: line, stacked (areas stacked by
// drawing cumulative series from the top down), bars (categories) and
// scatter (points only). The figures' tables on the page hold the same
// numbers for readers without JavaScript.
"use strict";
(function () {
  var palette = ["#2f6db5", "#e07b28", "#3a9a5b", "#c0392b", "#8e5ab5", "#8c6239", "#d6589f",
    "#6b7280", "#b5a600", "#17a2b8", "#5a7d2a", "#a05195"];

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  function compact(v) {
    if (v == null || isNaN(v)) return "—";
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1) + "B";
    if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (a >= 1e3) return (v / 1e3).toFixed(1) + "K";
    if (a > 0 && a < 0.01) return v.toPrecision(2);
    return String(Math.round(v * 100) / 100);
  }

  function pct(v) { return v == null || isNaN(v) ? "—" : (v * 100).toFixed(1) + "%"; }

  function withAlpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + a + ")";
  }

  function build(fig, spec, width) {
    var fg = cssVar("--fg", "#1a1d21"), grid = cssVar("--line", "#d9dee3");
    var yfmt = spec.yPct ? pct : compact;
    var kind = spec.kind;
    var axisX = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    var axisY = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
      size: function (u, values) {
        var n = 0;
        (values || []).forEach(function (v) { n = Math.max(n, String(v).length); });
        return Math.max(40, n * 7 + 20);
      },
      values: function (u, splits) { return splits.map(yfmt); } };
    var x = spec.x.slice();
    var series = [{}];
    var data = [x];
    var opts = { width: width, height: 260, legend: { show: true }, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: kind === "line" || kind === "stacked" } }, axes: [axisX, axisY], series: series };

    if (kind === "line" || kind === "stacked") {
      opts.tzDate = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); };
      series[0] = { label: "Day (UTC)", value: "{YYYY}-{MM}-{DD}" };
    }
    if (kind === "stacked") {
      var n = spec.series.length, cum = [], acc = x.map(function () { return 0; });
      spec.series.forEach(function (s) {
        acc = acc.map(function (v, i) { return v + (s.values[i] || 0); });
        cum.push(acc.slice());
      });
      // Top of the stack first, so that each lower area is drawn over it.
      for (var k = n - 1; k >= 0; k--) {
        (function (k) {
          var c = palette[k % palette.length], raw = spec.series[k].values;
          series.push({ label: spec.series[k].label, stroke: c, fill: withAlpha(c, 0.75), width: 1,
            points: { show: false },
            value: function (u, v, si, di) { return di == null ? "—" : yfmt(raw[di]); } });
          data.push(cum[k]);
        })(k);
      }
    } else if (kind === "bars") {
      var labels = spec.labels || [];
      opts.scales.x = { time: false, range: [-0.5, x.length - 0.5] };
      axisX.splits = function () { return x; };
      axisX.values = function (u, splits) {
        return splits.map(function (i) { var l = labels[i] || ""; return l.length > 14 ? l.slice(0, 13) + "…" : l; });
      };
      axisX.rotate = x.length > 6 ? -35 : 0;
      axisX.size = x.length > 6 ? 70 : 40;
      axisX.grid = { show: false };
      series[0] = { label: spec.xLabel || "", value: function (u, v) { return v == null ? "—" : labels[v] || ""; } };
      spec.series.forEach(function (s, k) {
        var c = palette[k % palette.length];
        series.push({ label: s.label, stroke: c, fill: withAlpha(c, 0.8), width: 1, points: { show: false },
          paths: uPlot.paths.bars({ size: [0.7, 80] }), value: function (u, v) { return yfmt(v); } });
        data.push(s.values);
      });
    } else if (kind === "scatter") {
      var names = spec.labels || [];
      opts.scales.x = { time: false, distr: spec.xLog ? 3 : 1 };
      axisX.values = function (u, splits) { return splits.map(function (v) { return "$" + compact(v); }); };
      series[0] = { label: spec.xLabel || "x", value: function (u, v, si, di) {
        return di == null ? "—" : (names[di] || "") + " ($" + compact(v) + ")"; } };
      spec.series.forEach(function (s, k) {
        var c = palette[k % palette.length];
        series.push({ label: s.label, stroke: c, fill: withAlpha(c, 0.7), paths: function () { return null; },
          points: { show: true, size: 9, fill: withAlpha(c, 0.7) }, value: function (u, v) { return yfmt(v); } });
        data.push(s.values);
      });
    } else {
      spec.series.forEach(function (s, k) {
        var c = palette[k % palette.length];
        series.push({ label: s.label, stroke: c, width: 2, value: function (u, v) { return yfmt(v); } });
        data.push(s.values);
      });
    }
    return new uPlot(opts, data, fig);
  }

  function draw(fig) {
    var spec;
    try { spec = JSON.parse(fig.getAttribute("data-chart")); } catch (e) { return; }
    if (!spec || !spec.x || spec.x.length === 0 || typeof uPlot === "undefined") return;
    var width = Math.max(260, Math.floor(fig.clientWidth || 600));
    var plot = build(fig, spec, width);
    fig.classList.add("drawn");
    var timer = 0;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var w = Math.max(260, Math.floor(fig.clientWidth));
        if (w !== plot.width) plot.setSize({ width: w, height: 260 });
      }, 150);
    });
  }

  // afterPaint runs f once the page has painted.
  function afterPaint(f) {
    requestAnimationFrame(function () { setTimeout(f, 0); });
  }

  // loadUPlot applies uPlot's stylesheet and runs its script, both
  // preloaded by the page (link#uplot-css, link#uplot-js), then calls done.
  function loadUPlot(done) {
    var css = document.getElementById("uplot-css"), js = document.getElementById("uplot-js");
    if (typeof uPlot !== "undefined" || !css || !js) { done(); return; }
    var pending = 2;
    function one() { if (--pending === 0) done(); }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = css.href;
    link.addEventListener("load", one);
    link.addEventListener("error", one);
    document.head.appendChild(link);
    var script = document.createElement("script");
    script.src = js.href;
    script.addEventListener("load", one);
    script.addEventListener("error", one);
    document.head.appendChild(script);
  }

  // Charts are drawn once the page has painted, uPlot loaded meanwhile:
  // the page's text and tables must not wait for the charts.
  document.addEventListener("DOMContentLoaded", function () {
    var figs = document.querySelectorAll("figure.chart[data-chart]");
    if (figs.length === 0) return;
    afterPaint(function () { loadUPlot(function () { figs.forEach(draw); }); });
  });
})();
