from __future__ import annotations

import pytest

from trichometry.reports.safety import neutralise


@pytest.mark.parametrize(
    "text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=1", '=HYPERLINK("http://x")']
)
def test_formula_like_text_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-3.5, -1, 0, 2.25, None, "-12", "+3.5", "-1e-3", "abc", "a=b", ""])
def test_numbers_and_plain_text_are_untouched(value):
    assert neutralise(value) == value
