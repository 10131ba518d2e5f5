/* Pictures whose copies a worker is still making show a placeholder; ask their status until the copies exist. */
(function () {
  "use strict";
  var waiting = Array.prototype.slice.call(document.querySelectorAll("[data-preview-status]"));
  if (!waiting.length) return;
  var started = Date.now();
  var LIMIT_MS = 10 * 60 * 1000;  // a worker-less deployment: stop asking after ten minutes

  function fill(box, p) {
    var img = document.createElement("img");
    img.src = box.dataset.previewVariant === "display" ? p.display_url : p.thumbnail_url;
    img.alt = box.dataset.previewAlt || "";
    if (box.dataset.previewClass) img.className = box.dataset.previewClass;
    if (box.dataset.previewSize) { img.width = +box.dataset.previewSize; img.height = +box.dataset.previewSize; }
    var shown = img;
    if (box.dataset.previewLink === "yes") {
      shown = document.createElement("a");
      shown.href = p.display_url; shown.target = "_blank"; shown.rel = "noopener";
      shown.appendChild(img);
    }
    box.replaceWith(shown);
  }

  function ask(box) {
    return fetch(box.dataset.previewStatus, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {state: "gone"}; })
      .then(function (p) {
        if (p.state === "ready") { fill(box, p); return false; }
        if (p.state === "pending") return true;
        box.textContent = box.dataset.failedText;  // failed, or no longer there
        box.removeAttribute("data-preview-status");
        return false;
      })
      .catch(function () { return true; });
  }

  function round(delay) {
    Promise.all(waiting.map(ask)).then(function (still) {
      waiting = waiting.filter(function (box, i) { return still[i]; });
      if (waiting.length && Date.now() - started < LIMIT_MS) {
        setTimeout(function () { round(Math.min(delay * 1.5, 10000)); }, delay);
      }
    });
  }
  setTimeout(function () { round(1000); }, 1000);
})();
