// Enhancements only: the pages work without this script.
(function () {
  "use strict";
  var body = document.body;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  // Offline: say so, and when the shown results are from.
  var banner = document.getElementById("offline");
  function showOffline() {
    if (!navigator.onLine && banner) {
      banner.textContent = body.dataset.offlineText.replace("{time}", body.dataset.generated);
      banner.hidden = false;
    }
  }
  window.addEventListener("offline", showOffline);
  window.addEventListener("online", function () { if (banner) banner.hidden = true; });
  showOffline();

  // "Use my location": back to the same page, with coordinates and the chosen filters.
  var locate = document.getElementById("locate");
  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        var form = locate.form, params = new URLSearchParams(new FormData(form));
        params.delete("q");
        params.set("lat", pos.coords.latitude.toFixed(5));
        params.set("lon", pos.coords.longitude.toFixed(5));
        window.location.search = params.toString();
      }, function () { locate.disabled = false; }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 120000 });
    });
  }

  // Share: the phone's share sheet where there is one; otherwise the link itself.
  document.querySelectorAll("a[data-share]").forEach(function (link) {
    if (!navigator.share) return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      navigator.share({ title: link.dataset.share, url: link.href }).catch(function () {});
    });
  });

  // The map: loaded only when asked for (Leaflet is served by this server, not a CDN).
  var mapButton = document.getElementById("show-map"), data = document.getElementById("map-data");
  if (mapButton && data) {
    var parsed = JSON.parse(data.textContent);
    if (parsed.centre) mapButton.hidden = false;
    mapButton.addEventListener("click", function () {
      mapButton.disabled = true;
      var css = document.createElement("link");
      css.rel = "stylesheet"; css.href = "/static/leaflet/leaflet.css";
      document.head.appendChild(css);
      var script = document.createElement("script");
      script.src = "/static/leaflet/leaflet.js";
      script.onload = function () { drawMap(parsed); mapButton.hidden = true; };
      document.head.appendChild(script);
    });
  }
  function drawMap(parsed) {
    var element = document.getElementById("map");
    element.hidden = false;
    var map = L.map(element).setView(parsed.centre, 14);
    L.tileLayer(body.dataset.tiles || "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    }).addTo(map);
    L.circleMarker(parsed.centre, { radius: 6, color: "#1d3557" }).addTo(map);
    var bounds = L.latLngBounds([parsed.centre]);
    var colours = { ok: "#0a6b2d", warn: "#8a5300", bad: "#a4161a", unknown: "#444" };
    parsed.points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], { radius: 9, color: colours[p.tone], fillOpacity: 0.8 }).addTo(map);
      var link = document.createElement("a");
      link.href = "/points/" + p.id; link.textContent = p.name + " — " + p.status;
      marker.bindPopup(link);
      bounds.extend([p.lat, p.lon]);
    });
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  }
})();
