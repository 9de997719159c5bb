// The one chart of IoU against threshold, for every page that shows curves: the leaderboard's
// Figure 1, the comparison page and a track 3 submission's page.
// drawCurves(svgElement, [{label, values: [256 fractions], peak: t}]) draws into the SVG, replacing
// what was there: round ticks on both axes (IoU in %, the threshold t = 0..255, which is a map
// value and not a percent), one line per series, each peak marked, and a legend. On a phone the
// chart is drawn narrower (its text stays readable) with the legend below; it is redrawn when
// its width changes. Hand-written SVG, no library; labels go through textContent.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#2457c5", "#d1495b", "#2e933c", "#edae49", "#7b4bb7", "#00798c", "#c75f00", "#5b6475", "#b3261e", "#3c8dbc"];
  var M = { left: 52, right: 16, top: 16, bottom: 44 };
  var X_TICKS = [0, 50, 100, 150, 200, 250];
  var Y_STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25];
  var drawn = [];

  function node(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }

  // The y axis: the smallest round step (1, 2, 5, 10, 20 or 25 points) that needs at most
  // six intervals to reach the highest value; the axis ends on a tick (at most 100%).
  function yAxis(maxValue) {
    var step = Y_STEPS[Y_STEPS.length - 1];
    for (var i = 0; i < Y_STEPS.length; i++) {
      if (Math.ceil(maxValue / Y_STEPS[i] - 1e-9) <= 6) { step = Y_STEPS[i]; break; }
    }
    var top = Math.min(1, Math.max(step, Math.ceil(maxValue / step - 1e-9) * step));
    var ticks = [];
    for (var k = 0; k * step <= top + 1e-9; k++) ticks.push(k * step);
    return { max: top, ticks: ticks };
  }

  function percentLabel(v) { return String(Math.round(v * 1000) / 10); }

  function drawCurves(svg, series) {
    if (drawn.indexOf(svg) < 0) drawn.push(svg);
    svg.__series = series;
    var compact = (svg.clientWidth || (svg.parentNode && svg.parentNode.clientWidth) || 720) < 560;
    var W = compact ? 400 : 720, plotH = compact ? 240 : 320;
    var legendBelow = compact ? series.length * 18 + 8 : 0;
    var H = M.top + plotH + M.bottom + legendBelow;
    var plotW = W - M.left - M.right;
    var maxValue = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > maxValue) maxValue = v; }); });
    var axis = yAxis(maxValue);
    function x(t) { return M.left + (t / 255) * plotW; }
    function y(v) { return M.top + plotH - (Math.max(0, Math.min(v, axis.max)) / axis.max) * plotH; }

    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.replaceChildren();
    var grid = node("g", { class: "grid" });
    axis.ticks.forEach(function (v) {
      grid.appendChild(node("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }));
      grid.appendChild(node("text", { x: M.left - 8, y: y(v) + 4, "text-anchor": "end", class: "tick tick-y" }, percentLabel(v)));
    });
    X_TICKS.forEach(function (t) {
      grid.appendChild(node("line", { x1: x(t), x2: x(t), y1: M.top + plotH, y2: M.top + plotH + 5 }));
      grid.appendChild(node("text", { x: x(t), y: M.top + plotH + 18, "text-anchor": "middle", class: "tick tick-x" }, String(t)));
    });
    grid.appendChild(node("text", { x: M.left + plotW / 2, y: M.top + plotH + M.bottom - 6, "text-anchor": "middle", class: "axis-title" },
      compact ? "Threshold t (0–255)" : "Threshold t (foreground = map ≥ t, 0–255)"));
    grid.appendChild(node("text", { x: 14, y: M.top + plotH / 2, "text-anchor": "middle", class: "axis-title",
      transform: "rotate(-90 14 " + (M.top + plotH / 2) + ")" }, "IoU (%)"));
    grid.appendChild(node("rect", { x: M.left, y: M.top, width: plotW, height: plotH, class: "frame" }));
    svg.appendChild(grid);

    if (!series.length) {
      svg.appendChild(node("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "No curve to show yet."));
      return;
    }
    var legend = node("g", { class: "legend" });
    series.forEach(function (s, index) {
      var color = COLORS[index % COLORS.length];
      var points = s.values.map(function (v, t) { return x(t).toFixed(1) + "," + y(v).toFixed(1); }).join(" ");
      var line = node("polyline", { points: points, fill: "none", stroke: color, "stroke-width": 2, class: "curve", "data-label": s.label });
      line.appendChild(node("title", {}, s.label));
      svg.appendChild(line);
      var hasPeak = s.peak !== null && s.peak !== undefined && s.peak < s.values.length;
      if (hasPeak) {
        var pv = s.values[s.peak];
        var mark = node("circle", { cx: x(s.peak), cy: y(pv), r: 4.5, fill: "#fff", stroke: color, "stroke-width": 2, class: "peak" });
        mark.appendChild(node("title", {}, s.label + ": peak " + (pv * 100).toFixed(2) + "% at t = " + s.peak));
        svg.appendChild(mark);
      }
      var ly = compact ? M.top + plotH + M.bottom + 14 + index * 18 : M.top + 14 + index * 18;
      legend.appendChild(node("line", { x1: 0, x2: 20, y1: ly - 4, y2: ly - 4, stroke: color, "stroke-width": 3 }));
      var peakValue = hasPeak ? (s.values[s.peak] * 100).toFixed(2) + "%" : "";
      var peakText = !hasPeak ? "" : compact ? " (" + peakValue + " @ t=" + s.peak + ")" : " (peak " + peakValue + " at t = " + s.peak + ")";
      var label = s.label.length > 28 ? s.label.slice(0, 27) + "…" : s.label;
      legend.appendChild(node("text", { x: 26, y: ly, class: "legend-label" }, label + peakText));
    });
    svg.appendChild(legend);
    if (compact) {
      legend.setAttribute("transform", "translate(" + M.left + " 0)");
      return;
    }
    // Beside the plot, top right: as wide as its longest line (measured once drawn).
    var widest = 0;
    legend.querySelectorAll("text").forEach(function (t) {
      var w = 0;
      try { w = t.getComputedTextLength(); } catch (e) { w = 0; }
      widest = Math.max(widest, w || t.textContent.length * 6.2);
    });
    var boxW = widest + 36;
    legend.insertBefore(node("rect", { x: -8, y: M.top + 2, width: boxW, height: series.length * 18 + 6, class: "legend-box" }), legend.firstChild);
    legend.setAttribute("transform", "translate(" + (W - M.right - boxW - 4) + " 0)");
  }

  // A chart picks its layout from its width: redraw every drawn chart when the window is resized.
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      drawn.forEach(function (svg) { if (svg.isConnected && svg.__series) drawCurves(svg, svg.__series); });
    }, 150);
  });

  window.drawCurves = drawCurves;
  window.leaderboardDrawCurves = drawCurves;
})();
