from __future__ import annotations

import dataclasses

import pytest

from trichometry.errors import ConfigError
from trichometry.evaluation.config import DataConfig, EvaluateConfig, WindowConfig, to_objects


def test_defaults_turn_into_library_objects():
    cohort, methods, windows, reg, match = to_objects(EvaluateConfig())
    assert methods == ["truth", "classical"]
    assert [w.name for w in windows] == ["2w", "1m", "3m", "6m"]
    assert cohort.visits[0] == "baseline" and match.max_distance_um == 60.0 and reg.tolerance_um == 30.0


@pytest.mark.parametrize(
    ("change", "msg"),
    [
        ({"methods": ["magic"]}, "unknown method"),
        ({"data": DataConfig(source="dataset")}, "data.root"),
        ({"data": DataConfig(source="web")}, "data.source"),
        ({"data": DataConfig(visits=["3m"])}, "baseline"),
        ({"windows": [WindowConfig("a", 30, 10), WindowConfig("b", 35, 10)]}, "overlap"),
        ({"radius_um": 0.0}, "radius_um"),
        ({"perturb_miss": 1.0}, "perturb_miss"),
        ({"visit_combine": "median"}, "visit_combine"),
    ],
)
def test_bad_settings_are_refused(change, msg):
    with pytest.raises(ConfigError, match=msg):
        to_objects(dataclasses.replace(EvaluateConfig(), **change))
