// Offline and on one bar of signal: keep the page shell, the pages seen and the last results.
// A page comes from the network first; when the network fails, or has not answered within
// NETWORK_WAIT_MS while a copy is kept, the copy is shown at once — and when the network does
// answer later, its page replaces the copy for next time. A copy says it is one
// (<body data-saved-copy>), so that the page (static/freshness.js) can say from when it is and
// re-age its status words; a new search offline gets the last results, marked as standing in.
// A page never saved gets the "not saved for offline" page under its own address, never the
// finder. The point pages of a search (the first PRECACHE) are fetched and kept with it.
// The operator's "My points" (/operate) is kept too, as one copy, so that it opens offline; its
// script queues taps in the page and resends them itself. This worker never caches or resends a
// POST. Signing out, or the server saying "sign in first", drops the workspace copies.
// VERSION changes whenever the page's script or style does (the server fills it in), so an
// updated worker installs, takes the new files, and drops the old caches.
var VERSION = "__ASSETS_VERSION__";
var SHELL = "nezlam-shell-" + VERSION, PAGES = "nezlam-pages-" + VERSION;
var SHELL_FILES = ["/", "/offline", "/static/app.css?v=" + VERSION, "/static/app.js?v=" + VERSION,
  "/static/freshness.js?v=" + VERSION, "/static/manifest.webmanifest", "/static/icon-192.png"];
var NETWORK_WAIT_MS = 3000, PRECACHE = 10, FRESH_MS = 15 * 60 * 1000;
var WORKSPACE = "/operate", LAST_RESULTS = "/__last-results";
var ANY_VARY = { ignoreVary: true }; // pages vary on Accept-Language and Cookie; one copy each

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

function isWorkspace(path) {
  return path.indexOf("/operate") === 0 || path.indexOf("/coordinate") === 0;
}

function isSearch(url) {
  return url.pathname === "/" && (url.searchParams.has("q") || url.searchParams.has("lat"));
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

// What the network answered, kept for next time (and the search's point pages with it).
function keep(request, url, response) {
  if (response.type === "opaqueredirect" || response.status === 401) {
    return isWorkspace(url.pathname) ? forgetWorkspace() : Promise.resolve();
  }
  if (!response.ok) return Promise.resolve();
  if (url.pathname.indexOf("/operate") === 0) {
    if (url.pathname !== WORKSPACE || url.search) return Promise.resolve();
    return caches.open(PAGES).then(function (cache) { return cache.put(WORKSPACE, response); });
  }
  var copy = response.clone();
  return caches.open(PAGES).then(function (cache) {
    var kept = [cache.put(request, response)];
    if (isSearch(url)) {
      kept.push(cache.put(LAST_RESULTS, copy.clone()));
      kept.push(copy.text().then(function (html) { return keepPointPages(cache, html); }));
    }
    return Promise.all(kept);
  });
}

// The point pages a search listed, so that they open offline too: the first PRECACHE, one at a
// time (the phone's one bar is for what the person asks next), skipping copies still fresh.
function keepPointPages(cache, html) {
  var seen = {}, paths = [], found, links = /href="(\/points\/[a-z0-9][a-z0-9-]*)((?:\?[^"#]*)?)"/g;
  while ((found = links.exec(html)) !== null && paths.length < PRECACHE) {
    var path = found[1] + found[2].replace(/&amp;/g, "&"); // as the link goes, query and all
    if (!seen[found[1]]) { seen[found[1]] = true; paths.push(path); }
  }
  return paths.reduce(function (previous, path) {
    return previous.then(function () {
      return cache.match(path, ANY_VARY).then(function (hit) {
        var date = hit && Date.parse(hit.headers.get("Date") || "");
        if (date && Date.now() - date < FRESH_MS) return null;
        return fetch(path, { credentials: "same-origin" }).then(function (response) {
          return response.ok ? cache.put(path, response) : null;
        });
      }).catch(function () { return null; });
    });
  }, Promise.resolve());
}

// A kept copy, saying it is one: "saved" (this very page), "stand-in" (the last results for a
// search not made before) or "not-saved" (the page for what was never kept).
function marked(response, kind) {
  return response.text().then(function (html) {
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    headers.delete("Content-Encoding");
    return new Response(html.replace("<body ", '<body data-saved-copy="' + kind + '" '),
      { status: 200, headers: headers });
  });
}

function savedCopy(request, url) {
  return caches.open(PAGES).then(function (cache) {
    if (url.pathname.indexOf("/operate") === 0) return cache.match(WORKSPACE).then(mark("saved"));
    var point = url.pathname.indexOf("/points/") === 0;  // kept from any link to it
    var loose = { ignoreVary: true, ignoreSearch: point };
    return cache.match(request, loose).then(function (hit) {
      if (hit) return marked(hit, "saved");
      if (isSearch(url)) return cache.match(LAST_RESULTS).then(mark("stand-in"));
      if (url.pathname === "/") return caches.match("/", ANY_VARY).then(mark("saved"));
      return null;
    });
  });
}

function mark(kind) {
  return function (hit) { return hit ? marked(hit, kind) : null; };
}

function notSaved() {
  return caches.match("/offline", ANY_VARY).then(function (page) {
    return page ? marked(page, "not-saved")
      : new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
  });
}

// Network first; its copy after NETWORK_WAIT_MS if there is one, or as soon as the network
// fails; without a copy, the network however long it takes, or the "not saved" page.
function navigate(event) {
  var request = event.request, url = new URL(request.url);
  var network = fetch(request).then(function (response) {
    event.waitUntil(keep(request, url, response.clone()));
    return response;
  });
  event.waitUntil(network.catch(function () {})); // a late answer still refreshes the copy
  return new Promise(function (resolve) {
    var answered = false;
    function answer(response) {
      if (!answered && response) { answered = true; resolve(response); }
    }
    var timer = setTimeout(function () { savedCopy(request, url).then(answer); }, NETWORK_WAIT_MS);
    network.then(function (response) { clearTimeout(timer); answer(response); }, function () {
      clearTimeout(timer);
      savedCopy(request, url).then(function (copy) { return copy || notSaved(); }).then(answer);
    });
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
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
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
