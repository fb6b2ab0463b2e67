"""style_heldout_hairs: the held-out style's lengths, directions and shaft shading."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from trichometry.synth import SceneRanges, render, sample_patch
from trichometry.synth.hairs import hair_colour as standard_colour
from trichometry.synth.style_heldout_hairs import hair_colour

EXTENT = (8000.0, 8000.0)
DENSE = {"density_per_cm2": 300.0, "clipped_length_um": (300.0, 2000.0)}


def _patches(seed: int, **kw):
    """The same draw in both styles, and each main generator's next value afterwards."""
    out = []
    for style in ("standard", "heldout"):
        rng = np.random.default_rng(seed)
        patch = sample_patch(SceneRanges().with_overrides(style=style, **DENSE, **kw), rng, extent_um=EXTENT)
        out.append((patch, rng.random()))
    return out


def test_heldout_patch_keeps_the_follicle_map_and_the_main_random_stream():
    (std, next_std), (alt, next_alt) = _patches(3)
    assert next_std == next_alt  # no extra draw from the scene's generator
    assert std.style == "standard" and alt.style == "heldout"
    assert alt.params["style"] == "heldout" and "style" not in std.params
    assert (std.skin.texture_seed, std.skin.fitzpatrick) == (alt.skin.texture_seed, alt.skin.fitzpatrick)
    assert np.array_equal(std.skin.dandruff, alt.skin.dandruff)
    assert len(std.hairs) == len(alt.hairs) > 100
    for a, b in zip(std.hairs, alt.hairs):
        assert (a.follicle_id, a.unit_id, a.exit_um, a.diameter_um, a.active, a.pigment) == (
            b.follicle_id,
            b.unit_id,
            b.exit_um,
            b.diameter_um,
            b.active,
            b.pigment,
        )


def test_clipped_lengths_follow_another_distribution_with_stubs():
    (std, _), (alt, _) = _patches(5, clipped_fraction=1.0, p_unclipped=0.0)
    clip = std.params["clip_length_um"]
    r_std = np.array([h.length_um for h in std.hairs]) / clip
    r_alt = np.array([h.length_um for h in alt.hairs if h.clipped]) / clip
    assert r_std.min() >= 0.45 - 1e-9  # the standard style: 45-100 % of the clipper length
    assert np.all(np.array([h.length_um for h in alt.hairs]) >= 100.0)
    stubs = np.mean([h.length_um <= 250.0 for h in alt.hairs])
    assert 0.05 < stubs < 0.25
    assert np.median(r_alt) < np.median(r_std) - 0.05
    # clipped only: no long hairs are made (the patch margin would not cover them)
    assert all(h.clipped for h in alt.hairs)


def test_more_long_crossing_hairs_where_the_ranges_allow_them():
    (std, _), (alt, _) = _patches(7, clipped_fraction=(0.99, 1.0))
    n_std = sum(not h.clipped for h in std.hairs)
    n_alt = sum(not h.clipped for h in alt.hairs)
    assert n_alt > n_std
    for h in alt.hairs:
        if not h.clipped:
            assert h.length_um >= 3000.0 and 0 < h.tip_zone_um <= 0.5 * h.length_um


def test_hairs_of_a_unit_fan_out_from_their_opening():
    def divergence(patch):
        """Correlation of each hair's turn from its unit's mean direction with its side."""
        units: dict[int, list] = {}
        for h in patch.hairs:
            units.setdefault(h.unit_id, []).append(h)
        turn, side = [], []
        for hs in units.values():
            if len(hs) < 2:
                continue
            mean = math.atan2(
                sum(math.sin(math.radians(h.direction_deg)) for h in hs),
                sum(math.cos(math.radians(h.direction_deg)) for h in hs),
            )
            perp = np.array([-math.sin(mean), math.cos(mean)])
            ex = np.array([h.exit_um for h in hs])
            side += list((ex - ex.mean(axis=0)) @ perp)
            turn += [(h.direction_deg - math.degrees(mean) + 180.0) % 360.0 - 180.0 for h in hs]
        return float(np.corrcoef(side, turn)[0, 1])

    (std, _), (alt, _) = _patches(11)
    assert abs(divergence(std)) < 0.2
    assert divergence(alt) > 0.5


def test_shaft_is_darkest_in_the_middle_without_a_specular_streak(make_hair, make_patch, plain_view):
    hair = make_hair(1, (-300.0, 0.0), 0.0, diameter_um=100.0, length_um=600.0, pigment=0.4)
    patch = dataclasses.replace(make_patch(hair), style="heldout")
    s = render(patch, plain_view(2.0, 200, 120), seed=0)
    col = s.image[:, 100].astype(float).mean(axis=1)
    on = np.flatnonzero(s.targets.shaft_mask[:, 100])
    assert len(on) == 50
    core = col[on[20:30]].mean()
    rims = np.r_[col[on[1:4]], col[on[-4:-1]]].mean()
    assert core < rims - 5  # the standard style: core lighter than rims
    assert abs(col[on[:20]].mean() - col[on[-20:]].mean()) < 3  # symmetric: no streak on one side
    assert col[on].max() < col[:10].mean() - 30


def test_root_emerges_veiled_over_its_first_micrometres(make_hair, make_patch, plain_view):
    hair = make_hair(1, (0.0, 0.0), 0.0, diameter_um=80.0, length_um=400.0)
    s = render(dataclasses.replace(make_patch(hair), style="heldout"), plain_view(2.0, 200, 120), seed=0)
    lum = s.image.mean(axis=2)
    ex, ey = s.truth.hairs[0].exit_xy
    y = round(ey)
    root = lum[y - 2 : y + 3, math.ceil(ex)].mean()  # the first pixel column of the shaft
    mid = lum[y - 2 : y + 3, math.ceil(ex) + 40].mean()  # 80 um along it
    assert root > mid + 10


@pytest.mark.parametrize("pigment", [0.0, 0.3, 0.6, 1.0])
def test_colours_are_warmer_than_the_standard_style(pigment):
    alt, std = hair_colour(pigment, 0.0), standard_colour(pigment, 0.0)
    assert alt[0] / alt[2] > std[0] / std[2]
