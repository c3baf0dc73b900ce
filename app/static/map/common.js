/* What every map of the portal shares: Leaflet on an element made by map_attributes() (app/blueprints/places.py).
 *
 * With a tile server (data-tiles) the map shows its tiles; without one (not configured, or offline) it is a
 * blank ground with the district centres as small dots, so a pin still has something to be placed against.
 * Texts come from the page (data-* attributes written through gettext); this file holds no words. */
(function () {
  "use strict";

  var BLANK_MAX_ZOOM = 11; // on a blank ground, closer than this shows nothing more

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function number(value) {
    // <html data-numbers>: Latin digits on every page (docs/decisions.md, "Digits").
    var root = document.documentElement;
    return Number(value).toLocaleString(root.dataset.numbers || root.lang || undefined);
  }

  function create(element, options) {
    element.hidden = false;
    var tiles = element.dataset.tiles || "";
    var centres = JSON.parse(element.dataset.centres || "[]");
    var map = L.map(element, Object.assign({ zoomSnap: 0.5, maxZoom: tiles ? 18 : BLANK_MAX_ZOOM }, options || {}));
    map.attributionControl.setPrefix(false);
    if (map.zoomControl) {
      // "+" and "−" are no language: on an Urdu or Pashto page, the language's font would push them out of their buttons.
      map.zoomControl.getContainer().setAttribute("lang", "zxx");
    }
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 18, attribution: element.dataset.attribution || "" }).addTo(map);
    } else {
      element.classList.add("map-blank");
    }
    var dots = L.layerGroup(centres.map(function (centre) {
      return L.circleMarker([centre.lat, centre.lon], {
        radius: 3, weight: 1, color: "#4b5563", fillColor: "#6b7280", fillOpacity: 0.9
      }).bindTooltip(centre.name, { direction: "top" });
    }));
    if (!tiles) {
      dots.addTo(map);
    }
    var bounds = centres.length ? L.latLngBounds(centres.map(function (c) { return [c.lat, c.lon]; })) : null;
    if (bounds) {
      map.fitBounds(bounds, { padding: [6, 6] });
    } else {
      map.setView([34.0, 71.8], 6);
    }
    return { map: map, hasTiles: Boolean(tiles), centres: centres, dots: dots, bounds: bounds };
  }

  window.PortalMap = { create: create, fill: fill, number: number, blankMaxZoom: BLANK_MAX_ZOOM };
})();
