"""Finding active content hidden behind a valid image (polyglot files).

A JPEG decoder stops at the end-of-image marker and a PNG decoder at ``IEND``; whatever
follows is ignored by them but not by other programs: a zip reader looks for its
directory at the *end* of a file, a browser that sniffs content may run HTML, and an
executable header in a stored "photo" is a trap for whoever opens it later. A store that
keeps originals and serves them back should not accept such files.

Harmless trailers stay allowed: zero or whitespace padding, and a second JPEG after the
first (multi-picture MPO files from phones and stereo cameras).
"""

from __future__ import annotations

import re
import struct

#: Signatures of content that is not a picture, searched in the bytes after the image ends.
ACTIVE_CONTENT = re.compile(
    rb"<\s*(html|script|svg|iframe|object|embed|body|!doctype|\?php|\?xml)|PK\x03\x04|PK\x05\x06|"
    rb"\x7fELF|%PDF-|#!/|MZ\x90\x00",
    re.IGNORECASE,
)


def _jpeg_end(data: bytes) -> int | None:
    """Offset just after the EOI marker of the first JPEG image, or None when not found."""
    pos, n = 2, len(data)
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if pos + 4 > n:
            return None
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if marker == 0xDA:  # entropy-coded data up to the next real marker (FF not followed by 00/RSTn)
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return None
                nxt = data[pos + 1]
                if nxt != 0x00 and not 0xD0 <= nxt <= 0xD7 and nxt != 0xFF:
                    break
                pos += 1
    return None


def _png_end(data: bytes) -> int | None:
    """Offset just after the IEND chunk, or None when not found."""
    pos, n = 8, len(data)
    while pos + 12 <= n:
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return None


def hidden_payload(data: bytes, fmt: str) -> str | None:
    """Describe active content found after the image ends, or return None.

    Args:
        data: the whole file.
        fmt: its format from :func:`trichometry.io.sniff.sniff_format` (``"jpeg"``, ``"png"``;
            other formats are not checked and give None).

    Returns:
        A short description such as ``"HTML after the end of the JPEG image"``, or None.
    """
    fmt = fmt.lower()
    end = _jpeg_end(data) if fmt == "jpeg" else _png_end(data) if fmt == "png" else None
    if end is None or end >= len(data):
        return None
    trailer = data[end:]
    if fmt == "jpeg" and trailer.lstrip(b"\x00 \r\n\t")[:3] == b"\xff\xd8\xff":
        rest = data[
            end:
        ]  # a second picture (MPO) is allowed; what follows it is checked.lstrip(b"\x00 \r\n\t")
        inner = _jpeg_end(rest)
        trailer = rest[inner:] if inner is not None else b""
    match = ACTIVE_CONTENT.search(trailer)
    if match is None:
        return None
    kind = (match.group(1) or match.group(0)).decode("latin-1")
    names = {"pk\x03\x04": "a zip archive", "pk\x05\x06": "a zip archive", "\x7felf": "a program",
             "%pdf-": "a PDF document", "#!/": "a script", "mz\x90\x00": "a program"}  # fmt: skip
    what = names.get(kind.lower(), f"{kind.upper()} markup")
    return f"{what} after the end of the {fmt.upper()} image"
