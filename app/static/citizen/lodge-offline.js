/* The lodge form on a phone (docs/offline.md):
 * - photos are made smaller on the phone before they leave it (at most 2048 px on the long side, JPEG), so a
 *   12 MB camera photo does not cost the citizen's data bundle; the portal still checks and cleans each one;
 * - each complaint carries an Idempotency-Key (the hidden idempotency_key field): sent twice, lodged once;
 * - without signal the complaint waits in the phone's outbox (pwa/outbox.js) instead of failing, and the
 *   page says so; it is sent when the signal returns (outbox-view.js, or the service worker).
 * Without this script the form posts as it always did. */
(function () {
  "use strict";

  var form = document.getElementById("complaint-form");
  if (!form || !window.PortalOutbox) {
    return;
  }
  var LONG_SIDE = 2048;
  var QUALITY = 0.85;
  var SMALL_ENOUGH = 1024 * 1024; // a photo this small and within LONG_SIDE is sent as it is
  var key = form.elements.namedItem("idempotency_key");
  var photos = form.elements.namedItem("photos");
  var status = document.getElementById("lodge-status");
  var outboxItem = null; // the outbox item this form was filled from ("Correct it"), if any
  var submitting = false;

  if (!key.value) {
    key.value = PortalOutbox.newKey();
  }

  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/i.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file); // HEIC and the like: the browser cannot draw them; the portal converts them
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size <= SMALL_ENOUGH) {
        bitmap.close();
        return file;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var pen = canvas.getContext("2d");
      pen.fillStyle = "#fff"; // a transparent PNG becomes a JPEG on white, not on black
      pen.fillRect(0, 0, canvas.width, canvas.height);
      pen.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); }).then(function (blob) {
        if (!blob || blob.size >= file.size) {
          return file;
        }
        var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
        return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
      });
    }, function () {
      return file; // not an image the browser can read: the portal will say what is wrong with it
    });
  }

  // One photo at a time: a cheap phone has little memory for several 12-megapixel bitmaps at once.
  function shrinkPhotos() {
    if (!photos || !photos.files || !photos.files.length || !window.DataTransfer) {
      return Promise.resolve();
    }
    var chosen = Array.prototype.slice.call(photos.files);
    var smaller = [];
    return chosen.reduce(function (done, file) {
      return done.then(function () { return shrink(file); }).then(function (result) { smaller.push(result); });
    }, Promise.resolve()).then(function () {
      if (smaller.every(function (file, i) { return file === chosen[i]; })) {
        return;
      }
      var transfer = new DataTransfer();
      smaller.forEach(function (file) { transfer.items.add(file); });
      photos.files = transfer.files;
    });
  }

  function say(message) {
    status.textContent = message;
    status.hidden = !message;
  }

  function keepOnPhone(submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    var item = PortalOutbox.fromForm(data, form.getAttribute("action") || location.pathname);
    return PortalOutbox.keep(item).then(function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "sync" });
      }
      outboxItem = null;
      form.reset();
      key.value = PortalOutbox.newKey();
      say(form.dataset.msgKept);
      document.dispatchEvent(new CustomEvent("portal-outbox-changed"));
      status.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    if (submitting) {
      return; // the second pass, below: the browser posts the form
    }
    event.preventDefault();
    var submitter = event.submitter && event.submitter.form === form ? event.submitter : null;
    var buttons = form.querySelectorAll("button[type=submit]");
    Array.prototype.forEach.call(buttons, function (button) { button.disabled = true; });
    say(photos && photos.files && photos.files.length ? form.dataset.msgPreparing : "");
    shrinkPhotos().catch(function () { return null; }).then(function () {
      var forgotten = outboxItem ? PortalOutbox.forget(outboxItem) : Promise.resolve();
      return forgotten.then(function () {
        Array.prototype.forEach.call(buttons, function (button) { button.disabled = false; });
        if (navigator.onLine === false) {
          return keepOnPhone(submitter);
        }
        say("");
        submitting = true;
        if (submitter && submitter.name) {
          // form.submit() sends no button: the one pressed ("None of these — lodge my complaint") goes as a field.
          var pressed = document.createElement("input");
          pressed.type = "hidden";
          pressed.name = submitter.name;
          pressed.value = submitter.value;
          form.append(pressed);
        }
        form.submit();
      });
    });
  });

  // "Correct it" on a complaint the portal refused: the form is filled from the outbox item.
  var wanted = new URLSearchParams(location.search).get("outbox");
  var owner = document.getElementById("outbox");
  if (wanted && owner) {
    PortalOutbox.waiting(owner.dataset.user).then(function (items) {
      var item = items.filter(function (candidate) { return candidate.key === wanted; })[0];
      if (!item) {
        return;
      }
      item.fields.forEach(function (field) {
        var element = form.elements.namedItem(field[0]);
        if (element && field[0] !== "csrf_token" && element.type !== "file" && element.type !== "hidden") {
          element.value = field[1];
          element.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
      if (photos && item.files.length && window.DataTransfer) {
        var transfer = new DataTransfer();
        item.files.forEach(function (file) { transfer.items.add(new File([file[1]], file[2], { type: file[1].type })); });
        photos.files = transfer.files;
      }
      key.value = item.key;
      outboxItem = item.key;
    });
  }
})();
