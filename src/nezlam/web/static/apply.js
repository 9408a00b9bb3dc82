// /apply: "Find this address" without leaving the page, so nothing typed is lost (the form never
// sends a password back). Enhancement only: without this script the button sends the form, and
// the server looks the address up and shows what it found in the same words.
(function () {
  "use strict";
  var form = document.querySelector("form.apply");
  if (!form || !window.fetch) return;
  var USABLE = ["address", "street"];

  function field(n, name) { return form.querySelector('[name="p' + n + "_" + name + '"]'); }

  // Place names come from OpenStreetMap: set as text, never as markup.
  function notice(button, place) {
    var box = document.getElementById("found-" + button.value);
    if (!box) {
      box = document.createElement("div");
      box.id = "found-" + button.value;
      box.className = "notice ok found-place";
      box.setAttribute("role", "status");
      button.parentNode.insertAdjacentElement("afterend", box);
    }
    var said = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = form.dataset.foundText.replace("{place}", place.label);
    said.appendChild(strong);
    said.appendChild(document.createTextNode(" (" + place.lat.toFixed(6) + ", " + place.lon.toFixed(6) + ")"));
    var advice = document.createElement("p");
    advice.textContent = place.kind === "street" ? form.dataset.streetOnlyText : form.dataset.confirmText;
    box.replaceChildren(said, advice);
  }

  function locate(button) {
    var n = button.value;
    var address = field(n, "address").value.trim(), locality = field(n, "locality").value.trim();
    if (!address) return Promise.reject(new Error("no address"));  // the server says "required"
    var query = new URLSearchParams({ q: address + ", " + locality, limit: "3" });
    return fetch("/api/v1/places/search?" + query, { headers: { Accept: "application/json" } })
      .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.json(); })
      .then(function (body) {
        var place = (body.results || []).filter(function (r) { return USABLE.indexOf(r.kind) >= 0; })[0];
        if (!place) throw new Error("not found");  // the server says so, beside the field
        field(n, "lat").value = place.lat.toFixed(6);
        field(n, "lon").value = place.lon.toFixed(6);
        field(n, "located").value = address + "|" + locality;
        var details = field(n, "lat").closest("details");
        if (details) details.open = true;
        notice(button, place);
      });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest('button[name="locate"]');
    if (!button) return;
    event.preventDefault();
    locate(button).catch(function () { form.requestSubmit(button); });
  });
})();
