"""Golden reproducibility (RELIABILITY.md test 12): stored numbers reproduce exactly on the CPU.

The golden images are generated, not stored: a scene drawn with OpenCV primitives and
``trichometry.synth.generate_sample`` with fixed seeds. ``golden/classical.json`` keeps each
image's pixel SHA-256, its full analysis document (hairs, density, thickness, classes,
quality metrics; only timings and the package version are left out), and a fingerprint of
the source code that produced them (io, quality, classical, measure, outputs, synth, truth,
analysis). Two checks:

* always: the same image gives byte-identical numbers in this process and in a fresh one;
* the stored numbers reproduce exactly, so a new library version, CPU or thread count that
  moves a number fails here. A change of the analysis code (its fingerprint) fails too, so
  that nobody changes the numbers unnoticed: after an intended change of the algorithms,
  review the new numbers and regenerate them in the same commit with::

    TRICHOMETRY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/hardening/test_golden.py -p no:cacheprovider
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from trichometry.analysis import analyze
from trichometry.synth import generate_sample
from trichometry.utils.atomic import atomic_write_text

GOLDEN_FILE = Path(__file__).with_name("golden") / "classical.json"
CASES = [
    {"drawn": 1, "um_per_px": 5.0},
    {"seed": 2029, "width": 320, "height": 256, "um_per_px": 6.0},
    {"seed": 2026, "width": 320, "height": 256, "um_per_px": 6.0},
]
VOLATILE = ("timings_s", "trichometry_version")
SRC = Path(__file__).resolve().parents[2] / "src" / "trichometry"
FINGERPRINTED = (
    "analysis.py", "io", "quality", "classical", "measure", "outputs", "synth", "truth.py",
    "inference/peaks.py",
)  # fmt: skip


def code_fingerprint() -> str:
    """SHA-256 over the source files whose change may legitimately change the numbers."""
    h = hashlib.sha256()
    for name in FINGERPRINTED:
        root = SRC / name
        for path in sorted([root] if root.is_file() else root.rglob("*.py")):
            h.update(str(path.relative_to(SRC)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def drawn_scene(seed: int = 1) -> np.ndarray:
    """``(256, 320, 3)`` uint8 RGB: skin-coloured background, mild texture, eight dark shafts."""
    import cv2

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:256, 0:320].astype(np.float32)
    base = 170 + 10 * np.sin(xx / 37.0) * np.cos(yy / 53.0)
    img = np.stack([base + 12, base - 8, base - 18], axis=-1)
    img += rng.normal(0, 3, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    shafts = [((20, 30), (200, 70), 7), ((40, 220), (260, 150), 5), ((300, 20), (150, 240), 9),
              ((90, 120), (170, 250), 4), ((230, 60), (310, 230), 6), ((10, 160), (120, 200), 3),
              ((180, 10), (240, 120), 8), ((60, 80), (70, 250), 5)]  # fmt: skip
    for (x0, y0), (x1, y1), width in shafts:
        cv2.line(img, (x0, y0), (x1, y1), (55, 40, 35), width, cv2.LINE_AA)
    return cv2.GaussianBlur(img, (3, 3), 0.8)


def _document(case: dict) -> tuple[str, dict]:
    if "drawn" in case:
        image = drawn_scene(case["drawn"])
    else:
        image = generate_sample(**case).image
    sha = hashlib.sha256(image.tobytes()).hexdigest()
    doc = analyze(image, um_per_px=case["um_per_px"], method="classical").to_dict()
    for key in VOLATILE:
        doc.pop(key, None)
    return sha, json.loads(json.dumps(doc))  # the stored form: JSON types


@pytest.mark.timeout(300)
def test_golden_numbers_reproduce_exactly():
    computed = {json.dumps(c, sort_keys=True): _document(c) for c in CASES}
    if os.environ.get("TRICHOMETRY_UPDATE_GOLDEN") == "1":
        entries = [{"case": c, "image_sha256": computed[json.dumps(c, sort_keys=True)][0],
                    "document": computed[json.dumps(c, sort_keys=True)][1]} for c in CASES]  # fmt: skip
        golden = {"code_fingerprint": code_fingerprint(), "cases": entries}
        atomic_write_text(GOLDEN_FILE, json.dumps(golden, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"golden numbers rewritten to {GOLDEN_FILE}; review the diff and commit it")
    golden = json.loads(GOLDEN_FILE.read_text())
    if golden["code_fingerprint"] != code_fingerprint():
        pytest.fail(
            "the analysis code changed since the golden numbers were stored; if the change is intended, "
            "review the new numbers and regenerate them (TRICHOMETRY_UPDATE_GOLDEN=1, see this module's "
            "docstring) in the same commit"
        )
    stored = golden["cases"]
    changed: list[dict] = []
    assert [e["case"] for e in stored] == CASES
    for entry in stored:
        sha, doc = computed[json.dumps(entry["case"], sort_keys=True)]
        if sha != entry["image_sha256"]:
            assert "drawn" not in entry["case"], "the drawn golden scene changed; it must not"
            changed.append(entry["case"])  # the generator changed: these numbers are for another image
            continue
        assert doc["hair_count"] >= 3  # a golden image worth the name has hairs to measure
        diff = [
            k for k in sorted(set(doc) | set(entry["document"])) if doc.get(k) != entry["document"].get(k)
        ]
        assert diff == [], f"numbers changed for {entry['case']} in {diff}"
    if changed:
        pytest.skip(f"generator changed, golden cases {changed} not compared; regenerate (see docstring)")


@pytest.mark.timeout(300)
def test_same_image_same_numbers_in_a_fresh_process():
    import subprocess
    import sys

    case = CASES[0]
    here = _document(case)
    script = (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"from test_golden import _document; print(json.dumps(_document({case!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=240
    )
    there = json.loads(out.stdout.strip().splitlines()[-1])
    assert there[0] == here[0]  # same pixels
    assert json.dumps(there[1], sort_keys=True) == json.dumps(here[1], sort_keys=True)
