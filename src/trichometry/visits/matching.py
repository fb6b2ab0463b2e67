"""Hair-to-hair matching between two registered visits of one target area.

After registration the follow-up exit points are mapped into the baseline frame and
paired with baseline exit points by optimal assignment within ``max_distance_um``.
Only hairs inside the overlap of both fields count: a hair that left the field is not
"lost". A matched pair counts when the midpoint of the pair lies in the overlap, an
unmatched hair when it does (so hairs on the border are not split by registration noise).

Cross-visit hysteresis (``MatchConfig.rescue``, :mod:`.rescue`): a hair found confidently
at one visit that the normal assignment leaves unpaired in the overlap rescues a
sub-threshold exit peak (``HairPoints.candidates_xy``) at its registered place in the other
visit: that candidate is promoted to a hair and the pair counts as kept, so threshold
flicker does not read as "lost" plus "new". A candidate never counts on its own (never
lost, new or paired with another candidate). Without candidates nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trichometry.errors import CalibrationError, ConfigError
from trichometry.visits import similarity as sim
from trichometry.visits.assignment import assign
from trichometry.visits.hairs import HairPoints
from trichometry.visits.registration import Registration
from trichometry.visits.rescue import rescue, settle


@dataclass(frozen=True)
class MatchConfig:
    """Parameters of :func:`match_hairs`.

    Attributes:
        max_distance_um: largest distance (um) between a baseline hair and a registered
            follow-up hair for them to be the same hair.
        thickness_change_um: a matched hair whose diameter changed by more than this (um)
            is ``thickened`` / ``thinned``.
        non_vellus_um: diameter from which a hair counts as non-vellus (trial convention
            >= 30 um; set per school).
        edge_margin_um: hairs closer than this to the border of either field are left out
            (0 = count up to the border).
        roi_radius_um: count only inside this circle around the baseline photo's centre
            (the tattooed target area; ``None`` = the whole common field). The circle is
            clipped to the common field.
        roi_centre_px: the circle's centre in the baseline photo's pixels, when it is not
            the frame centre (a further baseline photo of the area, framed differently).
        rescue: let an unpaired hair of one visit rescue a candidate (sub-threshold exit
            peak) at the same registered place in the other visit (see the module doc).
    """

    max_distance_um: float = 60.0
    thickness_change_um: float = 5.0
    non_vellus_um: float = 30.0
    edge_margin_um: float = 0.0
    roi_radius_um: float | None = None
    rescue: bool = True
    roi_centre_px: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.max_distance_um > 0:
            raise ConfigError(f"max_distance_um must be > 0, got {self.max_distance_um}; e.g. 60.")
        if self.thickness_change_um < 0 or self.edge_margin_um < 0 or self.non_vellus_um < 0:
            raise ConfigError("thickness_change_um, non_vellus_um and edge_margin_um must be >= 0.")
        if self.roi_radius_um is not None and not self.roi_radius_um > 0:
            raise ConfigError(f"roi_radius_um must be > 0 or None, got {self.roi_radius_um}.")


@dataclass
class HairMatching:
    """Result of :func:`match_hairs`; indices refer to ``base`` and ``follow`` hairs.

    Attributes:
        pairs: ``(K, 2)`` int ``(base_index, follow_index)`` of matched hairs in the overlap.
        distance_um: ``(K,)`` residual distance of each pair after registration.
        lost: ``(L,)`` baseline indices with no follow-up hair (in the overlap).
        new: ``(G,)`` follow-up indices with no baseline hair (in the overlap).
        base_counted: ``(N,)`` bool, baseline hair lies in the overlap.
        follow_counted: ``(M,)`` bool, follow-up hair lies in the overlap.
        overlap_area_cm2: area of the overlap (after the edge margin).
        extra: ``rescued_baseline`` / ``rescued_followup``: candidates of that photo
            promoted to hairs (appended after its detected hairs, each in a pair).
    """

    base: HairPoints
    follow: HairPoints
    registration: Registration
    config: MatchConfig
    pairs: np.ndarray
    distance_um: np.ndarray
    lost: np.ndarray
    new: np.ndarray
    base_counted: np.ndarray
    follow_counted: np.ndarray
    overlap_area_cm2: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def baseline_count(self) -> int:
        return int(self.base_counted.sum())

    @property
    def followup_count(self) -> int:
        return int(self.follow_counted.sum())

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def rescued(self) -> int:
        """Candidates promoted to hairs, both photos together."""
        return int(self.extra.get("rescued_baseline", 0)) + int(self.extra.get("rescued_followup", 0))

    def rescued_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """``(N,)`` and ``(M,)`` bool: the hair is a rescued candidate, not a detected hair."""

        def tail(n: int, rescued: int) -> np.ndarray:
            return np.arange(n) >= n - rescued  # rescued candidates are appended last

        return (
            tail(len(self.base), int(self.extra.get("rescued_baseline", 0))),
            tail(len(self.follow), int(self.extra.get("rescued_followup", 0))),
        )

    def class_diameters_um(self) -> tuple[np.ndarray, np.ndarray]:
        """Baseline and follow-up diameters for thickness classes (``(N,)``, ``(M,)``).

        A rescued candidate (appended after the detected hairs) has no diameter of its own:
        it takes its partner's, so it keeps the confident hair's class instead of reading
        as a vellus hair or a class change.
        """
        db = self.base.diameter_um.astype(float)
        df = self.follow.diameter_um.astype(float)
        if len(self.pairs):
            bi, fi = self.pairs[:, 0], self.pairs[:, 1]
            rb, rf = self.rescued_masks()
            resc_b, resc_f = rb[bi], rf[fi]
            pb, pf = db[bi].copy(), df[fi].copy()
            db[bi[resc_b]] = pf[resc_b]
            df[fi[resc_f]] = pb[resc_f]
        return db, df

    @property
    def diameter_change_um(self) -> np.ndarray:
        """``(K,)`` follow-up minus baseline diameter of each matched hair (NaN if unknown)."""
        if len(self.pairs) == 0:
            return np.zeros(0)
        return self.follow.diameter_um[self.pairs[:, 1]] - self.base.diameter_um[self.pairs[:, 0]]

    @property
    def diameter_change_se_um(self) -> np.ndarray:
        """``(K,)`` standard error of each matched hair's diameter change (NaN if unknown)."""
        if len(self.pairs) == 0:
            return np.zeros(0)
        return np.hypot(self.follow.diameter_se[self.pairs[:, 1]], self.base.diameter_se[self.pairs[:, 0]])

    def pair_fates(self) -> list[str]:
        """Per matched pair: ``kept``, ``thickened`` or ``thinned`` (beyond ``thickness_change_um``)."""
        thr = self.config.thickness_change_um
        return [
            "thickened" if d > thr else "thinned" if d < -thr else "kept" for d in self.diameter_change_um
        ]

    def base_fates(self) -> list[str]:
        """Per baseline hair: ``kept``, ``thickened``, ``thinned``, ``lost`` or ``outside``."""
        fates = ["outside"] * len(self.base)
        for i in self.lost:
            fates[i] = "lost"
        for (i, _), fate in zip(self.pairs, self.pair_fates()):
            fates[i] = fate
        return fates

    def follow_fates(self) -> list[str]:
        """Per follow-up hair: ``kept``, ``thickened``, ``thinned``, ``new`` or ``outside``."""
        fates = ["outside"] * len(self.follow)
        for j in self.new:
            fates[j] = "new"
        for (_, j), fate in zip(self.pairs, self.pair_fates()):
            fates[j] = fate
        return fates

    def summary(self) -> dict[str, Any]:
        """Counts, shares and thickness transitions as plain numbers (JSON-ready)."""
        thr = self.config.non_vellus_um
        dd = self.diameter_change_um
        cb, cf = self.class_diameters_um()
        base_d, foll_d = cb[self.base_counted], cf[self.follow_counted]
        n_base = self.baseline_count
        fates = self.pair_fates()
        pb = cb[self.pairs[:, 0]] if len(self.pairs) else np.zeros(0)
        pf = cf[self.pairs[:, 1]] if len(self.pairs) else np.zeros(0)
        return {
            "baseline_count": n_base,
            "followup_count": self.followup_count,
            "matched": self.matched,
            "lost": len(self.lost),
            "new": len(self.new),
            "rescued": self.rescued,
            "thickened": fates.count("thickened"),
            "thinned": fates.count("thinned"),
            "share_went_dormant": len(self.lost) / n_base if n_base else float("nan"),
            "share_became_active": len(self.new) / n_base if n_base else float("nan"),
            "baseline_non_vellus": int(np.sum(base_d >= thr)),
            "followup_non_vellus": int(np.sum(foll_d >= thr)),
            "vellus_to_non_vellus": int(np.sum((pb < thr) & (pf >= thr))),
            "non_vellus_to_vellus": int(np.sum((pb >= thr) & (pf < thr))),
            "mean_diameter_change_um": float(np.nanmean(dd)) if np.isfinite(dd).any() else float("nan"),
            "overlap_area_cm2": self.overlap_area_cm2,
            "median_match_distance_um": float(np.median(self.distance_um)) if len(self.distance_um) else 0.0,
        }


