// Show a submitted PDF beside the rubric: pages drawn on canvases by the vendored pdf.js.
// The file comes from the same permission-checked download URL as the link; nothing leaves the site.
(function () {
  "use strict";
  var viewers = document.querySelectorAll("[data-pdf-viewer]");
  if (!viewers.length || !window.pdfjsLib) return;
  var lib = window.pdfjsLib;
  var first = viewers[0];
  lib.GlobalWorkerOptions.workerSrc = first.dataset.workerSrc;

  viewers.forEach(function (viewer) {
    var pagesBox = viewer.querySelector(".pdf-pages");
    var status = viewer.querySelector(".pdf-status");
    var task = lib.getDocument({
      url: viewer.dataset.pdfUrl,
      cMapUrl: viewer.dataset.cmapUrl,
      cMapPacked: true,
      isEvalSupported: false,
      withCredentials: true,
    });
    task.promise.then(function (pdf) {
      status.textContent = viewer.dataset.pagesLabel.replace("{count}", pdf.numPages);
      var width = Math.max(pagesBox.clientWidth, 280);
      var chain = Promise.resolve();
      for (var number = 1; number <= pdf.numPages; number++) {
        chain = chain.then(renderPage.bind(null, pdf, number, width, pagesBox));
      }
      return chain;
    }).catch(function () {
      status.textContent = viewer.dataset.errorLabel;
    });
  });

  function renderPage(pdf, number, width, box) {
    return pdf.getPage(number).then(function (page) {
      var base = page.getViewport({ scale: 1 });
      var ratio = window.devicePixelRatio || 1;
      var viewport = page.getViewport({ scale: (width / base.width) * ratio });
      var canvas = document.createElement("canvas");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      canvas.style.width = "100%";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", box.dataset.pageLabel.replace("{number}", number));
      box.appendChild(canvas);
      return page.render({ canvasContext: canvas.getContext("2d"), viewport: viewport }).promise;
    });
  }
})();
