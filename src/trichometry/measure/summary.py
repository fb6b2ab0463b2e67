"""Image-level summary of measured hairs: counts, densities, thickness, units, directions."""

from __future__ import annotations

from typing import Any

import numpy as np

from trichometry.measure.classes import Convention
from trichometry.measure.measurement import HairMeasurement
from trichometry.measure.stats import (
    clark_evans,
    direction_summary,
    garwood_interval,
    quadrat_cv,
    single_linkage_groups,
    unit_summary,
)

INTERVAL_METHOD = "exact Poisson (Garwood), 95 %"


def summarise(
    hairs: list[HairMeasurement],
    *,
    area_mask: np.ndarray,
    um_per_px: float | None,
    convention: Convention,
    unit_link_um: float,
) -> dict[str, Any]:
    """Build the summary dict; fills ``hair.unit_id`` as a side effect.

    Densities are per cm^2 of analysed area (pixel centres inside the ROI and the valid
    mask). Without a scale, physical quantities are ``None`` and pixel ones are given.
    """
    n = len(hairs)
    area_px = int(area_mask.sum())
    cal = um_per_px is not None
    area_cm2 = area_px * (um_per_px * 1e-4) ** 2 if cal else None
    xy = np.asarray([h.exit_xy for h in hairs], dtype=float).reshape(-1, 2)
    lo, hi = garwood_interval(n)

    def per_cm2(v: float | None) -> float | None:
        return None if (v is None or not area_cm2) else v / area_cm2

    out: dict[str, Any] = {
        "hair_count": n,
        "area_px": area_px,
        "area_cm2": area_cm2,
        "density_per_cm2": per_cm2(n),
        "density_ci95_per_cm2": [per_cm2(lo), per_cm2(hi)] if cal else None,
        "count_ci95": [lo, hi],
        "interval_method": INTERVAL_METHOD,
    }

    t_um = np.asarray([h.thickness_um for h in hairs if h.thickness_um is not None], dtype=float)
    t_px = np.asarray([h.thickness_px for h in hairs if h.thickness_px is not None], dtype=float)
    out["thickness_measured"] = len(t_px)
    out["thickness_from_profile"] = sum(h.thickness_source == "profile" for h in hairs)
    out["thickness_from_map"] = sum(h.thickness_source == "map" for h in hairs)
    out["mean_diameter_px"] = float(t_px.mean()) if len(t_px) else None
    out["median_diameter_px"] = float(np.median(t_px)) if len(t_px) else None
    out["mean_diameter_um"] = float(t_um.mean()) if len(t_um) else None
    out["median_diameter_um"] = float(np.median(t_um)) if len(t_um) else None
    out["sd_diameter_um"] = float(t_um.std(ddof=1)) if len(t_um) > 1 else None
    # anisotrichosis: coefficient of variation of diameters (needs no scale)
    out["anisotrichosis_pct"] = float(100 * t_px.std(ddof=1) / t_px.mean()) if len(t_px) > 1 else None
    # cumulative thickness: sum of diameters (mm) per cm^2; hairs without a width add
    # the mean width (so a missing profile does not read as a thinner scalp)
    if cal and len(t_um):
        total_mm = (t_um.sum() + (n - len(t_um)) * t_um.mean()) / 1000.0
        out["cumulative_thickness_mm_per_cm2"] = per_cm2(total_mm)
    else:
        out["cumulative_thickness_mm_per_cm2"] = None

    classes = {label: 0 for label in convention.labels}
    for h in hairs:
        if h.class_name is not None:
            classes[h.class_name] += 1
    out["class_counts"] = classes if cal else None
    out["class_fractions"] = {k: v / len(t_um) for k, v in classes.items()} if cal and len(t_um) else None
    out["vellus_share"] = _vellus_share(hairs, convention) if cal else None
    nv = sum(1 for h in hairs if h.thickness_um is not None and h.thickness_um >= convention.vellus_below_um)
    nv_lo, nv_hi = garwood_interval(nv)
    out["non_vellus_count"] = nv if cal else None
    out["non_vellus_density_per_cm2"] = per_cm2(nv) if cal else None
    out["non_vellus_density_ci95_per_cm2"] = [per_cm2(nv_lo), per_cm2(nv_hi)] if cal else None

    if cal:
        labels = single_linkage_groups(xy * um_per_px, unit_link_um)
        for h, lab in zip(hairs, labels):
            h.unit_id = int(lab)
        units = unit_summary(labels)
        sizes = np.bincount(labels) if n else np.zeros(0, dtype=int)
        out["follicular_units"] = {
            "link_um": unit_link_um,
            "method": "single linkage of exit points",
            "units": units["units"],
            "units_per_cm2": per_cm2(units["units"]),
            "hairs_per_unit": units["hairs_per_unit"],
            "mean_hairs_per_unit": units["mean"],
            "single_hair_unit_fraction": float((sizes == 1).mean()) if n else None,
        }
    else:
        out["follicular_units"] = None

    out["direction"] = direction_summary(np.asarray([h.direction_deg for h in hairs if h.length_px > 0]))
    out["evenness"] = {
        "clark_evans_r": clark_evans(xy, float(area_px)),
        "quadrat_cv_pct": quadrat_cv(xy, area_mask),
        "note": "Clark-Evans R: 1 random, < 1 clustered, > 1 regular (no edge correction)",
    }
    out["visible_length_um_mean"] = float(np.mean([h.length_um for h in hairs])) if cal and n else None
    return out


UNCERTAIN_BELOW = 0.8  # a hair whose class confidence is below this is near a cut-off


def _vellus_share(hairs: list[HairMeasurement], convention: Convention) -> dict[str, Any] | None:
    """Share of measured hairs that are vellus, with a 95 % interval that adds each hair's
    chance of lying on the other side of the cut-off (from its diameter's standard error)
    to the binomial sampling error (Wilson interval, widened by the measurement variance)."""
    measured = [h for h in hairs if h.thickness_um is not None]
    n = len(measured)
    if n == 0:
        return None
    cut = convention.vellus_below_um
    k = sum(h.thickness_um < cut for h in measured)
    probs = [convention.class_probabilities(h.thickness_um, h.thickness_se_um) for h in measured]
    pv = np.array([p[convention.labels[0]] for p in probs])
    share = k / n
    z = 1.959963984540054
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half_sampling = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    var_meas = float((pv * (1 - pv)).sum()) / (n * n)
    half = float(np.sqrt(half_sampling**2 + z * z * var_meas))
    return {
        "share": share,
        "ci95": [max(0.0, centre - half), min(1.0, centre + half)],
        "expected_share": float(pv.mean()),
        "near_cutoff": int(sum(1 for h in measured if (h.class_confidence or 1.0) < UNCERTAIN_BELOW)),
        "method": "Wilson interval widened by per-hair class uncertainty",
    }
