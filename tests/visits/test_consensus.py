from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pytest

from trichometry.errors import ConfigError
from trichometry.visits import HairPoints, VisitPhotos, compare_visit
from trichometry.visits import similarity as sim
from trichometry.visits.consensus import consensus

D0 = dt.date(2026, 1, 5)


def _retake(
    truth: HairPoints,
    rng: np.random.Generator,
    *,
    miss: float = 0.0,
    n_false: int = 0,
    rotation_deg: float = 4.0,
    shift_px: tuple[float, float] = (20.0, -12.0),
    thicker_um: float = 0.0,
) -> HairPoints:
    """Another photo of the same hairs: re-framed, with independent misses and false finds
    (false finds have id -1); a detector's repeat photo of one visit."""
    t = sim.compose(1.0, rotation_deg, shift_px)
    xy = sim.apply(t, truth.xy_px) + rng.normal(0.0, 0.3, truth.xy_px.shape)
    keep = sim.inside_polygon(sim.frame_polygon(truth.width, truth.height), xy) & (
        rng.random(len(xy)) >= miss
    )
    fxy = rng.uniform([0, 0], [truth.width - 1, truth.height - 1], (n_false, 2))
    return HairPoints(
        np.vstack([xy[keep], fxy]),
        np.concatenate([truth.diameter_um[keep] + thicker_um, np.full(n_false, 50.0)]),
        truth.um_per_px,
        truth.width,
        truth.height,
        ids=np.concatenate([truth.ids[keep], np.full(n_false, -1)]),
    )


def test_two_photos_keep_the_hairs_both_found(make_paired):
    truth = make_paired(seed=3).base
    rng = np.random.default_rng(0)
    a = _retake(truth, rng, miss=0.1, n_false=10, rotation_deg=0.0, shift_px=(0.0, 0.0))
    b = _retake(truth, rng, miss=0.1, n_false=10, thicker_um=4.0)
    c = consensus([a, b], max_distance_um=20.0)
    # where is each true hair seen, and by which photo
    b_frame_in_a = sim.apply(sim.invert(sim.compose(1.0, 4.0, (20.0, -12.0))), sim.frame_polygon(640, 512))
    in_both_fields = set(truth.ids[sim.inside_polygon(b_frame_in_a, truth.xy_px)].tolist())
    found_a, found_b = set(a.ids.tolist()) - {-1}, set(b.ids.tolist()) - {-1}
    kept = set(c.points.ids.tolist()) - {-1}
    assert (found_a & found_b) <= kept  # found twice: kept
    assert (found_a - found_b) & in_both_fields & kept == set()  # missed where b could see it: demoted
    assert (found_a - in_both_fields) <= kept  # only a could see it: kept as found
    assert (c.points.ids == -1).sum() <= 2  # false finds lose the vote (unless one lands on a hair)
    assert c.demoted == len(c.points.candidates_xy) >= 15
    assert c.to_dict() == {
        "photos": 2,
        "photos_left_out": 0,
        "hairs": len(c.points),
        "demoted_to_candidates": c.demoted,
    }
    # a hair found twice takes the mean of its two diameters
    i = int(np.flatnonzero(c.seen == 2)[0])
    d_a = a.diameter_um[a.ids == c.points.ids[i]][0]
    assert c.points.diameter_um[i] == pytest.approx(d_a + 2.0)


