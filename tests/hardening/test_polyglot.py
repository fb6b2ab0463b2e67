"""Polyglots (a valid photo with HTML, a zip or a program behind it) are not stored."""

from __future__ import annotations

import io
import zipfile

import pytest
from hardening_samples import jpeg_bytes, png_bytes

from trichometry.errors import ImageRejected
from trichometry.io.polyglot import hidden_payload
from trichometry.store.images import inspect_image


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("evil.html", "<script>alert(1)</script>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("trailer", "what"),
    [
        (b"<html><script>alert(1)</script></html>", "HTML"),
        (b"\n\n<!DOCTYPE html><p>x", "!DOCTYPE"),
        (b"<svg onload=alert(1)>", "SVG"),
        (b"junk" * 100 + b"<?php system($_GET['c']); ?>", "?PHP"),
        (None, "zip archive"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "program"),
        (b"%PDF-1.7\n", "PDF"),
    ],
)
@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_active_content_after_the_image_is_refused(fmt, trailer, what):
    good = jpeg_bytes(1) if fmt == "jpeg" else png_bytes(1)
    data = good + (trailer if trailer is not None else _zip())
    found = hidden_payload(data, fmt)
    assert found is not None and what in found and fmt.upper() in found
    with pytest.raises(ImageRejected, match="hides"):
        inspect_image(data)


def test_padding_and_second_pictures_are_fine():
    good = jpeg_bytes(2)
    assert hidden_payload(good, "jpeg") is None
    assert hidden_payload(good + b"\x00" * 512, "jpeg") is None  # padding from some cameras
    mpo = good + jpeg_bytes(3)  # multi-picture file: a second JPEG after the first
    assert hidden_payload(mpo, "jpeg") is None
    inspect_image(mpo)
    assert hidden_payload(mpo + b"<html>", "jpeg") is not None  # ... but not what follows it
    assert hidden_payload(png_bytes(2), "png") is None
    inspect_image(png_bytes(2))
    # an image that merely contains such bytes inside its own data is not a polyglot
    assert hidden_payload(b"\xff\xd8\xff\xfe\x00\x08<html\xff\xd9", "jpeg") is None


def test_truncated_or_damaged_files_are_left_to_the_decoder():
    good = jpeg_bytes(4)
    for cut in (3, 20, len(good) // 2, len(good) - 1):
        assert hidden_payload(good[:cut], "jpeg") is None
    assert hidden_payload(png_bytes(4)[:40], "png") is None


@pytest.mark.fdu
def test_no_real_dermoscope_photo_is_flagged(fdu_root):
    photos = sorted(p for p in (fdu_root / "images").rglob("*") if p.is_file())[:300]
    assert len(photos) >= 100
    assert [p.name for p in photos if hidden_payload(p.read_bytes(), "jpeg")] == []
