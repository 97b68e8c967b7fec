// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Words shown by this script: English as written here, another language's from the page
  // (base.html's #script-words, only on pages not in English: English pages stay light).
  function word(name, english) {
    var words = document.getElementById("script-words");
    return (words && words.dataset[name]) || english;
  }
  var button = document.querySelector("[data-use-location]");
  if (button && "geolocation" in navigator) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-use-location"));
      var status = document.getElementById("location-status");
      if (status) status.textContent = word("locating", "Finding your location…");
      navigator.geolocation.getCurrentPosition(function (pos) {
        input.value = pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4);
        if (status) status.textContent = word("located", "Location filled in. Press Search.");
      }, function () {
        if (status) status.textContent = word("notLocated", "We could not get your location. Type a ZIP code or city instead.");
      }, { maximumAge: 600000, timeout: 10000 });
    });
  }

  // "Today" and "tomorrow" mean the person's own days: tell the search their time zone.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (zone) { input.value = zone; } else { input.parentNode.removeChild(input); }
  });
  // An empty zone field would still show in the address: leave it out when there is none.
  document.querySelectorAll("form[role=search], form.filters").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[data-browser-zone]").forEach(function (i) { if (!i.value) i.disabled = true; });
    });
  });

  // On a wide screen the filters sit beside the results, so show them open.
  if (window.matchMedia("(min-width: 56rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }

  // Add to the referral list in place: the button says "Added" and the page stays put.
  var live = document.createElement("p");
  live.className = "visually-hidden";
  live.setAttribute("role", "status");
  document.body.appendChild(live);
  document.querySelectorAll("form.add-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) return;
      var submit = event.submitter || form.querySelector("button");
      if (!submit) return;
      event.preventDefault();
      var data = new FormData(form);
      if (submit.name) data.set(submit.name, submit.value);
      fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (answer) {
        live.textContent = answer.message;
        if (!answer.ok) return;
        submit.classList.add("added");
        submit.setAttribute("aria-pressed", "true");
        if (submit.firstChild && submit.firstChild.nodeType === 3) submit.firstChild.nodeValue = word("added", "Added");
        var nav = document.querySelector("[data-referral-count]");
        if (nav) nav.textContent = word("referralList", "Referral list (%(count)s)").replace("%(count)s", answer.count);
      }).catch(function () { form.submit(); });
    });
  });

  // Share a listing: the phone's own share sheet where there is one, else copy the link.
  document.querySelectorAll("[data-share]").forEach(function (shareButton) {
    shareButton.hidden = false;
    shareButton.addEventListener("click", function () {
      var url = shareButton.getAttribute("data-share");
      var title = shareButton.getAttribute("data-share-title");
      if (navigator.share) {
        navigator.share({ title: title, url: url }).catch(function () {});
        return;
      }
      var box = document.getElementById("share");
      if (box) box.open = true;
      if (navigator.clipboard) {
        navigator.clipboard.writeText(url).then(function () {
          live.textContent = word("linkCopied", "Link copied. You can also show the code below to a phone camera.");
        }, function () {});
      }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (link) {
    link.hidden = false;
    link.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
  });
})();
