"""The wheel carries the shipped model: installed outside the checkout, ``analyze`` finds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import pytest

from trichometry.inference.predictor import DEFAULT_MODEL_NAME
from trichometry.synth import generate_sample

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)


@pytest.mark.timeout(1200)
def test_wheel_installed_elsewhere_analyses_with_the_shipped_model(tmp_path):
    dist = tmp_path / "dist"
    # no build isolation: the environment's setuptools builds it, nothing is downloaded
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)]
    r = _run([*build, str(ROOT)])
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = dist.glob("trichometry-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert f"trichometry/resources/models/{DEFAULT_MODEL_NAME}" in names
    # every module in the wheel is in the source tree: none left over from an earlier build
    # (setuptools reuses ./build/lib; `make clean` removes it)
    stale = [n for n in names if n.endswith(".py") and not (ROOT / "src" / n).is_file()]
    assert stale == [], f"modules not in src/ (stale build/ folder?): {stale}"
    site = tmp_path / "site"
    r = _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)])
    assert r.returncode == 0, r.stderr[-2000:]
    work = tmp_path / "work"
    work.mkdir()
    s = generate_sample(7, width=320, height=256, um_per_px=5.0)
    cv2.imwrite(str(work / "photo.png"), cv2.cvtColor(s.image, cv2.COLOR_RGB2BGR))
    env = {k: v for k, v in os.environ.items() if k != "TRICHOMETRY_MODEL"}
    env["PYTHONPATH"] = str(site)  # ahead of the checkout's editable install
    code = (
        "import sys, trichometry; from pathlib import Path; "
        f"assert Path(trichometry.__file__).is_relative_to({str(site)!r}), trichometry.__file__; "
        "from trichometry.cli.main import cli; "
        "cli(['analyze', 'photo.png', '--um-per-px', '5', '--out', 'out'])"
    )
    r = _run([sys.executable, "-c", code], cwd=work, env=env)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-2000:])
    doc = json.loads((work / "out" / "photo.json").read_text())
    assert doc["status"] == "ok" and doc["model"]["method"] == "model"
    assert Path(doc["model"]["checkpoint"]).is_relative_to(site)  # the wheel's copy, not the checkout's
    assert doc["hair_count"] > 0
