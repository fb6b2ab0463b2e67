from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from trichometry.errors import ImageRejected
from trichometry.store.errors import ImageTooLarge
from trichometry.store.images import decode_rgb, inspect_image

from .conftest import jpeg_bytes, png_bytes


def _png_header_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_good_images_pass():
    assert inspect_image(png_bytes(0, 32)).format == "PNG"
    info = inspect_image(jpeg_bytes(0, 48))
    assert (info.format, info.width, info.height) == ("JPEG", 48, 48)
    buf = io.BytesIO()
    Image.fromarray(np.zeros((32, 40, 3), np.uint8)).save(buf, "TIFF")
    assert inspect_image(buf.getvalue()).format == "TIFF"
    assert decode_rgb(png_bytes(1, 32)).shape == (32, 32, 3)


def test_pixel_bomb_refused_from_header():
    with pytest.raises(ImageTooLarge, match="refused before decoding"):
        inspect_image(_png_header_claiming(50000, 50000))


def test_byte_limit():
    with pytest.raises(ImageTooLarge):
        inspect_image(png_bytes(0), max_bytes=100)


@pytest.mark.parametrize("cut", [10, 50, 120, 400])
def test_truncated_files_rejected(cut):
    for data in (png_bytes(2), jpeg_bytes(2)):
        with pytest.raises(ImageRejected):
            inspect_image(data[:cut])


def test_gif_and_text_refused():
    buf = io.BytesIO()
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(buf, "GIF")
    with pytest.raises(ImageRejected, match="not a supported image"):
        inspect_image(buf.getvalue())
    with pytest.raises(ImageRejected):
        inspect_image(b"GIF89a" + b"\0" * 100)
