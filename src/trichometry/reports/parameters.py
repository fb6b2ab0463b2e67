"""The reported parameters (ADaM ``PARAMCD`` / ``PARAM``) and how each is read from a measurement.

A measurement is the JSON dict ``trichometry analyze`` writes per image (flat keys, or the
library's ``Measurement.to_dict()`` with a nested ``summary``). Non-vellus density and
vellus share come from the per-hair widths in ``hairs``: the share of hairs at least the
cut-off thick among the hairs with a measured width, times the density (hairs whose width
could not be measured are split like the measured ones). Without per-hair widths these
two are the measurement's own ``nonvellus_density_per_cm2`` / ``vellus_share`` (a
fraction) when it records them, else missing (NaN), never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: per-hair keys that may hold a shaft diameter in micrometres, in order of preference.
DIAMETER_KEYS: tuple[str, ...] = ("diameter_um", "thickness_um", "width_um", "mean_thickness_um")


@dataclass(frozen=True)
class Parameter:
    """One reported quantity.

    Attributes:
        code: ADaM ``PARAMCD`` (at most 8 characters).
        label: ADaM ``PARAM`` (with unit; ``{cut}`` is replaced by the vellus cut-off).
        unit: unit shown in tables.
        extract: ``(measurement, vellus_cutoff_um) -> value`` (NaN when not available).
    """

    code: str
    label: str
    unit: str
    extract: Callable[[Mapping[str, Any], float], float]

    def title(self, vellus_cutoff_um: float) -> str:
        return self.label.replace("{cut}", f"{vellus_cutoff_um:g}")


def _num(m: Mapping[str, Any], key: str) -> float:
    v = m.get(key)
    if v is None or isinstance(v, bool):
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


#: corrected summary numbers (the store's corrections) -> measurement keys they replace.
CORRECTION_KEYS: dict[str, str] = {
    "count": "hair_count",
    "density_per_cm2": "density_per_cm2",
    "mean_thickness_um": "mean_thickness_um",
    "nonvellus_density_per_cm2": "nonvellus_density_per_cm2",
    "vellus_share": "vellus_share",
}


def measurement_view(m: Mapping[str, Any]) -> Mapping[str, Any]:
    """Flat view of a measurement.

    Reads ``analyze`` JSON keys, the library's nested ``summary`` (also under
    ``measurement``), and applies ``corrections`` (corrected summary numbers, as the store
    keeps them: ``count``, ``density_per_cm2``, ``mean_thickness_um``,
    ``nonvellus_density_per_cm2``, ``vellus_share`` as a fraction); a corrected count
    without a corrected density gives density = count / area.
    """
    view: dict[str, Any] = dict(m)
    inner = view.pop("measurement", None)
    if isinstance(inner, Mapping):
        view = {**view, **inner}
    summary = view.pop("summary", None)
    if isinstance(summary, Mapping):
        view = {**summary, **view}
    corr = view.get("corrections")
    if isinstance(corr, Mapping) and corr:
        done = {CORRECTION_KEYS[k]: v for k, v in corr.items() if k in CORRECTION_KEYS}
        if "hair_count" in done and "density_per_cm2" not in done:
            done["density_per_cm2"] = float(done["hair_count"]) / _area(view)
        view.update(done)
        view["_corrected"] = frozenset(done)
    return view


def hair_diameters_um(m: Mapping[str, Any]) -> tuple[list[float], int] | None:
    """``(diameters of the hairs with a measured width, number of counted hairs)``.

    ``None`` when the measurement lists no hairs (per-hair parameters are then unknown).
    """
    hairs = m.get("hairs")
    if not isinstance(hairs, Sequence) or isinstance(hairs, str | bytes):
        return None
    out: list[float] = []
    counted = 0
    for h in hairs:
        if not isinstance(h, Mapping) or h.get("counted", True) is False:
            continue
        counted += 1
        for key in DIAMETER_KEYS:
            v = h.get(key)
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                out.append(float(v))
                break
    return out, counted


def _area(m: Mapping[str, Any]) -> float:
    area = _num(m, "area_cm2")
    if math.isfinite(area) and area > 0:
        return area
    count, dens = _num(m, "hair_count"), _num(m, "density_per_cm2")
    return count / dens if dens > 0 else math.nan


def _count(m: Mapping[str, Any], cut: float) -> float:
    return _num(m, "hair_count")


def _density(m: Mapping[str, Any], cut: float) -> float:
    d = _num(m, "density_per_cm2")
    return d if math.isfinite(d) else _num(m, "hair_count") / _area(m)


def _nonvellus_share(m: Mapping[str, Any], cut: float) -> float:
    """Share of hairs >= ``cut`` among hairs with a measured width (NaN if none measured)."""
    got = hair_diameters_um(m)
    if got is None or not got[0]:
        return math.nan
    d = got[0]
    return sum(1 for x in d if x >= cut) / len(d)


def _nonvellus_density(m: Mapping[str, Any], cut: float) -> float:
    if "nonvellus_density_per_cm2" in m.get("_corrected", ()):
        return _num(m, "nonvellus_density_per_cm2")
    # hairs without a measured width are split like the measured ones (not dropped,
    # which would read as fewer non-vellus hairs)
    if _num(m, "hair_count") == 0:
        return 0.0
    share = _nonvellus_share(m, cut)
    if not math.isfinite(share):
        return _num(m, "nonvellus_density_per_cm2")
    return _density(m, cut) * share


def _mean_diameter(m: Mapping[str, Any], cut: float) -> float:
    for key in ("mean_thickness_um", "mean_diameter_um"):
        v = _num(m, key)
        if math.isfinite(v):
            return v
    got = hair_diameters_um(m)
    return sum(got[0]) / len(got[0]) if got and got[0] else math.nan


def _cumulative(m: Mapping[str, Any], cut: float) -> float:
    v = _num(m, "cumulative_thickness_mm_per_cm2")
    if math.isfinite(v):
        return v
    if _num(m, "hair_count") == 0:
        return 0.0
    return _density(m, cut) * _mean_diameter(m, cut) / 1000.0


def _vellus_share(m: Mapping[str, Any], cut: float) -> float:
    if "vellus_share" in m.get("_corrected", ()):
        return 100.0 * _num(m, "vellus_share")
    share = _nonvellus_share(m, cut)
    return 100.0 * (1.0 - share) if math.isfinite(share) else 100.0 * _num(m, "vellus_share")


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("HAIRCNT", "Target-area hair count (hairs)", "hairs", _count),
    Parameter("DENS", "Hair density (hairs/cm2)", "hairs/cm2", _density),
    Parameter("NVDENS", "Non-vellus hair density, >= {cut} um (hairs/cm2)", "hairs/cm2", _nonvellus_density),
    Parameter("MEANDIAM", "Mean shaft diameter (um)", "um", _mean_diameter),
    Parameter("CUMTHICK", "Cumulative thickness (mm/cm2)", "mm/cm2", _cumulative),
    Parameter("VELLPCT", "Vellus hair share, < {cut} um (%)", "%", _vellus_share),
)

PARAMETER_BY_CODE: dict[str, Parameter] = {p.code: p for p in PARAMETERS}
