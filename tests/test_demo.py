"""The end-to-end demo on a tiny cohort (classical method, so no model is needed)."""

from __future__ import annotations

import csv
import json

import pytest

from trichometry.data import Dataset
from trichometry.demo import run_demo
from trichometry.errors import OutputError
from trichometry.store import Store

SMALL = {"width": 320, "height": 256, "um_per_px": 4.0, "density_per_cm2": (200.0, 260.0)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "run"
    return run_demo(out, method="classical", progress=False, scene=SMALL)


def test_every_stage_writes_its_outputs(demo):
    out = demo.out
    ds = Dataset(out / "cohort", verify=True)
    assert len(ds) == 6 and ds.subjects() == ["S001", "S002"]
    for row in ds.rows:  # one analysis document and overlay per photo
        doc = json.loads((out / "results" / f"{row.image_id}.json").read_text())
        assert doc["image"]["sha256"] == row.image_sha256
        assert (out / "results" / f"{row.image_id}_overlay.png").stat().st_size > 0
    with open(out / "results" / "measurements.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 6
    assert sorted(p.name for p in demo.reports) == ["trial_report.csv", "trial_report.pdf"]
    assert (out / "trial_report.pdf").read_bytes().startswith(b"%PDF")
    # README's first picture: a photo's overlay beside its visit comparison, one height
    from PIL import Image

    overview = Image.open(out / "overview.png")
    last = demo.changes[-1]
    photo = Image.open(out / "results" / f"{last.subject}_{last.visit}_overlay.png")
    assert overview.height == 520 and overview.width > 520 * photo.width / photo.height


def test_outcomes_put_measurements_beside_truth(demo):
    ds = Dataset(demo.out / "cohort")
    assert [o.image_id for o in demo.images] == [r.image_id for r in ds.rows]
    for o, r in zip(demo.images, ds.rows):
        assert o.true_count == r.n_hairs and o.count is not None and o.count >= 0
    # follow-ups that registered are compared with their own subject's baseline
    for c in demo.changes:
        assert c.visit in {"1m", "6m"} and c.subject in {"S001", "S002"}
        assert (demo.out / "compare" / f"{c.subject}_{c.visit}.json").exists()


def test_clinic_database_holds_every_photo_with_its_analysis(demo):
    assert demo.admin_password
    store = Store.open(demo.clinic_dir)
    try:
        admin = store.authenticate("admin", demo.admin_password)
        subjects = store.list_subjects(admin)
        assert sorted(s.code for s in subjects) == ["S001", "S002"]
        assert store.verify_audit()[0]
    finally:
        store.close()


def test_rerun_replaces_an_earlier_demo_but_nothing_else(demo, tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not an earlier trichometry demo"):
        run_demo(other, method="classical", progress=False, scene=SMALL)
    assert (other / "thesis.tex").read_text() == "precious"
