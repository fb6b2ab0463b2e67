"""Longitudinal cohorts for evaluation: subjects, visits and repeated photos with truth.

Two sources give the same structure (:class:`Subject` -> :class:`Visit` -> :class:`Photo`):

* :func:`generate_cohort`: subjects drawn on the fly from seeds held out from training:
  one persistent scalp patch per subject (``follicle_id`` is the identity), re-imaged at
  each visit with a new camera position, rotation and lighting; between visits follicles
  go dormant or become active and hairs thicken according to the subject's arm;
* :func:`dataset_cohort`: a split of a data set in the project's on-disk format, grouped
  by subject, site and visit (manifest columns).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import DataFormatError
from trichometry.truth import ImageTruth, Targets
from trichometry.visits import similarity as sim

logger = logging.getLogger(__name__)


@dataclass
class Photo:
    """One photo with its truth; ``image`` is ``(H, W, 3)`` uint8 RGB."""

    image_id: str
    image: np.ndarray
    truth: ImageTruth
    targets: Targets | None = None


@dataclass
class Visit:
    name: str
    day: int
    date: dt.date
    photos: list[Photo]


@dataclass
class Subject:
    subject_id: str
    site: str
    arm: str
    visits: list[Visit]  # sorted by day; visits[0] is the baseline
    target: dict[str, dict[str, float]] = field(default_factory=dict)  # true target-circle numbers per visit


@dataclass(frozen=True)
class CohortConfig:
    """How :func:`generate_cohort` draws subjects (via :mod:`trichometry.synth.longitudinal`).

    Attributes:
        n_subjects: subjects in the cohort (arms alternate: treated, control).
        seed_start: cohort seed; training must use other seeds (held-out range).
        visits: visit names, baseline first (``2w``, ``1m``, ``3m``, ``6m``, ``<n>d`` ...).
        photos_per_visit: repeated photos of the target area per visit (the extra photos
            re-position the camera as a new visit would).
        um_per_px, width, height: camera scale and frame.
        density_per_cm2: range of baseline densities.
        shift_sd_um: per-axis spread of the camera centre around the tattoo.
        rotation_sd_deg: spread of the camera rotation between photos.
        overlays: allow burned-in overlays (strip, scale bar, circle) as in real images.
    """

    n_subjects: int = 8
    seed_start: int = 900_000
    visits: tuple[str, ...] = ("baseline", "2w", "1m", "3m", "6m")
    photos_per_visit: int = 2
    um_per_px: float = 8.0
    width: int = 1280
    height: int = 1024
    density_per_cm2: tuple[float, float] = (120.0, 260.0)
    shift_sd_um: float = 100.0
    rotation_sd_deg: float = 3.0
    overlays: bool = False


def _ranges(cfg: CohortConfig) -> Any:
    from trichometry.synth import SceneRanges

    kw: dict[str, Any] = {
        "um_per_px": (cfg.um_per_px, cfg.um_per_px),
        "width": (cfg.width, cfg.width),
        "height": (cfg.height, cfg.height),
        "density_per_cm2": cfg.density_per_cm2,
    }
    if not cfg.overlays:
        kw.update(p_strip=0.0, p_scale_bar=0.0, p_circle=0.0)
    return SceneRanges().with_overrides(**kw)


def generate_cohort(cfg: CohortConfig) -> Iterator[Subject]:
    """Yield the cohort's subjects one at a time (images are rendered on demand).

    Each subject comes from :func:`trichometry.synth.longitudinal.iter_cohort`; its
    ``target`` dict holds the true count and density in the fixed target circle per visit.
    """
    from trichometry.synth.longitudinal import VisitProtocol, iter_cohort

    ranges = _ranges(cfg)
    protocol = VisitProtocol(
        visits=tuple(cfg.visits), shift_sd_um=cfg.shift_sd_um, rotation_sd_deg=cfg.rotation_sd_deg
    )
    for sub in iter_cohort(cfg.n_subjects, cfg.seed_start, ranges=ranges, protocol=protocol, prefix="E"):
        visits = []
        for k, vt in enumerate(sub.truth.visits):
            photos = []
            for j in range(cfg.photos_per_visit):
                sample = sub.render(k) if j == 0 else sub.extra_photo(k, j)
                photos.append(Photo(sample.truth.image_id, sample.image, sample.truth, sample.targets))
            visits.append(Visit(vt.name, vt.day, dt.date.fromisoformat(vt.date), photos))
        target = {v.name: {"count": v.target_count, "density_per_cm2": v.target_density_per_cm2}
                  for v in sub.truth.visits}  # fmt: skip
        yield Subject(sub.subject_id, sub.truth.site, sub.arm, visits, target)


def dataset_cohort(root: str, split: str = "test") -> Iterator[Subject]:
    """Subjects of a data set split, grouped by ``subject``/``site``/``visit`` (manifest columns).

    Raises:
        DataFormatError: the split has no subject/visit/date information.
    """
    from trichometry.data import Dataset

    ds = Dataset(root)
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    rows = {}
    for image_id in ds.ids(split):
        row = ds.row(image_id)
        if not row.subject or not row.date:
            raise DataFormatError(
                f"image {image_id} of split {split!r} has no subject or date; longitudinal evaluation needs "
                "both (write the cohort with subject, visit and date columns)."
            )
        rows[image_id] = row
        groups.setdefault((row.subject, row.site), {}).setdefault(row.date, []).append(image_id)
    for (subject, site), by_date in sorted(groups.items()):
        dates = sorted(by_date)
        d0 = dt.date.fromisoformat(dates[0])
        visits = []
        for d in dates:
            ids = sorted(by_date[d])
            photos = []
            for i in ids:
                s = ds.sample(i) if rows[i].annotation_type == "hairs" else None
                photos.append(
                    Photo(i, s.image, s.truth, s.targets) if s else Photo(i, ds.image(i), ds.truth(i))
                )
            day = (dt.date.fromisoformat(d) - d0).days
            visits.append(Visit(rows[ids[0]].visit or d, day, dt.date.fromisoformat(d), photos))
        yield Subject(subject, site, rows[by_date[dates[0]][0]].arm, visits, _target_counts(ds, subject))


def _target_counts(ds: Any, subject: str) -> dict[str, dict[str, float]]:
    """True target-circle counts per visit from ``subjects/ID.json``, when the data set has it."""
    try:
        truth = ds.subject_truth(subject)
    except (DataFormatError, OSError):
        return {}
    return {
        v["name"]: {"count": v["target_count"], "density_per_cm2": v["target_density_per_cm2"]}
        for v in truth.get("visits", [])
        if "target_count" in v
    }


def true_transform(base: ImageTruth, follow: ImageTruth) -> np.ndarray | None:
    """Follow-up -> baseline pixel transform from the generator's camera views, if recorded."""
    from trichometry.synth import View

    try:
        keys = ("um_per_px", "width", "height", "centre_um", "rotation_deg")
        vb, vf = (View(**{k: p["view"][k] for k in keys}) for p in (base.params, follow.params))
    except (KeyError, TypeError):
        return None
    grid = np.array([[0.0, 0.0], [vf.width, 0.0], [0.0, vf.height], [vf.width, vf.height]])
    return sim.umeyama(grid, vb.skin_to_px(vf.px_to_skin(grid)))


