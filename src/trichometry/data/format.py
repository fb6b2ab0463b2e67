"""The on-disk data set format: folder layout, file encodings and their exact decoding.

The contract is written for people in ``data/README.md``; this module is its code. A data
set folder looks like::

    DATASET/
      dataset.json                  what the folder is (format, version, kind, provenance)
      manifest.csv                  one row per image (see trichometry.data.manifest)
      images/ID.png | ID.jpg        the photograph, 8-bit RGB
      annotations/ID.json           per-image truth (hairs) or boxes
      targets/ID_shaft.png          uint8 PNG, 0/1
      targets/ID_instances.png      uint16 PNG, hair_id or 0
      targets/ID_exit.png           uint8 PNG, 0/1
      targets/ID_diameter.tif       float32 TIFF (zlib), micrometres, 0 off the shaft
      targets/ID_overlay.png        uint8 PNG, 0/1 burned-in overlay pixels (optional)
      subjects/SUBJECT.json         longitudinal truth of one subject (synthetic cohorts)

Every encoder here is deterministic (no timestamps, sorted JSON keys), so writing the
same data twice gives byte-identical files, and every decoder raises
:class:`~trichometry.errors.DataFormatError` naming the file and what to do.
"""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import tifffile

from trichometry.errors import DataFormatError
from trichometry.truth import Targets
from trichometry.utils.encoding import encode_png as _encode_png

FORMAT_NAME = "trichometry-dataset"
FORMAT_VERSION = 1

DATASET_JSON = "dataset.json"
MANIFEST_CSV = "manifest.csv"
IMAGES_DIR = "images"
ANNOTATIONS_DIR = "annotations"
TARGETS_DIR = "targets"
SUBJECTS_DIR = "subjects"

#: target name -> file-name suffix (after the image id) inside ``targets/``
TARGET_SUFFIXES: dict[str, str] = {
    "shaft_mask": "_shaft.png",
    "instance_ids": "_instances.png",
    "exit_map": "_exit.png",
    "diameter_map": "_diameter.tif",
    "overlay_mask": "_overlay.png",
}
#: targets every ``hairs`` image has; ``overlay_mask`` is optional
REQUIRED_TARGETS = ("shaft_mask", "instance_ids", "exit_map", "diameter_map")

#: annotation kinds a data set can hold
KIND_HAIRS = "hairs"  # full per-hair truth (synthetic) + dense targets
KIND_BOXES = "boxes"  # one box per hair (real, e.g. imported Pascal-VOC)
KINDS = (KIND_HAIRS, KIND_BOXES)

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_INSTANCE_ID = 65535


def validate_id(value: str, what: str = "image_id") -> str:
    """Check that ``value`` is a safe identifier usable as a file name.

    Allowed: 1-128 characters from ``A-Z a-z 0-9 . _ -``, starting with a letter or digit
    (so no path separators, no hidden files, no ``..``).

    Raises:
        DataFormatError: naming the bad value.
    """
    if not isinstance(value, str) or not _ID_RE.match(value) or ".." in value:
        raise DataFormatError(
            f"invalid {what} {value!r}: use 1-128 characters from A-Z a-z 0-9 . _ - "
            "starting with a letter or digit (no '/', no '..')."
        )
    return value


def target_relpath(image_id: str, name: str) -> str:
    """Relative POSIX path of target ``name`` (a key of :data:`TARGET_SUFFIXES`) of an image."""
    return f"{TARGETS_DIR}/{image_id}{TARGET_SUFFIXES[name]}"


def annotation_relpath(image_id: str) -> str:
    return f"{ANNOTATIONS_DIR}/{image_id}.json"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, Path):
        return obj.as_posix()
    raise TypeError(f"cannot store {type(obj).__name__} in JSON")


def dumps_json(data: Any) -> str:
    """Deterministic JSON text: sorted keys, ASCII, two-space indent, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True, default=_json_default) + "\n"


def loads_json(text: bytes | str, path: str | Path) -> Any:
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataFormatError(
            f"{path} is not valid JSON ({exc}); rewrite it or re-create the data set."
        ) from exc


def read_bytes(path: Path, what: str) -> bytes:
    """Read a file a data set needs, turning absence into a :class:`DataFormatError`."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DataFormatError(
            f"{what} {path} is missing; restore it or re-create the data set (see data/README.md)."
        ) from exc
    except OSError as exc:
        raise DataFormatError(f"cannot read {what} {path}: {exc.strerror or exc}.") from exc


# ----------------------------------------------------------------------------- images
#: PNG at zlib level 6 for every file of a data set (smaller; pixels are the same at any level)
encode_png = functools.partial(_encode_png, compression=6)


