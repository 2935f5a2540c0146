// Presence and Arrivals: days are the reader's own (tz_offset: minutes east of UTC); the
// Presence report reloads once with it on first opening.
(function () {
  "use strict";
  const field = document.getElementById("tz_offset");
  if (!field) return;
  const offset = String(-new Date().getTimezoneOffset());
  const url = new URL(location.href);
  if (document.getElementById("report") && !url.searchParams.has("tz_offset") && offset !== "0") {
    url.searchParams.set("tz_offset", offset);
    location.replace(url);
  }
  field.value = url.searchParams.get("tz_offset") || offset;
})();
