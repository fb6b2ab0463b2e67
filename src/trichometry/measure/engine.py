"""From a :class:`~trichometry.inference.prediction.Prediction` to counted, measured hairs.

Steps: exit points (peaks of ``exit_prob``, :func:`trichometry.inference.find_exit_points`)
inside the ROI and the valid mask are the hairs; each is traced along ``shaft_prob``
(:mod:`.trace`); a peak that is the far end of another traced hair is dropped
(:mod:`.ends`, counted in ``summary["far_ends_dropped"]``); each hair's diameter is
measured near the root two ways and both are reported:

* ``diameter_profile_px``: from the image itself, the steepest-edge width of intensity
  profiles across the shaft (sub-pixel, median of up to 7 clean cross-sections 1.5-10.5
  diameters from the exit, :mod:`.thickness`);
* ``diameter_map_px``: the prediction's ``diameter_px`` near the exit.

``thickness_px`` / ``thickness_um`` (what classes and statistics use) is the profile when
it is valid and agrees with the map within ``max_disagreement`` (15 %), else the map.
Why: where one isolated shaft is cut, the profile is a direct sub-pixel measurement
(median error 0.4-0.9 um with oracle maps on generated images); where it disagrees, the
section usually caught a neighbour, an occluding hair or the wrong shaft, which the
map (trained to see units and overlaps) handles better. For detectors whose map is only
a mask width (``prediction.hints.coarse_diameter_map``, the classical baseline) a valid
profile always wins; so it does when the detector's calibration found the map's mean
relative error (per unit of shaft length) above ``max_disagreement``
(``prediction.hints.diameter_map_rel_error``, see :mod:`trichometry.training.calibrate`): a map
less precise than the tolerance cannot judge a profile by it. ``agreement``
(``profile / map - 1``) is reported per hair.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass

import numpy as np

from trichometry.errors import CalibrationError, ConfigError, ImageRejected
from trichometry.inference.prediction import Prediction
from trichometry.measure.classes import Convention, get_convention
from trichometry.measure.detect import find_candidates, locate_hairs, locate_segments, segment_candidates
from trichometry.measure.measurement import HairMeasurement, Measurement
from trichometry.measure.optics_width import estimate_blur
from trichometry.measure.roi import Roi
from trichometry.measure.summary import summarise
from trichometry.measure.thickness import ProfileWidth, darkness
from trichometry.measure.widths import hair_sections, hair_width, map_diameter

logger = logging.getLogger(__name__)

#: the profile of a hair whose width is not read (a reviewer marked it not assessable)
NO_PROFILE = ProfileWidth(None, None, None, 0, 0, 0.0, None, "edge")
DEFAULT_EXIT_MIN_DISTANCE_PX = 2.0
PROFILE_METHODS = ("optics", "edge", "half_depth")


@dataclass(frozen=True)
class MeasureConfig:
    """Measurement parameters (all have clinical defaults)."""

    exit_threshold: float = 0.3  # minimal exit-heatmap peak
    # closer peaks are one exit; None: the detector's calibrated value
    # (``prediction.hints.exit_min_distance_px``, see training.calibrate), else 2 px
    exit_min_distance_px: float | None = None
    shaft_threshold: float = 0.5  # shaft probability that counts as shaft
    unit_link_um: float = 200.0  # exits closer than this (chained) form one follicular unit
    profile_start_d: float = 1.5  # first cross-section, diameters from the exit
    profile_span_d: float = 3.0  # section spacing: profile_sections per this many diameters
    profile_search_d: float = 9.0  # look this far (diameters) for clean sections
    profile_sections: int = 7
    # "optics": a bar blurred by the image's own blur, fitted per section (.optics_width);
    # "edge": steepest edges; "half_depth": full width at half depth (.thickness)
    profile_method: str = "optics"
    min_contrast: float = 8.0  # grey levels
    # the profile is used only within this relative difference from the map (where they
    # disagree, the map, which sees occlusion and neighbours, wins); not applied to maps
    # whose source says ``"diameter_map": "coarse"``
    max_disagreement: float = 0.15
    max_section_spread: float = 0.05  # profile also needs section widths within this MAD / width
    max_turn_deg: float = 15.0
    default_diameter_px: float = 6.0  # used where the map gives no diameter near an exit
    # exit peaks in [candidate_ratio * exit_threshold, exit_threshold) are kept as candidates
    # (never counted; a confident hair at another visit may rescue one); 1.0 or 0 = none
    candidate_ratio: float = 0.5
    # an exit peak on another hair's traced shaft that runs back along it is that hair's
    # far end (both ends of a short clipped hair can fire), not a hair (:mod:`.ends`);
    # skipped for detectors whose hints say ``one_exit_per_shaft`` (classical)
    drop_far_ends: bool = True


def _check(image_rgb: np.ndarray, prediction: Prediction, um_per_px: float | None, valid_mask) -> None:
    if not isinstance(prediction, Prediction):
        raise ConfigError(f"prediction must be a Prediction, got {type(prediction).__name__}.")
    img = np.asarray(image_rgb)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ImageRejected(
            f"image must be (H, W, 3) uint8 RGB, got shape {img.shape} dtype {img.dtype}; "
            "read it with trichometry.io or convert it first."
        )
    if img.shape[:2] != prediction.shape:
        raise ConfigError(
            f"image {img.shape[:2]} and prediction {prediction.shape} differ in size; "
            "predict on this same image."
        )
    if um_per_px is not None and not (math.isfinite(um_per_px) and um_per_px > 0):
        raise CalibrationError(
            f"um_per_px must be a positive number, got {um_per_px}; pass None to measure uncalibrated."
        )
    if valid_mask is not None and np.asarray(valid_mask).shape != prediction.shape:
        raise ConfigError(
            f"valid_mask shape {np.asarray(valid_mask).shape} differs from the image {prediction.shape}."
        )


def measure(
    image_rgb: np.ndarray,
    prediction: Prediction,
    *,
    um_per_px: float | None,
    roi: Roi | None = None,
    valid_mask: np.ndarray | None = None,
    convention: str | Convention = "trichoscopy",
    config: MeasureConfig | None = None,
) -> Measurement:
    """Count and measure the hairs of one image.

    Hairs are the exit-point peaks of ``prediction.exit_prob`` inside the ROI and the valid
    mask; each is traced along ``shaft_prob`` and its diameter measured near the root from
    the image intensity profile (preferred: direct, sub-pixel) and from
    ``prediction.diameter_px`` (used when the profile fails: low contrast, overlap).

    Args:
        image_rgb: ``(H, W, 3)`` uint8 RGB, the image the prediction was made on.
        prediction: dense maps for this image.
        um_per_px: scale; ``None`` measures uncalibrated (counts and pixel measures only).
        roi: analysed region (default: the whole frame).
        valid_mask: ``(H, W)`` bool, ``False`` where the image cannot be analysed
            (burned-in overlays); removed from the area and the count.
        convention: thickness class convention name or object (see :mod:`.classes`).
        config: measurement parameters.

    Returns:
        A :class:`Measurement`; ``.to_dict()`` gives the JSON form.

    Raises:
        ImageRejected, ConfigError, CalibrationError: invalid inputs (nothing is written).
    """
    _check(image_rgb, prediction, um_per_px, valid_mask)
    cfg = config or MeasureConfig()
    conv = get_convention(convention)
    roi = roi or Roi.full()
    shape = prediction.shape
    area = roi.mask(shape)
    if valid_mask is not None:
        area &= np.asarray(valid_mask, dtype=bool)

    shaft = np.nan_to_num(np.asarray(prediction.shaft_prob, dtype=np.float32))
    dmap = np.nan_to_num(np.asarray(prediction.diameter_px, dtype=np.float32))
    sep = cfg.exit_min_distance_px
    if sep is None:
        sep = prediction.hints.exit_min_distance_px or DEFAULT_EXIT_MIN_DISTANCE_PX
    inside = lambda xy: _in_area(xy, roi, valid_mask, shape)  # noqa: E731
    if prediction.hairs is not None:  # a segment detector: one root and straight shaft per hair
        found = locate_segments(
            prediction.hairs,
            shape,
            threshold=cfg.exit_threshold,
            inside=inside,
            default_diameter_px=cfg.default_diameter_px,
        )
        cand_xy, cand_scores = segment_candidates(prediction.hairs, cfg.exit_threshold, cfg.candidate_ratio)
    else:
        found = locate_hairs(
            prediction.exit_prob,
            shaft,
            dmap,
            threshold=cfg.exit_threshold,
            min_distance_px=sep,
            inside=inside,
            shaft_threshold=cfg.shaft_threshold,
            max_turn_deg=cfg.max_turn_deg,
            default_diameter_px=cfg.default_diameter_px,
            # a detector that already chose one end per shaft (classical) has no far ends to drop
            drop_far_ends=cfg.drop_far_ends and not prediction.hints.one_exit_per_shaft,
        )
        cand_xy, cand_scores = find_candidates(
            prediction.exit_prob, found.exits, cfg.exit_threshold, cfg.candidate_ratio, sep
        )
    exits, scores, hints, traces = found.exits, found.scores, found.hints, found.traces
    in_area = _in_area(cand_xy, roi, valid_mask, shape)
    cand_xy, cand_scores = cand_xy[in_area], cand_scores[in_area]
    dark = darkness(image_rgb)
    # a detector may mark its diameter map as coarse (classical: distance-transform widths
    # of a binary mask), or its calibration may find it less precise than the tolerance;
    # then a valid profile always wins over it
    map_error = prediction.hints.diameter_map_rel_error
    coarse_map = prediction.hints.coarse_diameter_map or (
        map_error is not None and float(map_error) > cfg.max_disagreement
    )
    if cfg.profile_method not in PROFILE_METHODS:
        raise ConfigError(f"profile_method={cfg.profile_method!r}; use one of {', '.join(PROFILE_METHODS)}.")
    kept = np.flatnonzero(found.keep)
    unmeasured = found.unmeasured if found.unmeasured is not None else np.zeros(len(exits), bool)
    measured = [int(i) for i in kept if not unmeasured[i]]
    sections = {i: hair_sections(dark, traces[i].points, float(hints[i]), shaft, cfg) for i in measured}
    blur_px, blur_n = estimate_blur(
        [(*sec, max(float(hints[i]), 2.0)) for i, sec in sections.items() if sec is not None]
    )
    hairs: list[HairMeasurement] = []
    for i in kept:
        tr = traces[i]
        if unmeasured[i]:  # a reviewer marked its width not assessable: counted, no width read
            p_px, p_se, spread, pw, ow, d_map = None, None, None, NO_PROFILE, None, None
        else:
            p_px, p_se, spread, pw, ow = hair_width(
                dark, tr.points, float(hints[i]), sections[int(i)], shaft, blur_px, cfg
            )
            d_map = map_diameter(dmap, tr.points, hints[i], cfg)
        agree = (p_px / d_map - 1.0) if (p_px is not None and d_map) else None
        trust_profile = coarse_map or agree is None or abs(agree) <= cfg.max_disagreement
        noisy = spread is not None and p_px is not None and spread > cfg.max_section_spread * p_px
        if noisy and not coarse_map:
            trust_profile = False  # sections disagree among themselves: something else was cut
        if p_px is not None and trust_profile:
            t_px, t_se, src = p_px, p_se, "profile"
        elif d_map is not None:
            t_px, src = d_map, "map"
            t_se = float(map_error) * d_map if map_error is not None else None
        else:
            t_px, t_se, src = None, None, None
        t_um = t_px * um_per_px if (t_px is not None and um_per_px is not None) else None
        t_se_um = t_se * um_per_px if (t_se is not None and um_per_px is not None) else None
        hairs.append(
            HairMeasurement(
                hair_id=len(hairs) + 1,
                exit_xy=(float(exits[i, 0]), float(exits[i, 1])),
                end_xy=(float(tr.points[-1, 0]), float(tr.points[-1, 1])),
                direction_deg=tr.direction_deg,
                length_px=tr.length_px,
                length_um=tr.length_px * um_per_px if um_per_px is not None else None,
                reaches_border=tr.reaches_border,
                diameter_profile_px=p_px,
                diameter_profile_se_px=p_se,
                diameter_edge_px=pw.edge_px,
                diameter_half_depth_px=pw.half_depth_px,
                diameter_map_px=d_map,
                thickness_px=t_px,
                thickness_um=t_um,
                thickness_se_px=t_se,
                thickness_se_um=t_se_um,
                thickness_source=src,
                profile_flag="not_assessable" if unmeasured[i] else (ow.flag if ow is not None else None),
                agreement=agree,
                profile_valid_sections=(ow.n_used, ow.n_sections) if ow else (pw.n_valid, pw.n_sections),
                contrast=ow.contrast if ow else pw.contrast,
                class_name=conv.classify(t_um) if t_um is not None else None,
                class_confidence=_confidence(conv, t_um, t_se_um),
                exit_score=float(scores[i]),
            )
        )
    summary = summarise(
        hairs, area_mask=area, um_per_px=um_per_px, convention=conv, unit_link_um=cfg.unit_link_um
    )
    summary["far_ends_dropped"] = int((found.far & found.inside).sum())
    summary["blur_px"] = blur_px
    summary["blur_sections"] = blur_n
    flags = []
    if um_per_px is None:
        flags.append("uncalibrated: no scale, so densities, micrometres and classes are not given")
    if len(hairs) < 10:
        flags.append(f"few_hairs: {len(hairs)} counted; densities and statistics are imprecise")
    n_map = summary["thickness_from_map"]
    if n_map:
        flags.append(
            f"thickness_from_map: {n_map} hair(s) measured from the diameter map, not the image profile"
        )
    logger.info("measured %d hairs (%s)", len(hairs), prediction.source.get("method", "?"))
    return Measurement(
        hairs=hairs,
        summary=summary,
        convention=conv.to_dict(),
        roi=roi.to_dict(shape),
        um_per_px=um_per_px,
        source=dict(prediction.source),
        flags=flags,
        image_shape=(int(shape[0]), int(shape[1])),
        params={**asdict(cfg), "exit_min_distance_px": sep},  # the separation actually used
        candidates_xy=cand_xy,
        candidate_scores=cand_scores,
    )


def _confidence(conv: Convention, t_um: float | None, se_um: float | None) -> float | None:
    """Probability that the hair's true class is the one its measured diameter gives."""
    probs = conv.class_probabilities(t_um, se_um)
    return None if probs is None else float(probs[conv.classify(t_um)])


def _in_area(xy: np.ndarray, roi: Roi, valid_mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """``(N,)`` bool: the point lies in the ROI and (if given) on a valid pixel."""
    keep = roi.contains(xy, shape)
    if valid_mask is not None and len(xy):
        ij = np.clip(np.round(xy[:, ::-1]).astype(int), 0, np.array(shape) - 1)
        keep &= np.asarray(valid_mask, dtype=bool)[ij[:, 0], ij[:, 1]]
    return keep
