// The Cameras page and the grid: poll /api/cameras and show each camera's state, figures
// and who is in view; on the grid, a click enlarges a camera (and a second one shrinks it).
(function () {
  "use strict";
  const root = document.querySelector("[data-status-url]");
  if (!root) return;

  // Server strings (names, messages) are inserted as text, never as HTML.
  function text(el, value) { if (el) el.textContent = value; }

  function stateText(c) {
    if (c.state === "running") return "running";
    return c.message ? `${c.state}: ${c.message}` : c.state;
  }

  function showTable(items) {
    for (const c of items) {
      const row = root.querySelector(`tr[data-camera="${c.id}"]`);
      if (!row) continue;
      // With several hosts (PostgreSQL): which one runs it, since when.
      const where = c.host ? ` on ${c.host} since ${new Date(c.host_since).toLocaleTimeString()}` : "";
      text(row.querySelector(".state"), stateText(c) + where);
      text(row.querySelector(".fps"), c.fps_out === undefined ? "" : `${c.fps_in} in / ${c.fps_out} out`);
      text(row.querySelector(".rec"), c.recognition_ms == null ? "" : `${c.recognition_ms} ms, ${c.detect_fps}/s`);
      text(row.querySelector(".opened"), c.opened === undefined ? "" : String(c.opened));
    }
  }

  function showGrid(items) {
    const list = document.getElementById("in-view-all");
    const people = [];
    for (const c of items) {
      const tile = root.querySelector(`.cam-tile[data-camera="${c.id}"]`);
      if (tile) {
        text(tile.querySelector(".state"), c.state === "running" ? `${c.fps_out} fps` : stateText(c));
        tile.classList.toggle("failed", c.state !== "running");
      }
      for (const t of c.tracks || []) {
        if (t.checked) people.push({camera: c.name, id: t.id, group: t.group_id, name: t.name, since: t.seconds_in_view});
      }
    }
    list.replaceChildren();
    if (!people.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "nobody in view";
      list.append(li);
    }
    people.sort((a, b) => (a.name || "~").localeCompare(b.name || "~"));
    for (const p of people) {
      const li = document.createElement("li");
      li.dataset.name = p.name || "";
      // The number drawn beside the face on that camera's video, and an unknown face's
      // remembered group's best face (as the Live page shows them).
      const n = document.createElement("strong");
      n.className = "track-no";
      n.textContent = p.id;
      li.append(n, " ");
      if (p.group && !p.name && root.dataset.groupFace) {
        const img = document.createElement("img");
        img.src = root.dataset.groupFace.replace("/0/", `/${p.group}/`);
        img.alt = `face ${p.id}`;
        img.width = img.height = 40;
        li.append(img, " ");
      }
      li.append(`${p.name || "unknown"} on ${p.camera}, in view for ${p.since.toFixed(0)} s`);
      list.append(li);
    }
  }

  async function poll() {
    try {
      const r = await fetch(root.dataset.statusUrl, {credentials: "same-origin"});
      if (r.ok) {
        const items = (await r.json()).items;
        if (document.getElementById("grid")) showGrid(items); else showTable(items);
      }
    } catch (e) { /* the server restarting: try again */ }
    setTimeout(poll, 1000);
  }

  for (const tile of root.querySelectorAll(".cam-tile")) {
    const toggle = () => {
      const big = !tile.classList.contains("enlarged");
      for (const t of root.querySelectorAll(".cam-tile")) t.classList.remove("enlarged");
      tile.classList.toggle("enlarged", big);
    };
    tile.addEventListener("click", toggle);
    tile.addEventListener("keydown", (e) => { if (e.key === "Enter") toggle(); });
  }
  poll();
})();
