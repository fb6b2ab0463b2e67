from __future__ import annotations

import pytest

from trichometry.data.manifest import COLUMNS, ManifestRow, manifest_text, parse_manifest
from trichometry.errors import DataFormatError


def _row(**kw):
    base = dict(
        image_id="a",
        subject="S1",
        visit="baseline",
        date="2025-01-06",
        days_since_baseline=0,
        site="vertex",
        arm="treated",
        split="train",
        um_per_px=2.8,
        width=64,
        height=48,
        annotation_type="boxes",
        n_hairs=3,
        image="images/a.jpg",
        image_sha256="0" * 64,
        annotation="annotations/a.json",
    )
    base.update(kw)
    return ManifestRow(**base)


def test_text_round_trip_is_exact():
    rows = [_row(), _row(image_id="b", days_since_baseline=None, um_per_px=0.1 + 0.2, date="")]
    text = manifest_text(rows)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert parse_manifest(text) == rows
    assert manifest_text(parse_manifest(text)) == text


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"split": "training"}, "split"),
        ({"um_per_px": 0.0}, "um_per_px"),
        ({"um_per_px": float("nan")}, "um_per_px"),
        ({"date": "06/01/2025"}, "YYYY-MM-DD"),
        ({"annotation_type": "masks"}, "annotation_type"),
        ({"image_id": "a/b"}, "invalid image_id"),
        ({"annotation_type": "hairs"}, "four target paths"),
        ({"n_hairs": -1}, "n_hairs"),
        ({"site": "vertex\r"}, "control character"),
        ({"image": "images/a\n.jpg"}, "control character"),
    ],
)
def test_bad_rows_are_refused(kw, match):
    with pytest.raises(DataFormatError, match=match):
        _row(**kw)


def test_parse_errors_name_the_line():
    text = manifest_text([_row()])
    with pytest.raises(DataFormatError, match="line 2"):
        parse_manifest(text.replace(",64,", ",sixty-four,"))
    with pytest.raises(DataFormatError, match="lacks column"):
        parse_manifest("image_id,split\na,train\n")
    with pytest.raises(DataFormatError, match="appears twice"):
        parse_manifest(text + text.splitlines()[1] + "\n")
    with pytest.raises(DataFormatError, match="appears twice"):
        manifest_text([_row(), _row()])


def test_windows_line_ends_and_quoted_commas_parse():
    rows = [_row(site="vertex, left"), _row(image_id="b")]
    text = manifest_text(rows)
    assert '"vertex, left"' in text
    assert parse_manifest(text.replace("\n", "\r\n")) == rows
