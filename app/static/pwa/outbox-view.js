/* A citizen's pages: what waits in the phone's outbox (pwa/outbox.js), and sending it when the signal returns.
 * Shown in #outbox (templates/base.html) on every citizen page: "waiting to send", then the tracking number.
 * It sends when a page opens, when the browser says it is online again, and every half minute while
 * something waits (a weak signal often comes back without the browser noticing). */
(function () {
  "use strict";

  var section = document.getElementById("outbox");
  if (!section || !window.PortalOutbox) {
    return;
  }
  var text = section.dataset;
  var user = text.user;
  var list = section.querySelector("[data-waiting]");
  var heading = section.querySelector("[data-heading]");
  var notices = document.getElementById("outbox-sent");
  var RETRY_MS = 30000;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function when(milliseconds) {
    // <html data-dates>: Gregorian, Latin digits (a bare "ps" gives the Solar Hijri calendar in browsers).
    return new Date(milliseconds).toLocaleString(document.documentElement.dataset.dates || document.documentElement.lang,
      { dateStyle: "medium", timeStyle: "short", hourCycle: "h23", timeZone: "Asia/Karachi" });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : null;
  }

  function itemView(item) {
    var li = document.createElement("li");
    li.className = "card";
    var subject = document.createElement("strong");
    subject.textContent = item.subject || text.msgNoSubject;
    var meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = fill(text.msgWritten, { time: when(item.savedAt) });
    li.append(subject, meta);
    var state = document.createElement("p");
    if (item.state === "refused") {
      state.className = "error";
      state.textContent = text.msgRefused + " " + item.errors.join(" ");
      var correct = document.createElement("a");
      correct.href = text.lodge + "?outbox=" + encodeURIComponent(item.key);
      correct.textContent = text.msgCorrect;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = text.msgDelete;
      remove.addEventListener("click", function () {
        PortalOutbox.forget(item.key).then(render);
      });
      var actions = document.createElement("p");
      actions.className = "actions";
      actions.append(correct, " ", remove);
      li.append(state, actions);
    } else {
      state.textContent = text.msgWaiting;
      li.append(state);
    }
    return li;
  }

  function sentView(item) {
    var p = document.createElement("p");
    p.className = "flash";
    p.setAttribute("role", "status");
    p.append(fill(text.msgSent, { subject: item.subject, number: item.trackingNumber }) + " ");
    var open = document.createElement("a");
    open.href = item.url;
    open.textContent = text.msgOpen;
    p.append(open);
    return p;
  }

  function render() {
    return Promise.all([PortalOutbox.waiting(user), PortalOutbox.sent(user)]).then(function (found) {
      var waiting = found[0];
      found[1].forEach(function (item) {
        notices.append(sentView(item));
        PortalOutbox.forget(item.key); // shown once; the complaint is in "My complaints" from now on
      });
      list.replaceChildren.apply(list, waiting.map(itemView));
      heading.textContent = fill(text.msgHeading, { count: waiting.length.toLocaleString(document.documentElement.dataset.numbers || document.documentElement.lang) });
      section.hidden = waiting.length === 0;
      return waiting.length;
    });
  }

  function send() {
    if (navigator.onLine === false) {
      return render();
    }
    return PortalOutbox.sendAll(user, csrfToken()).then(render, render);
  }

  section.querySelector("[data-send]").addEventListener("click", send);
  window.addEventListener("online", send);
  document.addEventListener("portal-outbox-changed", render);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") {
        render();
      }
    });
    // The lodge page is kept on the phone from the first citizen page seen, so it opens without signal.
    (window.PortalShell ? PortalShell.ready : Promise.resolve(null)).then(function (worker) {
      if (worker) {
        worker.postMessage({ type: "keep-page", url: text.lodge });
      }
    });
  }
  setInterval(function () {
    if (!document.hidden && !section.hidden) {
      send();
    }
  }, RETRY_MS);

  PortalOutbox.dropOthers(user).then(send, send);
  window.PortalOutboxView = { render: render, send: send };
})();
