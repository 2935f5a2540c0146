// Bulk enrolment: upload with a progress bar (a zip dropped on the page or chosen, or
// photos of one person), then follow the job's progress until its summary.
(function () {
  "use strict";
  const form = document.getElementById("bulk-form");
  const job = document.getElementById("job");

  function setList(ul, items) {  // every string from the server as text, never HTML
    ul.replaceChildren(...items.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  }

  async function follow() {
    const r = await fetch(job.dataset.statusUrl, {credentials: "same-origin"});
    const s = await r.json();
    const bar = document.getElementById("job-progress");
    bar.max = Math.max(s.total, 1);
    bar.value = s.done;
    bar.textContent = `${s.done} of ${s.total}`;
    document.getElementById("job-line").textContent =
      `${s.done} of ${s.total} photos checked, ${s.added} added${s.state === "done" ? ": done" : ""}.`;
    const error = document.getElementById("job-error");
    error.textContent = s.error || "";
    error.hidden = !s.error;
    if (s.state === "done") {
      const reasons = Object.entries(s.refused);
      setList(document.getElementById("job-reasons"), reasons.length ? reasons.map(([k, n]) => `${k}: ${n}`) : ["nothing"]);
      setList(document.getElementById("job-examples"), s.examples.map(([p, why]) => `${p}: ${why}`));
      document.getElementById("job-summary").hidden = false;
    }
    if (s.state === "queued" || s.state === "running") setTimeout(follow, 1000);
  }
  if (job && job.dataset.state !== "done" && job.dataset.state !== "failed") follow();
  if (!form) return;

  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    document.getElementById("archive").files = e.dataTransfer.files;
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const bar = document.getElementById("upload-progress");
    const error = document.getElementById("upload-error");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;  // one upload at a time
    bar.hidden = document.getElementById("upload-label").hidden = false;
    error.hidden = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (p) => { if (p.lengthComputable) bar.value = p.loaded / p.total; };
    xhr.onload = () => {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (_) { /* a proxy's page */ }
      if (xhr.status < 300 && answer.url) return window.location.assign(answer.url);
      error.textContent = answer.detail || `The upload failed (HTTP ${xhr.status}); try a smaller zip.`;
      error.hidden = false;
      button.disabled = false;
      bar.hidden = document.getElementById("upload-label").hidden = true;
    };
    xhr.onerror = () => {
      error.textContent = "The server could not be reached; try again.";
      error.hidden = false;
      button.disabled = false;
    };
    xhr.send(new FormData(form));
  });
})();
