// Subject page: join a lost baseline hair and a new follow-up hair of a comparison into one
// kept hair. The choices come from the comparison's per-hair table; the server saves the
// join as a reviewed version of the follow-up photo and every figure follows.
(function () {
  "use strict";
  function parse(text) {
    const [head, ...lines] = text.trim().split("\n");
    const keys = head.split(",");
    return lines.map(l => Object.fromEntries(l.split(",").map((v, i) => [keys[i], v])));
  }
  function fill(select, rows) {
    select.replaceChildren(...rows.map(r => {
      const o = document.createElement("option");
      o.value = r.hair;
      o.textContent = "#" + r.hair + " at (" + Math.round(+r.x_px) + ", " + Math.round(+r.y_px) + ")" +
        (r.diameter_um ? ", " + (+r.diameter_um).toFixed(1) + " µm" : "");
      return o;
    }));
  }
  document.querySelectorAll("form.join").forEach(async form => {
    const status = form.querySelector(".join-status");
    const res = await fetch("/visits/" + form.dataset.visit + "/comparison.csv", { credentials: "same-origin" });
    if (!res.ok) { form.hidden = true; return; }
    const rows = parse(await res.text());
    const lost = rows.filter(r => r.visit === "baseline" && r.fate === "lost");
    const fresh = rows.filter(r => r.visit === "followup" && r.fate === "new");
    if (!lost.length || !fresh.length) { form.hidden = true; return; }
    fill(form.elements.baseline_hair, lost);
    fill(form.elements.followup_hair, fresh);
    form.hidden = false;
    form.addEventListener("submit", async ev => {
      ev.preventDefault();
      const reason = form.elements.reason.value.trim();
      if (!reason) { status.textContent = "Say why (for the audit trail)."; status.className = "error join-status"; return; }
      status.textContent = "Joining and re-measuring …";
      const r = await fetch("/api/visits/" + form.dataset.visit + "/joins", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
        body: JSON.stringify({ baseline_hair: +form.elements.baseline_hair.value,
          followup_hair: +form.elements.followup_hair.value, reason: reason }),
      });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) { status.textContent = "Not joined: " + (body.detail || ("HTTP " + r.status)); status.className = "error join-status"; return; }
      location.reload();
    });
  });
})();
