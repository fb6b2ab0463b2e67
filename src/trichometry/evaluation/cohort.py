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

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import DataFormatError
from trichometry.synth.truth import ImageTruth, Targets
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


@dataclass(frozen=True)
class CohortConfig:
    """How :func:`generate_cohort` draws subjects.

    Attributes:
        n_subjects: subjects in the cohort.
        seed_start: first seed; training must use seeds below it (held-out range).
        visit_days: days since baseline of the visits (0 = baseline).
        day_jitter: visits happen up to this many days off schedule.
        photos_per_visit: repeated photos of the target area per visit.
        um_per_px, width, height: camera scale and frame.
        density_per_cm2: range of baseline densities.
        shift_um: largest re-positioning error of the camera (each axis).
        rotation_deg: largest rotation change between photos.
        loss_per_month: share of active follicles that go dormant per 30 days.
        gain_per_month: ``{arm: share}`` of dormant follicles that become active per 30 days.
        thickening_um_per_month: ``{arm: um}`` mean diameter change of hairs per 30 days.
        arms: arms assigned in turn.
        overlays: allow burned-in overlays (strip, scale bar, circle) as in real images.
    """

    n_subjects: int = 8
    seed_start: int = 900_000
    visit_days: tuple[int, ...] = (0, 14, 30, 91, 182)
    day_jitter: int = 3
    photos_per_visit: int = 2
    um_per_px: float = 5.0
    width: int = 768
    height: int = 576
    density_per_cm2: tuple[float, float] = (120.0, 260.0)
    shift_um: float = 250.0
    rotation_deg: float = 8.0
    loss_per_month: float = 0.02
    gain_per_month: dict[str, float] = field(default_factory=lambda: {"treated": 0.5, "control": 0.05})
    thickening_um_per_month: dict[str, float] = field(
        default_factory=lambda: {"treated": 1.0, "control": 0.0}
    )
    arms: tuple[str, ...] = ("treated", "control")
    overlays: bool = False


def _ranges(cfg: CohortConfig) -> Any:
    from trichometry.synth import SceneRanges

    kw: dict[str, Any] = {
        "um_per_px": (cfg.um_per_px, cfg.um_per_px),
        "width": (cfg.width, cfg.width),
        "height": (cfg.height, cfg.height),
        "density_per_cm2": cfg.density_per_cm2,
        "clipped_fraction": (0.8, 1.0),
        "empty_follicle_fraction": (0.1, 0.2),
    }
    if not cfg.overlays:
        kw.update(p_strip=0.0, p_scale_bar=0.0, p_circle=0.0)
    return SceneRanges().with_overrides(**kw)


def _evolve(hairs: tuple, rng: np.random.Generator, months: float, arm: str, cfg: CohortConfig) -> tuple:
    """Per-follicle fates over ``months``: dormancy, activation, thickness drift."""
    p_loss = 1 - (1 - cfg.loss_per_month) ** months
    p_gain = 1 - (1 - cfg.gain_per_month.get(arm, 0.0)) ** months
    drift = cfg.thickening_um_per_month.get(arm, 0.0) * months
    out = []
    for h in hairs:
        u = rng.random()
        active = (u >= p_loss) if h.active else (u < p_gain)
        d = h.diameter_um
        if active and h.active:
            d = float(np.clip(d + drift + rng.normal(0.0, 0.5), 8.0, 140.0))
        out.append(dataclasses.replace(h, active=bool(active), diameter_um=d))
    return tuple(out)


def generate_subject(index: int, cfg: CohortConfig) -> Subject:
    """Draw subject ``index`` of the cohort (deterministic for a given config)."""
    from trichometry.synth import View, patch_extent_for, render, sample_patch, sample_view

    seed = cfg.seed_start + index
    rng = np.random.default_rng(seed)
    ranges = _ranges(cfg)
    arm = cfg.arms[index % len(cfg.arms)]
    base_rot = float(rng.uniform(-180, 180))
    probe = View(um_per_px=cfg.um_per_px, width=cfg.width, height=cfg.height, rotation_deg=45.0)
    ew, eh = patch_extent_for(probe, ranges)
    patch = sample_patch(ranges, rng, extent_um=(ew + 2 * cfg.shift_um, eh + 2 * cfg.shift_um))
    start = dt.date(2026, 1, 5) + dt.timedelta(days=int(rng.integers(0, 60)))
    visits: list[Visit] = []
    hairs, last_day = patch.hairs, 0
    for vi, nominal in enumerate(cfg.visit_days):
        day = nominal if vi == 0 else max(1, nominal + int(rng.integers(-cfg.day_jitter, cfg.day_jitter + 1)))
        if vi > 0:
            hairs = _evolve(hairs, rng, (day - last_day) / 30.0, arm, cfg)
        last_day = day
        state = dataclasses.replace(patch, hairs=hairs)
        photos = []
        for k in range(cfg.photos_per_visit):
            view = sample_view(ranges, rng, centre_um=tuple(rng.uniform(-cfg.shift_um, cfg.shift_um, 2)))
            view = dataclasses.replace(
                view, rotation_deg=base_rot + float(rng.uniform(-1, 1) * cfg.rotation_deg)
            )
            image_id = f"s{seed}-v{vi}-p{k}"
            sample = render(state, view, seed=seed * 100 + vi * 10 + k, image_id=image_id)
            photos.append(Photo(image_id, sample.image, sample.truth, sample.targets))
        name = "baseline" if vi == 0 else f"d{nominal}"
        visits.append(Visit(name, day, start + dt.timedelta(days=day), photos))
    return Subject(f"s{seed}", "target", arm, visits)


def generate_cohort(cfg: CohortConfig) -> Iterator[Subject]:
    """Yield the cohort's subjects one at a time (images are rendered on demand)."""
    for i in range(cfg.n_subjects):
        yield generate_subject(i, cfg)


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
            photos = [Photo(i, ds.image(i), ds.truth(i), None) for i in ids]
            day = (dt.date.fromisoformat(d) - d0).days
            visits.append(Visit(rows[ids[0]].visit or d, day, dt.date.fromisoformat(d), photos))
        yield Subject(subject, site, rows[by_date[dates[0]][0]].arm, visits)


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


def true_overlap_change(base: ImageTruth, follow: ImageTruth, matrix: np.ndarray) -> dict[str, float]:
    """True change of the hairs counted in the overlap of two photos, by follicle identity.

    Returns:
        ``baseline_count``, ``followup_count``, ``change_pct`` (NaN if no baseline hair)
        and ``overlap_area_cm2``.
    """
    import cv2

    base_poly = sim.frame_polygon(base.width, base.height)
    foll_poly = sim.apply(matrix, sim.frame_polygon(follow.width, follow.height))

    def inside(xy: np.ndarray) -> np.ndarray:
        return sim.inside_polygon(base_poly, xy) & sim.inside_polygon(foll_poly, xy)

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
