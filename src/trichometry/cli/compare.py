"""``trichometry compare BASELINE FOLLOWUP --out DIR``: hair-to-hair change between two visits.

Both photos are read and calibrated, their hairs found (``--method``), the follow-up
registered onto the baseline, hairs matched one to one, and the change written to
``DIR/compare.json`` with a side-by-side ``DIR/compare_overlay.png``. Everything is
computed before anything is written; each file is written atomically.

Further photos of the same area at either visit (``--baseline-also``, ``--followup-also``)
go through :func:`trichometry.visits.compare_visit`: with at least two photos at both
visits, each visit's photos vote on its hairs and the consensuses are matched (counts,
fates and overlay are the consensus's, drawn on each visit's first photo); with one
photo at either visit, the change is the mean over every photo pair, and the counts,
fates and overlay are those of the two first photos (``combine`` in the JSON says which).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np

from trichometry.errors import CalibrationError, DataFormatError

logger = logging.getLogger(__name__)


def detect_hairs(image: np.ndarray, um_per_px: float, method: str, checkpoint: str | None) -> Any:
    """Hairs of one photo as :class:`~trichometry.visits.HairPoints` via :func:`trichometry.analyze`.

    Raises:
        ImageRejected: the photo fails quality control (a visit with no usable image).
    """
    from trichometry import analyze
    from trichometry.visits import HairPoints

    result = analyze(image, um_per_px=um_per_px, method=method, model=checkpoint)
    return HairPoints.from_analysis(result, image=image)


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise DataFormatError(f"{what} {value!r} is not a date; write it as YYYY-MM-DD.") from exc


def run_compare(
    baseline: str,
    followup: str,
    out: str,
    *,
    um_per_px: float | None = None,
    baseline_um_per_px: float | None = None,
    followup_um_per_px: float | None = None,
    method: str = "model",
    checkpoint: str | None = None,
    max_distance_um: float = 60.0,
    roi_radius_um: float | None = None,
    rescale: bool = False,
    baseline_date: str | None = None,
    followup_date: str | None = None,
    baseline_also: Sequence[str] = (),
    followup_also: Sequence[str] = (),
) -> dict[str, Any]:
    """Compare two photos of one target area and write ``compare.json`` + ``compare_overlay.png``.

    Returns:
        The record written to ``compare.json``.

    Raises:
        TrichometryError subclasses for unreadable images, missing or mismatched
        calibration, a follow-up dated before baseline, or photos of different areas.
    """
    from trichometry.utils.atomic import atomic_write_bytes, atomic_write_text, ensure_writable_dir
    from trichometry.visits import (
        MatchConfig,
        VisitPhotos,
        check_visits_scale,
        compare_visit,
        days_since,
        visit_scale,
    )
    from trichometry.visits.overlay import comparison_record, render_overlay

    d0, d1 = _date(baseline_date, "--baseline-date"), _date(followup_date, "--followup-date")
    day = days_since(d0, d1) if d0 and d1 else None
    out_dir = ensure_writable_dir(out)
    b_paths, f_paths = [baseline, *baseline_also], [followup, *followup_also]
    b_imgs = [_read(p, "baseline", baseline_um_per_px or um_per_px) for p in b_paths]
    f_imgs = [_read(p, "follow-up", followup_um_per_px or um_per_px) for p in f_paths]
    # refused here, before any hair is detected (compare_visit would refuse only afterwards)
    b_upp = visit_scale("baseline", [i.um_per_px for i in b_imgs])
    f_upp = visit_scale("followup", [i.um_per_px for i in f_imgs])
    check_visits_scale(b_upp, f_upp, rescale=rescale)
    base = [detect_hairs(i.image, i.um_per_px, method, checkpoint) for i in b_imgs]
    foll = [detect_hairs(i.image, i.um_per_px, method, checkpoint) for i in f_imgs]
    on = d0 or d1 or dt.date.today()  # dates only order the visits here
    comp = compare_visit(VisitPhotos("baseline", d0 or on, base), VisitPhotos("followup", d1 or on, foll),
                         matching=MatchConfig(max_distance_um=max_distance_um, roi_radius_um=roi_radius_um),
                         rescale=rescale)  # fmt: skip
    matching = comp.matchings[0]
    record = comparison_record(matching, comp.change)
    record["combine"] = "pairs" if comp.consensus is None else "consensus"
    record["consensus"] = comp.to_dict()["consensus"]
    record["inputs"] = {
        "baseline": _inputs(b_paths, b_imgs, baseline_date),
        "followup": _inputs(f_paths, f_imgs, followup_date),
        "days_since_baseline": day,
        "method": method,
        "checkpoint": checkpoint,
    }
    png = render_overlay(matching, base[0].image, foll[0].image,
                         title=f"{Path(baseline).name} -> {Path(followup).name} ({method})")  # fmt: skip
    text = json.dumps(record, indent=1, allow_nan=False, default=lambda o: None)
    atomic_write_bytes(out_dir / "compare_overlay.png", png)
    atomic_write_text(out_dir / "compare.json", text)
    return record


def _read(path: str, visit: str, um_per_px: float | None) -> Any:
    from trichometry.io import read_image

    img = read_image(path, um_per_px=um_per_px)
    if img.um_per_px is None:
        raise CalibrationError(
            f"the {visit} photo {Path(path).name} has no calibration; give --um-per-px (or "
            f"--{visit.replace('-', '')}-um-per-px) so counts become densities per cm2."
        )
    return img


def _inputs(paths: list[str], imgs: list[Any], date: str | None) -> dict[str, Any]:
    """Provenance of one visit's photos: the first as before, further ones under ``also``."""
    rows = [{"path": str(p), "sha256": i.sha256, "um_per_px": i.um_per_px, "calibration": i.calibration_note}
            for p, i in zip(paths, imgs)]  # fmt: skip
    return {**rows[0], "date": date, "also": rows[1:]}


