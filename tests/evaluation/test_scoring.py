"""Scoring on a tiny generated cohort with the truth oracle: matching recovers the truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trichometry.evaluation.cohort import CohortConfig, generate_cohort, true_overlap_change, true_transform
from trichometry.evaluation.detectors import get_detector
from trichometry.evaluation.scoring import repeat_groups, score_photo, score_subject
from trichometry.visits import DEFAULT_WINDOWS, MatchConfig, RegistrationConfig

TINY = CohortConfig(n_subjects=1, visits=("baseline", "3m"), photos_per_visit=2, um_per_px=8.0, width=384,
                    height=320, density_per_cm2=(260.0, 260.0))  # fmt: skip


@pytest.fixture(scope="module")
def subject():
    return next(iter(generate_cohort(TINY)))


def test_cohort_structure_and_truth_geometry(subject):
    assert [v.name for v in subject.visits] == ["baseline", "3m"]
    assert all(len(v.photos) == 2 for v in subject.visits)
    assert subject.visits[1].day == 91 and set(subject.target) == {"baseline", "3m"}
    a, b = subject.visits[0].photos
    m = true_transform(a.truth, b.truth)
    # The same follicles map onto each other through the camera geometry.
    ia = {h.follicle_id: h.exit_xy for h in a.truth.hairs}
    common = [h for h in b.truth.hairs if h.follicle_id in ia]
    assert common
    err = [
        np.hypot(*(m[:, :2] @ np.array(h.exit_xy) + m[:, 2] - np.array(ia[h.follicle_id]))) for h in common
    ]
    assert max(err) < 1e-3  # truth coordinates are stored to 4 decimals
    same = true_overlap_change(a.truth, b.truth, m)
    assert same["change_pct"] == 0.0  # two photos of one visit: no change


@pytest.mark.parametrize("combine", ["consensus", "pairs"])
def test_truth_oracle_scores_perfectly(subject, combine):
    """Either way of combining a visit's photos recovers the true change of the skin it counts."""
    det = get_detector("truth")
    dets = {p.image_id: det(p) for v in subject.visits for p in v.photos}
    row = score_photo(subject.visits[0].photos[0], dets[subject.visits[0].photos[0].image_id], 30.0)
    assert row["fp"] == 0 and row["fn"] == 0 and row["dice"] == 1.0
    rows = score_subject(subject, dets, windows=DEFAULT_WINDOWS, registration=RegistrationConfig(),
                         matching=MatchConfig(), combine=combine)  # fmt: skip
    (r,) = rows
    assert r["window"] == "3m" and r["registered"]
    assert r["matched_change_pct"] == pytest.approx(r["true_change_pct"], abs=1e-9)
    if combine == "consensus":  # the photo-pair figure rides along, against its own skin's truth
        assert r["pairs_change_pct"] == pytest.approx(r["pairs_true_change_pct"], abs=1e-9)
    else:
        assert "pairs_change_pct" not in r
    assert math.isfinite(r["independent_change_pct"])
    ind, mat = repeat_groups(subject, dets, RegistrationConfig(), MatchConfig())
    assert len(ind) == 2 and len(mat) == 2
    assert all(g[0] == pytest.approx(g[1]) for g in mat)  # same hairs in the common field


def test_target_circle_matching_equals_the_generators_target_truth(subject):
    """Counting in the tattooed circle: hair-to-hair change equals the generator's own target count change."""
    det = get_detector("truth")
    dets = {p.image_id: det(p) for v in subject.visits for p in v.photos}
    (r,) = score_subject(subject, dets, windows=DEFAULT_WINDOWS, registration=RegistrationConfig(),
                         matching=MatchConfig(), roi_fraction=0.4)  # fmt: skip
    assert r["matched_change_pct"] == pytest.approx(r["target_change_pct"], abs=1e-9)
    assert r["true_change_pct"] == pytest.approx(r["target_change_pct"], abs=1e-9)


def test_perturbed_oracle_degrades_as_asked(subject):
    from trichometry.evaluation.detectors import Perturbation

    photo = subject.visits[0].photos[0]
    exact = get_detector("perturbed", perturbation=Perturbation(0.0, 0.0, 0.0, 0.0))(photo).points
    truth = get_detector("truth")(photo).points
    assert np.allclose(exact.xy_px, truth.xy_px) and np.allclose(exact.diameter_um, truth.diameter_um)
    noisy = get_detector("perturbed", perturbation=Perturbation(0.5, 0.0, 0.0, 0.0))(photo).points
    assert len(noisy) < len(truth)
    again = get_detector("perturbed", perturbation=Perturbation(0.5, 0.0, 0.0, 0.0))(photo).points
    assert np.array_equal(noisy.xy_px, again.xy_px)  # deterministic per photo
    row = score_photo(
        photo, get_detector("perturbed", perturbation=Perturbation(0.0, 0.0, 0.0, 0.0))(photo), 30.0
    )
    assert row["fp"] == 0 and row["fn"] == 0


def test_a_photo_pair_that_fails_to_register_leaves_its_column_empty(subject, monkeypatch):
    """The photo-pair figure rides along with a consensus; its failure must not stop the run."""
    import trichometry.evaluation.scoring as scoring
    from trichometry.errors import RegistrationError

    real = scoring.compare_visit

    def pairs_fail(*args, combine, **kw):
        if combine == "pairs":
            raise RegistrationError("not the same area")
        return real(*args, combine=combine, **kw)

    monkeypatch.setattr(scoring, "compare_visit", pairs_fail)
    det = get_detector("truth")
    dets = {p.image_id: det(p) for v in subject.visits for p in v.photos}
    (r,) = score_subject(subject, dets, windows=DEFAULT_WINDOWS, registration=RegistrationConfig(),
                         matching=MatchConfig())  # fmt: skip
    assert r["registered"] and math.isnan(r["pairs_change_pct"])
    assert r["matched_change_pct"] == pytest.approx(r["true_change_pct"], abs=1e-9)
