"""Property test: invariants of every generated sample over random valid parameters."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trichometry.synth import generate_sample


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    width=st.integers(8, 96),
    height=st.integers(8, 96),
    upp=st.floats(2.0, 10.0),
    density=st.floats(20.0, 320.0),
    p_unclipped=st.sampled_from([0.0, 1.0]),
    rotation=st.floats(-180.0, 180.0),
)
def test_targets_agree_with_truth(seed, width, height, upp, density, p_unclipped, rotation):
    s = generate_sample(
        seed,
        width=width,
        height=height,
        um_per_px=upp,
        density_per_cm2=density,
        p_unclipped=p_unclipped,
        rotation_deg=rotation,
    )
    t, g = s.truth, s.targets
    assert s.image.shape == (height, width, 3) and s.image.dtype == np.uint8
    for a in (g.shaft_mask, g.instance_ids, g.exit_map, g.diameter_um, g.overlay_mask):
        assert a.shape == (height, width)
    assert int(g.exit_map.sum()) == t.count and g.exit_map.max(initial=0) <= 1
    assert np.array_equal(g.shaft_mask.astype(bool), g.instance_ids > 0)
    ids = {h.hair_id for h in t.hairs}
    assert set(np.unique(g.instance_ids)) - {0} <= ids
    on = g.diameter_um[g.shaft_mask > 0]
    assert np.all(on > 0) and np.all(g.diameter_um[g.shaft_mask == 0] == 0)
    if p_unclipped == 0.0:  # cut ends: no shaft thinner than the thinnest hair (3 um)
        assert np.all(on >= 3.0)
    # uncut hairs end in a point, down to 15 % of their diameter (synth.raster.TIP_POINT)
    assert sorted(ids) == list(range(1, len(ids) + 1))
