"""Reading: formats, bit depths, calibration precedence, and hostile input."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trichometry.errors import CalibrationError, ImageRejected
from trichometry.io import read_image, to_rgb8


def _rgb(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    img[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    img[..., 2] = rng.integers(0, 256, (h, w), dtype=np.uint8)
    return img


def _jpeg_bytes(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def write_dicom(
    path: Path, pixels: np.ndarray, spacing_mm: tuple[float, float] | None, bits_stored: int
) -> None:
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.4"  # VL Photographic Image
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = pixels.shape[:2]
    if pixels.ndim == 3:
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    else:
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    if spacing_mm is not None:
        ds.PixelSpacing = [f"{spacing_mm[0]:.6f}", f"{spacing_mm[1]:.6f}"]
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)


def test_jpeg_png_roundtrip_and_hash(tmp_path: Path) -> None:
    img = _rgb()
    Image.fromarray(img).save(tmp_path / "a.png")
    r = read_image(tmp_path / "a.png")
    assert r.format == "png" and r.bit_depth == 8
    np.testing.assert_array_equal(r.image, img)
    assert r.um_per_px is None and r.calibration_source == "none"
    import hashlib

    assert r.sha256 == hashlib.sha256((tmp_path / "a.png").read_bytes()).hexdigest()
    jpg = read_image(_jpeg_bytes(img), um_per_px=3.0)
    assert jpg.format == "jpeg" and jpg.source == "<bytes>" and jpg.image.shape == img.shape
    assert np.abs(jpg.image[..., :2].astype(int) - img[..., :2].astype(int)).mean() < 8  # smooth channels


def test_png_greyscale_alpha_and_16bit(tmp_path: Path) -> None:
    grey = _rgb()[..., 0]
    Image.fromarray(grey).save(tmp_path / "g.png")
    r = read_image(tmp_path / "g.png")
    assert r.image.shape == (*grey.shape, 3)
    np.testing.assert_array_equal(r.image[..., 2], grey)
    rgba = np.dstack([_rgb(), np.full(grey.shape, 7, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_image(tmp_path / "a.png").image, rgba[..., :3])
    import cv2

    img16 = (_rgb().astype(np.uint16) * 257)[..., ::-1]  # BGR for OpenCV
    cv2.imwrite(str(tmp_path / "c16.png"), img16)
    r16 = read_image(tmp_path / "c16.png")
    assert r16.bit_depth == 16
    np.testing.assert_array_equal(r16.image, _rgb())
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "g16.png")  # greyscale 16-bit
    g16 = read_image(tmp_path / "g16.png")
    assert g16.bit_depth == 16
    np.testing.assert_array_equal(g16.image[..., 1], grey)


def test_tiff_8_and_16_bit(tmp_path: Path) -> None:
    import tifffile

    img = _rgb()
    tifffile.imwrite(tmp_path / "a8.tif", img)
    r8 = read_image(tmp_path / "a8.tif", um_per_px=2.8)
    assert r8.format == "tiff" and r8.bit_depth == 8 and r8.um_per_px == 2.8
    np.testing.assert_array_equal(r8.image, img)
    tifffile.imwrite(tmp_path / "a16.tif", img.astype(np.uint16) * 257)
    r16 = read_image(tmp_path / "a16.tif")
    assert r16.bit_depth == 16
    np.testing.assert_array_equal(r16.image, img)
    # a 12-bit sensor in a 16-bit container is scaled by 12 bits, not rendered nearly black
    twelve = (img.astype(np.int64) * 4095 // 255).astype(np.uint16)
    tifffile.imwrite(tmp_path / "a12.tif", twelve)
    r12 = read_image(tmp_path / "a12.tif")
    assert np.abs(r12.image.astype(int) - img.astype(int)).max() <= 1
    # greyscale 16-bit planar
    tifffile.imwrite(tmp_path / "g16.tif", img[..., 1].astype(np.uint16) * 257)
    assert read_image(tmp_path / "g16.tif").image.shape == img.shape


def test_dicom_pixel_spacing_and_precedence(tmp_path: Path) -> None:
    img = _rgb()
    write_dicom(tmp_path / "a.dcm", img, (0.0035, 0.0035), 8)
    r = read_image(tmp_path / "a.dcm", device="fdu-70x")  # DICOM beats a device profile
    assert r.format == "dicom" and r.calibration_source == "dicom"
    assert r.um_per_px == pytest.approx(3.5)
    np.testing.assert_array_equal(r.image, img)
    e = read_image(tmp_path / "a.dcm", um_per_px=2.0)  # explicit beats DICOM
    assert e.calibration_source == "explicit" and e.um_per_px == 2.0
    assert e.dicom_um_per_px == pytest.approx(3.5)
    grey16 = (img[..., 0].astype(np.int64) * 4095 // 255).astype(np.uint16)
    write_dicom(tmp_path / "g.dcm", grey16, (0.0028, 0.0028), 12)
    g = read_image(tmp_path / "g.dcm")
    assert g.bit_depth == 12 and g.um_per_px == pytest.approx(2.8)
    assert np.abs(g.image[..., 0].astype(int) - img[..., 0].astype(int)).max() <= 1
    write_dicom(tmp_path / "n.dcm", img, None, 8)
    assert read_image(tmp_path / "n.dcm").calibration_source == "none"
    write_dicom(tmp_path / "aniso.dcm", img, (0.003, 0.004), 8)
    with pytest.raises(CalibrationError, match="not square"):
        read_image(tmp_path / "aniso.dcm")
    assert read_image(tmp_path / "aniso.dcm", um_per_px=3.0).um_per_px == 3.0


def test_array_input_and_conversion() -> None:
    img = _rgb()
    r = read_image(img, um_per_px=2.8)
    assert r.format == "array" and r.source == "<array>"
    np.testing.assert_array_equal(r.image, img)
    assert to_rgb8(np.ones((40, 40), np.float32) * 0.5)[0, 0, 0] == 128
    assert to_rgb8(np.zeros((3, 40, 40), np.uint8)).shape == (40, 40, 3)
    with pytest.raises(ImageRejected):
        read_image(np.zeros((5, 5, 3), np.uint8))  # too small


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    idat_data = zlib.compress(b"\x00" * 1000)
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + idat_data))
    idat = struct.pack(">I", len(idat_data)) + b"IDAT" + idat_data + crc
    return b"\x89PNG\r\n\x1a\n" + chunk + idat


def test_decompression_bomb_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import PIL.Image

    def boom(*a, **k):  # any decoder call would fail the test
        raise AssertionError("decoder must not be reached")

    monkeypatch.setattr(PIL.Image, "open", boom)
    (tmp_path / "bomb.png").write_bytes(_png_header_only(50000, 50000))
    with pytest.raises(ImageRejected, match=r"50000x50000.*before decoding"):
        read_image(tmp_path / "bomb.png")


def test_byte_cap(tmp_path: Path) -> None:
    (tmp_path / "big.jpg").write_bytes(_jpeg_bytes(_rgb()))
    with pytest.raises(ImageRejected, match="limit"):
        read_image(tmp_path / "big.jpg", max_bytes=100)


@pytest.mark.parametrize(
    "content, match",
    [
        (b"hello, this is a text file\n" * 10, "not a supported image"),
        (bytes(np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8)), "not a supported image"),
        (b"", "empty"),
    ],
    ids=["text-renamed", "random-bytes", "empty"],
)
def test_not_an_image(tmp_path: Path, content: bytes, match: str) -> None:
    p = tmp_path / "photo.jpg"
    p.write_bytes(content)
    with pytest.raises(ImageRejected, match=match) as info:
        read_image(p)
    assert "photo.jpg" in str(info.value)


def test_truncated_jpeg_png_tiff(tmp_path: Path) -> None:
    import tifffile

    data = _jpeg_bytes(_rgb(128, 128))
    for cut in (20, len(data) // 2, len(data) - 10):
        (tmp_path / "t.jpg").write_bytes(data[:cut])
        with pytest.raises(ImageRejected, match=r"truncated|damaged"):
            read_image(tmp_path / "t.jpg")
    buf = io.BytesIO()
    Image.fromarray(_rgb(128, 128)).save(buf, format="PNG")
    png = buf.getvalue()
    with pytest.raises(ImageRejected, match=r"truncated|damaged"):
        read_image(png[: len(png) // 2])
    tifffile.imwrite(tmp_path / "a.tif", _rgb(128, 128))
    tif = (tmp_path / "a.tif").read_bytes()
    with pytest.raises(ImageRejected, match=r"truncated|damaged"):
        read_image(tif[: len(tif) // 2])


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected, match="does not exist"):
        read_image(tmp_path / "nope.jpg")
    with pytest.raises(ImageRejected, match="not a file"):
        read_image(tmp_path)


def test_jpeg_compressed_dicom_and_dicom_without_pixels(tmp_path: Path) -> None:
    import pydicom
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    img = np.zeros((64, 80, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 200, np.linspace(0, 255, 80, dtype=np.uint8)[None], 60
    write_dicom(tmp_path / "a.dcm", img, (0.0028, 0.0028), 8)
    ds = pydicom.dcmread(tmp_path / "a.dcm")
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PixelData = encapsulate([_jpeg_bytes(img)])
    ds["PixelData"].VR = "OB"
    ds.save_as(tmp_path / "j.dcm", enforce_file_format=True)
    r = read_image(tmp_path / "j.dcm")
    assert r.um_per_px == pytest.approx(2.8) and np.abs(r.image.astype(int) - img.astype(int)).mean() < 3
    del ds.PixelData
    ds.save_as(tmp_path / "np.dcm", enforce_file_format=True)
    with pytest.raises(ImageRejected, match="without pixel data"):
        read_image(tmp_path / "np.dcm")


def test_jpeg_and_dicom_bombs_refused_from_the_header(tmp_path: Path) -> None:
    data = bytearray(_jpeg_bytes(_rgb()))
    sof = next(i for i in range(2, len(data) - 9) if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2))
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width claimed by the frame header
    with pytest.raises(ImageRejected, match="60000x60000"):
        read_image(bytes(data))
    import pydicom

    write_dicom(tmp_path / "a.dcm", _rgb(), (0.0028, 0.0028), 8)
    ds = pydicom.dcmread(tmp_path / "a.dcm")
    ds.Rows, ds.Columns = 60000, 60000
    ds.save_as(tmp_path / "bomb.dcm", enforce_file_format=True)
    with pytest.raises(ImageRejected, match="before decoding"):
        read_image(tmp_path / "bomb.dcm")
