"""Write a data set folder atomically: it appears complete, or not at all.

Example::

    with DatasetWriter(out, name="cohort", description="2 subjects x 3 visits") as w:
        w.add_sample(sample, subject="S001", visit="baseline", split="train")
    # `out` now holds dataset.json, manifest.csv, images/, annotations/, targets/

Everything goes into a hidden temporary sibling of ``out`` first
(:func:`trichometry.utils.atomic.atomic_directory`); an exception inside the ``with``
block removes it and leaves ``out`` untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

from trichometry import __version__
from trichometry.data.boxes import BoxAnnotation
from trichometry.data.format import (
    ANNOTATIONS_DIR,
    DATASET_JSON,
    FORMAT_NAME,
    FORMAT_VERSION,
    IMAGES_DIR,
    KIND_BOXES,
    KIND_HAIRS,
    MANIFEST_CSV,
    SUBJECTS_DIR,
    TARGETS_DIR,
    annotation_relpath,
    dumps_json,
    encode_png,
    encode_targets,
    target_relpath,
    validate_id,
)
from trichometry.data.manifest import ManifestRow, manifest_text
from trichometry.errors import DataFormatError, OutputError
from trichometry.truth import Sample
from trichometry.utils.atomic import atomic_directory

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def truth_annotation(sample: Sample) -> dict[str, Any]:
    """The per-image JSON of a ``hairs`` image: ``ImageTruth.to_dict()`` plus its type."""
    d = sample.truth.to_dict()
    d["annotation_type"] = KIND_HAIRS
    return d


class DatasetWriter:
    """Builds one data set folder; use as a context manager.

    Args:
        root: the data set folder to create.
        name: a short name stored in ``dataset.json``.
        description: free text stored in ``dataset.json``.
        provenance: anything else worth keeping (generator seed and options, source
            folder); must be JSON-serialisable and free of timestamps to stay reproducible.
        overwrite: replace an existing folder at ``root`` (only once the new one is complete).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        name: str = "",
        description: str = "",
        provenance: dict[str, Any] | None = None,
        overwrite: bool = False,
    ) -> None:
        self.root = Path(root)
        self.name = name
        self.description = description
        self.provenance = dict(provenance or {})
        self.overwrite = overwrite
        self.rows: list[ManifestRow] = []
        self._kinds: set[str] = set()
        self._ids: set[str] = set()
        self._tmp: Path | None = None
        self._ctx: contextlib.AbstractContextManager[Path] | None = None

    # ------------------------------------------------------------------ context
    def __enter__(self) -> DatasetWriter:
        self._ctx = atomic_directory(self.root, overwrite=self.overwrite)
        self._tmp = self._ctx.__enter__()
        for sub in (IMAGES_DIR, ANNOTATIONS_DIR):
            (self._tmp / sub).mkdir()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool | None:
        assert self._ctx is not None
        if exc_type is None:
            try:
                self._finish()
            except BaseException as err:
                self._ctx.__exit__(type(err), err, err.__traceback__)  # removes the partial folder
                raise
        return self._ctx.__exit__(exc_type, exc, tb)

    @property
    def tmp(self) -> Path:
        if self._tmp is None:
            raise RuntimeError("DatasetWriter must be used as a context manager")
        return self._tmp

    def _write(self, relpath: str, data: bytes) -> None:
        path = self.tmp / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write {self.root / relpath}: {exc.strerror or exc}.") from exc

    def _check_new(self, image_id: str) -> None:
        validate_id(image_id)
        if image_id in self._ids:
            raise DataFormatError(f"image_id {image_id!r} was already added; image ids must be unique.")
        self._ids.add(image_id)

    # ------------------------------------------------------------------ adding
    def add_sample(
        self,
        sample: Sample,
        *,
        subject: str = "",
        visit: str = "",
        date: str = "",
        days_since_baseline: int | None = None,
        site: str = "",
        arm: str = "",
        split: str = "train",
    ) -> ManifestRow:
        """Add a synthetic image with its truth and targets (``annotation_type`` ``hairs``)."""
        truth = sample.truth
        image_id = truth.image_id
        self._check_new(image_id)
        h, w = sample.image.shape[:2]
        if sample.image.ndim != 3 or sample.image.shape[2] != 3 or sample.image.dtype.name != "uint8":
            raise DataFormatError(f"image {image_id} must be (H, W, 3) uint8 RGB, got {sample.image.shape}.")
        if (w, h) != (truth.width, truth.height):
            raise DataFormatError(
                f"image {image_id} is {w}x{h} but its truth says {truth.width}x{truth.height}."
            )
        png = encode_png(sample.image)
        encoded = encode_targets(sample.targets)
        if sample.targets.shaft_mask.shape != (h, w):
            raise DataFormatError(
                f"targets of {image_id} are {sample.targets.shaft_mask.shape}, image is {(h, w)}."
            )
        image_rel = f"{IMAGES_DIR}/{image_id}.png"
        self._write(image_rel, png)
        self._write(annotation_relpath(image_id), dumps_json(truth_annotation(sample)).encode())
        for name, data in encoded.items():
            self._write(target_relpath(image_id, name), data)
        row = ManifestRow(
            image_id=image_id,
            subject=subject,
            visit=visit,
            date=date,
            days_since_baseline=days_since_baseline,
            site=site,
            arm=arm,
            split=split,
            um_per_px=float(truth.um_per_px),
            width=w,
            height=h,
            annotation_type=KIND_HAIRS,
            n_hairs=truth.count,
            image=image_rel,
            image_sha256=sha256_bytes(png),
            annotation=annotation_relpath(image_id),
            **{name: target_relpath(image_id, name) for name in encoded},
        )
        self.rows.append(row)
        self._kinds.add(KIND_HAIRS)
        return row

    def add_boxes(
        self,
        ann: BoxAnnotation,
        image_bytes: bytes | None,
        *,
        image_suffix: str = ".jpg",
        image_ref: str | None = None,
        split: str = "train",
        subject: str = "",
        visit: str = "",
        date: str = "",
        site: str = "",
    ) -> ManifestRow:
        """Add a real image with box annotations (``annotation_type`` ``boxes``).

        Args:
            ann: the boxes.
            image_bytes: the original file's bytes; copied unchanged into ``images/``
                unless ``image_ref`` is given (then only hashed).
            image_suffix: file suffix of the copied image (``.jpg``, ``.png``, ``.tif``).
            image_ref: reference the image where it is (an absolute path) instead of copying.
        """
        self._check_new(ann.image_id)
        if image_bytes is None:
            raise DataFormatError(f"image {ann.image_id}: no image bytes given.")
        suffix = image_suffix.lower()
        if suffix not in IMAGE_SUFFIXES:
            raise DataFormatError(f"image {ann.image_id}: suffix {suffix!r} is not one of {IMAGE_SUFFIXES}.")
        if image_ref is None:
            image_rel = f"{IMAGES_DIR}/{ann.image_id}{suffix}"
            self._write(image_rel, image_bytes)
        else:
            if not Path(image_ref).is_absolute():
                raise DataFormatError(f"image reference {image_ref!r} must be an absolute path.")
            image_rel = Path(image_ref).as_posix()
        self._write(annotation_relpath(ann.image_id), dumps_json(ann.to_dict()).encode())
        row = ManifestRow(
            image_id=ann.image_id,
            subject=subject,
            visit=visit,
            date=date,
            days_since_baseline=None,
            site=site,
            arm="",
            split=split,
            um_per_px=float(ann.um_per_px),
            width=int(ann.width),
            height=int(ann.height),
            annotation_type=KIND_BOXES,
            n_hairs=ann.count,
            image=image_rel,
            image_sha256=sha256_bytes(image_bytes),
            annotation=annotation_relpath(ann.image_id),
        )
        self.rows.append(row)
        self._kinds.add(KIND_BOXES)
        return row

    def add_subject(self, subject_id: str, truth: dict[str, Any]) -> None:
        """Store one subject's longitudinal truth as ``subjects/SUBJECT.json``."""
        validate_id(subject_id, "subject")
        self._write(f"{SUBJECTS_DIR}/{subject_id}.json", dumps_json(truth).encode())

    # ------------------------------------------------------------------ finish
    def _finish(self) -> None:
        if not self.rows:
            raise DataFormatError("no images were added; a data set needs at least one image.")
        meta = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "annotation_types": sorted(self._kinds),
            "num_images": len(self.rows),
            "splits": {s: sum(r.split == s for r in self.rows) for s in ("train", "val", "test")},
            "written_by": f"trichometry {__version__}",
            "provenance": self.provenance,
        }
        if KIND_HAIRS in self._kinds:
            (self.tmp / TARGETS_DIR).mkdir(exist_ok=True)
        self._write(DATASET_JSON, dumps_json(meta).encode())
        self._write(MANIFEST_CSV, manifest_text(self.rows).encode())
