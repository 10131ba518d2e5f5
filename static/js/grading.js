// Grading form: keep each criterion's points inside the chosen level's range and show the total live.
(function () {
  "use strict";
  var form = document.getElementById("grading-form");
  if (!form) return;
  var output = document.getElementById("grading-total");

  function recompute() {
    var total = 0;
    form.querySelectorAll("input.points").forEach(function (input) {
      var value = parseFloat(input.value);
      if (!isNaN(value)) total += value;
    });
    output.textContent = (Math.round(total * 10) / 10).toString();
  }

  function applyLevel(radio, points) {
    points.min = radio.dataset.min;
    points.max = radio.dataset.max;
    var value = parseFloat(points.value);
    if (isNaN(value) || value < parseFloat(radio.dataset.min) || value > parseFloat(radio.dataset.max)) {
      points.value = radio.dataset.max;
    }
  }

  form.querySelectorAll("fieldset.criterion").forEach(function (fieldset) {
    var points = fieldset.querySelector("input.points");
    fieldset.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        applyLevel(radio, points);
        recompute();
      });
    });
    // A level chosen before this script ran (a quick tap, or the browser restoring the form): apply it too.
    var chosen = fieldset.querySelector("input[type=radio]:checked");
    if (chosen) applyLevel(chosen, points);
    points.addEventListener("input", recompute);
  });
  recompute();
})();
