// "My points" through a dropped connection. Enhancement only: without this script every form is
// a plain post. With it, a tap is kept in localStorage — per person, each with the point, its
// form's idempotency key and the time it was tapped — until the server has answered it. While
// the phone is offline the card says which taps wait ("Queued: “Full”, +1 person"); the queue is
// sent when the connection returns (the `online` event, or the next time the page opens), each
// attempt saying when it was sent (sent_at, by the same clock as client_time), so the server
// dates the report by the tap. One that did arrive before its answer was lost is stored once
// however often it is resent. A session that ended meanwhile keeps the taps: the card asks to
// sign in, and they are sent from the page signing in leads back to. A wrong number comes back
// beside its field, as typed. The service worker never resends anything itself.
(function () {
  "use strict";
  var root = document.getElementById("operate");
  if (!root || !window.fetch || !window.localStorage || !window.URLSearchParams) return;
  var words = JSON.parse(root.dataset.words);
  var STORE = "nezlam-operate-queue:" + root.dataset.user, TIMEOUT_MS = 20000, SLOW_MS = 2500;
  var plural = window.Intl && Intl.PluralRules ? new Intl.PluralRules(words.lang) : null;
  var flushing = false, again = false, signedOut = false;

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
  function withField(fields, name, value) {
    return fields.filter(function (f) { return f[0] !== name; }).concat([[name, value]]);
  }
  function card(point) { return document.getElementById("p-" + point); }
  function counted(forms, n) { // "+1 людина", "2 taps are waiting…": the language's plural
    var form = forms[plural ? plural.select(Math.abs(n)) : "other"] || forms.other || forms.one;
    return form.replace("{n}", String(Math.abs(n)));
  }

  function note(point, text, kind, signIn) {
    var el = card(point) && card(point).querySelector(".queue-note");
    if (!el) return;
    el.textContent = text;
    el.className = "queue-note " + kind;
    if (signIn) {
      var link = document.createElement("a");
      link.href = "/login?next=/operate";
      link.textContent = words.sign_in;
      el.appendChild(document.createTextNode(" "));
      el.appendChild(link);
    }
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
      entry.fields = withField(fields, "key", key);
    }
    entry.fields.push(["client_time", new Date().toISOString()]);
    queue.push(entry);
    save(queue);
    showWaiting();
    flush();
  });

  // What waits, shown at once: each card's count moves by the steps still queued (also after a
  // reload), and a status tapped is marked as queued — not pressed, since the status line
  // still says what the server knows.
  function showWaiting() {
    var steps = {}, statuses = {};
    load().forEach(function (entry) {
      var action = field(entry, "action");
      if (action.indexOf("occupancy:") === 0) steps[entry.point] = (steps[entry.point] || 0) + (action.slice(-2) === "+1" ? 1 : -1);
      if (action.indexOf("status:") === 0) statuses[entry.point] = action;
    });
    root.querySelectorAll(".card").forEach(function (el) {
      var point = el.id.slice(2), count = el.querySelector(".count");
      if (count) {
        if (!count.dataset.server) count.dataset.server = count.textContent;
        count.textContent = Math.max(0, (parseInt(count.dataset.server, 10) || 0) + (steps[point] || 0));
      }
      el.querySelectorAll(".statuses button").forEach(function (b) {
        b.classList.toggle("queued", b.value === statuses[point]);
      });
    });
  }

  // Which taps wait for a card: "“Full”, +1 person".
  function describe(point, entries) {
    var el = card(point), taps = [], people = 0;
    entries.forEach(function (entry) {
      var action = field(entry, "action");
      if (action.indexOf("occupancy:") === 0) { people += action.slice(-2) === "+1" ? 1 : -1; return; }
      var label = el && (action === "details" ? el.querySelector("details summary")
        : el.querySelector('button[value="' + action + '"]'));
      taps.push(words.tap.replace("{label}", label ? label.textContent.trim() : action));
    });
    if (people) taps.push((people > 0 ? "+" : "−") + counted(words.people, people));
    return taps.join(", ");
  }

  function showQueued() {
    showWaiting();
    var byPoint = {};
    load().forEach(function (entry) { (byPoint[entry.point] = byPoint[entry.point] || []).push(entry); });
    Object.keys(byPoint).forEach(function (point) {
      var entries = byPoint[point];
      if (signedOut) note(point, counted(words.waiting, entries.length), "queued", true);
      else note(point, words.queued.replace("{taps}", describe(point, entries)), "queued");
    });
  }

  // Send the queue in order. An entry leaves it only once the server has answered: stored, or
  // refused (a 4xx, a wrong number, or the page the server sends back says so); a lost
  // connection, a server error or a session that ended keeps it for later.
  function flush() {
    if (flushing) { again = true; return; }
    if (!navigator.onLine || signedOut) { showQueued(); return; }
    flushing = true;
    var page = null, outcomes = [], renewed = false;
    function next() {
      var entry = load()[0];
      if (!entry) return finish(true);
      send(entry).then(function (answer) {
        if (answer.kept) return finish(false);
        if (answer.signedOut) { signedOut = true; return finish(false); }
        if (answer.outdated && !renewed) { renewed = true; swap(answer.page); return next(); }
        drop(entry.id);
        outcomes.push([entry.point, answer]);
        page = answer.page || page;
        next();
      });
    }
    function finish(emptied) {
      if (page) swap(page); // the server's cards, then what still waits shown on them
      outcomes.forEach(function (o) { say(o[0], o[1]); });
      if (!emptied) showQueued();
      flushing = false;
      if (again) { again = false; flush(); }
    }
    next();
  }

  function say(point, answer) {
    if (answer.form) { showForm(point, answer.form); note(point, words.check, "refused"); }
    else if (answer.crowded) note(point, words.crowded, "refused");
    else if (answer.saved) note(point, words.sent, "sent");
    else note(point, words.not_saved, "refused");
  }

  function send(entry) {
    var csrf = root.querySelector("input[name=csrf]"), tapped = Date.parse(field(entry, "client_time"));
    var fields = withField(entry.fields, "sent_at", new Date(Math.max(Date.now(), tapped || 0)).toISOString());
    if (csrf) fields = withField(fields, "csrf", csrf.value); // this session's, after a new sign-in
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, TIMEOUT_MS);
    var slow = setTimeout(showQueued, SLOW_MS);
    return fetch(entry.url, {
      method: "POST", body: new URLSearchParams(fields), credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (response.status >= 500) return { kept: true };
      var url = new URL(response.url), done = url.searchParams.get("done");
      if (url.pathname === "/login") return { signedOut: true };
      return response.text().then(function (html) {
        if (response.status === 422) return { form: html };
        var mine = url.pathname === "/operate";
        return { saved: response.ok && mine && done === "saved", crowded: done === "crowded",
          outdated: done === "outdated", page: mine ? html : null };
      });
    }).catch(function () { return { kept: true }; })
      .then(function (answer) { clearTimeout(timer); clearTimeout(slow); return answer; });
  }

  // The page the server answered with, in place: the cards as they are now, with fresh keys.
  function swap(html) {
    var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("operate");
    if (fresh) root.innerHTML = fresh.innerHTML;
  }

  // A wrong number: the server's form in place of the card's, the mistake beside the field and
  // what was typed kept; the details stay open.
  function showForm(point, html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("form.details");
    var el = card(point), old = el && el.querySelector("form.details");
    if (!fresh || !old) return;
    var here = el.contains(document.activeElement) || document.activeElement === document.body;
    old.replaceWith(document.importNode(fresh, true));
    el.querySelector("details").open = true;
    var wrong = el.querySelector("form.details [aria-invalid=true]");
    if (wrong && here) wrong.focus();
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", showQueued);
  freshKeys();
  showWaiting();
  flush();
})();
