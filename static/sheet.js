// The referral sheet's Print button: shown only when scripts run (the page works without it).
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button || !window.print) return;
  button.hidden = false;
  var hint = document.querySelector(".print-hint");
  if (hint) hint.hidden = true;
  button.addEventListener("click", function () { window.print(); });
})();
