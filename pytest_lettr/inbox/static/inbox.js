// The email list refreshes itself: it polls a small JSON endpoint and, when something changed,
// fetches the same page again and swaps in its list. No framework, no build step.
(function () {
  "use strict";
  var INTERVAL_MS = 1000;

  function start(region) {
    var url = region.getAttribute("data-poll");
    var seen = null;
    function refresh() {
      fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (fresh) { region.replaceChildren.apply(region, Array.from(fresh.childNodes)); }
        });
    }
    function poll() {
      fetch(url, { cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (seen !== null && body.version !== seen) { refresh(); }
          seen = body.version;
        })
        .catch(function () { /* the server restarted or stopped: try again later */ })
        .finally(function () { window.setTimeout(poll, INTERVAL_MS); });
    }
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(start);
  });
})();
