/* The lodge page's map (templates/citizen/_map.html): drop a pin by tapping, or "Use my location"; the pin
 * fills the latitude and longitude fields (which stay, editable, and work without this script), and the
 * district the pin suggests (nearest district centre, GET /places/district) is chosen in the district select. */
(function () {
  "use strict";

  var element = document.getElementById("lodge-map");
  if (!element || !window.L || !window.PortalMap) {
    return;
  }
  var latitude = document.getElementById("latitude");
  var longitude = document.getElementById("longitude");
  var district = document.getElementById("district_id");
  var status = document.getElementById("place-status");
  var locate = document.getElementById("use-my-location");
  var text = element.dataset;
  var base = PortalMap.create(element);
  var map = base.map;
  var marker = null;
  var asked = 0;

  function say(message, warning) {
    status.textContent = message || "";
    status.classList.toggle("warning", Boolean(warning));
  }

  function pin(latlng, zoom) {
    base.dots.eachLayer(function (dot) { dot.closeTooltip(); }); // a centre's name must not hide the pin
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, title: text.msgPin, alt: text.msgPin }).addTo(map);
      marker.on("dragend", function () {
        write(marker.getLatLng());
        suggest();
      });
    } else {
      marker.setLatLng(latlng);
    }
    if (zoom) {
      map.setView(latlng, Math.min(zoom, map.getMaxZoom()));
    }
  }

  function write(latlng) {
    latitude.value = latlng.lat.toFixed(5);
    longitude.value = latlng.lng.toFixed(5);
  }

  function typed() {
    var lat = parseFloat(latitude.value);
    var lon = parseFloat(longitude.value);
    if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      return L.latLng(lat, lon);
    }
    return null;
  }

  function suggest() {
    var ask = ++asked;
    var url = text.suggestUrl + "?lat=" + encodeURIComponent(latitude.value) + "&lon=" + encodeURIComponent(longitude.value);
    say(text.msgLooking);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (ask !== asked) {
          return; // a later pin has been placed meanwhile
        }
        if (answer.error) {
          say(answer.error, true);
        } else if (!answer.inside) {
          say(answer.message, true);
        } else {
          if (district) {
            district.value = String(answer.district_id);
          }
          element.dataset.suggestedDistrict = answer.name;
          say(PortalMap.fill(text.msgSuggested, { district: answer.name }));
        }
      })
      .catch(function () {
        if (ask === asked) {
          say(text.msgNoAnswer, true);
        }
      });
  }

  map.on("click", function (event) {
    pin(event.latlng);
    write(event.latlng);
    suggest();
  });

  function onTyped() {
    var latlng = typed();
    if (latlng) {
      pin(latlng, base.hasTiles ? 15 : PortalMap.blankMaxZoom - 2);
      suggest();
    }
  }
  latitude.addEventListener("change", onTyped);
  longitude.addEventListener("change", onTyped);

  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      say(text.msgLocating);
      navigator.geolocation.getCurrentPosition(function (position) {
        var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
        pin(latlng, base.hasTiles ? 16 : PortalMap.blankMaxZoom - 2);
        write(latlng);
        suggest();
      }, function (error) {
        say(error.code === 1 ? text.msgDenied : text.msgNoFix, true);
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  // The page shown again (a mistake elsewhere in the form): the pin is where the fields say; the district
  // the citizen chose stays as it is.
  var kept = typed();
  if (kept) {
    pin(kept, base.hasTiles ? 15 : PortalMap.blankMaxZoom - 2);
  }
})();
