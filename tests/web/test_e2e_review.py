"""Hair-level review in a real headless Chromium, and every number following it.

A generated subject (baseline and a 3-month follow-up of the same area, analysed by the
classical detector) is stored; a clinician opens the follow-up photo, removes one hair
and adds one by dragging along a shaft, and saves with a reason. Then the photo page,
the subject page's headline and interval, ``/api/export.csv`` and the trial report from
the database must all show the new values; the audit trail names both edits; the
detector's own list is still there; a second reviewer editing the old version gets a
conflict. Screenshots go to a temporary folder and ``$TRICHOMETRY_SCREENSHOTS``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from trichometry.utils.encoding import encode_png

from .conftest import PASSWORD
from .test_e2e import CHROMIUM_ARGS, _chromium, serving

UM = 8.0


@pytest.fixture
def seeded_server(tmp_path, fast_password_hashing):
    from trichometry.clinic.analysis import AnalysisSettings, default_analyser
    from trichometry.store import Store
    from trichometry.synth import generate_sample

    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", PASSWORD, "admin")
    store.create_site("A", "Site A", actor=admin)
    doc = store.create_user("doc", PASSWORD, "clinician", "A", actor=admin)
    subject = store.create_subject(doc, "S-REV")
    big = generate_sample(seed=11, width=430, height=350, um_per_px=UM).image
    photos = {"2026-01-05": big[0:320, 0:400], "2026-04-06": big[11:331, 9:409]}
    ids = {}
    settings = AnalysisSettings(method="classical")
    for day, pixels in photos.items():
        visit = store.create_visit(doc, subject.id, day, "frontal")
        data = encode_png(pixels)
        vi, _ = store.add_image(doc, visit.id, data, f"{day}.png", um_per_px=UM)
        store.add_analysis(vi.id, default_analyser(data, UM, settings), actor=doc)
        ids[day] = (visit.id, vi.id)
    with serving(store) as url:
        yield url, store, subject.id, ids["2026-04-06"][1]
    store.close()


def _headline(page) -> dict[str, float]:
    head = page.locator("#headlines tr.headline")
    return {k: float(head.get_attribute(f"data-{k}")) for k in ("change", "low", "high")}


def test_review_in_a_real_browser_and_every_number_follows(seeded_server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    executable = _chromium()
    base, store, subject_id, photo_id = seeded_server
    shots = [tmp_path / "screenshots"]
    if os.environ.get("TRICHOMETRY_SCREENSHOTS"):
        shots.append(Path(os.environ["TRICHOMETRY_SCREENSHOTS"]))
    for d in shots:
        d.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.set_default_timeout(60_000)
        expect = sync_api.expect

        def shot(name: str) -> None:
            for d in shots:
                page.screenshot(path=str(d / f"{name}.png"), full_page=True)

        page.goto(f"{base}/login")
        page.fill("input[name=username]", "doc")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-button")
        detector_summary = store.effective_summary(store.latest_analysis(photo_id))

        page.goto(f"{base}/images/{photo_id}")
        hairs = page.locator("#hairs g.hair")
        expect(hairs.first).to_be_attached()
        n0 = hairs.count()
        assert n0 >= 3
        expect(page.locator("#numbers")).to_contain_text(str(n0))
        expect(page.locator("#density-ci")).to_contain_text("95 % interval")
        shot("r1-photo")

        # remove the first hair: click its exit dot, then press Delete
        first = page.locator("#hairs g.hair circle").first
        first.click()
        expect(page.locator("#hairs g.hair.selected")).to_have_count(1)
        page.keyboard.press("Delete")
        expect(hairs).to_have_count(n0 - 1)
        # undo and redo it, to use the undo stack
        page.keyboard.press("Control+z")
        expect(hairs).to_have_count(n0)
        page.locator("#hairs g.hair circle").first.click()
        page.click("#tool-remove")
        expect(hairs).to_have_count(n0 - 1)

        # add one: A, then press at the exit and drag along the shaft
        box = page.locator("#hairs").bounding_box()
        page.keyboard.press("a")
        x0, y0 = box["x"] + 0.1 * box["width"], box["y"] + 0.9 * box["height"]
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + 30, y0 - 25, steps=5)
        page.mouse.up()
        expect(hairs).to_have_count(n0)
        expect(page.locator("#hairs g.hair.added")).to_have_count(1)
        expect(page.locator("#review-count")).to_contain_text("2 unsaved edit(s)")
        shot("r2-edited")

        page.fill("#review-reason", "removed a false hair, added a missed one")
        page.click("#review-save")
        page.wait_for_function(
            "() => /Saved|Not saved/.test(document.getElementById('review-status').textContent) "
            "|| document.getElementById('review-info')"
        )
        assert "Not saved" not in page.locator("#review-status").text_content()
        expect(page.locator("#review-info")).to_contain_text("version 1", timeout=30_000)
        expect(page.locator("#hairs g.hair.added")).to_have_count(1)  # saved, still marked as added
        expect(page.locator("#hairs g.hair")).to_have_count(n0)
        shot("r3-saved")

        latest = store.latest_analysis(photo_id)
        summary = store.effective_summary(latest)
        assert latest.method == "reviewed" and summary["count"] == n0
        expect(page.locator("#numbers")).to_contain_text(f"{summary['density_per_cm2']:.1f}")

        # the subject page leads with the re-measured change; export and trial report agree
        page.goto(f"{base}/subjects/{subject_id}")
        after = _headline(page)
        shot("r4-subject")
        head = page.locator("#headlines tr.headline")
        window, visit = head.get_attribute("data-window"), head.get_attribute("data-visit")
        trial = list(csv.DictReader(io.StringIO(page.request.get(f"{base}/api/reports/trial.csv").text())))
        (t,) = [r for r in trial if r["PARAMCD"] == "DENSHCHG" and r["AVISIT"] == window]
        assert t["VISIT"] == visit
        assert after == pytest.approx(
            {"change": float(t["AVAL"]), "low": float(t["AVALLO"]), "high": float(t["AVALHI"])}, abs=1e-6
        )
        export = list(csv.DictReader(io.StringIO(page.request.get(f"{base}/api/export.csv").text())))
        (e,) = [r for r in export if r["window"] == window and r["analysed_for_window"] == "Y"]
        assert after == pytest.approx(
            {"change": float(e["headline_density_change_per_cm2"]), "low": float(e["headline_ci95_low"]),
             "high": float(e["headline_ci95_high"])}, abs=1e-6,
        )  # fmt: skip
        assert float(e["density_per_cm2"]) == pytest.approx(summary["density_per_cm2"], rel=1e-6)
        # one hair out, another in: the count stays, the mean thickness is the re-measured one
        assert float(e["mean_thickness_um"]) == pytest.approx(summary["mean_thickness_um"], rel=1e-6)
        assert summary["mean_thickness_um"] != pytest.approx(detector_summary["mean_thickness_um"], rel=1e-9)

        # the detector's own list is still there
        detector = page.request.get(f"{base}/api/images/{photo_id}/hairs/detector").json()
        assert len(detector) == n0

        # a second reviewer who still has version 0 open gets a conflict; nothing changes
        token = page.request.post(f"{base}/api/login", data={"username": "doc", "password": PASSWORD}).json()
        stale = page.request.post(
            f"{base}/api/images/{photo_id}/hairs",
            data={"base_version": 0, "hairs": detector[:1], "reason": "stale"},
            headers={"X-CSRF-Token": token["csrf_token"]},
        )
        assert stale.status == 409 and "version 1" in stale.json()["detail"]
        assert store.latest_analysis(photo_id).id == latest.id

        # the comparison view: the removed hair's partner is lost, the added one new; join them
        page.goto(f"{base}/subjects/{subject_id}")
        form = page.locator("form.join")
        expect(form.locator("select[name=baseline_hair] option").first).to_be_attached()
        expect(form.locator("select[name=followup_hair] option").first).to_be_attached()
        counts = page.locator("#headlines tr.headline td").nth(6).text_content()
        matched, lost, new = (int(v) for v in counts.split("·"))
        form.locator("input[name=reason]").fill("one hair, its exit read differently")
        form.locator("button[type=submit]").click()
        expect(page.locator("#headlines tr.headline td").nth(6)).to_have_text(
            f"{matched + 1} · {lost - 1} · {new - 1}", timeout=30_000
        )
        shot("r5-joined")
        final = _headline(page)
        assert final["high"] - final["low"] < after["high"] - after["low"]  # one lost and one new fewer
        browser.close()

    # the report written to a file from the database (`trichometry report --db ... --out`), after the join
    from trichometry.reports import ReportConfig, StoreSource, build_report, write_report

    written = write_report(build_report(StoreSource(store), ReportConfig()), "csv", tmp_path / "trial.csv")
    rows = list(csv.DictReader(io.StringIO(written.read_text())))
    (f,) = [r for r in rows if r["PARAMCD"] == "DENSHCHG" and r["AVISIT"] == window]
    got = {"change": float(f["AVAL"]), "low": float(f["AVALLO"]), "high": float(f["AVALHI"])}
    assert final == pytest.approx(got, abs=1e-6)
    admin = store.active_user("admin")
    join, event = [e for e in store.audit_events(admin) if e["action"] == "hairs.review"]  # newest first
    assert "remove hair" in event["detail"] and "add at" in event["detail"]
    assert "join hair" in join["detail"]
    for d in shots:
        assert {f.name for f in d.glob("r*.png")} >= {"r1-photo.png", "r2-edited.png", "r3-saved.png"}
