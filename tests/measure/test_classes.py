from __future__ import annotations

import pytest

from trichometry.errors import ConfigError
from trichometry.measure.classes import CONVENTIONS, get_convention


def test_trichoscopy_cutoffs_at_boundaries():
    c = get_convention("trichoscopy")
    assert [c.classify(v) for v in (10, 29.99, 30, 59.99, 60, 120)] == [
        "vellus", "vellus", "intermediate", "intermediate", "terminal", "terminal",
    ]  # fmt: skip
    assert c.vellus_below_um == 30


def test_trichoscan_and_trial():
    assert get_convention("trichoscan").classify(39.9) == "vellus"
    assert get_convention("trichoscan").classify(40) == "terminal"
    assert get_convention("TRIAL").classify(30) == "non-vellus"
    assert get_convention("trial").classify(None) is None


def test_custom_convention_and_dict():
    c = get_convention("custom:25,50,80")
    assert c.labels == ("vellus", "intermediate_1", "intermediate_2", "terminal")
    assert c.classify(79) == "intermediate_2"
    d = c.to_dict()
    assert d["cutoffs_um"] == [25.0, 50.0, 80.0] and d["name"] == "custom:25,50,80"
    assert set(CONVENTIONS) == {"trichoscopy", "trichoscan", "trial"}


@pytest.mark.parametrize("bad", ["nope", "custom:", "custom:60,30", "custom:a,b", "custom:-5"])
def test_bad_convention_says_what_to_do(bad):
    with pytest.raises(ConfigError, match=r"convention|cut-offs|custom"):
        get_convention(bad)


def test_class_probabilities_near_and_far_from_a_cut_off():
    conv = get_convention("trichoscopy")  # cut-offs 30 and 60 um
    at_cut = conv.class_probabilities(30.0, 2.0)
    assert at_cut["vellus"] == pytest.approx(0.5) and at_cut["intermediate"] == pytest.approx(0.5, abs=1e-6)
    far = conv.class_probabilities(45.0, 2.0)
    assert far["intermediate"] == pytest.approx(1.0, abs=1e-9)
    # one standard error below the vellus cut-off: Phi(1) = 0.8413 vellus
    assert conv.class_probabilities(28.0, 2.0)["vellus"] == pytest.approx(0.841345, abs=1e-5)
    assert conv.class_probabilities(70.0, None) == {"vellus": 0.0, "intermediate": 0.0, "terminal": 1.0}
    assert conv.class_probabilities(None, 1.0) is None
