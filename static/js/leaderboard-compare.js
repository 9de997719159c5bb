// The comparison page: sortable per-class table (by data-v), and the curves of track 3.
(function () {
  "use strict";
  var table = document.getElementById("lb-compare");
  if (table) {
    var heads = table.querySelectorAll("th.sortable");
    heads.forEach(function (th, column) {
      th.addEventListener("click", function () {
        var numeric = th.dataset.type === "num";
        // Numbers sort biggest first on the first click, names A to Z.
        var dir = th.getAttribute("aria-sort") === (numeric ? "descending" : "ascending") ? -1 : 1;
        if (numeric) dir = -dir;
        var tbody = table.tBodies[0];
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column].dataset.v, y = b.cells[column].dataset.v;
          if (numeric) {
            x = parseFloat(x);
            y = parseFloat(y);
            // The difference column sorts by size, whichever submission is ahead.
            if (column === heads.length - 1) { x = Math.abs(x); y = Math.abs(y); }
            return (x - y) * dir;
          }
          return x.localeCompare(y) * dir;
        });
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
  }
  var data = document.getElementById("lb-compare-curves");
  var svg = document.getElementById("lb-curves");
  if (data && svg && typeof window.drawCurves === "function") {
    window.drawCurves(svg, JSON.parse(data.textContent));
  }
})();