def decode_image(data: bytes, path: str | Path, *, color: bool) -> np.ndarray:
    """Decode PNG/JPEG/TIFF bytes: ``(H, W, 3)`` uint8 RGB when ``color``, else as stored.

    Raises:
        DataFormatError: when the bytes are not a readable image.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    flag = cv2.IMREAD_COLOR if color else cv2.IMREAD_UNCHANGED
    arr = cv2.imdecode(buf, flag) if buf.size else None
    if arr is None:
        raise DataFormatError(f"{path} is not a readable image; restore the file or re-create the data set.")
    if color:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    return arr


def encode_tiff_float(array: np.ndarray) -> bytes:
    """Encode a ``(H, W)`` float array as a deterministic zlib-compressed float32 TIFF."""
    buf = io.BytesIO()
    tifffile.imwrite(
        buf,
        np.ascontiguousarray(array, dtype=np.float32),
        compression="zlib",
        photometric="minisblack",
        software=False,
        metadata=None,
    )
    return buf.getvalue()


def decode_tiff_float(data: bytes, path: str | Path) -> np.ndarray:
    try:
        arr = tifffile.imread(io.BytesIO(data))
    except Exception as exc:  # tifffile raises many types for corrupt files
        raise DataFormatError(f"{path} is not a readable TIFF ({exc}); re-create the data set.") from exc
    if arr.dtype != np.float32 or arr.ndim != 2:
        raise DataFormatError(f"{path} must be a single-channel float32 TIFF, found {arr.dtype} {arr.shape}.")
    return arr


# ---------------------------------------------------------------------------- targets
def encode_targets(targets: Targets) -> dict[str, bytes]:
    """Encode :class:`Targets` to the files of ``targets/``, keyed like :data:`TARGET_SUFFIXES`.

    ``overlay_mask`` is included only when the targets carry one.

    Raises:
        DataFormatError: when a map has values the format cannot hold (masks not 0/1,
            more than 65535 hairs, negative or non-finite diameters, shape mismatch).
    """
    overlay = getattr(targets, "overlay_mask", None)
    maps = {
        "shaft_mask": targets.shaft_mask,
        "instance_ids": targets.instance_ids,
        "exit_map": targets.exit_map,
        "diameter_map": targets.diameter_um,
    }
    if overlay is not None:
        maps["overlay_mask"] = overlay
    shapes = {m.shape for m in maps.values()}
    if len(shapes) != 1 or len(targets.shaft_mask.shape) != 2:
        raise DataFormatError(f"target maps must share one (H, W) shape, got {sorted(shapes)}.")
    for name in ("shaft_mask", "exit_map", "overlay_mask"):
        arr = maps.get(name)
        if arr is not None and arr.size and (arr.min() < 0 or arr.max() > 1):
            raise DataFormatError(f"{name} must hold only 0 and 1, found values up to {arr.max()}.")
    ids = targets.instance_ids
    if ids.size and (ids.min() < 0 or ids.max() > MAX_INSTANCE_ID):
        raise DataFormatError(
            f"instance ids must lie in 0..{MAX_INSTANCE_ID}, found {ids.min()}..{ids.max()}."
        )
    diam = targets.diameter_um
    if not np.all(np.isfinite(diam)) or (diam.size and diam.min() < 0):
        raise DataFormatError("diameter map must be finite and >= 0 (micrometres).")
    out = {
        "shaft_mask": encode_png(targets.shaft_mask.astype(np.uint8)),
        "instance_ids": encode_png(ids.astype(np.uint16)),
        "exit_map": encode_png(targets.exit_map.astype(np.uint8)),
        "diameter_map": encode_tiff_float(diam),
    }
    if overlay is not None:
        out["overlay_mask"] = encode_png(overlay.astype(np.uint8))
    return out


_PNG_DTYPES = {
    "shaft_mask": np.uint8,
    "instance_ids": np.uint16,
    "exit_map": np.uint8,
    "overlay_mask": np.uint8,
}


def decode_targets(paths: dict[str, Path | None], shape: tuple[int, int]) -> Targets:
    """Read target files and check them against ``shape`` (H, W).

    Args:
        paths: target name -> file path; the four of :data:`REQUIRED_TARGETS` must be
            given, ``overlay_mask`` may be ``None`` (absent).
        shape: ``(H, W)`` of the image.
    """
    maps: dict[str, np.ndarray] = {}
    for name in TARGET_SUFFIXES:
        path = paths.get(name)
        if path is None:
            if name in REQUIRED_TARGETS:
                raise DataFormatError(f"the manifest gives no {name} path; fill in the cell.")
            continue
        what = name.replace("_", " ")
        if name == "diameter_map":
            arr = decode_tiff_float(read_bytes(path, what), path)
        else:
            arr = decode_image(read_bytes(path, what), path, color=False)
            dtype = _PNG_DTYPES[name]
            if arr.dtype != dtype or arr.ndim != 2:
                raise DataFormatError(
                    f"{path} must be a single-channel {np.dtype(dtype).name} PNG, "
                    f"found {arr.dtype} {arr.shape}."
                )
        if arr.shape != tuple(shape):
            raise DataFormatError(
                f"{path} has shape {arr.shape}, expected {tuple(shape)} (the image's height x width)."
            )
        if name in ("shaft_mask", "exit_map", "overlay_mask") and arr.max(initial=0) > 1:
            raise DataFormatError(f"{path} must hold only 0 and 1.")
        maps[name] = arr
    targets = Targets(
        shaft_mask=maps["shaft_mask"],
        instance_ids=maps["instance_ids"].astype(np.int32),
        exit_map=maps["exit_map"],
        diameter_um=maps["diameter_map"],
    )
    if "overlay_mask" in maps:
        targets.overlay_mask = maps["overlay_mask"]  # optional field (newer Targets)
    return targets
