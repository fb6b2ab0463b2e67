"""Hostile bytes: only ImageRejected ever comes out of the reader."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from trichometry.errors import ImageRejected
from trichometry.io import header_size, read_image, sniff_format


def _encoded(fmt: str) -> bytes:
    rng = np.random.default_rng(0)
    img = (rng.random((64, 80, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    if fmt == "TIFF":
        import tifffile

        tifffile.imwrite(buf, img, compression="zlib")
    else:
        Image.fromarray(img).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_truncated_and_flipped_at_many_offsets(fmt: str) -> None:
    data = _encoded(fmt)
    assert header_size(data, sniff_format(data))[:2] == (80, 64)
    rng = np.random.default_rng(1)
    for cut in sorted({int(c) for c in np.linspace(1, len(data) - 1, 25)}):
        try:
            read_image(data[:cut])
        except ImageRejected:
            pass
    for _ in range(25):
        flipped = bytearray(data)
        for pos in rng.integers(0, len(data), 4):
            flipped[pos] ^= 0xFF
        try:
            read_image(bytes(flipped))  # may decode (JPEG is forgiving) but never raises anything else
        except ImageRejected:
            pass


@pytest.mark.timeout(120)
@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_give_result_or_rejection(data: bytes) -> None:
    for prefix in (b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"\x00" * 128 + b"DICM"):
        try:
            read_image(prefix + data)
        except ImageRejected:
            pass
