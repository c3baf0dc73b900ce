// The lodge page offers the place where a chosen photo was taken as the complaint's location.
// The server reads the position from the photo (POST /my/complaints/photo-position; nothing is
// stored); the latitude/longitude fields are filled only when the citizen clicks "Use it", and
// only offered while both are empty. Filling them fires "change", for whatever shows the pin.
(function () {
  "use strict";
  var box = document.getElementById("photo-position");
  var input = document.getElementById("photos");
  var form = input && input.form;
  if (!box || !form || !window.fetch || !window.FormData) return;
  var latitude = form.elements.namedItem("latitude");
  var longitude = form.elements.namedItem("longitude");
  var question = box.querySelector("[data-question]");
  var offered = null;
  var asking = 0; // only the answer to the newest choice of photos counts

  function hide() {
    box.hidden = true;
    offered = null;
  }

  function noPlaceYet() {
    return !latitude.value.trim() && !longitude.value.trim();
  }

  function post(part, name) {
    var body = new FormData();
    body.append("photo", part, name);
    return fetch(box.dataset.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.elements.namedItem("csrf_token").value, Accept: "application/json" },
    }).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  // A JPEG's position is in its first kilobytes (EXIF): send those, and the whole photo only
  // when they were not enough (a few phones write long headers).
  function positionOf(file) {
    var jpeg = /^image\/jpe?g$/i.test(file.type) && file.size > 262144;
    var first = jpeg ? post(file.slice(0, 262144, file.type), file.name) : post(file, file.name);
    return first
      .then(function (answer) {
        return answer === null && jpeg ? post(file, file.name) : answer;
      })
      .then(function (answer) {
        return answer && answer.latitude !== null && answer.longitude !== null ? answer : null;
      })
      .catch(function () {
        return null;
      });
  }

  input.addEventListener("change", function () {
    hide();
    var mine = ++asking;
    var files = Array.prototype.slice.call(input.files || [], 0, 5);
    // The first photo, in the order chosen, that knows where it was taken.
    files
      .reduce(function (found, file) {
        return found.then(function (position) {
          return position || positionOf(file);
        });
      }, Promise.resolve(null))
      .then(function (position) {
        if (mine !== asking || !position || !noPlaceYet()) return;
        offered = position;
        question.textContent = position.question;
        box.hidden = false;
      });
  });

  box.querySelector("[data-use]").addEventListener("click", function () {
    if (!offered) return;
    latitude.value = offered.latitude;
    longitude.value = offered.longitude;
    [latitude, longitude].forEach(function (field) {
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
    hide();
  });
  box.querySelector("[data-dismiss]").addEventListener("click", hide);
})();
