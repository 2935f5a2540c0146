// Fields that name someone enrolled (templates/_picker.html): the datalist suggests names as
// you type; a name that is not on it (a typo) is refused before the form is sent, with the
// closest names offered, instead of a "nobody called" page after it.
(function () {
  "use strict";
  const list = document.getElementById("enrolled-people");
  if (!list || list.dataset.complete !== "true") return;
  const names = [...list.options].map((o) => o.value);
  const keyOf = (s) => s.trim().replace(/\s+/g, " ").toLowerCase();
  const known = new Map(names.map((n) => [keyOf(n), n]));

  function check(input) {
    const key = keyOf(input.value);
    if (!key || known.has(key) && keyOf(input.dataset.exclude || "") !== key) {
      input.setCustomValidity("");
      return;
    }
    const start = names.filter((n) => keyOf(n).startsWith(key.slice(0, 2))).slice(0, 3);
    input.setCustomValidity(known.has(key) ? "That is this person; choose someone else." :
      `Nobody called “${input.value.trim()}” is enrolled.` +
      (start.length ? ` Did you mean ${start.join(", ")}?` : " Choose a name from the list."));
  }
  for (const input of document.querySelectorAll("input.person-pick")) {
    input.addEventListener("input", () => check(input));
    input.addEventListener("change", () => check(input));
    check(input);
  }
})();
