// Minimal script: drag-and-drop upload through the JSON API, then poll analysis progress.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  const status = document.getElementById("upload-status");

  function show(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.className = isError ? "error" : "hint";
  }

  async function poll(visitId) {
    const res = await fetch("/api/visits/" + visitId + "/jobs", { credentials: "same-origin" });
    if (!res.ok) { show("could not read progress (HTTP " + res.status + ")", true); return; }
    const jobs = await res.json();
    const open = jobs.filter(j => j.status === "pending" || j.status === "running");
    jobs.forEach(j => {
      const cell = document.querySelector('[data-job="' + j.id + '"]');
      if (cell) cell.textContent = j.status + (j.status === "running" ? " " + Math.round(j.progress * 100) + " %" : "");
    });
    if (open.length) {
      show("Analysing: " + (jobs.length - open.length) + " of " + jobs.length + " done …");
      setTimeout(() => poll(visitId), 1000);
    } else if (document.querySelector('.job-status[data-job]:not([data-job=""])') || status.dataset.uploaded) {
      const failed = jobs.filter(j => j.status === "failed").length;
      show("Analysis finished" + (failed ? " (" + failed + " failed)" : "") + ".", failed > 0);
      if (status.dataset.uploaded || Array.from(document.querySelectorAll(".job-status")).some(c => /pending|running/.test(c.textContent))) {
        location.reload();
      }
    }
  }

  async function upload(files) {
    const data = new FormData();
    for (const f of files) data.append("files", f, f.name);
    const um = document.getElementById("um-per-px");
    if (um && um.value) data.append("um_per_px", um.value);
    show("Uploading " + files.length + " photo(s) …");
    const res = await fetch("/api/visits/" + form.dataset.visit + "/images", {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": form.dataset.csrf },
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { show(body.detail || ("upload failed (HTTP " + res.status + ")"), true); return; }
    status.dataset.uploaded = "1";
    show("Uploaded; analysis queued …");
    poll(form.dataset.visit);
  }

  if (form) {
    const zone = document.getElementById("dropzone");
    const input = document.getElementById("file-input");
    ["dragenter", "dragover"].forEach(ev => zone.addEventListener(ev, e => { e.preventDefault(); zone.classList.add("over"); }));
    ["dragleave", "drop"].forEach(ev => zone.addEventListener(ev, e => { e.preventDefault(); zone.classList.remove("over"); }));
    zone.addEventListener("drop", e => { if (e.dataTransfer.files.length) upload(e.dataTransfer.files); });
    form.addEventListener("submit", e => {
      if (!window.fetch || !window.FormData) return;  // plain form post still works
      e.preventDefault();
      if (input.files.length) upload(input.files); else show("choose at least one photo", true);
    });
    if (document.querySelector(".job-status")) poll(form.dataset.visit);
  }
  if (document.getElementById("pending")) setTimeout(() => location.reload(), 1500);
})();
