"""Zip batches (RELIABILITY.md test 7): escapes, floods and bombs refused, nothing written."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from hardening_samples import dicom_bytes, jpeg_bytes, png_bytes, tiff_bytes

from trichometry.errors import ImageRejected
from trichometry.io.archive import ArchiveLimits, extract_zip, read_zip, safe_member_name


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_good_batch_read_and_extracted_atomically(tmp_path):
    data = _zip(
        {
            "visit3/a.jpg": jpeg_bytes(1),
            "visit3/b.PNG": png_bytes(2),
            "visit3/c.tif": tiff_bytes(3),
            "visit3/d.dcm": dicom_bytes(4),
            "visit3/notes.txt": b"hello",
            "__MACOSX/visit3/._a.jpg": b"junk",
        }
    )
    entries = read_zip(data)
    assert [(e.name, e.format, e.width) for e in entries] == [
        ("visit3/a.jpg", "jpeg", 64),
        ("visit3/b.PNG", "png", 64),
        ("visit3/c.tif", "tiff", 64),
        ("visit3/d.dcm", "dicom", 64),
    ]
    assert entries[0].data == jpeg_bytes(1)  # bytes unchanged
    (tmp_path / "batch.zip").write_bytes(data)
    written = extract_zip(tmp_path / "batch.zip", tmp_path / "out")
    assert [p.read_bytes() for p in written] == [e.data for e in entries]
    assert sorted(p.name for p in (tmp_path / "out" / "visit3").iterdir()) == [
        "a.jpg",
        "b.PNG",
        "c.tif",
        "d.dcm",
    ]


@pytest.mark.parametrize(
    "name",
    ["../evil.jpg", "a/../../evil.jpg", "/etc/evil.jpg", "C:/evil.jpg", "..\\..\\evil.jpg", "a\x01.jpg"],
)
def test_escaping_names_refuse_the_whole_archive(tmp_path, name):
    data = _zip({"ok.jpg": jpeg_bytes(1), name: jpeg_bytes(2)})
    with pytest.raises(ImageRejected, match=r"outside its folder|control characters"):
        read_zip(data)
    with pytest.raises(ImageRejected):
        extract_zip(data, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no temp folder left
    assert not (tmp_path.parent / "evil.jpg").exists()


def test_name_normalisation():
    assert safe_member_name("./a//b/./c.jpg") == "a/b/c.jpg"
    assert safe_member_name("a\\b.jpg") == "a/b.jpg"
    with pytest.raises(ImageRejected):
        safe_member_name("")


def test_ten_thousand_entries_refused_before_inflating():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(10_000):
            zf.writestr(f"e{i}.jpg", b"")
    with pytest.raises(ImageRejected, match="10,000 entries"):
        read_zip(buf.getvalue())


def test_zip_bomb_by_ratio_and_by_size():
    bomb = _zip({"photo.jpg": b"\xff\xd8\xff" + b"\x00" * 20_000_000})  # 20 MB of zeros -> ~20 kB
    assert len(bomb) < 100_000
    with pytest.raises(ImageRejected, match="zip bomb"):
        read_zip(bomb)
    with pytest.raises(ImageRejected, match="above the 1 MiB limit per photo"):
        read_zip(bomb, ArchiveLimits(max_entry_bytes=2**20, max_ratio=1e9))
    many = _zip({f"p{i}.jpg": jpeg_bytes(i) for i in range(5)})
    with pytest.raises(ImageRejected, match="in all"):
        read_zip(many, ArchiveLimits(max_total_bytes=3 * len(jpeg_bytes(0))))


def test_lying_directory_size_is_caught_while_inflating():
    real = jpeg_bytes(1)
    data = bytearray(_zip({"a.jpg": real}, method=zipfile.ZIP_STORED))
    # shrink the declared size in the central directory (and local header) to 100 bytes
    for sig in (b"PK\x01\x02", b"PK\x03\x04"):
        pos = data.index(sig)
        off = 24 if sig == b"PK\x01\x02" else 22
        data[pos + off : pos + off + 4] = (100).to_bytes(4, "little")
    with pytest.raises(ImageRejected):
        read_zip(bytes(data))


def test_symlink_encrypted_duplicate_and_non_image_entries():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("link.jpg")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ImageRejected, match="symbolic link"):
        read_zip(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.jpg", jpeg_bytes(1))
        zf.writestr("A.JPG", jpeg_bytes(2))
    with pytest.raises(ImageRejected, match="twice"):
        read_zip(buf.getvalue())
    with pytest.raises(ImageRejected, match="not a supported image"):
        read_zip(_zip({"ok.jpg": jpeg_bytes(1), "fake.jpg": b"<html>not a photo</html>"}))
    with pytest.raises(ImageRejected, match="no photo files"):
        read_zip(_zip({"readme.txt": b"x"}))
    with pytest.raises(ImageRejected, match="not a readable zip"):
        read_zip(b"PK\x03\x04 this is not really a zip")
    raw = bytearray(_zip({"a.jpg": jpeg_bytes(1)}))
    raw[6] |= 1  # mark the entry encrypted in the local header and central directory
    raw[raw.index(b"PK\x01\x02") + 8] |= 1
    with pytest.raises(ImageRejected, match="encrypted"):
        read_zip(bytes(raw))


def test_bomb_image_inside_a_good_zip_is_refused_from_its_header():
    from hardening_corpus import png_claiming

    with pytest.raises(ImageRejected, match="decompression bomb"):
        read_zip(_zip({"big.png": png_claiming(50_000, 50_000, b"\x00" * 10)}))


def test_atheris_finding_unknown_zip_version_is_a_rejection():
    """Found by benchmarks/fuzz_atheris.py: zipfile raised NotImplementedError on open."""
    import base64

    data = base64.b64decode(
        "UEsDBK8AAAAIAAoAAEsKAAALAAAALi4vZXZpbC5qcAIAAAAAAA5QSwEC/////wMACADINXVdL0VW8zYKAADTYBGd0VdU0wfO"
        "UDnTNGaZKFUdqsDNz8HLgTRIIS5qcGdQSwUGAAAAAAEAAQA5AAAAXwoAAFsAAA=="
    )
    with pytest.raises(ImageRejected, match="not a readable zip"):
        read_zip(data)
