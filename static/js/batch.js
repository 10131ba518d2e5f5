/* The issuance page polls its batch's progress until every certificate has an outcome. */
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box) return;
  var state = box.querySelector("[data-testid=batch-state]");
  if (state.dataset.done === "yes") return;
  function set(id, value) { box.querySelector("[data-testid=" + id + "]").textContent = value; }
  function poll() {
    fetch(box.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        var bar = box.querySelector("[data-testid=progress-bar]");
        bar.value = p.percent;
        bar.textContent = p.percent + "%";
        set("issued", p.issued); set("failed", p.failed); set("waiting", p.waiting); set("total", p.total);
        if (!p.done && p.state && state.dataset.state !== p.state) {
          state.textContent = p.state_message; state.dataset.state = p.state;  // e.g. "waiting for a worker"
        }
        if (p.done) {
          state.textContent = state.dataset.doneText; state.dataset.done = "yes";
          window.location.reload();  // once, so each row shows its final state, links and retry buttons
        } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
