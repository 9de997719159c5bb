// Submission page: poll status.json every 2 s while the submission waits or runs, update the
// badge and timings in place, and when it is done swap in the server-rendered results (metrics,
// per-class table, curve) without reloading. Also: sortable per-class table, the curve chart.
(function () {
  "use strict";
  var PENDING = ["uploaded", "queued", "running"];

  function sortable(table) {
    if (!table) return;
    var headers = table.querySelectorAll("th.sortable");
    headers.forEach(function (th, column) {
      th.addEventListener("click", function () {
        var ascending = !th.classList.contains("sorted-asc");
        headers.forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
        var numeric = th.dataset.type === "number";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var va = a.cells[column].dataset.value, vb = b.cells[column].dataset.value;
          // Classes without a value (NaN: absent from the split) go last in both directions.
          if (va === "" && vb === "") return 0;
          if (va === "") return 1;
          if (vb === "") return -1;
          var cmp = numeric ? parseFloat(va) - parseFloat(vb) : va.localeCompare(vb);
          return ascending ? cmp : -cmp;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function drawCurve(root) {
    var svg = root.querySelector("#curve-chart");
    var data = root.querySelector("#curve-data");
    var draw = window.drawCurves;  // static/js/leaderboard-curves.js, the one chart of curves
    if (svg && data && draw) draw(svg, JSON.parse(data.textContent));
  }

  function init(root) { sortable(root.querySelector("#per-class")); drawCurve(root); }

  function stamp(iso) { return iso ? iso.replace("T", " ").slice(0, 19) + " UTC" : "–"; }

  function updateBadge(status) {
    var badge = document.querySelector("#status-badge .status");
    if (!badge) return;
    badge.className = "status status-" + status;
    badge.dataset.status = status;
    badge.textContent = status;
  }

  // The same sentences as templates/submissions/_progress.html, from status.json.
  function progressText(data) {
    if (data.status === "running") {
      var since = "";
      if (data.started_at) {
        var seconds = Math.max(0, Math.round((Date.now() - Date.parse(data.started_at)) / 1000));
        since = " (started " + data.started_at.slice(11, 19) + " UTC, " + seconds + " s ago)";
      }
      var shards = data.progress ? " " + data.progress.shards_done + " of " + data.progress.shards_total + " shards scored." : "";
      return "Scoring now: every PNG is read and compared with the ground truth, then the 95% interval is computed" + since + "." + shards;
    }
    if (data.status === "queued") {
      var queue = data.queue || {};
      var where = queue.position === 1 ? "next in the scoring queue" :
        queue.position ? "number " + queue.position + " in the scoring queue" : "in the scoring queue";
      return "Checked and queued: " + where + (queue.running ? " (" + queue.running + " being scored now)" : "") + ".";
    }
    return "Uploaded and checked (file names and image sizes); handing it to the scoring queue…";
  }

  function updateTimings(live, data) {
    var note = live.querySelector("#pending-note");
    if (note) note.textContent = progressText(data);
    ["queued_at", "started_at", "finished_at"].forEach(function (key) {
      var dd = live.querySelector('[data-field="' + key + '"]');
      if (dd) dd.textContent = stamp(data[key]);
    });
    var place = live.querySelector('[data-field="queue_position"]');
    if (place) place.textContent = data.queue_position ? " (number " + data.queue_position + " in the queue)" : "";
  }

  function swapResults(live) {
    // The results are rendered (and escaped) by the server; take them from the page itself.
    return fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("submission-live");
        if (!fresh) return;
        var node = document.importNode(fresh, true);
        live.replaceWith(node);
        init(node);
      });
  }

  function poll(live) {
    var url = live.dataset.statusUrl;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
      .then(function (data) {
        updateBadge(data.status);
        updateTimings(live, data);
        if (PENDING.indexOf(data.status) >= 0) { window.setTimeout(function () { poll(live); }, 2000); return; }
        return swapResults(live);
      })
      .catch(function () { window.setTimeout(function () { poll(live); }, 5000); });
  }

  var live = document.getElementById("submission-live");
  if (!live) return;
  init(live);
  if (live.dataset.pending === "1") window.setTimeout(function () { poll(live); }, 2000);
})();
