// Offline: keep the page shell and the last results. Pages are fetched from the network first;
// when that fails, the last copy of the same page (or of the last results) is shown instead, and
// the page itself says it is offline and from when its results are.
// VERSION changes whenever the page's script or style does (the server fills it in), so an
// updated worker installs, takes the new files, and drops the old caches.
var VERSION = "__ASSETS_VERSION__";
var SHELL = "nezlam-shell-" + VERSION, PAGES = "nezlam-pages-" + VERSION;
var SHELL_FILES = ["/", "/static/app.css?v=" + VERSION, "/static/app.js?v=" + VERSION,
  "/static/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name !== SHELL && name !== PAGES;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone(), last = response.clone();
        caches.open(PAGES).then(function (cache) {
          cache.put(request, copy);
          if (url.pathname === "/" && (url.searchParams.has("q") || url.searchParams.has("lat"))) {
            cache.put("/__last-results", last);
          }
        });
      }
      return response;
    }).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(request).then(function (hit) {
          return hit || cache.match("/__last-results").then(function (last) {
            return last || caches.match("/");
          });
        });
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
        return response;
      });
    }));
  }
});
