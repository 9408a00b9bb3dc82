// The coordinator's map: the filtered points by shown status. Enhancement only: the table,
// filters and exports on /coordinate work without this script.
//
// A region has a thousand points and most of them are open, so the open and standby ones are
// dots on one canvas (cheap, and smaller when zoomed out), and every point that needs a
// coordinator is a marker above them, in the marker pane: never hidden under green. Problem
// markers differ by shape and sign as well as colour, as in the legend under the map.
(function () {
  "use strict";
  var wrap = document.getElementById("coordinate-map-wrap");
  var element = document.getElementById("coordinate-map");
  var tilesNote = document.getElementById("map-tiles-note");
  if (!wrap || !element || typeof L === "undefined") return;

  // The same colours as the legend in workspace.css.
  var DOTS = { open: "#0a6b2d", standby: "#1d6fb8" };
  // Bottom to top: the worse a point's state, the higher it is drawn.
  var PROBLEMS = ["unknown", "unconfirmed", "no_response", "full", "closed"];
  // Each problem's sign, as the legend (written by the server) shows it.
  var SIGNS = {};
  Array.prototype.forEach.call(document.querySelectorAll(".legend .mark-shape"), function (shape) {
    SIGNS[shape.dataset.status] = shape.textContent;
  });

  // Point names come from anyone with an account: every text is set as text, never as markup.
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

  function dotRadius(zoom) {
    return zoom <= 11 ? 3 : zoom <= 13 ? 5 : 7;
  }

  function sign(status) {
    var shape = document.createElement("span");
    shape.className = "mark-shape mark-" + status;
    shape.textContent = SIGNS[status] || "";
    shape.dataset.count = "1";
    return shape;
  }

  function problemMarker(feature, latlng) {
    var props = feature.properties;
    var marker = L.marker(latlng, {
      icon: L.divIcon({ className: "map-mark", html: sign(props.status), iconSize: [20, 20] }),
      title: props.name + " · " + props.status_text,
      alt: props.name + " · " + props.status_text,
      zIndexOffset: 1000 * (PROBLEMS.indexOf(props.status) + 1),
      riseOnHover: true
    }).bindPopup(popup(props));
    return { marker: marker, latlng: latlng, status: props.status };
  }

  // Zoomed out, problem marks near one another (in one CELL of the screen) are one mark: the
  // worst state's shape, how many, and in its title how many of each — a click zooms to them.
  var CLUSTER_BELOW = 14, CELL = 44;
  var WORDS = {};
  Array.prototype.forEach.call(document.querySelectorAll(".legend li"), function (item) {
    var shape = item.querySelector("[data-status]");
    if (shape) WORDS[shape.dataset.status] = item.textContent.trim();
  });

  function clusterMarker(members, map) {
    var counts = {}, worst = 0;
    members.forEach(function (m) {
      counts[m.status] = (counts[m.status] || 0) + 1;
      worst = Math.max(worst, PROBLEMS.indexOf(m.status));
    });
    var said = PROBLEMS.slice().reverse().filter(function (s) { return counts[s]; })
      .map(function (s) { return (WORDS[s] || s) + ": " + counts[s]; }).join(", ");
    var shape = sign(PROBLEMS[worst]);
    shape.textContent = shape.dataset.count = String(members.length);
    var bounds = L.latLngBounds(members.map(function (m) { return m.latlng; }));
    var marker = L.marker(bounds.getCenter(), {
      icon: L.divIcon({ className: "map-mark map-cluster", html: shape, iconSize: [30, 30] }),
      title: said, alt: said, zIndexOffset: 1000 * (worst + 1) + members.length, riseOnHover: true
    });
    marker.on("click", function () {
      map.fitBounds(bounds, { padding: [40, 40], maxZoom: Math.max(map.getZoom() + 2, CLUSTER_BELOW) });
    });
    return marker;
  }

  function regroup(map, layer, marks) {
    layer.clearLayers();
    var zoom = map.getZoom(), cells = {};
    marks.forEach(function (m) {
      if (zoom >= CLUSTER_BELOW) { layer.addLayer(m.marker); return; }
      var at = map.project(m.latlng, zoom);
      var key = Math.floor(at.x / CELL) + ":" + Math.floor(at.y / CELL);
      (cells[key] = cells[key] || []).push(m);
    });
    Object.keys(cells).forEach(function (key) {
      var members = cells[key];
      layer.addLayer(members.length === 1 ? members[0].marker : clusterMarker(members, map));
    });
    element.dataset.marks = String(layer.getLayers().length);
    element.dataset.zoom = String(zoom);
  }

  function dot(feature, latlng, renderer, zoom) {
    var colour = DOTS[feature.properties.status];
    var hollow = feature.properties.status === "standby"; // a ring: not told by colour alone
    return L.circleMarker(latlng, {
      renderer: renderer, radius: dotRadius(zoom), weight: hollow ? 2.5 : 1,
      color: hollow ? colour : "#ffffff", fillColor: hollow ? "#ffffff" : colour, fillOpacity: 1
    }).bindPopup(popup(feature.properties));
  }

  function watchTiles(layer) {
    // Offline, behind a firewall or with the tile server down, the points still matter.
    var loaded = false;
    layer.on("tileload", function () { loaded = true; if (tilesNote) tilesNote.hidden = true; });
    layer.on("tileerror", function () {
      if (!loaded && tilesNote) tilesNote.hidden = false;
      element.dataset.tiles = "unavailable";
    });
  }

  function draw(collection) {
    wrap.hidden = false;
    var features = collection.features.filter(function (f) { return f.geometry; });
    var map = L.map(element).setView([50.45, 30.52], 10);
    var tiles = L.tileLayer(document.body.dataset.tiles || "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    });
    watchTiles(tiles);
    tiles.addTo(map);
    var renderer = L.canvas({ padding: 0.5 });
    var dots = [], marks = [], bounds = [];
    features.forEach(function (feature) {
      var latlng = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
      bounds.push(latlng);
      if (DOTS[feature.properties.status]) dots.push(dot(feature, latlng, renderer, map.getZoom()));
      else marks.push(problemMarker(feature, latlng));
    });
    dots.forEach(function (layer) { layer.addTo(map); });
    var problems = L.layerGroup().addTo(map);
    map.on("zoomend", function () {
      var radius = dotRadius(map.getZoom());
      dots.forEach(function (layer) { layer.setRadius(radius); });
      regroup(map, problems, marks);
    });
    if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    regroup(map, problems, marks);
    element.dataset.markers = String(bounds.length);
    element.dataset.dots = String(dots.length);
  }

  fetch(element.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.json(); })
    .then(draw)
    .catch(function () { wrap.hidden = true; });
})();
