// The live leaderboard: polls the board's JSON (a 304 while nothing changed), re-renders the rows
// without a page reload, sorts by any metric column, and redraws Figure 1 on track 3.
// User text only ever goes through textContent.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("lb-config").textContent);
  var body = document.getElementById("lb-body");
  var live = document.getElementById("lb-live");
  // The rows arrive with the first poll, right after load (the page itself is server-rendered);
  // until then the server's rows stay and sorting waits for them.
  var rows = null;
  var version = null;
  var sort = { key: "rank", dir: 1 };
  var previousScores = null;

  function fmt(value, kind) {
    if (value === null || value === undefined) return "–";
    if (kind === "thr") return String(Math.round(value > 0 && value < 1 ? value * 255 : value));
    return (value * 100).toFixed(2);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function sortValue(row, key) {
    if (key === "rank") return row.rank;
    if (key === "date") return row.submitted_at;
    if (key === "used") return row.submissions_used;
    var v = row.metrics[key.slice(2)];
    return v === null || v === undefined ? -Infinity : v;
  }

  function renderRow(row, changed) {
    var tr = el("tr", (row.not_significant ? "ns" : "") + (changed ? " flash" : ""));
    tr.dataset.team = row.team.id;
    tr.appendChild(el("td", "num rank", String(row.rank)));
    var team = el("td", "team");
    team.appendChild(el("span", "team-name", row.team.name));
    if (row.team.affiliation) team.appendChild(el("span", "affiliation", row.team.affiliation));
    tr.appendChild(team);
    config.columns.forEach(function (c) { tr.appendChild(el("td", "num metric", fmt(row.metrics[c.key], c.kind))); });
    var ci = el("td", "num ci", row.ci ? fmt(row.ci[0], "pct") + "–" + fmt(row.ci[1], "pct") : "–");
    if (row.overlaps_next) {
      ci.appendChild(document.createTextNode(" "));
      var mark = el("span", "ns-mark", "≈");
      mark.title = "The 95% intervals of this and the next rank overlap: not significantly different.";
      ci.appendChild(mark);
    }
    tr.appendChild(ci);
    tr.appendChild(el("td", "date", row.submitted_at.slice(0, 10)));
    tr.appendChild(el("td", "num used", String(row.submissions_used)));
    var method = el("td", "method");
    if (row.method_description) {
      var details = el("details");
      details.appendChild(el("summary", "", row.method_name));
      details.appendChild(el("p", "", row.method_description));
      method.appendChild(details);
    } else {
      method.textContent = row.method_name;
    }
    tr.appendChild(method);
    var verification = el("td", "verification");
    if (row.verification) {
      verification.appendChild(el("span", "status verif-" + row.verification, config.verificationLabels[row.verification] || row.verification));
    } else {
      verification.appendChild(el("span", "muted", "–"));
    }
    tr.appendChild(verification);
    return tr;
  }

  function render(changedTeams) {
    var sorted = rows.slice().sort(function (a, b) {
      var x = sortValue(a, sort.key), y = sortValue(b, sort.key);
      if (x < y) return -sort.dir;
      if (x > y) return sort.dir;
      return a.rank - b.rank;
    });
    var fragment = document.createDocumentFragment();
    sorted.forEach(function (row) { fragment.appendChild(renderRow(row, changedTeams && changedTeams[row.team.id])); });
    if (!sorted.length) {
      var empty = el("tr", "empty");
      var td = el("td", "muted", "No scored submission yet.");
      td.colSpan = config.columns.length + 7;
      empty.appendChild(td);
      fragment.appendChild(empty);
    }
    body.replaceChildren(fragment);
    document.querySelectorAll("#lb-table th.sortable").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.key === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
    });
  }

  document.querySelectorAll("#lb-table th.sortable").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.dataset.key;
      // Metrics sort best first on the first click; rank, date and count ascending.
      var first = key.indexOf("m:") === 0 ? -1 : 1;
      sort = { key: key, dir: sort.key === key ? -sort.dir : first };
      if (rows) render(null);
    });
  });

  // Figure 1 (track 3): the top teams' curves, redrawn when the board changes.
  var svg = document.getElementById("lb-curves");
  // Figure 1 shows up to 20 teams: leaderboard-curves.js (legend beside the plot, a phone layout).
  var draw = window.leaderboardDrawCurves || window.drawCurves;
  var topSelect = document.getElementById("lb-top");
  function loadCurves() {
    if (!svg || typeof draw !== "function") return;
    var url = config.curvesUrl + "&top=" + encodeURIComponent(topSelect ? topSelect.value : "5");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { series: [] }; })
      .then(function (data) { lastSeries = data.series; draw(svg, data.series); });
  }
  var lastSeries = null, resizeTimer = null;
  if (topSelect) topSelect.addEventListener("change", loadCurves);
  // The chart picks its layout from its width (legend below on a phone): redraw when that changes.
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () { if (lastSeries) draw(svg, lastSeries); }, 150);
  });

  function poll() {
    fetch(config.jsonUrl, { credentials: "same-origin", cache: "no-cache", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 304) return null;
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (data) {
        if (live) live.classList.remove("stale");
        if (!data || data.version === version) return;
        var initial = version === null;
        version = data.version;
        var changed = {};
        data.rows.forEach(function (r) {
          if (previousScores && previousScores[r.team.id] !== r.score) changed[r.team.id] = true;
        });
        previousScores = {};
        data.rows.forEach(function (r) { previousScores[r.team.id] = r.score; });
        rows = data.rows;
        render(changed);
        // The curves were fetched at load: refetch only when the board moved on since the page was made.
        if (!initial || data.version !== config.version) loadCurves();
      })
      .catch(function () { if (live) live.classList.add("stale"); })
      .then(function () { window.setTimeout(poll, document.hidden ? config.pollMs * 3 : config.pollMs); });
  }

  loadCurves();
  poll();
})();
