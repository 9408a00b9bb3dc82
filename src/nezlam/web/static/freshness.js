// The offline copy ages honestly. A page kept by the service worker (or left open) still says
// what the server said when it made it: "Open · confirmed 31 minutes ago" would stay true-looking
// for ever. So each card carries the facts its words rest on (data-facts: the reported status,
// when it was updated and verified, its open intervals for the next days), and this script says
// them again at the device's "now" with the server's own rule and words (presenters.status_words,
// domain/freshness.shown_status; thresholds and words from the #freshness-words JSON block):
// an "open" nobody confirmed within stale_after is "Unconfirmed", a point silent for
// no_response_after is "No response", and one outside its hours is "Closed now · opens at 09:00".
// Past the intervals the page carries, it says the hours are unknown rather than guess.
// The banner says when the copy was saved, with its date, and how long ago.
(function () {
  "use strict";
  var block = document.getElementById("freshness-words");
  if (!block || !window.Intl || !Intl.RelativeTimeFormat) return;
  var W = JSON.parse(block.textContent), H = W.headline, D = W.detail, A = W.advice;
  var body = document.body, MINUTE = 60000, DAY = 86400000;
  // Babel's format_timedelta (presenters.ago and span): the first unit reaching 1.1, rounded
  // half to even as Python rounds; seconds at least 1 once anything has passed.
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
    ["hour", 3600], ["minute", 60], ["second", 1]], THRESHOLD = 1.1;
  var relative = new Intl.RelativeTimeFormat(W.lang, { numeric: "always" });

  function parseTime(text) {
    if (!text) return null;
    var ms = Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
    return isNaN(ms) ? null : ms;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? String(values[name]) : all;
    });
  }
  function roundHalfEven(x) {
    var floor = Math.floor(x), rest = x - floor;
    if (rest !== 0.5) return Math.round(x);
    return floor % 2 === 0 ? floor : floor + 1;
  }
  function unitOf(seconds) {
    for (var i = 0; i < UNITS.length; i++) {
      var unit = UNITS[i][0], value = seconds / UNITS[i][1];
      if (value >= THRESHOLD || unit === "second") {
        if (unit === "second" && value > 0) value = Math.max(1, value);
        return [unit, roundHalfEven(value)];
      }
    }
  }
  function since(moment, now) { return moment === null ? 0 : Math.max(now - moment, 0) / 1000; }
  function ago(moment, now) { // "7 годин тому"; under a minute "1 хвилину тому" (presenters.ago)
    var seconds = since(moment, now);
    if (seconds < 60) return relative.format(-1, "minute");
    var unit = unitOf(seconds);
    return relative.format(-unit[1], unit[0]);
  }
  function span(moment, now) { // "7 годин"
    var unit = unitOf(since(moment, now));
    return new Intl.NumberFormat(W.lang, { style: "unit", unit: unit[0], unitDisplay: "long" })
      .format(unit[1]);
  }

  // domain/freshness.shown_status
  function shownStatus(facts, now) {
    var updated = parseTime(facts.updated), verified = parseTime(facts.verified);
    if (!facts.reported || updated === null) return "unknown";
    if (now - updated >= W.no_response_after * 1000) return "no_response";
    var stale = verified === null || now - verified >= W.stale_after * 1000;
    return facts.reported === "open" && stale ? "unconfirmed" : facts.reported;
  }

  // presenters.freshness_words
  function freshness(shown, facts, now) {
    var verified = parseTime(facts.verified), updated = parseTime(facts.updated);
    var confirmed = verified !== null && now - verified < MINUTE ? D.confirmed_just_now
      : fill(D.confirmed, { ago: ago(verified, now) });
    var byStatus = {
      open: [H.open, confirmed, "ok", null],
      standby: [H.standby, D.standby + " · " + confirmed, "warn", A.standby],
      full: [H.full, fill(D.updated, { ago: ago(updated, now) }), "bad", A.full],
      closed: [H.closed, fill(D.updated, { ago: ago(updated, now) }), "bad", null],
      unconfirmed: [H.unconfirmed, verified !== null
        ? fill(D.last_confirmed, { ago: ago(verified, now) }) : D.never_confirmed, "warn", A.unconfirmed],
      no_response: [H.no_response, fill(D.no_news, { span: span(updated, now) }), "bad", A.no_response]
    };
    var w = byStatus[shown] || [H.unknown, D.no_report, "unknown", A.unknown];
    return { headline: w[0], detail: w[1], tone: w[2], advice: w[3] };
  }

  // Open or not at `now` by the intervals the page carries (adjacent ones are one). An interval
  // reaching the end of what the page carries has no known closing time.
  function hoursAt(hours, now, horizon) {
    if (!hours) return { open: null };
    if (now >= horizon) return { unknown: true };
    for (var i = 0; i < hours.length; i++) {
      var start = parseTime(hours[i][0]), end = parseTime(hours[i][1]), j = i;
      while (j + 1 < hours.length && parseTime(hours[j + 1][0]) === end) end = parseTime(hours[++j][1]);
      if (start <= now && now < end) return { open: true, closes: end >= horizon ? null : end };
      if (start > now) return { open: false, opens: hours[i][0] };
      i = j;
    }
    return { open: false, opens: null };
  }

  // presenters.opens_at, in the point's zone: the interval's own wall-clock time and offset.
  function opensAt(iso, now) {
    var m = iso && /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::[\d.]+)?(Z|([+-])(\d\d):(\d\d))$/.exec(iso);
    if (!m) return null;
    var offset = m[6] === "Z" ? 0 : (m[7] === "-" ? -1 : 1) * (m[8] * 60 + +m[9]) * MINUTE;
    var day = Date.UTC(+m[1], m[2] - 1, +m[3]), local = new Date(now + offset);
    var today = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
    var time = m[4] + ":" + m[5];
    if (day === today) return fill(D.opens_at, { time: time });
    if (day === today + DAY) return fill(D.opens_tomorrow, { time: time });
    return fill(D.opens_day, { day: parts(day, { weekday: "short", day: "numeric", month: "short" },
      "UTC", ["weekday", "day", "month"]), time: time });
  }
  // The pieces of a date in the server's order ("пн 7 груд.", "2 грудня"), whatever order
  // the browser's own format would use.
  function parts(moment, options, zone, order) {
    options.timeZone = zone;
    var found = {};
    new Intl.DateTimeFormat(W.lang, options).formatToParts(moment).forEach(function (p) {
      found[p.type] = p.value;
    });
    return order.map(function (type) { return found[type]; }).join(" ");
  }

  // presenters.status_words: the words a card shows for `facts` at `now`, for a page made at
  // `made` (the intervals it carries start there).
  function wordsFor(facts, now, made) {
    var horizon = made === null ? -Infinity : made + W.hours_days * DAY - MINUTE;
    var shown = shownStatus(facts, now), words = freshness(shown, facts, now);
    var hours = hoursAt(facts.hours, now, horizon);
    if (hours.open === false && W.overridden.indexOf(shown) >= 0) {
      var detail = [opensAt(hours.opens, now), words.detail].filter(Boolean).join(" · ");
      return { headline: H.closed_now, detail: detail, tone: "bad", advice: A.closed_now };
    }
    if (shown === "open" && hours.open && hours.closes != null && hours.closes - now <= W.closing_soon * 1000) {
      var soon = fill(D.closes_in, { n: Math.max(1, Math.ceil((hours.closes - now) / MINUTE)) });
      return { headline: words.headline, detail: words.detail + " · " + soon, tone: "warn", advice: words.advice };
    }
    if (hours.unknown) {
      return { headline: words.headline, detail: words.detail + " · " + D.hours_unknown,
        tone: words.tone === "ok" ? "warn" : words.tone, advice: words.advice || A.unknown };
    }
    return words;
  }

  var made = parseTime(body.dataset.generatedAt), copy = body.dataset.savedCopy;
  var banner = document.getElementById("offline");

  function age(now) {
    document.querySelectorAll("[data-facts]").forEach(function (card) {
      var facts;
      try { facts = JSON.parse(card.dataset.facts); } catch (e) { return; }
      var words = wordsFor(facts, now, made);
      card.querySelector(".headline").textContent = words.headline;
      card.querySelector(".detail").textContent = words.detail;
      var advice = card.querySelector(".advice");
      if (advice) { advice.textContent = words.advice || ""; advice.hidden = !words.advice; }
      card.className = card.className.replace(/\btone-\w+/, "tone-" + words.tone);
    });
  }

  // "Offline — showing results saved 2 December at 01:48 (11 hours ago)", in the page's zone.
  function showBanner(now) {
    if (!banner || made === null) return;
    var offline = !navigator.onLine || copy === "saved" || copy === "stand-in";
    banner.hidden = copy === "not-saved" || !offline;
    if (banner.hidden) return;
    var when = {
      date: parts(made, { day: "numeric", month: "long" }, W.zone, ["day", "month"]),
      time: new Intl.DateTimeFormat(W.lang, { hour: "2-digit", minute: "2-digit",
        hourCycle: "h23", timeZone: W.zone }).format(made),
      ago: now - made < MINUTE ? W.banner.just_now : ago(made, now)
    };
    banner.textContent = fill(copy === "stand-in" ? W.banner.stand_in : body.dataset.offlineText, when);
  }

  function tick() {
    var now = Date.now();
    if (copy || (made !== null && now - made > MINUTE)) age(now);
    showBanner(now);
  }

  if (copy === "stand-in") { // the old results stand in for a new search: keep what was typed
    var asked = new URLSearchParams(location.search).get("q"), box = document.getElementById("q");
    if (box && asked !== null) box.value = asked;
  }
  window.nezlamFreshness = { wordsFor: wordsFor }; // the tests hold it against the server's rule
  tick();
  setInterval(tick, MINUTE);
  window.addEventListener("online", tick);
  window.addEventListener("offline", tick);
  window.addEventListener("pageshow", function (event) { if (event.persisted) tick(); });
})();
