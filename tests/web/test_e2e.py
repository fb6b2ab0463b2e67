"""End to end in a real headless Chromium (Playwright driving Debian's chromium).

Starts the service on a free loopback port with a temporary data folder and the real
(classical) analysis, then logs in, creates a subject and visits, uploads photos, waits
for the analysis, checks the overlay, the timeline and the matched-hair comparison, and
downloads the JSON and the PDF report. Screenshots go to a temporary folder and also to
``$TRICHOMETRY_SCREENSHOTS`` when set. Skips when Playwright or Chromium is missing
(run ``eval "$(.ci/services.sh)"`` to install Chromium).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from .conftest import PASSWORD

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    for candidate in (os.environ.get("TRICHOMETRY_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip('Chromium not found: run `eval "$(.ci/services.sh)"` (installs Debian\'s chromium)')


def _photos(folder: Path) -> dict[str, Path]:
    """Two baseline photos and one follow-up of the same area, shifted by a few pixels."""
    from trichometry.synth import generate_sample

    big = generate_sample(seed=11, width=430, height=350, um_per_px=8.0).image
    other = generate_sample(seed=12, width=400, height=320, um_per_px=8.0).image
    crops = {"base-1.png": big[0:320, 0:400], "base-2.png": other, "follow.png": big[11:331, 9:409]}
    out = {}
    for name, arr in crops.items():
        out[name] = folder / name
        Image.fromarray(arr).save(out[name])
    return out


@contextlib.contextmanager
def serving(store):
    """The web app over ``store`` on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    from trichometry.web.app import ServiceSettings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store, ServiceSettings()), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def live_server(tmp_path, fast_password_hashing):
    from trichometry.store import Store

    store = Store.open(tmp_path / "data")
    admin = store.create_user("admin", PASSWORD, "admin")
    store.create_site("A", "Site A", actor=admin)
    store.create_user("doc", PASSWORD, "clinician", "A", actor=admin)
    with serving(store) as url:
        yield url
    store.close()