def true_overlap_change(
    base: ImageTruth,
    follow: ImageTruth,
    matrix: np.ndarray,
    roi_radius_um: float | None = None,
    roi_centre_px: tuple[float, float] | None = None,
) -> dict[str, float]:
    """True change of the hairs counted in the overlap of two photos (and the ROI circle).

    Uses the same counting rule as :func:`trichometry.visits.match_hairs`: a hair counts
    where its exit point lies in both fields (and, with ``roi_radius_um``, in the circle
    around the baseline photo's centre, or around ``roi_centre_px`` in its pixels).

    Returns:
        ``baseline_count``, ``followup_count``, ``change_pct`` (NaN if no baseline hair)
        and ``overlap_area_cm2``.
    """
    import cv2

    base_poly = sim.frame_polygon(base.width, base.height)
    foll_poly = sim.apply(matrix, sim.frame_polygon(follow.width, follow.height))

    from trichometry.visits.matching import roi_circle

    circle = None
    if roi_radius_um is not None:
        circle = roi_circle(base.width, base.height, roi_radius_um / base.um_per_px, centre=roi_centre_px)

    def inside(xy: np.ndarray) -> np.ndarray:
        ok = sim.inside_polygon(base_poly, xy) & sim.inside_polygon(foll_poly, xy)
        return ok & sim.inside_polygon(circle, xy) if circle is not None else ok

    bxy = np.array([h.exit_xy for h in base.inside_hairs]).reshape(-1, 2)
    fxy = sim.apply(matrix, np.array([h.exit_xy for h in follow.inside_hairs]).reshape(-1, 2))
    nb, nf = int(inside(bxy).sum()), int(inside(fxy).sum())
    area, _ = cv2.intersectConvexConvex(base_poly.astype(np.float32), foll_poly.astype(np.float32))
    return {
        "baseline_count": float(nb),
        "followup_count": float(nf),
        "change_pct": 100.0 * (nf - nb) / nb if nb else math.nan,
        "overlap_area_cm2": float(area) * (base.um_per_px * 1e-4) ** 2,
    }
