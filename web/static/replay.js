// Keeps a replay job's page up to date: polls the job's progress (JSON)
// every second and reloads the page once the job finishes, so the final
// page, errors included, is the server's. Without it the page refreshes
// itself (<noscript> meta refresh).
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  function set(name, v) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (!el) return;
    if (el.tagName === "PROGRESS") el.value = v; else el.textContent = v;
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (p) {
        if (p.finished) { window.location.reload(); return; }
        ["state", "done", "total", "replayed", "skipped", "percent"].forEach(function (k) { set(k, p[k]); });
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
