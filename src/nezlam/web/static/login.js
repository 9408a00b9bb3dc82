// The sign-in page's "show the password": typing a password with gloves on, a cold phone and
// no way to see the dots is where sign-ins fail. The line stays hidden without this script.
(function () {
  "use strict";
  var box = document.getElementById("show-password");
  var field = document.getElementById("password");
  if (!box || !field) return;
  document.getElementById("show-password-line").hidden = false;
  box.addEventListener("change", function () {
    field.type = box.checked ? "text" : "password";
  });
})();
