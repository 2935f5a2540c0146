// Every page: forms that cannot be sent twice, photo uploads with a size check and a progress
// bar (a large photo takes seconds to send and to analyse), and times shown in local time.
(function () {
  "use strict";
  const maxBytes = Number(document.body.dataset.maxBytes || 0);

  function problem(form, text) {
    let p = form.querySelector(".upload-error");
    if (!p) {
      p = document.createElement("p");
      p.className = "error upload-error";
      p.setAttribute("role", "alert");
      form.querySelector("button[type=submit]").before(p);
    }
    p.textContent = text;
  }

  function tooLarge(form) {
    for (const input of form.querySelectorAll("input[type=file]")) {
      const file = input.files && input.files[0];
      if (file && maxBytes && file.size > maxBytes) {
        problem(form, `This photo is ${(file.size / 1e6).toFixed(1)} MB; the limit is ` +
          `${(maxBytes / 1e6).toFixed(0)} MB. Choose a smaller one or save it as JPEG.`);
        return true;
      }
    }
    return false;
  }

  function upload(form, buttons) {
    // Sent by XHR so that the page can show how much is sent; the answer replaces the page.
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", "Sending the photo");
    const note = document.createElement("small");
    note.setAttribute("role", "status");
    note.textContent = "Sending the photo…";
    buttons[buttons.length - 1].after(bar, note);
    const xhr = new XMLHttpRequest();
    xhr.open(form.method || "post", form.action || location.href);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      bar.value = (100 * e.loaded) / e.total;
      if (e.loaded === e.total) note.textContent = "Looking for faces…";
    };
    xhr.onload = () => {
      if (xhr.responseURL && xhr.responseURL !== (form.action || location.href)) {
        location.assign(xhr.responseURL);  // a redirect was followed: show that page
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = () => {
      buttons.forEach((b) => (b.disabled = false));
      bar.remove();
      problem(form, "The server could not be reached; check the connection and try again.");
    };
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form.dataset.ownUpload) return;  // a page script sends it (bulk.js: larger, its own limits)
    const buttons = [...form.querySelectorAll("button[type=submit], button:not([type])")];
    if (form.dataset.sent) {
      e.preventDefault();  // a second click while the first is on its way
      return;
    }
    const hasFile = form.querySelector("input[type=file]");
    if (hasFile && tooLarge(form)) {
      e.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    if (hasFile && window.XMLHttpRequest && window.FormData) {
      e.preventDefault();
      buttons.forEach((b) => (b.disabled = true));
      upload(form, buttons);
    } else {
      setTimeout(() => buttons.forEach((b) => (b.disabled = true)), 0);
    }
  });

  // <time datetime="...Z"> in the reader's own time zone.
  for (const t of document.querySelectorAll("time[datetime]")) {
    const d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) t.textContent = d.toLocaleString();
  }
})();
