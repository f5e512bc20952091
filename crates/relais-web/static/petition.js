// Live count on petition pages: refreshes the figures while the page is visible.
// The page works without it; this only keeps the number moving.
(function () {
  "use strict";
  var tally = document.querySelector("[data-figures]");
  if (!tally || !window.fetch) return;
  var url = tally.getAttribute("data-figures");
  var lang = tally.getAttribute("data-lang") || "fr";
  var count = tally.querySelector("[data-count]");
  var progress = tally.querySelector("[data-progress]");
  function refresh() {
    if (document.hidden) return;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var n = data.counts.confirmed;
        count.textContent = n.toLocaleString(lang === "fr" ? "fr-FR" : "en-GB");
        if (progress) {
          progress.max = data.next_milestone;
          progress.value = n;
        }
      })
      .catch(function () {});
  }
  setInterval(refresh, 10000);
  document.addEventListener("visibilitychange", refresh);
})();
