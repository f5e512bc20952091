// The share step's two conveniences: the phone's own share sheet (Web Share API)
// and a copy button. Plain links work without this script.
(function () {
  "use strict";
  var box = document.querySelector("[data-share]");
  if (!box) return;
  var url = box.getAttribute("data-url");
  var title = box.getAttribute("data-title");
  var fr = document.documentElement.lang === "fr";
  if (navigator.share) {
    var native = box.querySelector(".share-native");
    native.hidden = false;
    native.querySelector("button").addEventListener("click", function () {
      navigator.share({ title: title, url: url.replace("utm_source=link", "utm_source=native") }).catch(function () {});
    });
  }
  if (navigator.clipboard) {
    var copy = box.querySelector(".share-copy");
    var status = box.querySelector("[data-share-status]");
    copy.hidden = false;
    copy.querySelector("button").addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(function () {
        status.textContent = fr ? "Lien copié ✓" : "Link copied ✓";
      });
    });
  }
})();
