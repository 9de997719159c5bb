// The IoU-threshold curve as inline SVG, drawn by hand (no library).
// drawCurves(svgElement, series) with series = [{label, values: [256 fractions], peak: t}]:
// axes with ticks (threshold 0..255, IoU in %), one line per series, each peak marked with a
// dot and a label, and a legend. Reusable for several teams; labels go through textContent.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#2457c5", "#d1495b", "#2e933c", "#edae49", "#7b4bb7", "#00798c", "#c75f00", "#5b6475"];
  var W = 720, H = 400, M = { left: 56, right: 20, top: 20, bottom: 80 };

  function el(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function peakOf(values) {
    var best = 0;
    for (var t = 1; t < values.length; t++) if (values[t] > values[best]) best = t;
    return best;
  }

  function drawCurves(svg, series) {
    var plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
    function x(t) { return M.left + (t / 255) * plotW; }
    function y(v) { return M.top + plotH - v * plotH; }
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.replaceChildren();

    var axes = el("g", { class: "axis" });
    for (var i = 0; i <= 10; i++) {
      var v = i / 10;
      axes.appendChild(el("line", { class: "gridline", x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }));
      axes.appendChild(el("line", { x1: M.left - 5, x2: M.left, y1: y(v), y2: y(v) }));
      axes.appendChild(el("text", { x: M.left - 8, y: y(v) + 4, "text-anchor": "end" }, String(i * 10)));
    }
    [0, 32, 64, 96, 128, 160, 192, 224, 255].forEach(function (t) {
      axes.appendChild(el("line", { x1: x(t), x2: x(t), y1: y(0), y2: y(0) + 5 }));
      axes.appendChild(el("text", { x: x(t), y: y(0) + 18, "text-anchor": "middle" }, String(t)));
    });
    axes.appendChild(el("line", { x1: M.left, x2: W - M.right, y1: y(0), y2: y(0) }));
    axes.appendChild(el("line", { x1: M.left, x2: M.left, y1: y(0), y2: y(1) }));
    axes.appendChild(el("text", { x: M.left + plotW / 2, y: y(0) + 36, "text-anchor": "middle" }, "Threshold t (foreground = map ≥ t)"));
    axes.appendChild(el("text", { x: 14, y: M.top + plotH / 2, "text-anchor": "middle",
      transform: "rotate(-90 14 " + (M.top + plotH / 2) + ")" }, "IoU (%)"));
    svg.appendChild(axes);

    var legend = el("g", { class: "legend" });
    series.forEach(function (s, index) {
      var color = COLORS[index % COLORS.length];
      var values = s.values || [];
      var d = values.map(function (value, t) {
        return (t === 0 ? "M" : "L") + x(t).toFixed(2) + " " + y(Math.max(0, Math.min(1, value || 0))).toFixed(2);
      }).join(" ");
      svg.appendChild(el("path", { class: "curve", d: d, fill: "none", stroke: color, "stroke-width": 2,
        "data-label": s.label, "data-points": values.length }));
      var peak = typeof s.peak === "number" ? s.peak : peakOf(values);
      if (values.length > peak) {
        var px = x(peak), py = y(values[peak]);
        svg.appendChild(el("circle", { class: "peak", cx: px, cy: py, r: 4.5, fill: color, stroke: "#fff" }));
        var anchor = peak > 200 ? "end" : "start";
        svg.appendChild(el("text", { class: "peak-label", x: px + (anchor === "end" ? -8 : 8), y: py - 8 - index * 14,
          "text-anchor": anchor, fill: color }, "peak " + (values[peak] * 100).toFixed(2) + "% at t=" + peak));
      }
      var lx = M.left + (index % 3) * 220, ly = H - 22 + Math.floor(index / 3) * 16;
      legend.appendChild(el("line", { x1: lx, x2: lx + 24, y1: ly - 4, y2: ly - 4, stroke: color, "stroke-width": 3 }));
      legend.appendChild(el("text", { x: lx + 30, y: ly }, s.label));
    });
    svg.appendChild(legend);
  }

  window.submissionsDrawCurves = drawCurves;
  if (typeof window.drawCurves !== "function") window.drawCurves = drawCurves;
})();
