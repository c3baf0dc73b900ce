/* The portal's read-only maps, by their data-map attribute:
 *   place       one complaint's place (complaints/_place_map.html)
 *   complaints  the complaint list on a map, clustered markers each opening its complaint (complaints/map.html)
 *   public      open and resolved complaints per district and per cell of about 1 km (statistics/_map.html)
 * Texts come from the page's data-* attributes (gettext); markup is built with textContent only. */
(function () {
  "use strict";

  if (!window.L || !window.PortalMap) {
    return;
  }
  // As the legend's swatches in static/map/map.css.
  var STATUS_COLOURS = {
    submitted: "#b45309", in_progress: "#1d4ed8", resolved: "#15803d", systemic: "#7e22ce", closed: "#4b5563"
  };

  function placeMap(element) {
    var base = PortalMap.create(element, { scrollWheelZoom: false });
    var point = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    L.marker(point, { title: element.dataset.msgPin, alt: element.dataset.msgPin, keyboard: false }).addTo(base.map);
    base.map.setView(point, base.hasTiles ? 15 : PortalMap.blankMaxZoom - 3);
  }

  function complaintsMap(element) {
    var base = PortalMap.create(element);
    var text = element.dataset;
    var labels = JSON.parse(text.statuses || "{}");
    var note = document.getElementById(text.noteId);
    note.textContent = text.msgLoading;
    fetch(text.pointsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (answer) {
        var clusters = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
        answer.complaints.forEach(function (complaint) {
          var marker = L.circleMarker([complaint.lat, complaint.lon], {
            radius: 7, weight: 2, color: "#fff", fillColor: STATUS_COLOURS[complaint.status] || "#111",
            fillOpacity: 0.95
          });
          marker.bindPopup(function () { return popup(complaint, labels, text.complaintUrl); });
          clusters.addLayer(marker);
        });
        base.map.addLayer(clusters);
        if (answer.complaints.length) {
          base.map.fitBounds(clusters.getBounds(), { padding: [20, 20], maxZoom: base.hasTiles ? 15 : PortalMap.blankMaxZoom });
        }
        var count = PortalMap.fill(answer.complaints.length === 1 ? text.msgOne : text.msgMany,
          { count: PortalMap.number(answer.complaints.length) });
        note.textContent = answer.complaints.length ? count : text.msgNone;
        if (answer.capped && answer.note) {
          note.textContent += " " + answer.note;
        }
        element.dataset.loaded = String(answer.complaints.length);
      })
      .catch(function () {
        note.textContent = text.msgFailed;
      });
  }

  function popup(complaint, labels, complaintUrl) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = complaintUrl + complaint.id;
    link.textContent = complaint.subject;
    var status = document.createElement("div");
    status.className = "meta";
    status.textContent = labels[complaint.status] || complaint.status;
    box.appendChild(link);
    box.appendChild(status);
    return box;
  }

  function publicMap(element) {
    var base = PortalMap.create(element, { scrollWheelZoom: false });
    var text = element.dataset;
    var names = {};
    base.centres.forEach(function (centre) { names[centre.id] = centre.name; });
    fetch(text.url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        var largest = 1;
        answer.districts.forEach(function (d) { largest = Math.max(largest, d.open, d.resolved); });
        var radius = function (count) { return count ? 3 + 22 * Math.sqrt(count / largest) : 0; };
        var resolved = L.layerGroup();
        var open = L.layerGroup();
        answer.districts.forEach(function (d) {
          var label = PortalMap.fill(text.msgDistrict, {
            district: names[d.id] || d.name, open: PortalMap.number(d.open), resolved: PortalMap.number(d.resolved)
          });
          if (d.resolved) {
            L.circleMarker([d.lat, d.lon], { radius: radius(d.resolved), color: "#0b6b3a", weight: 1, fillOpacity: 0.35 })
              .bindTooltip(label).addTo(resolved);
          }
          if (d.open) {
            L.circleMarker([d.lat, d.lon], { radius: radius(d.open), color: "#d97706", weight: 1, fillOpacity: 0.45 })
              .bindTooltip(label).addTo(open);
          }
        });
        var at = {};
        answer.cell_fields.forEach(function (name, i) { at[name] = i; });
        var cells = L.layerGroup(answer.cells.map(function (c) {
          return L.circleMarker([c[at.lat], c[at.lon]], { radius: 2.5, color: "#1d4ed8", weight: 1, fillOpacity: 0.7 })
            .bindTooltip(PortalMap.fill(text.msgCell, {
              open: PortalMap.number(c[at.open]), resolved: PortalMap.number(c[at.resolved])
            }));
        }));
        resolved.addTo(base.map);
        open.addTo(base.map);
        cells.addTo(base.map);
        var layers = {};
        layers[text.msgResolvedLayer] = resolved;
        layers[text.msgOpenLayer] = open;
        layers[text.msgCellsLayer] = cells;
        L.control.layers(null, layers, { collapsed: true }).addTo(base.map);
        element.dataset.loaded = String(answer.districts.length);
      })
      .catch(function () {
        element.dataset.loaded = "failed";
      });
  }

  var kinds = { place: placeMap, complaints: complaintsMap, "public": publicMap };
  document.querySelectorAll("[data-map]").forEach(function (element) {
    var draw = kinds[element.dataset.map];
    if (draw) {
      draw(element);
    }
  });
})();