def roi_circle(
    width: int, height: int, radius_px: float, sides: int = 720, centre: tuple[float, float] | None = None
) -> np.ndarray:
    """``(sides, 2)`` polygon of a circle around ``centre`` (default: the frame centre);
    its area is within 0.002 % of the disc's."""
    t = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    c = centre if centre is not None else ((width - 1) / 2.0, (height - 1) / 2.0)
    return np.column_stack([c[0] + radius_px * np.cos(t), c[1] + radius_px * np.sin(t)])


def _shrunk_frame(width: int, height: int, margin_px: float) -> np.ndarray:
    poly = sim.frame_polygon(width, height)
    return poly + np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * margin_px


def match_hairs(
    base: HairPoints,
    follow: HairPoints,
    registration: Registration,
    config: MatchConfig | None = None,
) -> HairMatching:
    """Pair the hairs of two registered photos of one area.

    Args:
        base: baseline hairs.
        follow: follow-up hairs at the baseline scale (see :meth:`HairPoints.rescaled`).
        registration: follow-up -> baseline transform from
            :func:`~trichometry.visits.registration.register`.
        config: parameters; defaults to :class:`MatchConfig`.

    Returns:
        The :class:`HairMatching`.

    Raises:
        CalibrationError: the two photos are not at the same scale.
    """
    cfg = config or MatchConfig()
    if abs(follow.um_per_px - base.um_per_px) > 1e-3 * base.um_per_px:
        raise CalibrationError(
            f"baseline is at {base.um_per_px:.4g} um/px and follow-up at {follow.um_per_px:.4g} um/px; "
            "rescale the follow-up to the baseline scale first (HairPoints.rescaled)."
        )
    upp = base.um_per_px
    margin_px = cfg.edge_margin_um / upp
    mapped = registration.apply(follow.xy_px)
    pairs, dist_px = assign(base.xy_px, mapped, cfg.max_distance_um / upp)
    base_poly = _shrunk_frame(base.width, base.height, margin_px)
    foll_poly = registration.apply(_shrunk_frame(follow.width, follow.height, margin_px))

    circle = None
    if cfg.roi_radius_um is not None:
        circle = roi_circle(base.width, base.height, cfg.roi_radius_um / upp, centre=cfg.roi_centre_px)

    def in_overlap(xy: np.ndarray) -> np.ndarray:
        ok = sim.inside_polygon(base_poly, xy) & sim.inside_polygon(foll_poly, xy)
        return ok & sim.inside_polygon(circle, xy) if circle is not None else ok

    n_base, n_follow = len(base), len(follow)
    if cfg.rescue and (base.n_candidates or follow.n_candidates):
        base, follow = rescue(base, follow, registration, pairs, in_overlap, cfg.max_distance_um / upp)
        if len(base) > n_base or len(follow) > n_follow:
            mapped = registration.apply(follow.xy_px)
            pairs, dist_px = assign(base.xy_px, mapped, cfg.max_distance_um / upp)
            base, follow, mapped, pairs, dist_px = settle(
                base, follow, registration, pairs, dist_px, n_base, n_follow, in_overlap
            )

    base_counted = np.zeros(len(base), dtype=bool)
    follow_counted = np.zeros(len(follow), dtype=bool)
    keep = np.zeros(len(pairs), dtype=bool)
    if len(pairs):
        mid = 0.5 * (base.xy_px[pairs[:, 0]] + mapped[pairs[:, 1]])
        keep = in_overlap(mid)
        base_counted[pairs[keep, 0]] = True
        follow_counted[pairs[keep, 1]] = True
    base_unpaired = np.setdiff1d(np.arange(len(base)), pairs[:, 0])
    follow_unpaired = np.setdiff1d(np.arange(len(follow)), pairs[:, 1])
    lost = base_unpaired[in_overlap(base.xy_px[base_unpaired])] if len(base_unpaired) else base_unpaired
    new = follow_unpaired[in_overlap(mapped[follow_unpaired])] if len(follow_unpaired) else follow_unpaired
    base_counted[lost] = True
    follow_counted[new] = True
    pairs, dist_px, keep, lost, new = _apply_joins(base, follow, mapped, pairs, dist_px, keep, lost, new)
    import cv2

    area_px, region = cv2.intersectConvexConvex(base_poly.astype(np.float32), foll_poly.astype(np.float32))
    if circle is not None and region is not None and area_px > 0:
        area_px, _ = cv2.intersectConvexConvex(region.reshape(-1, 2), circle.astype(np.float32))
    return HairMatching(
        base=base,
        follow=follow,
        registration=registration,
        config=cfg,
        pairs=pairs[keep],
        distance_um=dist_px[keep] * upp,
        lost=lost.astype(np.int64),
        new=new.astype(np.int64),
        base_counted=base_counted,
        follow_counted=follow_counted,
        overlap_area_cm2=float(max(area_px, 0.0)) * (upp * 1e-4) ** 2,
        extra={"rescued_baseline": len(base) - n_base, "rescued_followup": len(follow) - n_follow},
    )


