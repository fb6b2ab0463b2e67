"""The end-to-end demo: a generated cohort through every stage of the pipeline.

``trichometry demo`` (and ``make demo``) runs, on built-in data and the shipped model::

    simulate cohort -> analyze every photo -> compare follow-ups with baseline
        -> trial report (CSV + PDF) -> clinic database the web app opens

Every stage calls the same library functions as its own command, and every number it
prints sits next to the generator's truth, so the demo shows how well the tool does, not
just that it runs. Each stage is a small function so it can be reused or tested alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trichometry.errors import OutputError

log = logging.getLogger(__name__)

DEMO_SUBJECTS = 2
DEMO_VISITS = ("baseline", "1m", "6m")
# 70x-like photos, smaller than a full frame so the demo takes about a minute on a laptop CPU.
DEMO_SCENE: dict[str, Any] = {
    "width": 800,
    "height": 640,
    "um_per_px": 2.8,
    "density_per_cm2": (160.0, 240.0),
    "clipped_fraction": 1.0,
    "p_unclipped": 0.0,
}
DEMO_REPORT_TIME = "2026-01-01T00:00:00Z"  # fixed, so repeated demos give identical reports


@dataclass
class ImageOutcome:
    """One photo: the truth beside what the pipeline measured."""

    image_id: str
    subject: str
    arm: str
    visit: str
    day: int
    true_count: int
    true_density_per_cm2: float
    count: int | None
    density_per_cm2: float | None
    mean_thickness_um: float | None
    quality: str


@dataclass
class ChangeOutcome:
    """One follow-up against baseline: hair-to-hair change beside the true change (same field)."""

    subject: str
    visit: str
    matched: int
    lost: int
    new: int
    density_change_pct: float | None
    true_density_change_pct: float


@dataclass
class DemoResult:
    """Where everything went, and the outcomes to print."""

    out: Path
    images: list[ImageOutcome] = field(default_factory=list)
    changes: list[ChangeOutcome] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    clinic_dir: Path | None = None
    admin_password: str | None = None


def _is_previous_demo(path: Path) -> bool:
    try:
        info = json.loads((path / "cohort" / "dataset.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("format") == "trichometry-dataset"


def prepare_folder(out: Path) -> None:
    """Refuse to touch a folder that holds anything but an earlier demo; clear an earlier demo."""
    import shutil

    if out.exists() and any(out.iterdir()):
        if not _is_previous_demo(out):
            raise OutputError(f"{out} exists and is not an earlier trichometry demo; choose another --out.")
        shutil.rmtree(out)


def make_cohort(root: Path, seed: int, progress: bool, scene: dict[str, Any] | None = None) -> Path:
    """Stage 1: a small synthetic cohort (treated and control) in the data set format."""
    from trichometry.data.cohort import write_cohort
    from trichometry.synth.longitudinal import VisitProtocol, iter_cohort
    from trichometry.synth.ranges import SceneRanges

    ranges = SceneRanges().with_overrides(**(DEMO_SCENE if scene is None else scene))
    subjects = iter_cohort(DEMO_SUBJECTS, seed, ranges=ranges, protocol=VisitProtocol(visits=DEMO_VISITS))
    write_cohort(
        root,
        subjects,
        n_subjects=DEMO_SUBJECTS,
        splits="test",
        name="trichometry demo",
        provenance={"generator": "trichometry demo", "seed": seed},
        overwrite=True,
        progress=progress,
        total_images=DEMO_SUBJECTS * len(DEMO_VISITS),
    )
    return root


def analyse_cohort(
    cohort: Path, results: Path, method: str, model: str | None, progress: bool
) -> dict[str, Any]:
    """Stage 2: ``trichometry analyze`` on every photo; returns the results by image id."""
    from tqdm import tqdm

    from trichometry.analysis import analyze, get_detector
    from trichometry.data.readers import Dataset
    from trichometry.outputs import render_overlay, result_row, write_csv, write_json, write_png

    ds = Dataset(cohort)
    detector = get_detector(method, model)
    out: dict[str, Any] = {}
    rows = []
    for row in tqdm(ds.rows, desc="analyze", unit="img", disable=not progress):
        path = cohort / row.image
        result = analyze(path, um_per_px=row.um_per_px, method=method, model=detector)
        doc = result.to_dict()
        write_json(results / f"{row.image_id}.json", doc)
        write_png(results / f"{row.image_id}_overlay.png", render_overlay(result, doc))
        rows.append(result_row(doc, str(path), f"{row.image_id}.json", f"{row.image_id}_overlay.png"))
        out[row.image_id] = result
    write_csv(results / "measurements.csv", rows)
    return out


def image_outcomes(cohort: Path, results: dict[str, Any]) -> list[ImageOutcome]:
    """Truth and measurement per photo."""
    from trichometry.data.readers import Dataset

    rows = []
    for r in Dataset(cohort).rows:
        res = results[r.image_id]
        m = res.measurement
        s = m.summary if m is not None else {}
        rows.append(
            ImageOutcome(
                image_id=r.image_id,
                subject=r.subject,
                arm=r.arm,
                visit=r.visit,
                day=r.days_since_baseline or 0,
                true_count=r.n_hairs,
                true_density_per_cm2=r.density_per_cm2,
                count=None if m is None else m.hair_count,
                density_per_cm2=s.get("density_per_cm2"),
                mean_thickness_um=s.get("mean_diameter_um"),
                quality=res.quality.verdict,
            )
        )
    return rows


def compare_followups(cohort: Path, results: dict[str, Any], compare_dir: Path) -> list[ChangeOutcome]:
    """Stage 3: every follow-up matched hair to hair with its subject's baseline photo."""
    from trichometry.data.readers import Dataset
    from trichometry.errors import TrichometryError
    from trichometry.evaluation.cohort import true_overlap_change
    from trichometry.utils.atomic import atomic_write_bytes, atomic_write_text
    from trichometry.visits import HairPoints, compare_photos
    from trichometry.visits.overlay import comparison_record, render_overlay

    ds = Dataset(cohort)
    outcomes = []
    for subject in ds.subjects():
        visits = [r for r in ds.rows if r.subject == subject]
        base_row = next(r for r in visits if r.visit == "baseline")
        base_res = results[base_row.image_id]
        for row in visits:
            if row is base_row:
                continue
            res = results[row.image_id]
            try:
                base = HairPoints.from_analysis(base_res, image=base_res.image)
                foll = HairPoints.from_analysis(res, image=res.image)
                reg, matching, change = compare_photos(base, foll)
            except TrichometryError as exc:
                log.warning("%s %s: not compared: %s", subject, row.visit, exc)
                continue
            record = comparison_record(matching, change)
            name = f"{subject}_{row.visit}"
            title = f"{subject}: baseline -> {row.visit}"
            atomic_write_bytes(
                compare_dir / f"{name}_overlay.png",
                render_overlay(matching, base.image, foll.image, title=title),
            )
            atomic_write_text(
                compare_dir / f"{name}.json", json.dumps(record, indent=1, default=lambda o: None)
            )
            # the truth counted by the same rule (hairs in both fields), in the estimated frame
            true = true_overlap_change(ds.truth(base_row.image_id), ds.truth(row.image_id), reg.matrix)
            outcomes.append(
                ChangeOutcome(
                    subject=subject,
                    visit=row.visit,
                    matched=int(record["matched"]),
                    lost=int(record["lost"]),
                    new=int(record["new"]),
                    density_change_pct=record.get("density_change_pct"),
                    true_density_change_pct=true["change_pct"],
                )
            )
    return outcomes


