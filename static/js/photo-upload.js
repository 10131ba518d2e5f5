// Phones send 3–8 MB photos over weak connections: before a form with files is sent, each large
// photo is reduced in the browser (long edge 2560 px, JPEG under 1 MB, orientation kept) and the
// form is sent with a progress bar. Where the browser cannot do this, the form is sent as it is.
(function () {
  "use strict";
  var LONG_EDGE = 2560;
  var TARGET_BYTES = 1024 * 1024;
  // HEIC too where the browser decodes it (Safari); elsewhere createImageBitmap fails and it goes as it is.
  var REDUCIBLE = /^image\/(jpeg|png|webp|heic|heif)$/;

  var supported = window.createImageBitmap && window.DataTransfer && window.XMLHttpRequest &&
    HTMLCanvasElement.prototype.toBlob;
  // The field outbox (outbox.js) reduces with the same function; without support it sends files as they are.
  window.lmsReducePhoto = supported ? function (file) { return reduce(file); } : function (file) {
    return Promise.resolve(file);
  };
  if (!supported) return;

  function toBlob(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }

  function reduce(file) {
    if (!REDUCIBLE.test(file.type) || file.size <= TARGET_BYTES) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var fit = Math.min(1, LONG_EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      function draw(scale) {
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      }
      // Lower the quality first, then the size, until the photo fits the target.
      function attempt(scale, quality) {
        return toBlob(canvas, quality).then(function (blob) {
          if (!blob) return file;
          if (blob.size > TARGET_BYTES && quality > 0.6) return attempt(scale, quality - 0.1);
          if (blob.size > TARGET_BYTES && scale > fit * 0.4) {
            draw(scale * 0.8);
            return attempt(scale * 0.8, 0.8);
          }
          if (blob.size >= file.size) return file;
          var name = file.name.replace(/\.(png|webp|jpe?g|heic|heif)$/i, "") + ".jpg";
          return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
        });
      }
      draw(fit);
      return attempt(fit, 0.85).then(function (result) {
        if (bitmap.close) bitmap.close();
        return result;
      });
    }).catch(function () { return file; });
  }

  function reduceInput(input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return Promise.resolve(false);
    return Promise.all(files.map(reduce)).then(function (reduced) {
      var changed = reduced.some(function (f, i) { return f !== files[i]; });
      if (changed) {
        var transfer = new DataTransfer();
        reduced.forEach(function (f) { transfer.items.add(f); });
        input.files = transfer.files;
      }
      return changed;
    });
  }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var bar = form.querySelector("progress.upload-progress");
    if (!bar) {
      bar = document.createElement("progress");
      bar.className = "upload-progress";
      bar.max = 100;
      bar.setAttribute("aria-label", form.dataset.progressLabel || document.body.dataset.uploadLabel || "");
      form.appendChild(bar);
    }
    bar.value = 0;
    var request = new XMLHttpRequest();
    var target = (form.action || window.location.href).split("#")[0];
    request.open((form.getAttribute("method") || "post").toUpperCase(), target);
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) bar.value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener("load", function () {
      // Redirected (the answer's URL is not the one posted to): go there, as the browser would after a POST.
      // Compared with the URL posted to, not with this page's: a form posting elsewhere that answers 2xx
      // with a page (the certificate check's verdict) must show that page, not load its URL again by GET.
      if (request.status < 400 && request.responseURL && request.responseURL.split("#")[0] !== target) {
        window.location.assign(request.responseURL);
        return;
      }
      // The answer is a page (a verdict, or the form again with its message): show it as the browser would.
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () { form.submit(); });
    request.send(data);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.enctype !== "multipart/form-data") return;
    if (form.dataset.photoReduced === "1" || form.hasAttribute("data-outbox")) return;
    var inputs = form.querySelectorAll("input[type=file]");
    var anyFiles = Array.prototype.some.call(inputs, function (i) { return i.files && i.files.length; });
    if (!anyFiles) return;
    event.preventDefault();
    var submitter = event.submitter || null;
    Promise.all(Array.prototype.map.call(inputs, reduceInput)).then(function () {
      form.dataset.photoReduced = "1";
      send(form, submitter);
    }, function () { form.submit(); });
  });
})();
