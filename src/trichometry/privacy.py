"""Keeping patient identifiers out of everything the project derives from a photo.

Dermoscope and phone photos carry text besides pixels: EXIF (artist, description, user
comment, GPS, camera serial), XMP and IPTC packets, PNG text chunks, TIFF string tags and
DICOM patient/institution elements. Following XNAT, identifiers are removed when a copy
is made, never later: a derivative is rebuilt from the decoded pixels alone
(:func:`scrubbed_copy`), so nothing of the source container can ride along (Pillow's TIFF
writer, for example, copies XMP/IPTC/ICC from its source).

:func:`metadata_text` lists the text a file carries (tests plant canaries there and
check they arrive nowhere), and :class:`RedactingFilter` keeps those values out of logs.

Example::

    from trichometry.privacy import RedactingFilter, scrubbed_copy
    clean_png = scrubbed_copy(original_bytes)      # same pixels, no metadata
    redactor = RedactingFilter()
    logging.getLogger("trichometry").addFilter(redactor)
    redactor.learn(original_bytes)                 # its identifiers never reach the log
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterable

from trichometry.errors import ImageRejected
from trichometry.io.reader import MAX_PIXELS, read_image
from trichometry.io.sniff import sniff_format
from trichometry.utils.encoding import encode_png

logger = logging.getLogger(__name__)

#: DICOM value representations that hold free text or names.
_DICOM_TEXT_VRS = {
    "PN",
    "LO",
    "SH",
    "ST",
    "LT",
    "UT",
    "DA",
    "DT",
    "TM",
    "AE",
    "AS",
    "CS",
    "UC",
    "UR",
    "IS",
    "DS",
}

#: Text shorter than this is not treated as an identifier (it would redact ordinary words).
MIN_IDENTIFIER_LEN = 4

REDACTED = "[redacted]"


def scrubbed_copy(data: bytes, max_pixels: int = MAX_PIXELS) -> bytes:
    """A PNG rebuilt from the decoded pixels of ``data``: same picture, no metadata.

    EXIF orientation is applied first (the copy looks as the photo is analysed), 16-bit
    data are mapped to 8 bits as for analysis.

    Args:
        data: the original file's bytes (JPEG, PNG, TIFF or DICOM).
        max_pixels: pixel cap, as for :func:`trichometry.io.read_image`.

    Raises:
        ImageRejected: the bytes are not an acceptable image.
    """
    loaded = read_image(data, max_pixels=max_pixels)
    return encode_png(loaded.image)


def _texts(value: object) -> Iterable[str]:
    if isinstance(value, bytes):
        for enc in ("utf-8", "utf-16", "latin-1"):
            try:
                yield value.decode(enc)
                return
            except UnicodeDecodeError:
                continue
    elif isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)


def _pil_text(data: bytes) -> list[str]:
    from PIL import Image, IptcImagePlugin

    out: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            for key, value in im.info.items():
                if key in ("exif", "icc_profile", "dpi", "gamma", "transparency", "jfif", "jfif_version"):
                    continue
                out.extend(_texts(value))
            exif = im.getexif()
            out.extend(t for v in exif.values() for t in _texts(v))
            for ifd in (0x8769, 0x8825):  # Exif and GPS sub-directories
                out.extend(t for v in exif.get_ifd(ifd).values() for t in _texts(v))
            tags = getattr(im, "tag_v2", None)  # TIFF: every tag
            if tags is not None:
                out.extend(t for v in dict(tags).values() for t in _texts(v))
            try:
                iptc = IptcImagePlugin.getiptcinfo(im) or {}
            except Exception:  # damaged IPTC block: its text is what we are after
                iptc = {}
            out.extend(t for v in iptc.values() for t in _texts(v))
    return out


def _dicom_text(data: bytes) -> list[str]:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    out = []
    for elem in ds.iterall():
        if elem.VR in _DICOM_TEXT_VRS and elem.value not in (None, ""):
            out.extend(_texts(elem.value if isinstance(elem.value, (str, bytes)) else str(elem.value)))
    return out


def metadata_text(data: bytes) -> list[str]:
    """Every text value the file's metadata holds (EXIF, XMP, IPTC, PNG text, TIFF tags, DICOM).

    Args:
        data: the file's bytes.

    Returns:
        The text values, non-empty and stripped, in file order (duplicates kept).

    Raises:
        ImageRejected: the bytes are not a supported image.
    """
    fmt = sniff_format(data)
    try:
        raw = _dicom_text(data) if fmt == "dicom" else _pil_text(data)
    except ImageRejected:
        raise
    except Exception as exc:
        raise ImageRejected(f"the {fmt.upper()} metadata cannot be read ({type(exc).__name__}).") from exc
    return [t.strip("\x00 \t\r\n") for t in raw if t and t.strip("\x00 \t\r\n")]


def redact(text: str, identifiers: Iterable[str]) -> str:
    """``text`` with every occurrence of each identifier replaced by ``[redacted]``."""
    for ident in sorted(set(identifiers), key=len, reverse=True):
        if len(ident) >= MIN_IDENTIFIER_LEN and ident in text:
            text = text.replace(ident, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that replaces known identifiers in every record's message.

    Attach it to a logger or handler; feed it identifiers directly or with :meth:`learn`,
    which reads them from a file's metadata before the file is processed.
    """

    def __init__(self, identifiers: Iterable[str] = ()) -> None:
        super().__init__()
        self.identifiers: set[str] = {i for i in identifiers if len(i) >= MIN_IDENTIFIER_LEN}

    def learn(self, data: bytes) -> int:
        """Add the metadata text of ``data`` (and its words) to the identifiers; returns how many.

        Unreadable files add nothing (the reader will reject them with its own message).
        """
        try:
            texts = metadata_text(data)
        except ImageRejected:
            return 0
        before = len(self.identifiers)
        for t in texts:
            for piece in (t, *re.split(r"[\s^\x00<>\"=/]+", t)):  # DICOM names are Family^Given
                if len(piece) >= MIN_IDENTIFIER_LEN:
                    self.identifiers.add(piece)
        return len(self.identifiers) - before

    def filter(self, record: logging.LogRecord) -> bool:
        if self.identifiers:
            message = record.getMessage()
            clean = redact(message, self.identifiers)
            if clean != message:
                record.msg, record.args = clean, None
        return True