@click.command("compare")
@click.argument("baseline", type=click.Path(dir_okay=False))
@click.argument("followup", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option(
    "--um-per-px", type=float, default=None, help="Calibration of both photos (micrometres per pixel)."
)
@click.option("--baseline-um-per-px", type=float, default=None, help="Calibration of the baseline only.")
@click.option("--followup-um-per-px", type=float, default=None, help="Calibration of the follow-up only.")
@click.option("--method", type=click.Choice(["model", "classical"]), default="model", show_default=True)
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False),
    default=None,
    help="Checkpoint for --method model (default: the shipped model or $TRICHOMETRY_MODEL).",
)
@click.option(
    "--max-distance-um", type=float, default=60.0, show_default=True, help="Hair matching distance."
)
@click.option(
    "--roi-radius-um",
    type=float,
    default=None,
    help="Count only in this circle around the baseline photo's centre (the tattooed target area).",
)
@click.option("--rescale", is_flag=True, help="Allow different calibrations (resample the follow-up).")
@click.option(
    "--baseline-date", default=None, help="Baseline date YYYY-MM-DD (checked against the follow-up)."
)
@click.option("--followup-date", default=None, help="Follow-up date YYYY-MM-DD.")
@click.option(
    "--baseline-also",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A further baseline photo of the same area (repeat the option); see --followup-also.",
)
@click.option(
    "--followup-also",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A further follow-up photo of the area. With two or more photos at both visits, each "
    "visit's photos vote on its hairs before the visits are matched.",
)
def command(baseline: str, followup: str, out: str, **kw: Any) -> None:
    """Match the hairs of a FOLLOWUP photo to the BASELINE photo of the same area and report the change."""
    rec = run_compare(baseline, followup, out, **kw)
    reg = rec["registration"]
    click.echo(
        f"baseline {rec['baseline_count']} hairs, follow-up {rec['followup_count']} in the common field: "
        f"{rec['matched']} matched, {rec['lost']} lost, {rec['new']} new; density change "
        f"{rec['density_change_pct']} % ({rec['density_change_per_cm2']} /cm2); registration confidence "
        f"{reg['confidence']}. Written to {Path(out) / 'compare.json'}"
    )
