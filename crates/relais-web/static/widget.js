// Relais widgets. Paste on any page:
//   <script src="https://RELAIS/widget.js" data-relais-petition="SLUG" async></script>
//     the petition's count and signing form;
//   <script src="https://RELAIS/widget.js" data-relais-newsletter="ORG" async></script>
//     the association's newsletter sign-up (double opt-in by e-mail).
// Each is an iframe served by Relais (no cookie on the host page, nothing read from
// it but its host name) kept as tall as its content.
(function () {
  "use strict";
  var scripts = document.querySelectorAll("script[data-relais-petition], script[data-relais-newsletter]");
  Array.prototype.forEach.call(scripts, function (script) {
    if (script.getAttribute("data-relais-done")) return;
    script.setAttribute("data-relais-done", "1");
    var origin = new URL(script.src).origin;
    var slug = script.getAttribute("data-relais-petition");
    var org = script.getAttribute("data-relais-newsletter");
    var frame = document.createElement("iframe");
    if (slug) {
      frame.src = origin + "/p/" + encodeURIComponent(slug) + "/widget?site=" + encodeURIComponent(location.hostname);
      frame.title = script.getAttribute("data-relais-title") || "Pétition / Petition";
      frame.style.height = "640px";
    } else {
      frame.src = origin + "/o/" + encodeURIComponent(org) + "/newsletter/widget";
      frame.title = script.getAttribute("data-relais-title") || "Lettre d’information / Newsletter";
      frame.style.height = "420px";
    }
    frame.setAttribute("loading", "lazy");
    frame.style.width = "100%";
    frame.style.maxWidth = "32rem";
    frame.style.border = "0";
    script.parentNode.insertBefore(frame, script.nextSibling);
    window.addEventListener("message", function (event) {
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      var h = event.data && event.data.relaisWidgetHeight;
      if (typeof h === "number" && h > 100 && h < 5000) frame.style.height = h + "px";
    });
  });
})();
