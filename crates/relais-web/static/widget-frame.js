// Inside the widget iframe: tells the host page how tall the content is, so the
// snippet can size the iframe. Only a number leaves the frame. The body's own
// height is measured (not the viewport's), so resizing the frame cannot feed back.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var h = Math.ceil(document.body.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    window.parent.postMessage({ relaisWidgetHeight: h }, "*");
  }
  if (window.ResizeObserver) {
    new ResizeObserver(report).observe(document.body);
  } else {
    window.addEventListener("load", report);
    window.addEventListener("resize", report);
  }
  report();
})();
