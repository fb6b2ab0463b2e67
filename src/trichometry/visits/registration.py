"""Register a follow-up photo of a target area onto its baseline photo.

Two independent sources of correspondences are used and checked against each other:

* **exit-point constellations** (always, when hairs were detected): a pair of follow-up
  exit points and a pair of baseline exit points at the same distance fix a similarity;
  hypotheses are scored on a dilated occupancy grid of the baseline points
  (RANSAC-like, adaptive number of trials); hairs that appeared or vanished are simply
  outliers;
* **image features** (when both images are given): ORB key points on a contrast
  normalised (CLAHE) grey image, ratio-tested matches and
  :func:`cv2.estimateAffinePartial2D` with RANSAC.

The best hypothesis is refined ICP-style: optimal one-to-one assignment of exit points
within the tolerance, then a least-squares similarity on the pairs, repeated.

The result maps follow-up pixel coordinates into baseline pixel coordinates. When the
two photos do not show the same area, too few hairs agree and
:class:`~trichometry.errors.RegistrationError` is raised.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import ConfigError, RegistrationError
from trichometry.visits import similarity as sim
from trichometry.visits.assignment import assign
from trichometry.visits.constellation import constellation_hypotheses
from trichometry.visits.features import feature_transform

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistrationConfig:
    """Parameters of :func:`register`.

    Attributes:
        tolerance_um: largest distance (um) between an exit point and its counterpart for
            the pair to count as an inlier.
        max_scale_change: largest relative magnification change allowed (0.08 = 8 %).
        min_inliers: fewer agreeing hairs than this refuses the registration.
        min_confidence: lower confidence than this refuses the registration.
        min_overlap: smallest overlap of the two fields, as a share of the baseline field.
        max_trials: upper limit of constellation hypotheses (pairs of follow-up points).
        icp_iterations: refinement rounds on the exit points.
        use_image_features: try ORB features when both images are given.
        seed: random seed (results are reproducible).
    """

    tolerance_um: float = 30.0
    max_scale_change: float = 0.08
    min_inliers: int = 6
    min_confidence: float = 0.35
    min_overlap: float = 0.2
    max_trials: int = 300
    icp_iterations: int = 15
    use_image_features: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.tolerance_um > 0:
            raise ConfigError(f"tolerance_um must be > 0, got {self.tolerance_um}; use e.g. 30.")
        if not 0 <= self.max_scale_change < 0.5:
            raise ConfigError(f"max_scale_change must be in [0, 0.5), got {self.max_scale_change}.")
        if self.min_inliers < 3:
            raise ConfigError(f"min_inliers must be >= 3, got {self.min_inliers}.")
        if not 0 <= self.min_confidence <= 1 or not 0 <= self.min_overlap <= 1:
            raise ConfigError("min_confidence and min_overlap must lie in [0, 1].")


@dataclass(frozen=True)
class Registration:
    """A similarity transform from follow-up pixels to baseline pixels.

    Attributes:
        matrix: ``(2, 3)`` float64; ``base_xy = matrix[:, :2] @ follow_xy + matrix[:, 2]``.
        um_per_px: the baseline scale (um per pixel) the shift is expressed in.
        inliers: exit points (or features) that agree after refinement.
        inlier_ratio: inliers / hairs expected in the overlap (the smaller visit's count).
        rms_um: root-mean-square residual of the inliers (um).
        overlap: overlap of the two fields as a share of the baseline field.
        confidence: in ``[0, 1]``; ``inlier_ratio`` damped for small inlier counts.
        method: ``"points"``, ``"features"`` or ``"features+points"``.
    """

    matrix: np.ndarray
    um_per_px: float
    inliers: int
    inlier_ratio: float
    rms_um: float
    overlap: float
    confidence: float
    method: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def scale(self) -> float:
        return sim.decompose(self.matrix)[0]

    @property
    def rotation_deg(self) -> float:
        return sim.decompose(self.matrix)[1]

    @property
    def shift_um(self) -> tuple[float, float]:
        tx, ty = sim.decompose(self.matrix)[2]
        return tx * self.um_per_px, ty * self.um_per_px

    def apply(self, follow_xy: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` follow-up pixel points into baseline pixels."""
        return sim.apply(self.matrix, follow_xy)

    def to_dict(self) -> dict[str, Any]:
        sx, sy = self.shift_um
        return {
            "matrix": np.round(self.matrix, 6).tolist(),
            "scale": round(self.scale, 5),
            "rotation_deg": round(self.rotation_deg, 3),
            "shift_um": [round(sx, 2), round(sy, 2)],
            "inliers": int(self.inliers),
            "inlier_ratio": round(self.inlier_ratio, 4),
            "rms_um": round(self.rms_um, 3),
            "overlap": round(self.overlap, 4),
            "confidence": round(self.confidence, 4),
            "method": self.method,
        }


def identity(um_per_px: float) -> Registration:
    """The no-op registration (same frame), e.g. for photos already aligned."""
    return Registration(
        np.hstack([np.eye(2), np.zeros((2, 1))]), um_per_px, 0, 1.0, 0.0, 1.0, 1.0, "identity"
    )


def overlap_share(matrix: np.ndarray, base_size: tuple[int, int], follow_size: tuple[int, int]) -> float:
    """Area of (baseline frame ∩ mapped follow-up frame) / baseline frame area."""
    import cv2

    base = sim.frame_polygon(*base_size).astype(np.float32)
    foll = sim.apply(matrix, sim.frame_polygon(*follow_size)).astype(np.float32)
    area, _ = cv2.intersectConvexConvex(base, foll)
    return float(max(area, 0.0)) / float(base_size[0] * base_size[1])


def _refine(
    mat: np.ndarray, base_xy: np.ndarray, follow_xy: np.ndarray, tol_px: float, iterations: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ICP with trimmed optimal assignment; returns ``(matrix, pairs, residual_px)``."""
    pairs, dist = assign(base_xy, sim.apply(mat, follow_xy), tol_px)
    for _ in range(iterations):
        if len(pairs) < 3:
            break
        new = sim.umeyama(follow_xy[pairs[:, 1]], base_xy[pairs[:, 0]])
        new_pairs, new_dist = assign(base_xy, sim.apply(new, follow_xy), tol_px)
        if (len(new_pairs), -float((new_dist**2).sum())) < (len(pairs), -float((dist**2).sum())):
            break  # worse than before: keep the current estimate
        converged = np.array_equal(new_pairs, pairs)
        mat, pairs, dist = new, new_pairs, new_dist
        if converged:
            break
    return mat, pairs, dist


def _confidence(ratio: float, inliers: int, scale: float) -> float:
    """Share of agreeing evidence, damped when there is little of it."""
    return float(np.clip(ratio, 0.0, 1.0) * (1.0 - math.exp(-inliers / scale)))


def _expected(
    mat: np.ndarray, base_xy: np.ndarray, follow_xy: np.ndarray, base_size: tuple, follow_size: tuple
) -> int:
    """Hairs expected to agree: the smaller visit's count inside the common field."""
    foll_poly = sim.apply(mat, sim.frame_polygon(*follow_size))
    n_base = int(sim.inside_polygon(foll_poly, base_xy).sum())
    n_foll = int(sim.inside_polygon(sim.frame_polygon(*base_size), sim.apply(mat, follow_xy)).sum())
    return min(n_base, n_foll)


def _agree(a: np.ndarray, b: np.ndarray, follow_size: tuple[int, int], tol_px: float) -> bool:
    """Whether two transforms put the follow-up frame's corners within ``tol_px`` of each other."""
    corners = sim.frame_polygon(*follow_size)
    return bool(np.hypot(*(sim.apply(a, corners) - sim.apply(b, corners)).T).max() <= tol_px)


def register(
    base_xy: np.ndarray,
    follow_xy: np.ndarray,
    *,
    um_per_px: float,
    base_size: tuple[int, int],
    follow_size: tuple[int, int],
    base_image: np.ndarray | None = None,
    follow_image: np.ndarray | None = None,
    config: RegistrationConfig | None = None,
) -> Registration:
    """Align a follow-up photo to the baseline photo of the same target area.

    Args:
        base_xy: ``(N, 2)`` baseline exit points, pixels.
        follow_xy: ``(M, 2)`` follow-up exit points, pixels *at the baseline scale*
            (rescale first if the calibrations differ; see :mod:`trichometry.visits.series`).
        um_per_px: micrometres per pixel of both point sets.
        base_size: baseline ``(width, height)`` in pixels.
        follow_size: follow-up ``(width, height)`` in pixels (at the baseline scale).
        base_image: optional ``(H, W, 3)`` uint8 RGB baseline photo, for image features.
        follow_image: optional follow-up photo at the baseline scale.
        config: parameters; defaults to :class:`RegistrationConfig`.

    Returns:
        The :class:`Registration` (follow-up -> baseline).

    Raises:
        RegistrationError: too few agreeing hairs, too small an overlap or too low a
            confidence: the photos probably show different areas.
    """
    cfg = config or RegistrationConfig()
    if not um_per_px or um_per_px <= 0:
        raise ConfigError(f"um_per_px must be > 0, got {um_per_px}; give the calibration of the images.")
    base_xy = np.asarray(base_xy, dtype=np.float64).reshape(-1, 2)
    follow_xy = np.asarray(follow_xy, dtype=np.float64).reshape(-1, 2)
    tol_px = cfg.tolerance_um / um_per_px
    have_points = len(base_xy) >= 3 and len(follow_xy) >= 3
    feat: tuple[np.ndarray, int, int, float] | None = None
    if cfg.use_image_features and base_image is not None and follow_image is not None:
        mat, fi, fm = feature_transform(base_image, follow_image, tol_px)
        if mat is not None:
            feat = (mat, fi, fm, _confidence(fi / max(fm, 1), fi, 15.0))
    seeds = ([feat[0]] if feat is not None else []) + constellation_hypotheses(
        base_xy, follow_xy, base_size, tol_px, cfg
    )
    if not seeds:
        raise RegistrationError(
            f"cannot register: only {len(base_xy)} baseline and {len(follow_xy)} follow-up hairs and no "
            "usable image features. Check that both photos show the same target area and are in focus."
        )
    # Each option: (confidence, method, matrix, inliers, ratio)
    options: list[tuple[float, str, np.ndarray, int, float]] = []
    if have_points:
        best: tuple[tuple[int, float], np.ndarray] | None = None
        for mat in seeds:
            mat, pairs, dist = _refine(mat, base_xy, follow_xy, tol_px, cfg.icp_iterations)
            # A last pass at half the tolerance drops near-miss neighbours from the fit.
            fine, fine_pairs, _ = _refine(mat, base_xy, follow_xy, tol_px / 2, cfg.icp_iterations)
            if len(fine_pairs) >= max(3, len(pairs) // 2):
                mat = fine
                pairs, dist = assign(base_xy, sim.apply(mat, follow_xy), tol_px)
            key = (len(pairs), -float(dist.sum()))
            if best is None or key > best[0]:
                best = (key, mat)
        assert best is not None
        n_in, mat = best[0][0], best[1]
        ratio = n_in / max(_expected(mat, base_xy, follow_xy, base_size, follow_size), 1)
        options.append((_confidence(ratio, n_in, 6.0), "points", mat, n_in, ratio))
    if feat is not None:
        options.append((feat[3], "features", feat[0], feat[1], feat[1] / max(feat[2], 1)))
    if not options:
        raise RegistrationError(
            f"cannot register: only {len(base_xy)} baseline and {len(follow_xy)} follow-up hairs "
            "(need 3 each) and no photos to match image features on. Give the photos, or check the detection."
        )
    options.sort(key=lambda o: -o[0])
    confidence, method, mat, inliers, ratio = options[0]
    if len(options) == 2 and _agree(options[0][2], options[1][2], follow_size, tol_px):
        # Hairs and image features tell the same story: keep the hair-refined transform.
        method = "features+points"
        mat = options[0][2] if options[0][1] == "points" else options[1][2]
    overlap = overlap_share(mat, base_size, follow_size)
    _, dist = assign(base_xy, sim.apply(mat, follow_xy), tol_px)
    scale, rot, _ = sim.decompose(mat)
    reg = Registration(
        matrix=mat,
        um_per_px=float(um_per_px),
        inliers=int(inliers),
        inlier_ratio=float(ratio),
        rms_um=float(np.sqrt(np.mean(dist**2)) * um_per_px) if len(dist) else float("nan"),
        overlap=overlap,
        confidence=float(confidence),
        method=method,
        details={
            "hairs_agreeing": len(dist),
            "feature_inliers": 0 if feat is None else feat[1],
            "feature_matches": 0 if feat is None else feat[2],
        },
    )
    logger.debug(
        "registration %s: scale %.4f rot %.2f deg, %d inliers (%.0f %%), overlap %.0f %%, confidence %.2f",
        method, scale, rot, inliers, 100 * ratio, 100 * overlap, confidence,
    )  # fmt: skip
    problems = []
    if inliers < cfg.min_inliers:
        what = "hairs" if method == "points" else "image features"
        problems.append(f"only {inliers} {what} agree (need {cfg.min_inliers})")
    if overlap < cfg.min_overlap:
        problems.append(f"the fields overlap by {100 * overlap:.0f} % (need {100 * cfg.min_overlap:.0f} %)")
    if confidence < cfg.min_confidence:
        problems.append(f"confidence {confidence:.2f} is below {cfg.min_confidence:.2f}")
    if problems:
        raise RegistrationError(
            "the follow-up photo cannot be aligned with the baseline: "
            + "; ".join(problems)
            + ". The photos probably show different areas: re-take the follow-up at the tattoo/marked "
            "target area, or check the calibration (um per pixel) of both visits."
        )
    return reg
