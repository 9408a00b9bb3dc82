// The coverage map: population cells coloured by walking minutes to the nearest open point, and
// the proposed sites numbered by rank. Enhancement only: the tables and the PNG maps on
// /coordinate/coverage need no script.
(function () {
  "use strict";
  var element = document.getElementById("coverage-map");
  if (!element || typeof L === "undefined") return;
  // Green (near) to red (beyond the largest threshold); grey where no open point is reachable.
  var BANDS = [[5, "#1a9641"], [10, "#a6d96a"], [15, "#fdae61"], [20, "#f46d43"]];

  // Leaflet reads a string given to bindTooltip or divIcon as HTML, and district and site names
  // come from OpenStreetMap and from points' localities, which anyone with an account can type:
  // every label is an element whose text is set, never markup.
  function label(text) {
    var element = document.createElement("span");
    element.textContent = text;
    return element;
  }

  function colour(minutes) {
    if (minutes === null || minutes === undefined) return "#8a8a8a";
    for (var i = 0; i < BANDS.length; i++) if (minutes <= BANDS[i][0]) return BANDS[i][1];
    return "#d7191c";
  }

  function cells(collection) {
    return L.geoJSON(collection, {
      style: function (feature) {
        return { color: colour(feature.properties.minutes), weight: 0, fillOpacity: 0.55 };
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties;
        shape.bindTooltip(label(
          (p.minutes === null ? "—" : Math.round(p.minutes) + " min") + " · " +
          Math.round(p.population) + (p.district ? " · " + p.district : "")
        ));
      }
    });
  }

  function sites(collection) {
    return L.geoJSON(collection, {
      pointToLayer: function (feature, latlng) {
        var icon = L.divIcon({
          className: "site-marker", html: label(String(feature.properties.rank)), iconSize: [26, 26]
        });
        return L.marker(latlng, { icon: icon, title: feature.properties.name });
      },
      onEachFeature: function (feature, marker) {
        var p = feature.properties;
        marker.bindTooltip(label("#" + p.rank + " " + p.name +
          (p.population_added !== undefined ? " · +" + p.population_added : "")));
      }
    });
  }

  var urls = (element.dataset.layers || "").split(" ").filter(Boolean);
  Promise.all(urls.map(function (url) {
    return fetch(url, { credentials: "same-origin" }).then(function (answer) {
      if (!answer.ok) throw new Error(answer.status);
      return answer.json();
    });
  })).then(function (collections) {
    element.hidden = false;
    var map = L.map(element, { preferCanvas: true });
    L.tileLayer(document.body.dataset.tiles, {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    }).addTo(map);
    var bounds = L.latLngBounds([]);
    collections.forEach(function (collection, i) {
      var layer = (/sites/.test(urls[i]) ? sites : cells)(collection).addTo(map);
      if (layer.getLayers().length) bounds.extend(layer.getBounds());
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    element.dataset.layersShown = String(collections.length);
  }).catch(function () { element.hidden = true; });
})();
