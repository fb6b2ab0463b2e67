"""``trichometry compare BASELINE FOLLOWUP --out DIR``: hair-to-hair change between two visits.

Both photos are read and calibrated, their hairs found (``--method``), the follow-up
registered onto the baseline, hairs matched one to one, and the change written to
``DIR/compare.json`` with a side-by-side ``DIR/compare_overlay.png``. Everything is
computed before anything is written; each file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
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
    method: str = "classical",
    checkpoint: str | None = None,
    max_distance_um: float = 60.0,
    roi_radius_um: float | None = None,
    rescale: bool = False,
    baseline_date: str | None = None,
    followup_date: str | None = None,
) -> dict[str, Any]:
    """Compare two photos of one target area and write ``compare.json`` + ``compare_overlay.png``.

    Returns:
        The record written to ``compare.json``.

    Raises:
        TrichometryError subclasses for unreadable images, missing or mismatched
        calibration, a follow-up dated before baseline, or photos of different areas.
    """
    from trichometry.io import read_image
    from trichometry.utils.atomic import atomic_write_bytes, atomic_write_text, ensure_writable_dir
    from trichometry.visits import MatchConfig, compare_photos, days_since
    from trichometry.visits.overlay import comparison_record, render_overlay

    d0, d1 = _date(baseline_date, "--baseline-date"), _date(followup_date, "--followup-date")
    day = days_since(d0, d1) if d0 and d1 else None
    out_dir = ensure_writable_dir(out)
    b_img = read_image(baseline, um_per_px=baseline_um_per_px or um_per_px)
    f_img = read_image(followup, um_per_px=followup_um_per_px or um_per_px)
    for name, img in (("baseline", b_img), ("follow-up", f_img)):
        if img.um_per_px is None:
            raise CalibrationError(
                f"the {name} photo has no calibration; give --um-per-px (or "
                f"--{name.replace('-', '')}-um-per-px) so counts become densities per cm2."
            )
    assert b_img.um_per_px is not None and f_img.um_per_px is not None
    rel = abs(f_img.um_per_px - b_img.um_per_px) / b_img.um_per_px
    if rel > 0.02 and not rescale:
        raise CalibrationError(
            f"baseline is at {b_img.um_per_px:.4g} um/px but follow-up at {f_img.um_per_px:.4g} um/px "
            f"({100 * rel:.1f} % apart); check the calibrations, or add --rescale if both are right."
        )
    base = detect_hairs(b_img.image, b_img.um_per_px, method, checkpoint)
    foll = detect_hairs(f_img.image, f_img.um_per_px, method, checkpoint)
    _reg, matching, change = compare_photos(
        base, foll, matching=MatchConfig(max_distance_um=max_distance_um, roi_radius_um=roi_radius_um)
    )
    record = comparison_record(matching, change)
    record["inputs"] = {
        "baseline": {"path": str(baseline), "sha256": b_img.sha256, "um_per_px": b_img.um_per_px,
                     "calibration": b_img.calibration_note, "date": baseline_date},
        "followup": {"path": str(followup), "sha256": f_img.sha256, "um_per_px": f_img.um_per_px,
                     "calibration": f_img.calibration_note, "date": followup_date},
        "days_since_baseline": day,
        "method": method,
        "checkpoint": checkpoint,
    }  # fmt: skip
    png = render_overlay(matching, base.image, foll.image,
                         title=f"{Path(baseline).name} -> {Path(followup).name} ({method})")  # fmt: skip
    text = json.dumps(record, indent=1, allow_nan=False, default=lambda o: None)
    atomic_write_bytes(out_dir / "compare_overlay.png", png)
    atomic_write_text(out_dir / "compare.json", text)
    return record


@click.command("compare")
@click.argument("baseline", type=click.Path(dir_okay=False))
@click.argument("followup", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@click.option(
    "--um-per-px", type=float, default=None, help="Calibration of both photos (micrometres per pixel)."
)
@click.option("--baseline-um-per-px", type=float, default=None, help="Calibration of the baseline only.")
@click.option("--followup-um-per-px", type=float, default=None, help="Calibration of the follow-up only.")
@click.option("--method", type=click.Choice(["model", "classical"]), default="classical", show_default=True)
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
