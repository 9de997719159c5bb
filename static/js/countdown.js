// Countdowns to phase deadlines: elements with data-deadline (ISO 8601) show the time left, updated
// every second. The server renders a coarse "closes in 3 weeks, 2 days" that stays without scripts.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-deadline]"));
  if (!items.length) {
    return;
  }
  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }
  function text(ms) {
    if (ms <= 0) {
      return "closed: reload the page for the final board";
    }
    var s = Math.floor(ms / 1000);
    var days = Math.floor(s / 86400);
    s -= days * 86400;
    var h = Math.floor(s / 3600);
    s -= h * 3600;
    var m = Math.floor(s / 60);
    s -= m * 60;
    return "closes in " + (days ? days + (days === 1 ? " day " : " days ") : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }
  function tick() {
    var now = Date.now();
    items.forEach(function (el) {
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      if (!isNaN(deadline)) {
        el.textContent = text(deadline - now);
      }
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