def write_reports(cohort: Path, results: Path, out: Path) -> list[Path]:
    """Stage 4: the coordinator's trial report (long CSV and PDF) over the analysis results."""
    from trichometry.reports import ReportConfig, ResultsFolderSource, build_report, write_report
    from trichometry.visits import DEFAULT_WINDOWS

    # the demo's protocol has the 1- and 6-month windows only
    config = ReportConfig(windows=tuple(w for w in DEFAULT_WINDOWS if w.name in DEMO_VISITS))
    report = build_report(
        ResultsFolderSource(results, cohort / "manifest.csv"), config, generated_at=DEMO_REPORT_TIME
    )
    return [write_report(report, fmt, out / f"trial_report.{fmt}") for fmt in ("csv", "pdf")]


def fill_clinic(
    cohort: Path,
    results: dict[str, Any],
    clinic_dir: Path,
    method: str,
    model: str | None,
    db_url: str | None = None,
) -> str | None:
    """Stage 5: a fresh clinic database with the cohort's subjects, visits, photos and analyses.

    Args:
        db_url: the database (default: SQLite in ``clinic_dir``; files always go there).

    Returns:
        The generated password of the ``admin`` user (shown once).
    """
    from trichometry.clinic.analysis import AnalysisSettings, record_from_result
    from trichometry.data.readers import Dataset
    from trichometry.store import Store

    settings = AnalysisSettings(method=method, checkpoint=model)
    store = Store.open(clinic_dir, db_url)
    try:
        admin, password = store.ensure_admin()
        site = store.create_site("DEMO", "Demo clinic", actor=admin)
        base_date = dt.date(2026, 1, 5)
        subjects: dict[str, Any] = {}
        for r in Dataset(cohort).rows:
            if r.subject not in subjects:
                subjects[r.subject] = store.create_subject(admin, r.subject, site.code)
            # the manifest's own date, so files and clinic name each visit alike
            date = (
                dt.date.fromisoformat(r.date)
                if r.date
                else base_date + dt.timedelta(days=r.days_since_baseline or 0)
            )
            visit = store.find_visit(admin, subjects[r.subject].id, date.isoformat())
            if visit is None:
                visit = store.create_visit(
                    admin, subjects[r.subject].id, date.isoformat(), r.site or "frontal", r.arm
                )
            vi, _ = store.add_image(
                admin, visit.id, (cohort / r.image).read_bytes(), Path(r.image).name, um_per_px=r.um_per_px
            )
            store.add_analysis(
                vi.id, record_from_result(results[r.image_id], settings, r.um_per_px), actor=admin
            )
    finally:
        store.close()
    return password


def run_demo(
    out: Path,
    *,
    seed: int = 0,
    method: str = "model",
    model: str | None = None,
    progress: bool = True,
    scene: dict[str, Any] | None = None,
    say: Callable[[str], None] = log.info,
) -> DemoResult:
    """Run every stage into ``out`` (an earlier demo there is replaced, nothing else is).

    Args:
        scene: generator overrides for the photos (default :data:`DEMO_SCENE`).
    """
    prepare_folder(out)
    result = DemoResult(out=out)
    cohort = make_cohort(out / "cohort", seed, progress, scene)
    say(f"cohort: {cohort}")
    analysed = analyse_cohort(cohort, out / "results", method, model, progress)
    result.images = image_outcomes(cohort, analysed)
    result.changes = compare_followups(cohort, analysed, out / "compare")
    if result.changes:  # the first picture of README: a photo's overlay beside its comparison
        from trichometry.outputs.montage import write_overview

        last = result.changes[-1]
        name = f"{last.subject}_{last.visit}_overlay.png"
        write_overview(out / "results" / name, out / "compare" / name, out / "overview.png")
    result.reports = write_reports(cohort, out / "results", out)
    result.clinic_dir = out / "clinic"
    result.admin_password = fill_clinic(cohort, analysed, result.clinic_dir, method, model)
    return result
