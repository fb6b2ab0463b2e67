"""generate_sample: counts, exit map, diameter map, determinism, units, clipping, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from trichometry.synth import ImageTruth, generate_sample, render

SMALL = {"width": 192, "height": 144, "density_per_cm2": (250, 320)}


@pytest.mark.parametrize("upp", [2.8, 4.0, 6.0, 10.0])
def test_count_and_exit_map_match_inside_hairs(upp):
    total = 0
    for seed in range(3):
        s = generate_sample(
            seed, um_per_px=upp, density_per_cm2=(200, 320), p_unclipped=0.5, width=480, height=360
        )
        t = s.truth
        inside = [
            h
            for h in t.hairs
            if -0.5 <= h.exit_xy[0] < t.width - 0.5 and -0.5 <= h.exit_xy[1] < t.height - 0.5
        ]
        assert t.count == len(inside)
        assert int(s.targets.exit_map.sum()) == t.count
        for h in inside:
            x, y = h.exit_xy
            assert s.targets.exit_map[math.floor(y + 0.5), math.floor(x + 0.5)] == 1
        assert t.density_per_cm2 == pytest.approx(t.count / (480 * 360 * (upp * 1e-4) ** 2))
        total += t.count
    assert total > 0


def test_hair_outside_frame_is_drawn_but_not_counted(make_hair, make_patch, plain_view):
    view = plain_view(4.0, 100, 80)
    # exit 40 px left of the frame, pointing right: crosses the frame for 160 px
    outside = make_hair(1, (-90 * 4.0, 0.0), 0.0, length_um=800.0)
    inner = make_hair(2, (0.0, 60.0), 0.0, length_um=200.0, diameter_um=40.0)
    s = render(make_patch(outside, inner), view, seed=0)
    by_follicle = {h.follicle_id: h for h in s.truth.hairs}
    assert set(by_follicle) == {1, 2}
    assert s.truth.count == 1
    assert (s.targets.instance_ids == by_follicle[1].hair_id).sum() > 100
    assert int(s.targets.exit_map.sum()) == 1
    assert not by_follicle[1].inside(100, 80)


def test_diameter_map_equals_hair_diameter_on_its_shaft():
    s = generate_sample(7, um_per_px=8.0, taper_per_mm=0.0, p_unclipped=0.0, clipped_fraction=1.0, **SMALL)
    ids, dmap = s.targets.instance_ids, s.targets.diameter_um
    assert np.array_equal(ids > 0, s.targets.shaft_mask.astype(bool))
    assert np.all(dmap[ids == 0] == 0)
    seen = 0
    for h in s.truth.hairs:
        on = ids == h.hair_id
        if on.any():
            seen += 1
            assert np.allclose(dmap[on], h.diameter_um, atol=1e-3)
    assert seen >= 3


def test_tapered_diameter_map_stays_between_tip_and_root():
    s = generate_sample(8, um_per_px=8.0, taper_per_mm=(0.05, 0.1), p_unclipped=1.0, **SMALL)
    ids, dmap = s.targets.instance_ids, s.targets.diameter_um
    for h in s.truth.hairs:
        on = ids == h.hair_id
        if on.any():
            assert dmap[on].min() >= h.tip_diameter_um - 1e-3
            assert dmap[on].max() <= h.diameter_um + 1e-3


def test_same_seed_is_byte_identical_and_seeds_differ():
    a = generate_sample(11, **SMALL)
    b = generate_sample(11, **SMALL)
    c = generate_sample(12, **SMALL)
    assert a.image.tobytes() == b.image.tobytes()
    assert json.dumps(a.truth.to_dict()) == json.dumps(b.truth.to_dict())
    for name in ("shaft_mask", "instance_ids", "exit_map", "diameter_um"):
        assert np.array_equal(getattr(a.targets, name), getattr(b.targets, name))
    assert a.image.tobytes() != c.image.tobytes()


def test_three_hair_units_share_id_and_opening():
    s = generate_sample(
        5,
        um_per_px=8.0,
        unit_size_weights=(0, 0, 1, 0),
        empty_follicle_fraction=0.0,
        density_per_cm2=300,
        width=480,
        height=360,
    )
    units: dict[int, list] = {}
    for h in s.truth.hairs:
        units.setdefault(h.unit_id, []).append(h)
    # units with a hair 60 px inside the border have all three hairs in the frame
    complete = [
        hs for hs in units.values() if any(60 < h.exit_xy[0] < 420 and 60 < h.exit_xy[1] < 300 for h in hs)
    ]
    assert complete
    for hs in complete:
        assert len(hs) == 3
        assert len({h.follicle_id for h in hs}) == 3
        exits = np.array([h.exit_xy for h in hs])
        spread_um = np.max(np.hypot(*(exits[:, None] - exits[None]).transpose(2, 0, 1))) * 8.0
        assert spread_um < 3 * 130 + 60  # side by side in one opening


def test_clipped_hairs_are_0p3_to_2_mm():
    s = generate_sample(9, um_per_px=8.0, p_unclipped=0.0, clipped_fraction=1.0, **SMALL)
    assert s.truth.hairs
    for h in s.truth.hairs:
        assert h.clipped
        assert 300.0 <= h.length_um <= 2000.0
        poly = np.sum(np.hypot(*np.diff(h.centreline, axis=0).T)) * 8.0
        assert poly == pytest.approx(h.length_um, rel=1e-6)


def test_truth_json_round_trip():
    s = generate_sample(13, **SMALL)
    d = json.loads(json.dumps(s.truth.to_dict()))
    back = ImageTruth.from_dict(d)
    assert back.count == s.truth.count
    assert back.to_dict() == d
    for h0, h1 in zip(s.truth.hairs, back.hairs):
        assert h1.follicle_id == h0.follicle_id
        assert np.allclose(h1.centreline, h0.centreline, atol=1e-4)


def test_generate_rejects_unknown_parameter():
    from trichometry.errors import ConfigError

    with pytest.raises(ConfigError, match="hair_colour"):
        generate_sample(1, hair_colour=3)


def test_truth_records_the_ranges_it_was_drawn_from():
    from trichometry.synth import SceneRanges

    s = generate_sample(2, width=64, height=48, density_per_cm2=(100, 150))
    d = json.loads(json.dumps(s.truth.to_dict()))
    back = SceneRanges.from_dict(d["params"]["ranges"])
    assert back == SceneRanges().with_overrides(width=64, height=48, density_per_cm2=(100, 150))
    assert d["params"]["view"]["um_per_px"] == pytest.approx(s.truth.um_per_px, rel=1e-5)


def test_identical_in_another_process_with_one_opencv_thread():
    import hashlib
    import subprocess
    import sys

    code = (
        "import hashlib, cv2; cv2.setNumThreads(1);"
        "from trichometry.synth import generate_sample;"
        "s = generate_sample(78, width=160, height=128, p_unclipped=1.0);"
        "print(hashlib.sha256(s.image.tobytes() + s.targets.instance_ids.tobytes()).hexdigest())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    s = generate_sample(78, width=160, height=128, p_unclipped=1.0)
    here = hashlib.sha256(s.image.tobytes() + s.targets.instance_ids.tobytes()).hexdigest()
    assert out.stdout.strip() == here
