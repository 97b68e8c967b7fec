// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var button = document.querySelector("[data-use-location]");
  if (button && "geolocation" in navigator) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-use-location"));
      var status = document.getElementById("location-status");
      if (status) status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        input.value = pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4);
        if (status) status.textContent = "Location filled in. Press Search.";
      }, function () {
        if (status) status.textContent = "We could not get your location. Type a ZIP code or city instead.";
      }, { maximumAge: 600000, timeout: 10000 });
    });
  }
  // On a wide screen the filters sit beside the results, so show them open.
  if (window.matchMedia("(min-width: 56rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }
})();
