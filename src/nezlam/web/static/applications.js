// Applications: each applied point on a small map, with the points already around it.
// Enhancement only: without this script the page gives each point's address, coordinates
// (a link to OpenStreetMap) and the list of points within 100 m or of the same name.
(function () {
  "use strict";
  if (typeof L === "undefined") return;
  var TILES = document.body.dataset.tiles || "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

  // Names come from the applicants and from anyone with an account: set as text, never markup.
  function label(text) {
    var element = document.createElement("span");
    element.textContent = text;
    return element;
  }

  function draw(element) {
    element.hidden = false;
    var here = L.latLng(Number(element.dataset.lat), Number(element.dataset.lon));
    var map = L.map(element, { scrollWheelZoom: false }).setView(here, 17);
    var tiles = L.tileLayer(TILES, {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    });
    var note = element.nextElementSibling, loaded = false;
    tiles.on("tileload", function () { loaded = true; if (note) note.hidden = true; });
    tiles.on("tileerror", function () { if (!loaded && note) note.hidden = false; });
    tiles.addTo(map);
    // The applied point: a large ring; the points already there: small filled dots.
    L.circleMarker(here, { radius: 11, weight: 4, color: "#1d3557", fillColor: "#ffffff", fillOpacity: 1 })
      .bindTooltip(label(element.dataset.name), { permanent: true, direction: "top", offset: [0, -10] })
      .addTo(map);
    L.circle(here, { radius: 100, weight: 1, color: "#1d3557", fill: false, dashArray: "4 4" }).addTo(map);
    var item = element.closest(".offered-point");
    var around = item ? item.querySelectorAll(".duplicates li[data-lat]") : [];
    var bounds = [here];
    Array.prototype.forEach.call(around, function (li) {
      var there = L.latLng(Number(li.dataset.lat), Number(li.dataset.lon));
      L.circleMarker(there, { radius: 7, weight: 2, color: "#ffffff", fillColor: "#a4161a", fillOpacity: 1 })
        .bindTooltip(label(li.dataset.name)).addTo(map);
      bounds.push(there);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17 });
    element.dataset.drawn = String(bounds.length);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".mini-map"), draw);
})();
