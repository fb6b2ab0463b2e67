"""95 % intervals of one visit's values (for plots and the independent-count change).

* density (``DENS``): Poisson on each photo's hair count, ``var(mean) = sum(n_i / a_i^2) / k^2``
  over the visit's ``k`` photos with numbers;
* non-vellus density (``NVDENS``): the same with each photo's non-vellus count;
* mean shaft diameter (``MEANDIAM``): the spread of the measured hairs pooled over the
  photos, ``1.96 sd / sqrt(n)``;
* vellus share (``VELLPCT``): binomial (normal approximation) on the pooled measured hairs.

Intervals are centred on the visit's reported value; ``NaN`` where the photos do not say
enough (no area, no measured hair), never guessed.
"""

from __future__ import annotations

import math

from trichometry.reports.engine import VisitObservation
from trichometry.reports.parameters import PARAMETER_BY_CODE, hair_diameters_um, measurement_view
from trichometry.visits.change import NAN_INTERVAL, Z95, Interval


def _photo_counts(o: VisitObservation, code: str, cut: float) -> list[tuple[float, float]] | None:
    """``(hairs, area cm2)`` per photo with numbers for ``code``'s density; ``None`` if an area is unknown."""
    count, extract = PARAMETER_BY_CODE["HAIRCNT"].extract, PARAMETER_BY_CODE[code].extract
    dens = PARAMETER_BY_CODE["DENS"].extract
    out = []
    for r in o.images:
        m = measurement_view(r.measurement)
        n, d, v = count(m, cut), dens(m, cut), extract(m, cut)
        if not (math.isfinite(n) and math.isfinite(d) and math.isfinite(v)):
            continue  # a rejected photo carries no numbers and is not in the mean either
        if n <= 0 or d <= 0:
            return None  # area unknown: no interval rather than a made-up one
        area = n / d
        out.append((v * area, area))
    return out


def density_variance(o: VisitObservation, code: str = "DENS", cut: float = 30.0) -> float:
    """Poisson variance of the visit's mean density (``DENS`` or ``NVDENS`` at cut-off ``cut``)."""
    got = _photo_counts(o, code, cut)
    if not got:
        return math.nan
    return sum(max(n, 1.0) / a**2 for n, a in got) / len(got) ** 2


def _pooled_diameters(o: VisitObservation) -> list[float]:
    out: list[float] = []
    for r in o.images:
        got = hair_diameters_um(measurement_view(r.measurement))
        if got is not None:
            out.extend(got[0])
    return out


def visit_intervals(o: VisitObservation, vellus_cutoff_um: float = 30.0) -> dict[str, Interval]:
    """``PARAMCD -> Interval`` for DENS, NVDENS, MEANDIAM and VELLPCT of one visit."""
    out: dict[str, Interval] = {}
    for code in ("DENS", "NVDENS"):
        v, var = o.values.get(code, math.nan), density_variance(o, code, vellus_cutoff_um)
        half = Z95 * math.sqrt(var) if math.isfinite(var) else math.nan
        out[code] = Interval(v, v - half, v + half) if math.isfinite(v) else NAN_INTERVAL
    d = _pooled_diameters(o)
    v = o.values.get("MEANDIAM", math.nan)
    if len(d) >= 2 and math.isfinite(v):
        mean = sum(d) / len(d)
        sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1))
        half = Z95 * sd / math.sqrt(len(d))
        out["MEANDIAM"] = Interval(v, v - half, v + half)
    else:
        out["MEANDIAM"] = Interval(v, math.nan, math.nan)
    v = o.values.get("VELLPCT", math.nan)
    if d and math.isfinite(v):
        p = sum(1 for x in d if x < vellus_cutoff_um) / len(d)
        half = 100.0 * Z95 * math.sqrt(max(p * (1 - p), 0.25 / len(d)) / len(d))
        out["VELLPCT"] = Interval(v, max(v - half, 0.0), min(v + half, 100.0))
    else:
        out["VELLPCT"] = Interval(v, math.nan, math.nan)
    return out
