// Hair-level review on the photo page: an SVG layer over the photo, plain JavaScript.
// Select a hair by its exit dot; remove it (Del), mark it not assessable (N), drag its dot to
// move the exit; add a missed hair (A, then drag from the exit along the shaft, or click the
// exit and then a point on the shaft); undo (Ctrl+Z or U); hide the overlay (H). "Save
// review" sends the whole list with the version it was edited from: the server re-measures it
// and answers 409 when someone saved a newer version in between (nothing is overwritten).
(function () {
  "use strict";
  const box = document.getElementById("review");
  if (!box) return;
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.getElementById("hairs");
  const status = document.getElementById("review-status");
  const counter = document.getElementById("review-count");
  const canWrite = box.dataset.write === "1";
  const imageId = box.dataset.image;
  let state = null;      // what the server gave: version, image size, hairs
  let hairs = [];        // the editable list
  let edits = [];        // what the reviewer did, for the audit trail
  const history = [];    // undo stack of {hairs, edits}
  let selected = null;
  let mode = "select";   // or "add"
  let drag = null;       // {kind: "move" | "add", hair, start, moved}
  let pending = null;    // an added hair's exit waiting for its second click
  let nextKey = 1;

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "hint";
  }

  async function load() {
    const res = await fetch("/api/images/" + imageId + "/hairs", { credentials: "same-origin" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { say(body.detail || ("cannot load the hairs (HTTP " + res.status + ")"), true); return; }
    state = body;
    if (body.rejected) {
      say("Quality control rejected this photo: there is nothing to review; re-take it.", true);
      box.querySelectorAll("#review-tools button:not(#tool-toggle), #review-tools input").forEach(e => { e.disabled = true; });
    }
    hairs = body.hairs.map(h => ({
      key: nextKey++, exit: [h.x_px, h.y_px], end: [h.end_x_px, h.end_y_px],
      assessable: h.assessable !== false, origin: h.hair_id, cls: h["class"] || "",
      same_as: h.same_as || null,  // a join to a baseline hair travels with the hair
      reviewed: h.source === "reviewed",  // added or moved by a reviewer (this or an earlier version)
    }));
    history.length = 0; edits = []; selected = null;
    svg.setAttribute("viewBox", "0 0 " + body.image.width + " " + body.image.height);
    box.dataset.version = String(body.version);
    draw();
    if (!body.rejected) say(body.version ? "Reviewed version " + body.version + "." : "The detector's hairs (not reviewed yet).");
  }

  function radius() { return Math.max(state.image.width, state.image.height) / 110; }

  function el(name, attrs) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function draw() {
    svg.replaceChildren();
    const r = radius();
    for (const h of hairs) {
      const cls = ["hair", h.cls, h.assessable ? "" : "na", h === selected ? "selected" : "",
        h.origin === null || h.reviewed ? "added" : ""].filter(Boolean).join(" ");
      const g = el("g", { "class": cls, "data-key": String(h.key), "data-origin": String(h.origin) });
      g.appendChild(el("line", { x1: h.exit[0], y1: h.exit[1], x2: h.end[0], y2: h.end[1], "stroke-width": r / 2.5 }));
      g.appendChild(el("circle", { cx: h.exit[0], cy: h.exit[1], r: r, "stroke-width": r / 3 }));
      svg.appendChild(g);
    }
    if (drag && drag.kind === "add") {
      svg.appendChild(el("line", { "class": "draft", x1: drag.start[0], y1: drag.start[1], x2: drag.end[0], y2: drag.end[1], "stroke-width": r / 2.5 }));
    }
    if (pending) svg.appendChild(el("circle", { "class": "draft", cx: pending[0], cy: pending[1], r: r }));
    counter.textContent = hairs.length + " hairs" + (edits.length ? " · " + edits.length + " unsaved edit(s)" : "");
    box.classList.toggle("adding", mode === "add");
  }

  function point(ev) {
    const p = svg.createSVGPoint();
    p.x = ev.clientX; p.y = ev.clientY;
    const q = p.matrixTransform(svg.getScreenCTM().inverse());
    const w = state.image.width, h = state.image.height;
    return [Math.min(Math.max(q.x, 0), w - 1), Math.min(Math.max(q.y, 0), h - 1)];
  }

  function remember() {
    history.push({ hairs: JSON.parse(JSON.stringify(hairs)), edits: edits.length, keys: hairs.map(h => h.key) });
  }

  function undo() {
    const last = history.pop();
    if (!last) { say("Nothing to undo."); return; }
    hairs = last.hairs; edits.length = last.edits; selected = null; pending = null;
    draw(); say("Undone.");
  }

  function hairAt(target) {
    const g = target.closest ? target.closest("g.hair") : null;
    return g ? hairs.find(h => String(h.key) === g.dataset.key) : null;
  }

  function label(h) { return h.origin === null ? "new" : h.origin; }

  function remove() {
    if (!selected) { say("Select a hair first (click its exit dot)."); return; }
    remember();
    edits.push({ op: "remove", hair: label(selected), at: selected.exit.map(Math.round) });
    hairs = hairs.filter(h => h !== selected); selected = null; draw();
  }

  function toggleAssessable() {
    if (!selected) { say("Select a hair first (click its exit dot)."); return; }
    remember();
    selected.assessable = !selected.assessable;
    edits.push({ op: selected.assessable ? "assessable" : "not-assessable", hair: label(selected) });
    draw();
  }

  function setMode(m) {
    mode = m; pending = null; selected = null; draw();
    say(m === "add" ? "Add a hair: press on its exit point and drag along the shaft (or click the exit, then the shaft)." : "");
  }

  function addHair(exit, end) {
    if (Math.hypot(end[0] - exit[0], end[1] - exit[1]) < 3) return false;
    remember();
    const h = { key: nextKey++, exit: exit, end: end, assessable: true, origin: null, cls: "" };
    hairs.push(h);
    edits.push({ op: "add", at: exit.map(Math.round) });
    selected = h;
    return true;
  }

  svg.addEventListener("mousedown", ev => {
    if (!state || !canWrite || ev.button !== 0) return;
    ev.preventDefault();
    const p = point(ev);
    if (mode === "add") {
      if (pending) { if (addHair(pending, p)) { pending = null; setMode("select"); } return; }
      drag = { kind: "add", start: p, end: p };
      return;
    }
    const h = hairAt(ev.target);
    selected = h || null;
    if (h && ev.target.tagName === "circle") drag = { kind: "move", hair: h, start: p, from: h.exit.slice(), moved: false };
    draw();
  });

  window.addEventListener("mousemove", ev => {
    if (!drag) return;
    const p = point(ev);
    if (drag.kind === "add") { drag.end = p; draw(); return; }
    if (!drag.moved && Math.hypot(p[0] - drag.start[0], p[1] - drag.start[1]) < 2) return;
    if (!drag.moved) { remember(); drag.moved = true; }
    const dx = p[0] - drag.start[0], dy = p[1] - drag.start[1];
    drag.hair.exit = [drag.from[0] + dx, drag.from[1] + dy];
    draw();
  });

  window.addEventListener("mouseup", () => {
    if (!drag) return;
    const d = drag; drag = null;
    if (d.kind === "add") {
      if (addHair(d.start, d.end)) setMode("select");
      else { pending = d.start; draw(); say("Now click a point on the hair's shaft."); }
      return;
    }
    if (d.moved) edits.push({ op: "move", hair: label(d.hair), at: d.hair.exit.map(Math.round) });
    draw();
  });

  function toggleOverlay() {
    svg.classList.toggle("hidden");
    document.getElementById("tool-toggle").textContent = svg.classList.contains("hidden") ? "Show overlay (H)" : "Hide overlay (H)";
  }

  async function save() {
    const reason = document.getElementById("review-reason").value.trim();
    if (!edits.length) { say("No edit to save."); return; }
    if (!reason) { say("Say why (for the audit trail), then save.", true); return; }
    say("Saving and re-measuring …");
    const res = await fetch("/api/images/" + imageId + "/hairs", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
      body: JSON.stringify({
        base_version: state.version, reason: reason, edits: edits,
        hairs: hairs.map(h => ({ exit: h.exit, end: h.end, assessable: h.assessable, origin: h.origin,
          same_as: h.same_as || null })),
      }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status === 409) { say("Not saved: " + (body.detail || "someone saved a newer version") + " Your edits are still here.", true); return; }
    if (!res.ok) { say("Not saved: " + (body.detail || ("HTTP " + res.status)), true); return; }
    say("Saved version " + body.version + "; updating the numbers …");
    location.reload();
  }

  const actions = {
    "tool-add": () => setMode(mode === "add" ? "select" : "add"),
    "tool-remove": remove, "tool-assess": toggleAssessable, "tool-undo": undo,
    "tool-toggle": toggleOverlay, "review-save": save,
  };
  for (const id in actions) {
    const b = document.getElementById(id);
    if (b) b.addEventListener("click", ev => { ev.preventDefault(); actions[id](); });
  }

  document.addEventListener("keydown", ev => {
    if (!state || /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return;
    const k = ev.key.toLowerCase();
    if ((ev.ctrlKey || ev.metaKey) && k === "z") { ev.preventDefault(); if (canWrite) undo(); return; }
    if (k === "h") toggleOverlay();
    if (!canWrite) return;
    if (k === "a") setMode(mode === "add" ? "select" : "add");
    else if (k === "delete" || k === "backspace" || k === "x") { ev.preventDefault(); remove(); }
    else if (k === "n") toggleAssessable();
    else if (k === "u") undo();
    else if (k === "escape") setMode("select");
  });

  window.addEventListener("beforeunload", ev => { if (edits.length && !status.textContent.startsWith("Saved")) ev.preventDefault(); });
  load();
})();
