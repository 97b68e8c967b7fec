// The referral list and sheet, enhanced. Every page works without this file (plain form posts).
// Nothing here talks to the server. What is typed for a sheet is kept in this tab's
// sessionStorage, so it survives Back and a return to the list; the specialist's own name and
// contact are kept in localStorage only when they ask ("Remember me"), until "Forget me".
(function () {
  "use strict";
  // Words shown by this script: English as written here, another language's from the page
  // (base.html's #script-words, only on pages not in English: English pages stay light).
  function word(name, english) {
    var words = document.getElementById("script-words");
    return (words && words.dataset[name]) || english;
  }
  var DRAFT = "directory.referrals.draft"; // sessionStorage: this tab, this sheet
  var ME = "directory.referrals.me"; // localStorage: this device, by choice
  var DRAFT_HOURS = 3; // a draft left longer than this (a computer left open) is dropped

  function storage(kind) {
    try {
      var s = window[kind];
      s.getItem(DRAFT);
      return s;
    } catch (e) {
      return null; // storage blocked: the page still works, it just forgets
    }
  }
  var session = storage("sessionStorage");
  var local = storage("localStorage");
  function read(s, key) {
    try { return s ? JSON.parse(s.getItem(key) || "null") : null; } catch (e) { return null; }
  }
  function write(s, key, value) {
    try { if (s) s.setItem(key, JSON.stringify(value)); } catch (e) { /* full or blocked */ }
  }
  function remove(s, key) {
    try { if (s) s.removeItem(key); } catch (e) { /* blocked */ }
  }
  function clearDraft() { remove(session, DRAFT); }

  // A list emptied on the server (finished, cleared, or forgotten when idle) leaves nothing
  // worth keeping here either.
  if (document.querySelector("[data-list-empty]")) clearDraft();

  // The list page: keep the sheet details and notes as they are typed, put them back on return.
  var form = document.getElementById("sheet-form");
  if (form) {
    var kept = form.querySelector("input[name=details_kept]");
    if (kept) kept.value = "browser"; // so the server may redirect instead of re-showing them
    var fields = form.querySelectorAll(".details [name]");
    var notes = form.querySelectorAll("input[data-note]");
    var draft = read(session, DRAFT);
    if (draft && !(Date.now() - (draft.saved || 0) < DRAFT_HOURS * 3600e3)) {
      clearDraft();
      draft = null;
    }
    if (draft) {
      Array.prototype.forEach.call(fields, function (field) {
        var value = (draft.fields || {})[field.name];
        if (typeof value === "string") field.value = value;
      });
      Array.prototype.forEach.call(notes, function (note) {
        var value = (draft.notes || {})[note.name];
        if (typeof value === "string") note.value = value;
      });
    }
    var saveDraft = function () {
      var saved = { saved: Date.now(), fields: {}, notes: {} };
      Array.prototype.forEach.call(fields, function (f) { saved.fields[f.name] = f.value; });
      // Only the listings still on the list: a removed one's note goes with it.
      Array.prototype.forEach.call(notes, function (n) { saved.notes[n.name] = n.value; });
      write(session, DRAFT, saved);
    };
    if (draft) saveDraft();
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", saveDraft);
  }

  // Remember me, on this device, by choice; Forget me wherever it shows.
  var remember = document.querySelector("[data-remember]");
  var box = document.getElementById("remember-me");
  var status = document.querySelector(".remember-status");
  var me = read(local, ME);
  function showRemembered(on) {
    document.querySelectorAll("[data-forget]").forEach(function (b) { b.hidden = !on; });
    document.querySelectorAll("[data-remembered]").forEach(function (p) { p.hidden = !on; });
    if (box) box.checked = on;
  }
  if (local) {
    document.querySelectorAll("[data-forget]").forEach(function (button) {
      button.addEventListener("click", function () {
        remove(local, ME);
        showRemembered(false);
        var said = status || document.querySelector("[data-forgotten]");
        if (said) {
          said.hidden = false;
          said.textContent = word("forgotten", "Forgotten: this device no longer remembers your name or how to reach you.");
        }
      });
    });
    showRemembered(!!me);
  }
  if (remember && local && form) {
    remember.hidden = false;
    var specialist = form.elements.specialist;
    var contact = form.elements.contact;
    if (me) {
      if (!specialist.value) specialist.value = me.specialist || "";
      if (!contact.value) contact.value = me.contact || "";
    }
    var keepMe = function () {
      if (!box.checked) return;
      write(local, ME, { specialist: specialist.value, contact: contact.value });
      showRemembered(true);
    };
    box.addEventListener("change", function () {
      if (box.checked) {
        keepMe();
        status.textContent = word("remembered", "Remembered on this device for your next sheets.");
      } else {
        remove(local, ME);
        showRemembered(false);
        status.textContent = word("notRemembered", "Not remembered: this device has forgotten your name and how to reach you.");
      }
    });
    specialist.addEventListener("input", keepMe);
    contact.addEventListener("input", keepMe);
  }

  // The sheet page: Print, a return that keeps the details, texting and emailing the short link.
  var print = document.querySelector("[data-print]");
  if (print && window.print) {
    print.hidden = false;
    var hint = document.querySelector(".print-hint");
    if (hint) hint.hidden = true;
    print.addEventListener("click", function () { window.print(); });
  }
  document.querySelectorAll("form[data-keeps-details] input[name=details_kept]").forEach(
    function (input) { input.value = "browser"; }
  );
  document.querySelectorAll("[data-scripted]").forEach(function (el) { el.hidden = false; });
  // The number and address typed stay here: they only go into the link the browser opens.
  var phone = document.getElementById("handover-phone");
  var textIt = document.getElementById("text-it");
  if (phone && textIt) {
    phone.addEventListener("input", function () {
      var number = phone.value.replace(/[^0-9+]/g, "");
      textIt.href = "sms:" + number + "?&body=" + encodeURIComponent(textIt.getAttribute("data-share-url"));
    });
  }
  var email = document.getElementById("handover-email");
  var emailIt = document.getElementById("email-it");
  if (email && emailIt) {
    email.addEventListener("input", function () {
      var to = encodeURIComponent(email.value.trim()).replace(/%40/g, "@");
      emailIt.href = "mailto:" + to + "?subject=" + encodeURIComponent(emailIt.getAttribute("data-subject")) +
        "&body=" + encodeURIComponent(emailIt.getAttribute("data-share-url"));
    });
  }
  document.querySelectorAll("form[data-finish]").forEach(function (finish) {
    finish.addEventListener("submit", function () {
      clearDraft();
      if (phone) phone.value = "";
      if (email) email.value = "";
    });
  });
})();
