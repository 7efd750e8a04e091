// Shows only the credential fields of the chosen authentication mode. The
// form works without it: every field is there, labelled with its mode.
(function () {
  var select = document.getElementById("authType");
  if (!select) return;
  var fields = document.querySelectorAll("[data-auth]");
  function update() {
    for (var i = 0; i < fields.length; i++) {
      var modes = fields[i].getAttribute("data-auth").split(" ");
      fields[i].hidden = modes.indexOf(select.value) < 0;
    }
  }
  select.addEventListener("change", update);
  update();
})();
