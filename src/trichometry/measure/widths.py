"""Cutting one hair's cross-sections and reading its width from them, for the engine.

The engine (:mod:`.engine`) asks this module for each traced hair's sections near the
root (:func:`hair_sections`), reads the image's blur from all of them
(:func:`~.optics_width.estimate_blur`), then each hair's width (:func:`hair_width`):
the optics fit (:mod:`.optics_width`, the default), or the steepest-edge / half-depth
widths of :mod:`.thickness` on the sections with no other shaft beside them; and the
detector's diameter map along the same stretch (:func:`map_diameter`), to compare with.

With the optics fit a section beside a neighbouring shaft is kept, cut short where the
neighbour begins (``section_profiles(masked=True)``); where the width it finds differs
from the detector's diameter hint by more than 25 %, the sections are cut again with
that width setting where they lie and how wide their skin bands are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from trichometry.measure.optics_width import OpticsWidth, optics_width
from trichometry.measure.thickness import ProfileWidth, section_profiles, widths_from_sections
from trichometry.measure.trace import sample

if TYPE_CHECKING:
    from trichometry.measure.engine import MeasureConfig

REHINT = 0.25  # cut the sections again where the width and the hint differ by more


def hair_sections(dark: np.ndarray, points: np.ndarray, hint: float, shaft: np.ndarray, cfg: MeasureConfig):  # type: ignore[no-untyped-def]
    """One hair's sections: ``(profiles, t, masks)`` for the optics fit, ``(profiles, t)``
    (isolated sections only) for the other methods, ``None`` for a trace too short."""
    return section_profiles(
        dark,
        points,
        max(hint, 2.0),
        start_d=cfg.profile_start_d,
        span_d=cfg.profile_span_d,
        search_d=cfg.profile_search_d,
        n_sections=cfg.profile_sections,
        shaft=shaft,
        shaft_threshold=cfg.shaft_threshold,
        masked=cfg.profile_method == "optics",
    )


def hair_width(  # type: ignore[no-untyped-def]
    dark: np.ndarray,
    points: np.ndarray,
    hint: float,
    sec,
    shaft: np.ndarray,
    blur_px: float,
    cfg: MeasureConfig,
) -> tuple[float | None, float | None, float | None, ProfileWidth, OpticsWidth | None]:
    """``(width_px, se_px, spread_px, edge widths, optics fit)`` of one hair by ``cfg.profile_method``."""
    optics = cfg.profile_method == "optics"
    iso = sec
    if optics and sec is not None:  # the edge rules need both skin bands free
        whole = sec[2].all(axis=1)
        iso = (sec[0][whole], sec[1])
    pw = widths_from_sections(
        iso, hint, n_sections=cfg.profile_sections, method="edge" if optics else cfg.profile_method,
        min_contrast=cfg.min_contrast,
    )  # fmt: skip
    if not optics:
        return pw.width_px, None, pw.spread_px, pw, None
    d = max(hint, 2.0)
    ow = _fit(sec, d, blur_px, cfg)
    if ow.width_px is not None and abs(ow.width_px / d - 1.0) > REHINT:
        d2 = max(ow.width_px, 2.0)
        again = _fit(hair_sections(dark, points, d2, shaft, cfg), d2, blur_px, cfg)
        ow = again if again.width_px is not None else ow
    if ow.width_px is None:
        return None, None, None, pw, ow
    spread = float(np.median(np.abs(np.asarray(ow.widths_px) - ow.width_px)))
    return ow.width_px, ow.se_px, spread, pw, ow


def _fit(sec, d: float, blur_px: float, cfg: MeasureConfig) -> OpticsWidth:  # type: ignore[no-untyped-def]
    profiles, t, masks = sec if sec is not None else (None, None, None)
    return optics_width(
        profiles, t, d, blur_px, min_contrast=cfg.min_contrast, max_sections=cfg.profile_sections, masks=masks
    )


def map_diameter(dmap: np.ndarray, points: np.ndarray, hint: float, cfg: MeasureConfig) -> float | None:
    """The diameter map along the first stretch of the traced shaft, near the exit.

    Only values within 25 % of the value at the exit count: further out the trace may run
    beside or over another shaft (units, crossings) whose diameter the map holds there.
    """
    if len(points) < 2:
        return hint if hint > 0 else None
    seg = np.diff(points, axis=0)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    s0 = min(0.5 * hint, 0.3 * s[-1])
    s1 = min(s0 + cfg.profile_search_d * hint, 0.85 * s[-1])
    q = np.linspace(s0, max(s1, s0), 25)
    vals = sample(dmap, np.interp(q, s, points[:, 0]), np.interp(q, s, points[:, 1]))
    close = vals[(vals > 0) & (np.abs(vals / max(hint, 1e-6) - 1.0) <= 0.25)]
    return float(np.median(close)) if len(close) >= 3 else (hint if hint > 0 else None)