def test_clinic_workflow_in_a_real_browser(live_server, tmp_path):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install playwright)"
    )
    executable = _chromium()
    shots = [tmp_path / "screenshots"]
    if os.environ.get("TRICHOMETRY_SCREENSHOTS"):
        shots.append(Path(os.environ["TRICHOMETRY_SCREENSHOTS"]))
    for d in shots:
        d.mkdir(parents=True, exist_ok=True)
    photos = _photos(tmp_path)
    base = live_server

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(60_000)
        expect = sync_api.expect

        def shot(name: str) -> None:
            for d in shots:
                page.screenshot(path=str(d / f"{name}.png"), full_page=True)

        # unauthenticated -> login page; wrong password -> message; right password -> subjects
        page.goto(f"{base}/subjects")
        expect(page).to_have_url(f"{base}/login?next=/subjects")
        page.fill("input[name=username]", "doc")
        page.fill("input[name=password]", "wrong-password-1")
        page.click("#login-button")
        expect(page.locator("#login-error")).to_contain_text("wrong user name or password")
        shot("01-login")
        page.fill("input[name=username]", "doc")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-button")
        expect(page).to_have_url(f"{base}/subjects")

        page.fill("input[name=code]", "S-E2E")
        page.click("#create-subject")
        expect(page.locator("h1")).to_contain_text("Subject S-E2E")
        subject_url = page.url

        # baseline visit with two photos
        page.fill("input[name=date]", "2026-01-05")
        page.click("#create-visit")
        expect(page.locator("h1")).to_contain_text("Visit 2026-01-05")
        page.set_input_files("#file-input", [str(photos["base-1.png"]), str(photos["base-2.png"])])
        page.fill("#um-per-px", "8.0")
        page.click("#upload-button")
        expect(page.locator("#images .job-status", has_text="done")).to_have_count(2, timeout=90_000)
        shot("02-visit")

        # per-image overlay, numbers and quality verdict
        page.click("#images a >> nth=0")
        expect(page.locator("#quality")).to_contain_text("Quality:")
        expect(page.locator("#numbers")).to_contain_text("/cm²")
        page.wait_for_function("document.getElementById('photo').naturalWidth > 0")
        expect(page.locator("#review-count")).to_contain_text("hairs")  # the editor loaded the hairs
        shot("03-image")
        with page.expect_download() as dl:
            page.click("#download-json")
        json_path = tmp_path / "image.json"
        dl.value.save_as(json_path)
        assert b'"result"' in json_path.read_bytes()

        # follow-up visit, one shifted photo of the same area
        page.goto(subject_url)
        page.fill("input[name=date]", "2026-04-06")
        page.click("#create-visit")
        page.fill("#um-per-px", "8.0")
        # this time drag and drop: a real drop event carrying the file
        payload = base64.b64encode(photos["follow.png"].read_bytes()).decode()
        transfer = page.evaluate_handle(
            """(b64) => { const dt = new DataTransfer();
                const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
                dt.items.add(new File([bytes], 'follow.png', {type: 'image/png'})); return dt; }""",
            payload,
        )
        page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
        expect(page.locator("#images .job-status", has_text="done")).to_have_count(1, timeout=90_000)

        # timeline: two rows, plot, matched comparison
        page.goto(subject_url)
        expect(page.locator("#timeline tbody tr")).to_have_count(2)
        expect(page.locator("#timeline")).to_contain_text("baseline")
        expect(page.locator("#timeline")).to_contain_text("3m")
        page.wait_for_function("document.getElementById('timeline-plot').naturalWidth > 0")
        # one headline change per window, with its interval, led by the hair-to-hair figure
        head = page.locator("#headlines tr.headline")
        expect(head).to_have_count(1)
        expect(head).to_have_attribute("data-measure", "hair-to-hair")  # registered and matched
        expect(head.locator("td.lead")).to_contain_text("[")
        page.wait_for_function("document.querySelector('figure.comparison img').naturalWidth > 0")
        shot("04-subject")
        page_change = {k: float(head.get_attribute(f"data-{k}")) for k in ("change", "low", "high")}
        window, visit = head.get_attribute("data-window"), head.get_attribute("data-visit")
        # the follow-up is the first baseline photo shifted: the true change is none, and the
        # interval says so
        assert page_change["low"] <= 0.0 <= page_change["high"]

        # the same figure in the trial report and in /api/export.csv
        trial = list(csv.DictReader(io.StringIO(page.request.get(f"{base}/api/reports/trial.csv").text())))
        (t,) = [r for r in trial if r["PARAMCD"] == "DENSHCHG" and r["AVISIT"] == window]
        assert t["VISIT"] == visit and t["METHOD"] == "hair-to-hair"
        assert page_change == pytest.approx(
            {"change": float(t["AVAL"]), "low": float(t["AVALLO"]), "high": float(t["AVALHI"])}, abs=1e-6
        )
        export = list(csv.DictReader(io.StringIO(page.request.get(f"{base}/api/export.csv").text())))
        (e,) = [r for r in export if r["window"] == window and r["analysed_for_window"] == "Y"]
        assert page_change == pytest.approx(
            {
                "change": float(e["headline_density_change_per_cm2"]),
                "low": float(e["headline_ci95_low"]),
                "high": float(e["headline_ci95_high"]),
            },
            abs=1e-6,
        )
        table = page.request.get(base + page.locator("figure.comparison a").get_attribute("href"))
        assert table.ok and table.text().splitlines()[0].startswith("visit,hair,x_px")

        with page.expect_download() as dl:
            page.click("#download-report")
        pdf_path = tmp_path / "report.pdf"
        dl.value.save_as(pdf_path)
        assert pdf_path.read_bytes()[:5] == b"%PDF-" and pdf_path.stat().st_size > 5000
        browser.close()

    for d in shots:
        assert {f.name for f in d.glob("*.png")} >= {
            "01-login.png",
            "02-visit.png",
            "03-image.png",
            "04-subject.png",
        }
