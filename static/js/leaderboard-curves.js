// Figure 1: IoU against threshold (0..255), one line per series, each peak marked.
// drawCurves(svgElement, [{label, values: [256 fractions], peak: t}]) draws into the SVG, replacing
// what was there. Hand-written SVG, no library; labels go through textContent.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#2457c5", "#d1495b", "#2e933c", "#edae49", "#7b4bb7", "#00798c", "#c75f00", "#5b6475", "#b3261e", "#3c8dbc"];
  var M = { left: 52, right: 16, top: 16, bottom: 44 };

  function node(tag, attrs, text) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function drawCurves(svg, series) {
    // On a phone the chart is drawn narrower (so its text stays readable) with the legend below it.
    var compact = (svg.clientWidth || 720) < 560;
    var W = compact ? 400 : 720, plotH0 = compact ? 250 : 320;
    var legendBelow = compact ? series.length * 18 + 8 : 0;
    var H = M.top + plotH0 + M.bottom + legendBelow;
    var plotW = W - M.left - M.right, plotH = plotH0;
    var maxValue = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > maxValue) maxValue = v; }); });
    var yMax = Math.min(1, Math.max(0.1, Math.ceil(maxValue * 10 + 0.5) / 10));
    function x(t) { return M.left + (t / 255) * plotW; }
    function y(v) { return M.top + plotH - (v / yMax) * plotH; }

    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.replaceChildren();
    var grid = node("g", { class: "grid" });
    for (var i = 0; i <= 5; i++) {
      var v = (yMax * i) / 5;
      grid.appendChild(node("line", { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }));
      grid.appendChild(node("text", { x: M.left - 8, y: y(v) + 4, "text-anchor": "end" }, (v * 100).toFixed(0)));
    }
    (compact ? [0, 64, 128, 192, 255] : [0, 32, 64, 96, 128, 160, 192, 224, 255]).forEach(function (t) {
      grid.appendChild(node("text", { x: x(t), y: M.top + plotH + 18, "text-anchor": "middle" }, String(t)));
    });
    grid.appendChild(node("text", { x: M.left + plotW / 2, y: M.top + plotH + M.bottom - 6, "text-anchor": "middle", class: "axis-title" }, "Threshold"));
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
      var line = node("polyline", { points: points, fill: "none", stroke: color, "stroke-width": 2, class: "curve" });
      line.appendChild(node("title", {}, s.label));
      svg.appendChild(line);
      if (s.peak !== null && s.peak !== undefined) {
        var pv = s.values[s.peak];
        var mark = node("circle", { cx: x(s.peak), cy: y(pv), r: 4.5, fill: "#fff", stroke: color, "stroke-width": 2, class: "peak" });
        mark.appendChild(node("title", {}, s.label + ": peak " + (pv * 100).toFixed(2) + " at threshold " + s.peak));
        svg.appendChild(mark);
      }
      var ly = compact ? M.top + plotH + M.bottom + 14 + index * 18 : M.top + 14 + index * 18;
      legend.appendChild(node("line", { x1: 0, x2: 20, y1: ly - 4, y2: ly - 4, stroke: color, "stroke-width": 3 }));
      var peakText = s.peak !== null && s.peak !== undefined ? " (" + (s.values[s.peak] * 100).toFixed(2) + " @ " + s.peak + ")" : "";
      var label = s.label.length > 28 ? s.label.slice(0, 27) + "…" : s.label;
      legend.appendChild(node("text", { x: 26, y: ly }, label + peakText));
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

  if (typeof window.drawCurves !== "function") window.drawCurves = drawCurves;
  window.leaderboardDrawCurves = drawCurves;
})();
