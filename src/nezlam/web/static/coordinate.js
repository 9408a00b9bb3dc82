// The coordinator's map: the filtered points, coloured by shown status. Enhancement only: the
// table, filters and exports on /coordinate work without this script.
(function () {
  "use strict";
  var wrap = document.getElementById("coordinate-map-wrap");
  var element = document.getElementById("coordinate-map");
  if (!wrap || !element || typeof L === "undefined") return;

  // The same colours as the legend's swatches in workspace.css.
  var COLOURS = {
    open: "#0a6b2d", standby: "#1d6fb8", unconfirmed: "#b86e00", full: "#7b2cbf",
    closed: "#a4161a", no_response: "#222222", unknown: "#8a8a8a"
  };
  var SVG_LIMIT = 3000; // above this many markers, draw on a canvas (fast, but no DOM nodes)

  function popup(props) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/coordinate/points/" + encodeURIComponent(props.id);
    link.textContent = props.name;
    var status = document.createElement("div");
    status.textContent = props.status_text + " · " + props.locality;
    box.appendChild(link);
    box.appendChild(status);
    return box;
  }

  function draw(collection) {
    wrap.hidden = false;
    var features = collection.features.filter(function (f) { return f.geometry; });
    var map = L.map(element, { preferCanvas: features.length > SVG_LIMIT }).setView([50.45, 30.52], 10);
    L.tileLayer(document.body.dataset.tiles || "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    }).addTo(map);
    var bounds = [];
    features.forEach(function (feature) {
      var lon = feature.geometry.coordinates[0], lat = feature.geometry.coordinates[1];
      var colour = COLOURS[feature.properties.status] || COLOURS.unknown;
      L.circleMarker([lat, lon], {
        radius: 7, color: "#ffffff", weight: 1, fillColor: colour, fillOpacity: 0.9,
        className: "marker-" + feature.properties.status
      }).bindPopup(popup(feature.properties)).addTo(map);
      bounds.push([lat, lon]);
    });
    if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    element.dataset.markers = String(bounds.length);
  }

  fetch(element.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.json(); })
    .then(draw)
    .catch(function () { wrap.hidden = true; });
})();
