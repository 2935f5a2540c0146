// The live page: poll the status of the server camera, or send this browser's camera
// frames to the server and draw the answers over the video.
(function () {
  "use strict";
  const root = document.querySelector(".live");
  const list = document.getElementById("in-view");
  const figures = document.getElementById("figures");
  const enrolForm = document.getElementById("enrol-form");
  const cameraError = document.getElementById("camera-error");
  let mode = "server";

  // Every string from the server is inserted as text, never as HTML (a camera source or a
  // name may hold markup).
  function setFigures(text) {
    const small = document.createElement("small");
    small.textContent = text;
    figures.replaceChildren(small);
  }

  function label(t) {
    if (!t.checked) return "checking…";
    // The likeness as a percentage (cosine similarity = 1 - d²/2), as on the video.
    if (t.name) return `${t.name} ${Math.round(100 * Math.max(0, 1 - t.distance * t.distance / 2))}%`;
    return t.reason ? `unknown: ${t.reason}` : "unknown";
  }

  // Each face in view: its number (drawn beside its box on the video), its group's best
  // face when it is an unknown face already remembered, and what an operator can do. The
  // list is updated in place, one <li> per track id, so that a button a keyboard user is
  // on stays where it is (replacing it would send the focus back to the page).
  const shown = new Map();  // track id -> {li, text, img, button, track}

  function showTracks(tracks) {
    const ids = new Set(tracks.map((t) => String(t.id)));
    for (const [id, row] of shown) {
      if (!ids.has(id) && !row.li.contains(document.activeElement)) {
        row.li.remove();
        shown.delete(id);
      }
    }
    let empty = list.querySelector("li.muted");
    if (!tracks.length && !shown.size && !empty) {
      empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "nobody in view";
      list.append(empty);
    } else if (tracks.length && empty) {
      empty.remove();
    }
    for (const t of tracks) update(shown.get(String(t.id)) || addRow(t), t);
  }

  function addRow(t) {
    const li = document.createElement("li");
    li.dataset.track = t.id;
    const n = document.createElement("strong");
    n.className = "track-no";
    n.textContent = t.id;
    const text = document.createElement("span");
    li.append(n, " ", text);
    const row = {li, text, img: null, button: null, kind: "", track: t};
    shown.set(String(t.id), row);
    list.append(li);
    return row;
  }

  function update(row, t) {
    row.track = t;
    row.li.dataset.name = t.name || "";
    if (t.group_id && !t.name && !row.img) {
      row.img = document.createElement("img");
      row.img.alt = `face ${t.id}`;
      row.img.width = row.img.height = 40;
      row.text.before(row.img, " ");
    }
    if (row.img && (t.name || !t.group_id)) {  // named since: no group face any more
      row.img.remove();
      row.img = null;
    }
    if (row.img) row.img.src = root.dataset.groupFace.replace("/0/", `/${t.group_id}/`);
    row.text.textContent = `${label(t)}, in view for ${t.seconds_in_view.toFixed(0)} s`;
    const kind = root.dataset.admin !== "1" || !t.checked ? "" : t.name ? "not" : "enrol";
    if (kind !== row.kind) {  // the button changes only when what it does changes
      if (row.button) row.button.remove();
      row.button = kind === "not" ? linkButton("", () => askNot(row.track))
                 : kind === "enrol" ? linkButton("name…", () => openEnrol(row.track)) : null;
      if (row.button) row.li.append(row.button);
      row.kind = kind;
    }
    if (kind === "not") row.button.textContent = `not ${t.name}?`;
  }

  function linkButton(text, onclick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link";
    b.textContent = text;
    b.onclick = onclick;
    return b;
  }

  // An unknown face remembered in a group is named through its group (its other faces
  // come with it); one not remembered yet is enrolled from this frame.
  function openEnrol(t) {
    enrolForm.hidden = false;
    enrolForm.action = t.group_id ? root.dataset.groupName.replace("/0/", `/${t.group_id}/`)
                                  : root.dataset.enrolUrl;
    document.getElementById("enrol-track").value = t.id;
    document.getElementById("enrol-mode").value = mode;
    document.getElementById("enrol-which").textContent = `face ${t.id}`;
    enrolForm.querySelector("input[name=name]").focus();
  }

  // "not X?" asks first: the face becomes a negative of X on every camera (the page after
  // it offers an undo).
  function askNot(t) {
    const form = document.getElementById("not-form");
    form.elements.track.value = t.id;
    form.elements.mode.value = mode;
    form.elements.name.value = t.name;
    for (const el of form.querySelectorAll(".not-name")) el.textContent = t.name;
    document.getElementById("not-which").textContent = `face ${t.id}`;
    form.hidden = false;
    form.querySelector("button[type=submit]").focus();
  }
  document.getElementById("not-cancel").onclick = () => {
    document.getElementById("not-form").hidden = true;
  };

  async function pollServer() {
    if (mode !== "server") return;
    try {
      const r = await fetch(root.dataset.statusUrl, {credentials: "same-origin"});
      const s = await r.json();
      setFigures(`${s.state}${s.message ? ": " + s.message : ""} · ` +
        `${s.fps_in} fps in, ${s.fps_out} fps out · recognition ${s.recognition_latency_ms} ms`);
      showTracks(s.tracks);
    } catch (e) {
      figures.textContent = "status unavailable: " + e;
    }
  }
  setInterval(pollServer, 500);
  pollServer();

  // Browser-camera mode ------------------------------------------------------------------
  const video = document.getElementById("camera");
  const overlay = document.getElementById("overlay");
  const grab = document.createElement("canvas");
  let stream = null;

  async function sendFrame() {
    if (mode !== "browser" || !video.videoWidth) return setTimeout(sendFrame, 200);
    const scale = Math.min(1, 480 / video.videoWidth);  // frames go out at most 480 wide
    grab.width = Math.round(video.videoWidth * scale);
    grab.height = Math.round(video.videoHeight * scale);
    grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
    const blob = await new Promise((ok) => grab.toBlob(ok, "image/jpeg", 0.8));
    const started = performance.now();
    try {
      const r = await fetch(root.dataset.frameUrl, {method: "POST", body: blob,
        credentials: "same-origin", headers: {"Content-Type": "image/jpeg", "X-CSRFToken": root.dataset.csrf}});
      const answer = await r.json();
      draw(answer);
      showTracks(answer.tracks);
      setFigures(`your camera · round trip ${(performance.now() - started).toFixed(0)} ms`);
    } catch (e) {
      figures.textContent = "could not reach the server: " + e;
    }
    setTimeout(sendFrame, 100);
  }

  function draw(answer) {
    const ctx = overlay.getContext("2d");
    overlay.width = video.clientWidth;
    overlay.height = video.clientHeight;
    const sx = overlay.width / answer.width, sy = overlay.height / answer.height;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    ctx.lineWidth = 2;
    ctx.font = "14px sans-serif";
    for (const t of answer.tracks) {
      const [x1, y1, x2, y2] = t.box;
      ctx.strokeStyle = ctx.fillStyle = !t.checked ? "#ccc" : t.name ? "#3c3" : "#e33";
      ctx.strokeRect(x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy);
      ctx.fillText(label(t), x1 * sx + 2, Math.max(14, y1 * sy - 4));
    }
  }

  function setMode(m) {
    mode = m;
    document.getElementById("mode-server").classList.toggle("active", m === "server");
    document.getElementById("mode-browser").classList.toggle("active", m === "browser");
    document.getElementById("stream").hidden = m !== "server";
    document.getElementById("browser-view").hidden = m !== "browser";
  }

  document.getElementById("mode-server").onclick = () => {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    setMode("server");
  };
  document.getElementById("mode-browser").onclick = async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}});
    } catch (e) {
      // Its own area (role=alert): the figures line is rewritten twice a second.
      cameraError.textContent = "This browser gave no camera (" + e.name + "). Allow the camera, " +
        "or open the page on localhost or over https.";
      cameraError.hidden = false;
      return;
    }
    cameraError.hidden = true;
    video.srcObject = stream;
    setMode("browser");
    sendFrame();
  };
})();
