/* Every page: registers the service worker (the installable app, docs/offline.md), marks a page shown from
 * the phone's copy as read-only, and clears what the phone kept when the citizen signs out.
 * Texts come from #app-shell (templates/base.html), in the reader's language. */
(function () {
  "use strict";

  var shell = document.getElementById("app-shell");
  if (!shell) {
    return;
  }
  var text = shell.dataset;

  // Resolves with the active worker once it knows whose pages these are (outbox-view.js waits for it).
  var ready = Promise.resolve(null);
  if ("serviceWorker" in navigator && text.worker) {
    ready = navigator.serviceWorker.register(text.worker, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Whose pages the phone may keep from now on (nobody's, for staff: they are never kept).
      registration.active.postMessage({ type: "owner", user: text.user || "" });
      return registration.active;
    }).catch(function () {
      return null; // no worker (a private window, an old browser): the pages work as before, online only
    });
  }
  window.PortalShell = { ready: ready };

  // A page from the phone's copy (the service worker marks it): say so, and let nothing be changed on it but
  // a complaint being written, which waits in the outbox.
  var kept = document.documentElement.getAttribute("data-offline-copy");
  if (kept !== null) {
    var banner = document.getElementById("offline-banner");
    var when = new Date(kept);
    banner.textContent = isNaN(when) ? text.msgCopy : text.msgCopyFrom.replace("{time}", when.toLocaleString(
      document.documentElement.dataset.dates || document.documentElement.lang, { dateStyle: "medium", timeStyle: "short", hourCycle: "h23", timeZone: "Asia/Karachi" }));
    banner.hidden = false;
    Array.prototype.forEach.call(document.forms, function (form) {
      if (form.id === "complaint-form") {
        return;
      }
      Array.prototype.forEach.call(form.elements, function (field) { field.disabled = true; });
    });
  }

  // Signing out: the portal's answer clears the phone (Clear-Site-Data); this does the same for browsers that
  // ignore that header, and first warns when complaints written without signal would go with it.
  var signOut = document.querySelector("form[data-sign-out]");
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      if (signOut.dataset.cleared) {
        return;
      }
      event.preventDefault();
      var waiting = window.PortalOutbox && text.user ? PortalOutbox.waiting(text.user) : Promise.resolve([]);
      waiting.catch(function () { return []; }).then(function (items) {
        if (items.length && !window.confirm(text.msgSignOutWaiting)) {
          return;
        }
        return clearPhone().then(function () {
          signOut.dataset.cleared = "1";
          signOut.submit();
        });
      });
    });
  }

  function clearPhone() {
    var work = [];
    if (window.caches) {
      work.push(caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return caches.delete(name); }));
      }));
    }
    if (window.PortalOutbox) {
      work.push(PortalOutbox.clearAll());
    }
    return Promise.all(work).catch(function () { return null; });
  }
})();
