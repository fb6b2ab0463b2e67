"""Visits over time: registration, hair-to-hair matching, change measures and windows.

Typical use::

    from trichometry.visits import HairPoints, register, match_hairs, change_from_matching

    reg = register(base.xy_px, follow.xy_px, um_per_px=base.um_per_px,
                   base_size=base.size, follow_size=follow.size)
    m = match_hairs(base, follow, reg)
    change = change_from_matching(m)   # density / non-vellus / thickness change, 95 % intervals
"""

from __future__ import annotations

from trichometry.visits.change import (
    Interval,
    PairChange,
    Repeatability,
    change_from_matching,
    combine_changes,
    paired_count_change,
    paired_mean,
    repeatability,
)
from trichometry.visits.hairs import HairPoints
from trichometry.visits.matching import HairMatching, MatchConfig, match_hairs, score_against_ids
from trichometry.visits.registration import Registration, RegistrationConfig, register
from trichometry.visits.series import VisitComparison, compare_photos, compare_series, compare_visit
from trichometry.visits.visit import VisitPhotos, check_visits_scale, visit_scale
from trichometry.visits.windows import DEFAULT_WINDOWS, VisitWindow, assign_window, check_windows, days_since

__all__ = [
    "DEFAULT_WINDOWS",
    "HairMatching",
    "HairPoints",
    "Interval",
    "MatchConfig",
    "PairChange",
    "Registration",
    "RegistrationConfig",
    "Repeatability",
    "VisitComparison",
    "VisitPhotos",
    "VisitWindow",
    "assign_window",
    "change_from_matching",
    "check_visits_scale",
    "check_windows",
    "combine_changes",
    "compare_photos",
    "compare_series",
    "compare_visit",
    "days_since",
    "match_hairs",
    "paired_count_change",
    "paired_mean",
    "register",
    "repeatability",
    "score_against_ids",
    "visit_scale",
]
