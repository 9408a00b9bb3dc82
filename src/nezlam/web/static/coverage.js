// The coverage layer: population cells coloured by walking minutes to the nearest open point.
// Enhancement only: the table and the PNG map on /coordinate/coverage need no script.
(function () {
  "use strict";
  var element = document.getElementById("coverage-map");
  if (!element || typeof L === "undefined") return;
  // Green (near) to red (beyond the largest threshold); grey where no open point is reachable.
  var BANDS = [[5, "#1a9641"], [10, "#a6d96a"], [15, "#fdae61"], [20, "#f46d43"]];

  function colour(minutes) {
    if (minutes === null || minutes === undefined) return "#8a8a8a";
    for (var i = 0; i < BANDS.length; i++) if (minutes <= BANDS[i][0]) return BANDS[i][1];
    return "#d7191c";
  }

  fetch(element.dataset.geojson, { credentials: "same-origin" })
    .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.json(); })
    .then(function (collection) {
      element.hidden = false;
      var map = L.map(element, { preferCanvas: true });
      L.tileLayer(document.body.dataset.tiles, {
        maxZoom: 19,
        attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
      }).addTo(map);
      var layer = L.geoJSON(collection, {
        style: function (feature) {
          return { color: colour(feature.properties.minutes), weight: 0, fillOpacity: 0.55 };
        },
        onEachFeature: function (feature, shape) {
          var p = feature.properties;
          shape.bindTooltip(
            (p.minutes === null ? "—" : Math.round(p.minutes) + " min") + " · " +
            Math.round(p.population) + (p.district ? " · " + p.district : "")
          );
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [12, 12] });
      element.dataset.cells = String(collection.features.length);
    })
    .catch(function () { element.hidden = true; });
})();
