from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trichometry.utils.spreadsheet import neutralise


@pytest.mark.parametrize(
    "text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=1", '=HYPERLINK("http://x")']
)
def test_formula_like_text_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-3.5, -1, 0, 2.25, None, "-12", "+3.5", "-1e-3", "abc", "a=b", ""])
def test_numbers_and_plain_text_are_untouched(value):
    assert neutralise(value) == value


@given(st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_any_text_cell_is_safe_and_recoverable(text):
    from trichometry.reports.csv_writer import format_cell
    from trichometry.utils.spreadsheet import DANGEROUS_PREFIXES

    cell = format_cell(text)
    assert cell in (text, "'" + text)
    if cell != text or not text.startswith(DANGEROUS_PREFIXES):
        return
    float(text)  # only plain numbers may keep a leading sign


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_round_trip_through_a_csv_cell(x):
    from trichometry.reports.csv_writer import format_cell

    assert float(format_cell(x)) == x
