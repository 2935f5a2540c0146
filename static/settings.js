// Settings: the threshold slider explains each value as it moves (sentences computed by the
// server for every slider position), and the presets set it.
(function () {
  "use strict";
  const form = document.getElementById("threshold-form");
  if (!form) return;
  const words = JSON.parse(form.dataset.words);
  const slider = document.getElementById("threshold");
  const value = document.getElementById("threshold-value");
  const text = document.getElementById("threshold-words");
  const presets = [...form.querySelectorAll(".preset")];

  function show() {
    const t = Number(slider.value).toFixed(3);
    value.textContent = t;
    if (words[t]) text.textContent = words[t];
    presets.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.value === t)));
  }
  slider.addEventListener("input", show);
  presets.forEach((b) => b.addEventListener("click", () => { slider.value = b.dataset.value; show(); }));
  show();
})();
