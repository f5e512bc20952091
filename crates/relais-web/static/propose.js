// "Use my position" on the proposal form: fills the hidden coordinates from the
// phone's location. The form works without it (postcode), so it only shows when
// the browser can locate.
(function () {
  "use strict";
  var box = document.querySelector("[data-locate]");
  if (!box || !navigator.geolocation) return;
  box.hidden = false;
  var button = box.querySelector("[data-locate-button]");
  var status = box.querySelector("[data-locate-status]");
  var lat = document.querySelector("[data-lat]");
  var lon = document.querySelector("[data-lon]");
  var lang = document.documentElement.lang;
  var text = lang === "fr"
    ? { wait: "Localisation…", ok: "Position enregistrée ✓", fail: "Position indisponible : indiquez un code postal." }
    : { wait: "Locating…", ok: "Position recorded ✓", fail: "Position unavailable: enter a postcode." };
  if (lat.value && lon.value) status.textContent = text.ok;
  button.addEventListener("click", function () {
    status.textContent = text.wait;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        lat.value = pos.coords.latitude.toFixed(5);
        lon.value = pos.coords.longitude.toFixed(5);
        status.textContent = text.ok;
      },
      function () { status.textContent = text.fail; },
      { enableHighAccuracy: true, timeout: 15000 }
    );
  });
})();
