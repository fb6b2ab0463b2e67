"""A deterministic hostile-input corpus built from small valid images.

Families (names are ``family/format/n``):

* ``trunc``: a valid file cut at evenly spaced offsets;
* ``flip``: single bit flips, and runs of random bytes, biased to the header;
* ``confuse``: other formats with image names or image magic (text, HTML, ZIP, PDF, ELF),
  polyglots (HTML after the JPEG end marker, executable bytes in a DICOM preamble),
  one format's magic on another's body;
* ``bomb``: headers that claim huge images, deflate bombs, chunk floods, IFD loops.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from hardening_samples import VALID, dicom_bytes, jpeg_bytes, png_bytes, tiff_bytes


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(width: int, height: int, idat: bytes = b"", depth: int = 8, colour: int = 2) -> bytes:
    """A PNG whose IHDR claims ``width x height`` (valid CRCs), with the given IDAT payload."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def png_deflate_bomb(side: int) -> bytes:
    """A real greyscale PNG of ``side x side`` zero pixels (a few kB on disk)."""
    raw = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    out = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    return png_claiming(side, side, out, colour=0)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A valid small JPEG whose SOF0 is patched to claim ``width x height``."""
    data = bytearray(jpeg_bytes(3))
    pos = data.index(b"\xff\xc0")
    data[pos + 5 : pos + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def tiff_claiming(width: int, height: int) -> bytes:
    """A little-endian TIFF with one IFD claiming ``width x height`` and 1 byte of data."""
    entries = [
        (256, 4, 1, width),  # ImageWidth LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, 1),  # BlackIsZero
        (273, 4, 1, 8),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, width * height & 0xFFFFFFFF),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, typ, cnt, val) if typ == 4 else struct.pack("<HHIHH", tag, typ, cnt, val, 0)
        for tag, typ, cnt, val in entries
    )
    return b"II*\x00" + struct.pack("<I", 9) + b"\x00" + ifd + struct.pack("<I", 0)


def tiff_ifd_loop() -> bytes:
    """A valid TIFF whose last IFD points back to the first (an endless page list)."""
    data = bytearray(tiff_bytes(4, 40))
    first = struct.unpack("<I", data[4:8])[0]
    (n,) = struct.unpack("<H", data[first : first + 2])
    data[first + 2 + 12 * n : first + 6 + 12 * n] = struct.pack("<I", first)
    return bytes(data)


def tiff_many_pages(pages: int = 300) -> bytes:
    import tifffile

    buf = io.BytesIO()
    with tifffile.TiffWriter(buf) as tw:
        for _ in range(pages):
            tw.write(np.zeros((32, 32), np.uint8))
    return buf.getvalue()


def tiff_deflate_bomb(side: int) -> bytes:
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, np.zeros((side, side), np.uint8), compression="zlib", rowsperstrip=side)
    return buf.getvalue()


def dicom_claiming(rows: int, cols: int, frames: int = 1) -> bytes:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(dicom_bytes(5, 32)))
    ds.Rows, ds.Columns = rows, cols
    if frames > 1:
        ds.NumberOfFrames = frames
    buf = io.BytesIO()
    ds.save_as(buf)
    return buf.getvalue()


def confusions() -> dict[str, bytes]:
    """Non-images and mixed formats that a careless export or an attacker might send."""
    jpg, png, tif, dcm = jpeg_bytes(6), png_bytes(6), tiff_bytes(6), dicom_bytes(6)
    zbuf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("photo.jpg", jpg)
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
    return {
        "confuse/empty": b"",
        "confuse/text": b"patient Jane Doe, born 1970\n" * 20,
        "confuse/html": b"<!doctype html><script>alert(1)</script>" * 10,
        "confuse/svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "confuse/zip": zbuf.getvalue(),
        "confuse/pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        "confuse/elf": elf * 4,
        "confuse/gif": b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00;",
        "confuse/bmp": b"BM" + b"\x00" * 60,
        "confuse/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40,
        "confuse/jpeg_then_html": jpg + b"<html><script>alert(1)</script></html>",
        "confuse/jpeg_then_zip": jpg + zbuf.getvalue(),
        "confuse/png_magic_jpeg_body": png[:8] + jpg,
        "confuse/jpeg_magic_png_body": b"\xff\xd8\xff" + png,
        "confuse/tiff_magic_png_body": b"II*\x00" + png,
        "confuse/dicom_elf_preamble": elf * 2 + dcm[128:],
        "confuse/dicom_jpeg_preamble": (jpg[:128] if len(jpg) >= 128 else jpg.ljust(128, b"\0")) + dcm[128:],
        "confuse/dicom_magic_only": b"\x00" * 128 + b"DICM",
        "confuse/png_no_iend": png[:-12],
        "confuse/two_pngs": png + png,
        "confuse/tif_bigtiff_magic": b"II+\x00" + tif[4:],
        "confuse/nul_flood": b"\x00" * 4096,
    }


def bombs() -> dict[str, bytes]:
    """Headers that claim more pixels than any dermoscope makes, and small-file/huge-image payloads."""
    ztxt = zlib.compress(b"A" * 50_000_000, 9)
    png = png_bytes(7)
    text_flood = png[:33] + b"".join(_chunk(b"tEXt", b"k\x00" + b"v" * 64) for _ in range(20_000)) + png[33:]
    return {
        "bomb/png_50000x50000": png_claiming(50_000, 50_000, zlib.compress(b"\x00" * 1000)),
        "bomb/png_1x4000000000": png_claiming(1, 4_000_000_000),
        "bomb/png_deflate_7000": png_deflate_bomb(7000),
        "bomb/png_ztxt_50MB": png[:33] + _chunk(b"zTXt", b"c\x00\x00" + ztxt) + png[33:],
        "bomb/png_text_flood": text_flood,
        "bomb/jpeg_60000x60000": jpeg_claiming(60_000, 60_000),
        "bomb/jpeg_65535x1": jpeg_claiming(65_535, 1),
        "bomb/tiff_100000x100000": tiff_claiming(100_000, 100_000),
        "bomb/tiff_ifd_loop": tiff_ifd_loop(),
        "bomb/tiff_300_pages": tiff_many_pages(),
        "bomb/tiff_deflate_7000": tiff_deflate_bomb(7000),
        "bomb/dicom_65535x65535": dicom_claiming(65_535, 65_535),
        "bomb/dicom_frames_1e6": dicom_claiming(32, 32, frames=1_000_000),
    }


def mutations(fmt: str, n_trunc: int, n_flip: int, seed: int = 0) -> dict[str, bytes]:
    """Truncations and flips of a valid ``fmt`` file (half of the flips in the first 256 bytes)."""
    data = VALID[fmt](seed)
    rng = np.random.default_rng(seed + 1000)
    out = {}
    for k, cut in enumerate(sorted({int(c) for c in np.linspace(1, len(data) - 1, n_trunc)})):
        out[f"trunc/{fmt}/{k:03d}"] = data[:cut]
    for k in range(n_flip):
        b = bytearray(data)
        head = k % 2 == 0
        hi = min(len(b), 256) if head else len(b)
        kind = k % 3
        if kind == 0:  # one bit
            pos = int(rng.integers(0, hi))
            b[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:  # a few bytes inverted
            for pos in rng.integers(0, hi, 4):
                b[int(pos)] ^= 0xFF
        else:  # a run of random bytes
            pos = int(rng.integers(0, hi))
            run = rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8).tobytes()
            b[pos : pos + len(run)] = run
        out[f"flip/{fmt}/{k:03d}"] = bytes(b)
    return out


def corpus(n_trunc: int = 20, n_flip: int = 30) -> dict[str, bytes]:
    """The whole default corpus: mutations of every format, confusions and bombs."""
    out: dict[str, bytes] = {}
    for fmt in VALID:
        out[f"valid/{fmt}"] = VALID[fmt](0)
        out.update(mutations(fmt, n_trunc, n_flip))
    out.update(confusions())
    out.update(bombs())
    return out


def zip_corpus(n_trunc: int = 20, n_flip: int = 40, seed: int = 0) -> dict[str, bytes]:
    """Hostile zip batches: a valid two-photo archive cut and flipped, plus crafted tricks."""
    import zipfile

    def make(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=method) as zf:
            for name, data in entries.items():
                zf.writestr(name, data)
        return buf.getvalue()

    good = make({"a.jpg": jpeg_bytes(8), "b.png": png_bytes(8)})
    rng = np.random.default_rng(seed)
    out = {"zip/valid": good}
    for k, cut in enumerate(sorted({int(c) for c in np.linspace(1, len(good) - 1, n_trunc)})):
        out[f"zip/trunc/{k:03d}"] = good[:cut]
    for k in range(n_flip):
        b = bytearray(good)
        for pos in rng.integers(0, len(b), 1 + k % 4):
            b[int(pos)] ^= 1 << int(rng.integers(0, 8))
        out[f"zip/flip/{k:03d}"] = bytes(b)
    out["zip/slip"] = make({"../evil.jpg": jpeg_bytes(1)})
    out["zip/absolute"] = make({"/tmp/evil.jpg": jpeg_bytes(1)})
    out["zip/bomb"] = make({"a.jpg": b"\xff\xd8\xff" + b"\x00" * 5_000_000})
    out["zip/flood"] = make({f"e{i}.jpg": b"" for i in range(3000)}, zipfile.ZIP_STORED)
    out["zip/nested"] = make({"inner.zip": good, "x.jpg": good})
    out["zip/bzip2"] = make({"a.jpg": jpeg_bytes(9)}, zipfile.ZIP_BZIP2)
    out["zip/lzma"] = make({"a.jpg": jpeg_bytes(9)}, zipfile.ZIP_LZMA)
    return out
