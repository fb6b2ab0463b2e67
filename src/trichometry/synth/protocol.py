"""Trial protocols of the longitudinal simulator: visit schedules and follicle dynamics.

* :func:`visit_day` / :func:`parse_visits`: visit names (``baseline``, ``2w``, ``3m``, a
  date) to days after baseline;
* :class:`ArmResponse` / :class:`ResponseModel`: how follicles shed, regrow and change
  diameter per trial arm and subject;
* :class:`VisitProtocol`: how the target area is clipped and photographed over time.

:mod:`trichometry.synth.longitudinal` simulates subjects under them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from trichometry.errors import ConfigError

VISIT_PRESETS: dict[str, int] = {"baseline": 0, "2w": 14, "1m": 30, "3m": 91, "6m": 182}
DEFAULT_VISITS = ("baseline", "2w", "1m", "3m", "6m")
ARMS = ("treated", "control")
_VISIT_RE = re.compile(r"^(\d{1,4})([dwmy])$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UNIT_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}


def visit_day(name: str, start_date: str | None = None) -> int:
    """Days after baseline of a visit: ``baseline``, ``<n>d``/``<n>w``/``<n>m``/``<n>y``, or a date.

    Months are 30.4375 days and years 365.25 days, rounded to whole days (``3m`` = 91). A
    visit given as an ISO date (``2025-03-14``) counts from ``start_date``.

    Raises:
        ConfigError: for any other name, or a date without (or before) ``start_date``.
    """
    if name in VISIT_PRESETS:
        return VISIT_PRESETS[name]
    m = _VISIT_RE.match(name) if isinstance(name, str) else None
    if m is not None:
        return round(int(m.group(1)) * _UNIT_DAYS[m.group(2)])
    if isinstance(name, str) and _DATE_RE.match(name) and start_date is not None:
        try:
            day = (dt.date.fromisoformat(name) - dt.date.fromisoformat(start_date)).days
        except ValueError:
            raise ConfigError(
                f"visit date {name!r} or start date {start_date!r} is not a valid date."
            ) from None
        if day < 0:
            raise ConfigError(f"visit date {name} is before the baseline date {start_date}.")
        return day
    raise ConfigError(
        f"unknown visit {name!r}; use baseline, 2w, 1m, 3m, 6m, a delay like 10d, 12w, 9m, 1y, "
        "or a date YYYY-MM-DD on or after the start date."
    )


def parse_visits(spec: str | Sequence[str], start_date: str | None = None) -> tuple[tuple[str, int], ...]:
    """Parse ``"baseline,2w,1m"`` (or a list) into ``((name, day), ...)``, baseline first.

    Args:
        spec: visit names (see :func:`visit_day`), comma-separated or a sequence.
        start_date: the baseline date, needed for visits given as dates.

    Raises:
        ConfigError: unknown names, duplicates, no baseline first, or days not increasing.
    """
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [str(s).strip() for s in spec]
    if not names or any(not n for n in names):
        raise ConfigError(f"visit list {spec!r} is empty or has an empty name; e.g. baseline,2w,1m,3m,6m.")
    visits = tuple((n, visit_day(n, start_date)) for n in names)
    if visits[0][1] != 0:
        raise ConfigError(f"the first visit must be the baseline (day 0), got {visits[0][0]!r}.")
    days = [d for _, d in visits]
    if any(b <= a for a, b in itertools.pairwise(days)):
        raise ConfigError(
            f"visits {', '.join(names)} must be in order of increasing, distinct days ({days})."
        )
    return visits


def _check(name: str, value: float, lo: float, hi: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (lo <= value <= hi):
        raise ConfigError(f"{name}={value!r} is outside [{lo:g}, {hi:g}]; give a value in that range.")


@dataclass(frozen=True)
class ArmResponse:
    """Follicle dynamics of one trial arm (mean subject).

    Attributes:
        shed_per_day: daily hazard that an active hair is shed (about 1/anagen days).
        regrow_per_day: daily hazard that a dormant follicle starts a new hair
            (about 1/telogen-plus-kenogen days).
        diameter_change_per_month: relative drift of shaft diameter per month
            (0.005 = +0.5 %/month thickening; negative = miniaturisation).
    """

    shed_per_day: float
    regrow_per_day: float
    diameter_change_per_month: float

    def __post_init__(self) -> None:
        _check("shed_per_day", self.shed_per_day, 0.0, 0.2)
        _check("regrow_per_day", self.regrow_per_day, 0.0, 0.5)
        _check("diameter_change_per_month", self.diameter_change_per_month, -0.2, 0.2)


@dataclass(frozen=True)
class ResponseModel:
    """How follicles change between visits, per arm and per subject.

    The control arm is the natural course (pattern hair loss: slightly more shedding than
    regrowth, slow miniaturisation). A treated subject with response ``q`` (drawn from
    ``N(1, responder_sd)``, clipped to [0, 3]; 0 = non-responder) gets
    ``rate = control_rate * (treated_rate / control_rate) ** q`` and
    ``drift = control_drift + q * (treated_drift - control_drift)``.

    Attributes:
        control, treated: mean dynamics of each arm.
        responder_sd: spread of the treated subjects' response ``q``.
        natural_sd: log-normal spread of each subject's natural shed/regrow rates.
        follicle_diameter_sd: per-follicle random diameter drift (relative, per sqrt(month)).
        new_hair_fraction: a regrown hair starts at this fraction of its follicle's diameter.
        maturation_days: time constant with which a regrown hair reaches full diameter.
        growth_um_per_day: anagen growth speed (about 300 um/day).
        min_diameter_um, max_diameter_um: bounds of any follicle's diameter.
    """

    control: ArmResponse = ArmResponse(0.0012, 0.009, -0.002)
    treated: ArmResponse = ArmResponse(0.0008, 0.015, 0.004)
    responder_sd: float = 0.5
    natural_sd: float = 0.2
    follicle_diameter_sd: float = 0.01
    new_hair_fraction: float = 0.5
    maturation_days: float = 60.0
    growth_um_per_day: float = 300.0
    min_diameter_um: float = 5.0
    max_diameter_um: float = 150.0

    def __post_init__(self) -> None:
        _check("responder_sd", self.responder_sd, 0.0, 3.0)
        _check("natural_sd", self.natural_sd, 0.0, 2.0)
        _check("follicle_diameter_sd", self.follicle_diameter_sd, 0.0, 0.5)
        _check("new_hair_fraction", self.new_hair_fraction, 0.05, 1.0)
        _check("maturation_days", self.maturation_days, 0.1, 3650.0)
        _check("growth_um_per_day", self.growth_um_per_day, 0.0, 2000.0)
        _check("min_diameter_um", self.min_diameter_um, 1.0, 100.0)
        _check("max_diameter_um", self.max_diameter_um, self.min_diameter_um, 400.0)
        for arm in ("control", "treated"):
            if not isinstance(getattr(self, arm), ArmResponse):
                raise ConfigError(f"response.{arm} must be an ArmResponse.")


@dataclass(frozen=True)
class VisitProtocol:
    """How the target area is photographed over time.

    Attributes:
        visits: visit names (see :func:`visit_day`), baseline first.
        start_date: ISO date of the baseline visit.
        clip: clip the area at every visit (trial target-area set-up).
        clip_length_um: length hairs are clipped to.
        clip_to_photo_days: days between clipping and the photo (anagen hairs grow meanwhile).
        shift_sd_um: per-axis spread of the camera centre around the tattoo (re-positioning).
        rotation_sd_deg: spread of the camera rotation around the baseline's.
        dormant_fraction: share of follicles dormant at baseline (dormant follicles are
            added inside existing units when the patch has fewer).
        target_radius_fraction: radius of the target circle as a fraction of the frame's
            shorter side (in um); true density is counted there.
        site: scalp site recorded in the truth.
    """

    visits: tuple[str, ...] = DEFAULT_VISITS
    start_date: str = "2025-01-06"
    clip: bool = True
    clip_length_um: float = 1000.0
    clip_to_photo_days: float = 0.0
    shift_sd_um: float = 100.0
    rotation_sd_deg: float = 3.0
    dormant_fraction: float = 0.1
    target_radius_fraction: float = 0.4
    site: str = "vertex"

    def __post_init__(self) -> None:
        try:
            dt.date.fromisoformat(self.start_date)
        except (TypeError, ValueError):
            raise ConfigError(f"start_date {self.start_date!r} must be an ISO date YYYY-MM-DD.") from None
        object.__setattr__(self, "visits", tuple(n for n, _ in parse_visits(self.visits, self.start_date)))
        _check("clip_length_um", self.clip_length_um, 50.0, 5000.0)
        _check("clip_to_photo_days", self.clip_to_photo_days, 0.0, 30.0)
        _check("shift_sd_um", self.shift_sd_um, 0.0, 2000.0)
        _check("rotation_sd_deg", self.rotation_sd_deg, 0.0, 45.0)
        _check("dormant_fraction", self.dormant_fraction, 0.0, 0.9)
        _check("target_radius_fraction", self.target_radius_fraction, 0.05, 0.5)

    @property
    def schedule(self) -> tuple[tuple[str, int], ...]:
        return parse_visits(self.visits, self.start_date)
