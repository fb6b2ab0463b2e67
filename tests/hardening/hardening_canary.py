"""Photos with a canary identifier planted in every metadata slot a format has."""

from __future__ import annotations

import io
import struct
import zlib

from hardening_samples import dicom_bytes, rgb
from PIL import Image, PngImagePlugin

CANARY = "JANE-DOE-CANARY-19700101"


def _xmp(canary: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="{canary}-xmp"/></rdf:RDF>'
        '</x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _iptc_app13(canary: str) -> bytes:
    value = f"{canary}-iptc".encode()
    dataset = b"\x1c\x02\x50" + struct.pack(">H", len(value)) + value  # 2:80 By-line
    if len(dataset) % 2:
        dataset += b"\x00"
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(dataset)) + dataset
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def _exif(canary: str) -> Image.Exif:
    exif = Image.Exif()
    exif[0x013B] = f"{canary}-artist"  # Artist
    exif[0x010E] = f"{canary}-description"  # ImageDescription
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + f"{canary}-usercomment".encode()
    return exif


def jpeg_with_canary(canary: str = CANARY, size: int = 96) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb(11, size)).save(buf, "JPEG", quality=90, exif=_exif(canary), comment=f"{canary}-com")
    data = buf.getvalue()
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + _xmp(canary)
    app1 = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    return data[:2] + app1 + _iptc_app13(canary) + data[2:]


def png_with_canary(canary: str = CANARY, size: int = 96) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", f"{canary}-text")
    info.add_text("Comment", f"{canary}-ztxt", zip=True)
    info.add_itxt("Description", f"{canary}-itxt", lang="en", tkey="Description")
    info.add_text("XML:com.adobe.xmp", _xmp(canary).decode())
    buf = io.BytesIO()
    Image.fromarray(rgb(12, size)).save(buf, "PNG", pnginfo=info, exif=_exif(canary))
    return buf.getvalue()


def tiff_with_canary(canary: str = CANARY, size: int = 96) -> bytes:
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(
        buf,
        rgb(13, size),
        photometric="rgb",
        description=f"{canary}-description",
        metadata=None,
        extratags=[
            (315, "s", 0, f"{canary}-artist", True),  # Artist
            (700, "B", 0, _xmp(canary), True),  # XMP
        ],
    )
    return buf.getvalue()


def dicom_with_canary(canary: str = CANARY, size: int = 96) -> bytes:
    return dicom_bytes(14, size, patient=canary)


PLANTED = {
    "jpeg": jpeg_with_canary,
    "png": png_with_canary,
    "tiff": tiff_with_canary,
    "dicom": dicom_with_canary,
}


def contains_canary(blob: bytes, canary: str = CANARY) -> bool:
    """The canary in plain bytes, UTF-16, or inside a zlib stream anywhere in ``blob``."""
    needles = [canary.encode(), canary.encode("utf-16-le"), canary.encode("utf-16-be")]
    if any(n in blob for n in needles):
        return True
    pos = blob.find(b"x\x9c")
    while pos != -1:  # compressed text chunks and deflated archives
        try:
            if canary.encode() in zlib.decompressobj().decompress(blob[pos:], 10_000_000):
                return True
        except zlib.error:
            pass
        pos = blob.find(b"x\x9c", pos + 1)
    return False
