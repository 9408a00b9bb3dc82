// "My points" through a dropped connection. Enhancement only: without this script every form is
// a plain post. With it, a tap is kept in localStorage until the server has answered it; while
// the phone is offline the card says the update is queued, and the queue is sent when the
// connection returns (the `online` event, or the next time the page opens). Each queued update
// carries its form's idempotency key, so one that did arrive before the answer was lost is
// stored once however often it is resent. The service worker never resends anything itself.
(function () {
  "use strict";
  var root = document.getElementById("operate");
  if (!root || !window.fetch || !window.localStorage || !window.URLSearchParams) return;
  var STORE = "nezlam-operate-queue", TIMEOUT_MS = 20000, SLOW_MS = 2500;
  var flushing = false, again = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || []; } catch (e) { return []; }
  }
  function save(queue) { localStorage.setItem(STORE, JSON.stringify(queue)); }
  function drop(id) { save(load().filter(function (e) { return e.id !== id; })); }
  function newKey() {
    var bytes = new Uint8Array(12), out = "";
    crypto.getRandomValues(bytes);
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }
  function field(entry, name) {
    for (var i = 0; i < entry.fields.length; i++) if (entry.fields[i][0] === name) return entry.fields[i][1];
    return "";
  }
  function note(point, text) {
    var card = document.getElementById("p-" + point), el = card && card.querySelector(".queue-note");
    if (el) el.textContent = text;
  }

  // A copy of this page may come from the service worker's cache: never reuse its keys.
  function freshKeys() {
    root.querySelectorAll("form[data-queue] input[name=key]").forEach(function (input) {
      input.value = newKey();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("#operate form[data-queue]")) return;
    event.preventDefault();
    var fields = [], data = new FormData(form), button = event.submitter;
    data.forEach(function (value, name) { fields.push([name, String(value)]); });
    if (button && button.name) fields.push([button.name, button.value]);
    var entry = { id: newKey(), point: form.closest(".card").id.slice(2),
      url: form.getAttribute("action"), fields: fields };
    var queue = load(), key = field(entry, "key"), action = field(entry, "action");
    var sameKey = queue.filter(function (e) { return field(e, "key") === key; });
    var repeat = sameKey.some(function (e) { return field(e, "action") === action; });
    if (repeat && action.indexOf("occupancy:") !== 0) return; // a double tap: sent once already
    if (sameKey.length) { // another button on a page not yet answered: another report
      key = newKey();
      form.elements.key.value = key;
      entry.fields = fields.map(function (f) { return f[0] === "key" ? ["key", key] : f; });
    }
    entry.fields.push(["client_time", new Date().toISOString()]);
    queue.push(entry);
    save(queue);
    showTap(form, button);
    flush();
  });

  // What the tap changed, shown at once (the server's page replaces it once it has answered).
  function showTap(form, button) {
    if (!button) return;
    var count = form.querySelector(".count");
    if (count && button.value.indexOf("occupancy:") === 0) {
      count.textContent = Math.max(0, (parseInt(count.textContent, 10) || 0) + (button.value.slice(-2) === "+1" ? 1 : -1));
    }
    if (button.value.indexOf("status:") === 0) {
      form.querySelectorAll(".statuses button").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
    }
  }

  function showQueued() {
    load().forEach(function (entry) { note(entry.point, root.dataset.queued); });
  }

  // Send the queue in order. An entry leaves it only once the server has answered: stored, or
  // refused (a 4xx, or the page the server sends back says so); a lost connection or a server
  // error keeps it for the next try.
  function flush() {
    if (flushing) { again = true; return; }
    if (!navigator.onLine) { showQueued(); return; }
    flushing = true;
    var page = null, outcomes = [];
    function next() {
      var entry = load()[0];
      if (!entry) return finish(true);
      send(entry).then(function (answer) {
        if (answer.kept) return finish(false);
        drop(entry.id);
        outcomes.push([entry.point, answer.saved ? root.dataset.sent : root.dataset.notSaved]);
        page = answer.page || page;
        next();
      });
    }
    function finish(emptied) {
      if (emptied && page) swap(page);
      outcomes.forEach(function (o) { note(o[0], o[1]); });
      if (!emptied) showQueued();
      flushing = false;
      if (again) { again = false; flush(); }
    }
    next();
  }

  function send(entry) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    var slow = setTimeout(function () { note(entry.point, root.dataset.queued); }, SLOW_MS);
    return fetch(entry.url, {
      method: "POST", body: new URLSearchParams(entry.fields), credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (response.status >= 500) return { kept: true };
      var url = new URL(response.url), done = url.searchParams.get("done");
      var saved = response.ok && url.pathname === "/operate" && done === "saved";
      return response.text().then(function (html) {
        return { saved: saved, page: url.pathname === "/operate" ? html : null };
      });
    }).catch(function () { return { kept: true }; })
      .then(function (answer) { clearTimeout(timer); clearTimeout(slow); return answer; });
  }

  // The page the server answered with, in place: the cards as they are now, with fresh keys.
  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("operate");
    if (fresh) root.innerHTML = fresh.innerHTML;
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", showQueued);
  freshKeys();
  flush();
})();
