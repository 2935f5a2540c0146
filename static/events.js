// Arrivals: the first page refreshes itself every 10 seconds (new arrivals appear on top).
(function () {
  "use strict";
  const box = document.getElementById("arrivals");
  if (!box || box.dataset.refresh !== "1") return;
  async function refresh() {
    try {
      const r = await fetch(location.href, {credentials: "same-origin"});
      if (!r.ok) return;
      const page = new DOMParser().parseFromString(await r.text(), "text/html");
      const fresh = page.getElementById("arrivals");
      if (fresh) {
        box.replaceChildren(...fresh.childNodes);
        for (const t of box.querySelectorAll("time[datetime]")) {
          const d = new Date(t.getAttribute("datetime"));
          if (!isNaN(d)) t.textContent = d.toLocaleString();
        }
      }
    } catch (e) { /* offline for a moment: try again next time */ }
  }
  setInterval(refresh, 10000);
})();
