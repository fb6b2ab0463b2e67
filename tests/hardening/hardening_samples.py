"""Small valid images of every accepted format, made on the fly (no binary test data)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def rgb(seed: int = 0, size: int = 64) -> np.ndarray:
    """``(size, size, 3)`` uint8 noise with a dark diagonal (something to see)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(90, 200, (size, size, 3), dtype=np.uint8)
    idx = np.arange(size)
    a[idx, idx] = 20
    return a


def png_bytes(seed: int = 0, size: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb(seed, size)).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(seed: int = 0, size: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb(seed, size)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def tiff_bytes(seed: int = 0, size: int = 64) -> bytes:
    import tifffile

    buf = io.BytesIO()
    tifffile.imwrite(buf, rgb(seed, size), photometric="rgb")
    return buf.getvalue()


def dicom_bytes(seed: int = 0, size: int = 64, patient: str = "ANON") -> bytes:
    """An uncompressed RGB DICOM with Pixel Spacing 2.8 um and the given patient name."""
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = patient
    ds.PatientID = patient
    ds.PatientBirthDate = "19700101"
    ds.InstitutionName = patient
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelSpacing = ["0.0028", "0.0028"]
    ds.PixelData = rgb(seed, size).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


VALID = {"png": png_bytes, "jpeg": jpeg_bytes, "tiff": tiff_bytes, "dicom": dicom_bytes}
