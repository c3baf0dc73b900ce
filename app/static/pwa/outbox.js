/* The phone's outbox: complaints written without signal, kept in IndexedDB until they are sent.
 * Loaded by the pages (pwa.js, lodge-offline.js, outbox-view.js) and by the service worker, which both send.
 *
 * An item: { key, user, action, savedAt, subject, fields: [[name, value]], files: [[name, blob, filename]],
 *            state: "waiting" | "refused", errors: [message] }
 * `key` is the Idempotency-Key the portal lodges it under: however often it is sent (a page and the
 * service worker at once, an answer lost on the way), the portal lodges it once. `user` is the account's
 * outbox key (app/offline.py): an item is only ever sent, or shown, for that account.
 * Sent items move to "sent" with their tracking number, until a page has shown it.
 */
(function (scope) {
  "use strict";

  var NAME = "portal-outbox";
  var WAITING = "waiting";
  var SENT = "sent";
  var sending = null; // one round of sending at a time in this page or worker

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(WAITING, { keyPath: "key" });
        request.result.createObjectStore(SENT, { keyPath: "key" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Run `work(store)` in one transaction; resolves with what the last request it made answered.
  function withStore(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var last = work(transaction.objectStore(name));
        transaction.oncomplete = function () {
          db.close();
          resolve(last ? last.result : undefined);
        };
        transaction.onerror = transaction.onabort = function () {
          db.close();
          reject(transaction.error);
        };
      });
    });
  }

  function all(name, user) {
    return withStore(name, "readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || [])
        .filter(function (item) { return user === null || item.user === user; })
        .sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) {
      return scope.crypto.randomUUID();
    }
    var bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function fromForm(formData, action) {
    var item = { key: null, user: null, action: action, savedAt: Date.now(), subject: "", fields: [], files: [],
                 state: "waiting", errors: [] };
    formData.forEach(function (value, name) {
      if (typeof value !== "string") {
        if (value.size) {
          item.files.push([name, value, value.name || "photo.jpg"]);
        }
      } else if (name === "idempotency_key") {
        item.key = value || null;
      } else if (name === "outbox_user") {
        item.user = value;
      } else {
        item.fields.push([name, value]);
        if (name === "subject") {
          item.subject = value;
        }
      }
    });
    item.key = item.key || newKey();
    return item;
  }

  function keep(item) {
    return withStore(WAITING, "readwrite", function (store) { return store.put(item); });
  }

  function forget(key) {
    return withStore(WAITING, "readwrite", function (store) { return store.delete(key); }).then(function () {
      return withStore(SENT, "readwrite", function (store) { return store.delete(key); });
    });
  }

  // Another account's items on this phone go: they are never sent or shown under this one.
  function dropOthers(user) {
    return Promise.all([WAITING, SENT].map(function (name) {
      return withStore(name, "readwrite", function (store) {
        var request = store.openCursor();
        request.onsuccess = function () {
          var cursor = request.result;
          if (cursor) {
            if (cursor.value.user !== user) {
              cursor.delete();
            }
            cursor.continue();
          }
        };
        return null;
      });
    }));
  }

  function errorsOf(body) {
    var messages = [];
    Object.keys((body && body.errors) || {}).forEach(function (field) {
      messages = messages.concat(body.errors[field]);
    });
    return messages;
  }

  // Send one item. Resolves with "sent", "refused" (the portal said no: the citizen must correct it) or
  // "later" (no signal, signed out, the portal busy: it waits for the next try).
  function send(item, csrfToken) {
    var body = new FormData();
    item.fields.forEach(function (field) {
      if (!(csrfToken && field[0] === "csrf_token")) {
        body.append(field[0], field[1]);
      }
    });
    if (csrfToken) {
      body.append("csrf_token", csrfToken); // the page's own token is fresher than the one kept
    }
    item.files.forEach(function (file) { body.append(file[0], file[1], file[2]); });
    return fetch(item.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual", // to the sign-in page when signed out: that is "later", not an answer
      headers: { Accept: "application/json", "Idempotency-Key": item.key },
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json || (response.status !== 201 && response.status !== 400 && response.status !== 403)) {
        return "later";
      }
      return response.json().then(function (answer) {
        if (response.status === 201) {
          var sent = { key: item.key, user: item.user, subject: item.subject, sentAt: Date.now(),
                       trackingNumber: answer.tracking_number, url: answer.url };
          return withStore(SENT, "readwrite", function (store) { return store.put(sent); })
            .then(function () { return withStore(WAITING, "readwrite", function (store) { return store.delete(item.key); }); })
            .then(function () { return "sent"; });
        }
        item.state = "refused";
        item.errors = errorsOf(answer);
        return keep(item).then(function () { return "refused"; });
      });
    }, function () {
      return "later";
    });
  }

  // Send every waiting item of `user` (null: of whoever wrote it — the service worker, which holds no account),
  // oldest first, stopping at the first that must wait.
  function sendAll(user, csrfToken) {
    if (sending) {
      return sending;
    }
    sending = all(WAITING, user).then(function (items) {
      var waiting = items.filter(function (item) { return item.state === "waiting"; });
      var outcome = Promise.resolve({ sent: 0, later: false });
      waiting.forEach(function (item) {
        outcome = outcome.then(function (so) {
          if (so.later) {
            return so;
          }
          return send(item, csrfToken).then(function (result) {
            return { sent: so.sent + (result === "sent" ? 1 : 0), later: result === "later" };
          });
        });
      });
      return outcome;
    }).then(function (result) {
      sending = null;
      return result;
    }, function (error) {
      sending = null;
      throw error;
    });
    return sending;
  }

  function clearAll() {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(NAME);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  scope.PortalOutbox = {
    SYNC_TAG: "portal-outbox",
    newKey: newKey,
    fromForm: fromForm,
    keep: keep,
    forget: forget,
    waiting: function (user) { return all(WAITING, user); },
    sent: function (user) { return all(SENT, user); },
    dropOthers: dropOthers,
    sendAll: sendAll,
    clearAll: clearAll,
  };
})(self);
