// Enhancements only: the pages work without this script.
(function () {
  "use strict";
  var body = document.body;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  // The offline banner and the re-ageing of the status words: static/freshness.js.

  // Service icons are emoji and only decorative: the words beside them carry the meaning. A
  // phone without a colour-emoji font draws them as empty boxes, which look like a fault:
  // then they are hidden. (Tested by drawing one: a colour font paints coloured pixels.)
  function emojiInColour() {
    var canvas = document.createElement("canvas"), pen = canvas.getContext && canvas.getContext("2d");
    if (!pen) return true;
    canvas.width = canvas.height = 20;
    pen.textBaseline = "top"; pen.font = "16px sans-serif";
    pen.fillText("\ud83d\udd25", 0, 0);
    var px = pen.getImageData(0, 0, 20, 20).data;
    for (var i = 0; i < px.length; i += 4) {
      if (px[i + 3] && (Math.abs(px[i] - px[i + 1]) > 40 || Math.abs(px[i + 1] - px[i + 2]) > 40)) return true;
    }
    return false;
  }
  if (document.querySelector(".services, .check .icon") && !emojiInColour()) {
    document.documentElement.classList.add("no-emoji");
  }

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

  // After a search, land on the results, so a screen reader starts at "Nearest points · …":
  // the form's action carries #results-title (the browser scrolls there and focuses it, script
  // or not); a search without it ("use my location") is focused here.
  var heading = document.getElementById("results-title");
  if (heading && /[?&](q|lat)=/.test(location.search) && !location.hash) heading.focus();

  // The map: loaded only when asked for (Leaflet is served by this server, not a CDN), below the
  // first cards so that it never pushes the list away.
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
  function textElement(tag, text) {
    // Names reach Leaflet's popups and icons as text nodes, never as HTML.
    var element = document.createElement(tag);
    element.textContent = text;
    return element;
  }
  function escaped(text) { return textElement("span", text).innerHTML; }
  function drawMap(parsed) {
    var element = document.getElementById("map"), words = element.dataset;
    element.hidden = false;
    var map = L.map(element, { zoomControl: false }).setView(parsed.centre, 14);
    L.control.zoom({ zoomInTitle: words.zoomIn, zoomOutTitle: words.zoomOut }).addTo(map);
    map.attributionControl.setPrefix(false);
    var credit = words.contributors.split("OpenStreetMap");  // "учасники OpenStreetMap"
    var tiles = L.tileLayer(body.dataset.tiles || "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "&copy; " + escaped(credit[0]) + '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>' + escaped(credit.slice(1).join("OpenStreetMap"))
    });
    tiles.once("tileerror", function () {
      var note = document.getElementById("map-note");
      if (note) { note.textContent = words.tilesFailed; note.hidden = false; }
    });
    tiles.addTo(map);
    // "You are here": a ring under the numbered pins (a point a few metres away stays visible
    // and clickable inside it), with its words above.
    var here = L.marker(parsed.centre, {
      icon: L.divIcon({ className: "here", iconSize: [40, 40] }), keyboard: false, interactive: false, zIndexOffset: -1000
    }).addTo(map);
    here.bindTooltip(textElement("span", words.here), { permanent: true, direction: "top", offset: [0, -20] });
    var bounds = L.latLngBounds([parsed.centre]);
    parsed.points.forEach(function (p) {
      var icon = L.divIcon({ className: "pin tone-" + p.tone, html: textElement("span", String(p.n)), iconSize: [28, 28] });
      var marker = L.marker([p.lat, p.lon], { icon: icon, title: p.n + ". " + p.name, alt: p.n + ". " + p.name }).addTo(map);
      var link = textElement("a", p.n + ". " + p.name + " — " + p.status);
      link.href = "/points/" + encodeURIComponent(p.id);
      marker.bindPopup(link);
      bounds.extend([p.lat, p.lon]);
    });
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  }
})();