JOIN_TOLERANCE_PX = 1.5  # a join names its baseline hair by its exit point, to this distance


def _apply_joins(base, follow, mapped, pairs, dist_px, keep, lost, new):  # type: ignore[no-untyped-def]
    """Pair the lost baseline and new follow-up hairs a reviewer joined (``follow.joins``
    naming ``base``'s photo); a join whose hairs are not lost and new is ignored."""
    joins = [j for j in follow.joins if base.sha256 is not None and j[1] == base.sha256]
    if not joins or not len(lost) or not len(new):
        return pairs, dist_px, keep, lost, new
    lost, new = list(lost), list(new)
    add = []
    for i_f, _, x, y in joins:
        if i_f not in new or not lost:
            continue
        d = np.hypot(base.xy_px[lost, 0] - x, base.xy_px[lost, 1] - y)
        k = int(np.argmin(d))
        if d[k] > JOIN_TOLERANCE_PX:
            continue
        add.append((lost.pop(k), i_f))
        new.remove(i_f)
    if not add:
        return pairs, dist_px, keep, np.asarray(lost, np.int64), np.asarray(new, np.int64)
    extra = np.asarray(add, dtype=pairs.dtype if len(pairs) else np.int64).reshape(-1, 2)
    d_extra = np.hypot(*(base.xy_px[extra[:, 0]] - mapped[extra[:, 1]]).T)
    return (
        np.concatenate([pairs.reshape(-1, 2), extra]),
        np.concatenate([dist_px, d_extra]),
        np.concatenate([keep, np.ones(len(extra), bool)]),
        np.asarray(lost, np.int64),
        np.asarray(new, np.int64),
    )


def score_against_ids(matching: HairMatching) -> dict[str, float]:
    """Compare a matching with known identities (``HairPoints.ids``, e.g. follicle ids).

    Returns:
        ``pair_precision`` (share of made pairs with equal ids), ``pair_recall`` (share of
        counted baseline hairs whose id is present among counted follow-up hairs and that
        were paired with it), and the true ``lost`` / ``new`` counts by id.
    """
    b, f = matching.base, matching.follow
    if b.ids is None or f.ids is None:
        raise ConfigError("score_against_ids needs ids on both HairPoints (e.g. from_truth).")
    bid = set(b.ids[matching.base_counted].tolist())
    fid = set(f.ids[matching.follow_counted].tolist())
    correct = sum(int(b.ids[i] == f.ids[j]) for i, j in matching.pairs)
    common = len(bid & fid)
    return {
        "pair_precision": correct / len(matching.pairs) if len(matching.pairs) else 1.0,
        "pair_recall": correct / common if common else 1.0,
        "true_lost": float(len(bid - fid)),
        "true_new": float(len(fid - bid)),
    }
