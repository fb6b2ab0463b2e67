"""ScalpPatch: density, units, clipping, dormant follicles, persistence across views."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from trichometry.synth import SceneRanges, render, sample_patch


def test_density_units_and_lengths_follow_ranges():
    r = SceneRanges(density_per_cm2=200, empty_follicle_fraction=0.0, p_unclipped=0.0, clipped_fraction=1.0)
    p = sample_patch(r, np.random.default_rng(1), extent_um=(10000.0, 10000.0))
    assert p.density_per_cm2 == pytest.approx(200, rel=0.2)
    sizes = np.bincount([h.unit_id for h in p.hairs])
    assert sizes[sizes > 0].max() <= 4
    assert all(h.clipped and 300 <= h.length_um <= 2000 for h in p.hairs)
    assert len({h.follicle_id for h in p.hairs}) == len(p.hairs)


def test_diameter_classes_cover_vellus_to_terminal():
    r = SceneRanges(vellus_fraction=0.3, intermediate_fraction=0.3, density_per_cm2=300)
    p = sample_patch(r, np.random.default_rng(2), extent_um=(10000.0, 10000.0))
    d = np.array([h.diameter_um for h in p.hairs])
    assert d.min() >= 10.0 and d.max() <= 130.0
    assert (d < 30).mean() > 0.15 and (d > 60).mean() > 0.15


def test_unit_exits_do_not_overlap():
    r = SceneRanges(unit_size_weights=(0, 0, 0, 1), density_per_cm2=300)
    p = sample_patch(r, np.random.default_rng(3), extent_um=(6000.0, 6000.0))
    units: dict[int, list] = {}
    for h in p.hairs:
        units.setdefault(h.unit_id, []).append(h)
    for hs in units.values():
        for i, a in enumerate(hs):
            for b in hs[i + 1 :]:
                gap = np.hypot(a.exit_um[0] - b.exit_um[0], a.exit_um[1] - b.exit_um[1])
                assert gap >= (a.diameter_um + b.diameter_um) / 2


def test_empty_follicles_are_dormant_units():
    r = SceneRanges(empty_follicle_fraction=0.3, density_per_cm2=200)
    p = sample_patch(r, np.random.default_rng(4), extent_um=(8000.0, 8000.0))
    assert p.empty_follicles
    assert len(p.empty_follicles) == len({h.unit_id for h in p.hairs if not h.active})


def test_same_patch_in_shifted_view_moves_exits_by_the_shift(make_hair, make_patch, plain_view):
    hairs = [make_hair(i + 1, (x, y), 20.0 * i) for i, (x, y) in enumerate([(-100, -50), (120, 40), (0, 90)])]
    patch = make_patch(*hairs)
    a = render(patch, plain_view(4.0, 160, 120), seed=0)
    b = render(patch, plain_view(4.0, 160, 120, centre_um=(40.0, -20.0)), seed=0)
    ea = {h.follicle_id: np.array(h.exit_xy) for h in a.truth.hairs}
    eb = {h.follicle_id: np.array(h.exit_xy) for h in b.truth.hairs}
    for fid in ea:
        assert np.allclose(eb[fid] - ea[fid], [-10.0, 5.0])


def test_dormant_hair_is_an_empty_opening_not_a_shaft(make_hair, make_patch, plain_view):
    h = make_hair(1, (0.0, 0.0), 0.0)
    view = plain_view(4.0, 160, 120)
    live = render(make_patch(h), view, seed=0)
    dormant = render(make_patch(dataclasses.replace(h, active=False)), view, seed=0)
    assert live.truth.count == 1 and live.targets.shaft_mask.sum() > 0
    assert dormant.truth.count == 0 and dormant.targets.shaft_mask.sum() == 0
    assert len(dormant.truth.empty_follicles) == 1
    assert np.allclose(dormant.truth.empty_follicles[0], live.truth.hairs[0].exit_xy)


@pytest.mark.parametrize("extent", [(0.0, 100.0), (-5.0, 10.0), (100.0,), "big"])
def test_bad_extent_raises_config_error(extent):
    from trichometry.errors import ConfigError

    with pytest.raises(ConfigError, match="extent_um"):
        sample_patch(SceneRanges(), np.random.default_rng(0), extent_um=extent)


def test_no_two_exits_overlap_even_at_high_density():
    r = SceneRanges(unit_size_weights=(0, 0, 1, 1), density_per_cm2=600, terminal_diameter_um=(90, 95))
    p = sample_patch(r, np.random.default_rng(5), extent_um=(5000.0, 5000.0))
    assert p.density_per_cm2 > 450
    xy = np.array([h.exit_um for h in p.hairs])
    d = np.array([h.diameter_um for h in p.hairs])
    gap = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    need = (d[:, None] + d[None, :]) / 2
    np.fill_diagonal(gap, np.inf)
    assert np.all(gap >= need)
