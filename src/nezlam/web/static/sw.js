// Offline: keep the page shell and the last results. Pages are fetched from the network first;
// when that fails, the last copy of the same page (or of the last results) is shown instead, and
// the page itself says it is offline and from when its results are.
// The operator's "My points" (/operate) is kept too, as one copy, so that it opens offline; its
// script queues taps in the page and resends them itself. This worker never caches or resends a
// POST. Signing out, or the server saying "sign in first", drops the workspace copies.
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

var WORKSPACE = "/operate";

function isWorkspace(path) {
  return path.indexOf("/operate") === 0 || path.indexOf("/coordinate") === 0;
}

function forgetWorkspace() {
  return caches.open(PAGES).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (r) {
        return isWorkspace(new URL(r.url).pathname);
      }).map(function (r) { return cache.delete(r); }));
    });
  });
}

// "My points" from the network; offline, the last copy of it.
function workspacePage(request, url) {
  return fetch(request).then(function (response) {
    if (response.ok && url.pathname === WORKSPACE && !url.search) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(WORKSPACE, copy); });
    } else if (response.type === "opaqueredirect" || response.status === 401) {
      forgetWorkspace();  // signed out elsewhere, or the session ended
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (cache) { return cache.match(WORKSPACE); })
      .then(function (hit) { return hit || caches.match("/"); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (url.pathname === "/logout") event.waitUntil(forgetWorkspace());
    return;  // to the network as it is: never cached, never resent from here
  }
  if (request.mode === "navigate" && url.pathname.indexOf("/operate") === 0) {
    event.respondWith(workspacePage(request, url));
    return;
  }
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
