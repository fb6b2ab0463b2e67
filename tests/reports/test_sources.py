from __future__ import annotations

import csv
import hashlib
import json

import pytest

from trichometry.errors import DataFormatError
from trichometry.reports import ResultsFolderSource, build_report
from trichometry.reports.sources import convention_label, result_provenance

TS = "2026-11-21T08:00:00Z"


def _rewrite(manifest, fn):
    rows = list(csv.DictReader(manifest.open()))
    rows = [r for r in (fn(dict(r)) for r in rows) if r is not None]
    with manifest.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_results_folder_gives_the_same_report_as_the_records(cohort, results_writer, tmp_path):
    source, _ = cohort
    manifest = results_writer(list(source.records()), tmp_path)
    folder = ResultsFolderSource(tmp_path / "results", manifest)
    a = build_report(source, generated_at=TS)
    b = build_report(folder, generated_at=TS)
    assert a.provenance["data_sha256"] == b.provenance["data_sha256"]
    assert "manifest manifest.csv" in b.provenance["source"]
    assert b.provenance["models"][0]["name"] == "unet-small"


def test_image_without_a_result_is_named(cohort, results_writer, tmp_path):
    source, _ = cohort
    manifest = results_writer(list(source.records()), tmp_path)
    (tmp_path / "results" / "T001_month3_0.json").unlink()
    with pytest.raises(DataFormatError, match=r"1 image\(s\).*T001_month3_0.*run `trichometry analyze`"):
        ResultsFolderSource(tmp_path / "results", manifest).records()


def test_result_of_another_image_is_refused(cohort, results_writer, tmp_path):
    source, _ = cohort
    manifest = results_writer(list(source.records()), tmp_path)
    path = tmp_path / "results" / "C000_week2_0.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "image_sha256": "f" * 64}))
    with pytest.raises(DataFormatError, match="belongs to another image"):
        ResultsFolderSource(tmp_path / "results", manifest).records()


def test_bad_manifest_and_results_say_what_to_fix(cohort, results_writer, tmp_path):
    source, _ = cohort
    manifest = results_writer(list(source.records()), tmp_path)
    good = (tmp_path / "results" / "C000_week2_0.json").read_text()
    (tmp_path / "results" / "C000_week2_0.json").write_text("{not json")
    with pytest.raises(DataFormatError, match=r"C000_week2_0\.json is not valid JSON"):
        ResultsFolderSource(tmp_path / "results", manifest).records()
    bad = tmp_path / "bad.csv"
    bad.write_text("image_id,subject,visit\nx,y,z\n")
    with pytest.raises(DataFormatError, match=r"lacks column.*site, arm, date or days_since_baseline"):
        ResultsFolderSource(tmp_path / "results", bad).records()
    with pytest.raises(DataFormatError, match="does not exist"):
        ResultsFolderSource(tmp_path / "nowhere", manifest)
    (tmp_path / "results" / "C000_week2_0.json").write_text(good)
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(DataFormatError, match=r"listed twice \(first on line 2\)"):
        ResultsFolderSource(tmp_path / "results", manifest).records()
    manifest.write_text("\n".join(lines) + "\n")
    _rewrite(manifest, lambda r: {**r, "days_since_baseline": "two weeks"} if r["visit"] == "week2" else r)
    with pytest.raises(DataFormatError, match=r"line 3.*whole number"):
        ResultsFolderSource(tmp_path / "results", manifest).records()


def test_dates_only_manifest_and_hashing_of_named_images(cohort, results_writer, tmp_path):
    source, _ = cohort
    manifest = results_writer(list(source.records()), tmp_path)
    days = {
        "baseline": "2026-01-05",
        "week2": "2026-01-19",
        "month1": "2026-02-04",
        "month3": "2026-04-06",
        "month6": "2026-07-06",
    }
    (tmp_path / "img.jpg").write_bytes(b"pixels")

    def edit(r):
        r.update(date=days[r["visit"]], days_since_baseline="")
        if r["image_id"] == "C000_baseline_0":
            r.update(image_sha256="", image="img.jpg")
        return r

    _rewrite(manifest, edit)
    rep = build_report(ResultsFolderSource(tmp_path / "results", manifest), generated_at=TS)
    assert sorted({o.day for o in rep.observations}) == [0, 14, 30, 91, 182]
    img = next(i for i in rep.provenance["images"] if i["image_id"] == "C000_baseline_0")
    assert img["sha256"] == hashlib.sha256(b"pixels").hexdigest() and img["path"] == "img.jpg"


def test_provenance_is_read_from_library_and_cli_results():
    model, conv, sha = result_provenance(
        {
            "source": {"method": "model", "name": "hairnet-s", "version": "1", "sha256": "cd" * 32},
            "convention": {"name": "trichoscopy", "cutoffs_um": [30.0, 60.0]},
            "image": {"sha256": "EE" * 32},
        }
    )
    assert (model.name, model.sha256, conv, sha) == (
        "hairnet-s",
        "cd" * 32,
        "trichoscopy (30, 60 um)",
        "EE" * 32,
    )
    assert convention_label("trial") == "trial" and convention_label(None) == ""
