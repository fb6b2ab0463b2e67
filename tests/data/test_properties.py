"""Property tests: readers either succeed or raise DataFormatError, never anything else."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from trichometry.data.manifest import ManifestRow, manifest_text, parse_manifest
from trichometry.data.voc import parse_voc_xml
from trichometry.errors import DataFormatError

_ID = st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=20).filter(
    lambda s: s[0].isalnum() and ".." not in s
)
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@st.composite
def rows(draw):
    kind = draw(st.sampled_from(["hairs", "boxes"]))
    targets = {k: f"targets/{k}.png" for k in ("shaft_mask", "instance_ids", "exit_map", "diameter_map")}
    return ManifestRow(
        image_id=draw(_ID),
        subject=draw(st.one_of(st.just(""), _ID)),
        visit=draw(_TEXT),
        date=draw(st.one_of(st.just(""), st.dates().map(lambda d: d.isoformat()))),
        days_since_baseline=draw(st.one_of(st.none(), st.integers(-1000, 100000))),
        site=draw(_TEXT),
        arm=draw(_TEXT),
        split=draw(st.sampled_from(["train", "val", "test"])),
        um_per_px=draw(st.floats(1e-3, 1e3, allow_nan=False)),
        width=draw(st.integers(1, 10000)),
        height=draw(st.integers(1, 10000)),
        annotation_type=kind,
        n_hairs=draw(st.integers(0, 10**6)),
        image=draw(_TEXT),
        image_sha256=draw(st.text("0123456789abcdef", max_size=64)),
        annotation=draw(_TEXT),
        **(targets if kind == "hairs" else {}),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(rows(), max_size=5, unique_by=lambda r: r.image_id))
def test_manifest_round_trip_is_exact_for_any_values(rs):
    text = manifest_text(rs)
    assert parse_manifest(text) == rs
    assert manifest_text(parse_manifest(text)) == text


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_voc_parser_never_raises_anything_but_data_format_error(data):
    try:
        parse_voc_xml(data, "x.xml", um_per_px=2.8)
    except DataFormatError:
        pass


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["xmin", "ymin", "xmax", "ymax", "name", "size"]), _TEXT), max_size=8)
)
def test_voc_parser_on_structured_junk(parts):
    body = "".join(f"<{t}>{v.replace('<', '').replace('&', '')}</{t}>" for t, v in parts)
    size = "<size><width>9</width><height>9</height></size>"
    xml = f"<annotation>{size}<object>{body}<bndbox>{body}</bndbox></object></annotation>"
    try:
        ann, _ = parse_voc_xml(xml.encode(), "x.xml", um_per_px=2.8)
    except DataFormatError:
        return
    for b in ann.boxes:
        assert b.xmin < b.xmax and b.ymin < b.ymax