def test_three_photos_vote_by_majority(make_paired):
    truth = make_paired(seed=4).base
    rng = np.random.default_rng(1)
    photos = [
        _retake(truth, rng, rotation_deg=0.0, shift_px=(0.0, 0.0), miss=0.2),
        _retake(truth, rng, rotation_deg=2.0, shift_px=(3.0, 2.0), miss=0.2),
        _retake(truth, rng, rotation_deg=-2.0, shift_px=(-3.0, 1.0), miss=0.2),
    ]
    c = consensus(photos, max_distance_um=20.0)
    inner = c.covering == 3
    assert inner.sum() > 50 and (c.seen[inner] >= 2).all()
    votes = {}
    for p in photos:
        for i in p.ids.tolist():
            votes[i] = votes.get(i, 0) + 1
    assert sum(v == 1 for v in votes.values()) > 5  # some hairs were seen once ...
    kept = set(c.points.ids.tolist())
    seen_once_inside = [i for i, v in votes.items() if v == 1 and i in kept]
    # ... and a hair seen once counts only where the others could not see it
    assert all(c.covering[list(c.points.ids).index(i)] <= 1 for i in seen_once_inside)


def test_one_photo_is_its_own_consensus(make_paired):
    a = make_paired(seed=5).base
    c = consensus([a])
    assert c.points is a and c.demoted == 0 and c.registrations == []


def test_a_photo_of_another_area_is_left_out(make_paired, caplog):
    a = make_paired(seed=6).base
    stranger = make_paired(seed=77).base
    with caplog.at_level(logging.WARNING):
        c = consensus([a, stranger])
    assert c.registrations == [None] and "left out of the consensus" in caplog.text
    assert len(c.points) == len(a) and c.demoted == 0
    assert c.to_dict()["photos_left_out"] == 1 and c.photos_used == 1


def test_bad_arguments_are_refused(make_paired):
    with pytest.raises(ConfigError, match="at least one photo"):
        consensus([])
    with pytest.raises(ConfigError, match="max_distance_um"):
        consensus([make_paired(seed=1).base], max_distance_um=0.0)
    pf = make_paired(seed=2)
    with pytest.raises(ConfigError, match="combine"):
        compare_visit(VisitPhotos("v0", D0, [pf.base]), VisitPhotos("v1", D0 + dt.timedelta(30), [pf.follow]),
                      combine="median")  # fmt: skip


def test_consensus_stops_photo_flicker_reading_as_lost_and_new(make_paired):
    """No hair changes; every photo misses its own 10 %. Averaging photo pairs reads the
    misses as lost and new hairs; visit consensuses do not."""
    pf = make_paired(seed=8, p_lost=0.0, p_new=0.0)
    rng = np.random.default_rng(2)
    base = VisitPhotos("v0", D0, [_retake(pf.base, rng, miss=0.1, rotation_deg=0.0, shift_px=(0, 0)),
                                  _retake(pf.base, rng, miss=0.1)])  # fmt: skip
    follow = VisitPhotos("v1", D0 + dt.timedelta(days=91),
                         [_retake(pf.follow, rng, miss=0.1, rotation_deg=0.0, shift_px=(0, 0)),
                          _retake(pf.follow, rng, miss=0.1, rotation_deg=-3.0)])  # fmt: skip
    voted = compare_visit(base, follow)
    pairs = compare_visit(base, follow, combine="pairs")
    assert voted.consensus is not None and pairs.consensus is None
    assert voted.to_dict()["combine"] == "consensus" and pairs.to_dict()["consensus"] is None
    assert pairs.change.lost + pairs.change.new > 12
    assert voted.change.lost + voted.change.new <= 0.25 * (pairs.change.lost + pairs.change.new)
    assert abs(voted.change.density_change_pct.estimate) < 2.5  # one hair missed twice: 1 pp
    assert len(voted.registrations) == 1 and len(pairs.registrations) == 2
    assert voted.change.n_photos == 4 and pairs.change.n_photos == 4  # 2 + 2 photos; 2 x 2 pairs


def test_a_single_photo_at_either_visit_compares_photo_pairs(make_paired):
    pf = make_paired(seed=9, p_lost=0.1, p_new=0.0)
    rng = np.random.default_rng(3)
    base = VisitPhotos("v0", D0, [pf.base, _retake(pf.base, rng)])
    res = compare_visit(base, VisitPhotos("v1", D0 + dt.timedelta(days=30), [pf.follow]))
    assert res.consensus is None and res.change.n_photos == 2
