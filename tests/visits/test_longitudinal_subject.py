"""Acceptance: a generated subject's known per-follicle fates are recovered by matching.

The subject comes from :mod:`trichometry.synth.longitudinal` (persistent follicle map,
re-imaged at 6 months with a new camera position, rotation and lighting). Detection is
the truth's exit points, so what is tested is registration + matching + counting in the
tattooed target circle.
"""

from __future__ import annotations

import numpy as np
import pytest

from trichometry.synth import SceneRanges
from trichometry.synth.longitudinal import ArmResponse, ResponseModel, VisitProtocol, simulate_subject
from trichometry.visits import HairPoints, MatchConfig, change_from_matching, match_hairs, register


@pytest.fixture(scope="module")
def subject():
    ranges = SceneRanges().with_overrides(
        um_per_px=(6.0, 6.0), width=(640, 640), height=(512, 512), density_per_cm2=(300.0, 300.0),
        p_strip=0.0, p_scale_bar=0.0, p_circle=0.0,
    )  # fmt: skip
    busy = ArmResponse(shed_per_day=0.004, regrow_per_day=0.03, diameter_change_per_month=0.03)
    protocol = VisitProtocol(
        visits=("baseline", "6m"), shift_sd_um=150.0, rotation_sd_deg=6.0, dormant_fraction=0.2
    )
    response = ResponseModel(treated=busy, responder_sd=0.0)
    # The first seed whose target circle sees both a loss and a gain (simulation only; cheap).
    for seed in range(11, 60):
        sub = simulate_subject("T1", seed, arm="treated", ranges=ranges, protocol=protocol, response=response)
        states = [(t.states[0].active, t.states[1].active) for t in sub.truth.follicles if t.in_target]
        if (True, False) in states and (False, True) in states:
            break
    return sub, [sub.render(0), sub.render(1)]


def test_fates_in_the_target_circle_are_recovered(subject):
    sub, (s0, s1) = subject
    base = HairPoints.from_truth(s0.truth, image=s0.image)
    follow = HairPoints.from_truth(s1.truth, image=s1.image)
    reg = register(base.xy_px, follow.xy_px, um_per_px=base.um_per_px, base_size=base.size,
                   follow_size=follow.size, base_image=s0.image, follow_image=s1.image)  # fmt: skip
    assert reg.confidence > 0.7
    radius = sub.truth.target_radius_um
    m = match_hairs(base, follow, reg, MatchConfig(roi_radius_um=radius))
    tracks = [t for t in sub.truth.follicles if t.in_target]
    true_lost = {t.follicle_id for t in tracks if t.states[0].active and not t.states[1].active}
    true_new = {t.follicle_id for t in tracks if not t.states[0].active and t.states[1].active}
    true_both = {t.follicle_id for t in tracks if t.states[0].active and t.states[1].active}
    assert true_lost and true_new, "the scenario must contain both losses and gains"
    assert set(base.ids[m.lost].tolist()) == true_lost
    assert set(follow.ids[m.new].tolist()) == true_new
    assert {int(base.ids[i]) for i, _ in m.pairs} == true_both
    assert all(base.ids[i] == follow.ids[j] for i, j in m.pairs)
    # The counts equal the generator's own target-circle counts.
    assert m.baseline_count == sub.truth.visits[0].target_count
    assert m.followup_count == sub.truth.visits[1].target_count
    c = change_from_matching(m)
    v0, v1 = sub.truth.visits
    assert c.density_change_pct.estimate == pytest.approx(
        100 * (v1.target_count - v0.target_count) / v0.target_count
    )
    # Thickness change of the matched follicles (kept or replaced by a thinner new hair) equals the truth's.
    both = [t for t in tracks if t.follicle_id in true_both]
    true_dd = np.mean([t.states[1].diameter_um - t.states[0].diameter_um for t in both])
    assert c.mean_thickness_change_um.estimate == pytest.approx(true_dd, abs=0.5)
