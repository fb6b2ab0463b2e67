"""Read a data set folder written in the project's format (``data/README.md``).

Example::

    ds = Dataset("cohort")                   # reads dataset.json and manifest.csv
    for sample in ds.iter_samples("train"):  # Sample: image, truth, targets
        ...
    sample = load_sample("cohort", "S001_baseline")

Every missing or malformed file raises :class:`~trichometry.errors.DataFormatError`
naming the file and what to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from trichometry.data.boxes import BoxAnnotation
from trichometry.data.format import (
    DATASET_JSON,
    FORMAT_NAME,
    FORMAT_VERSION,
    KIND_BOXES,
    KIND_HAIRS,
    SUBJECTS_DIR,
    TARGET_SUFFIXES,
    decode_image,
    decode_targets,
    loads_json,
    read_bytes,
    validate_id,
)
from trichometry.data.manifest import SPLITS, ManifestRow, read_manifest
from trichometry.data.writer import sha256_bytes
from trichometry.errors import DataFormatError
from trichometry.truth import ImageTruth, Sample


@dataclass
class BoxedImage:
    """A real image with its boxes. ``image`` is ``(H, W, 3)`` uint8 RGB."""

    image: np.ndarray
    annotation: BoxAnnotation
    row: ManifestRow


def read_dataset_info(root: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check ``root/dataset.json``.

    Raises:
        DataFormatError: when the folder is not a data set of a supported format version.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataFormatError(f"data set folder {root} does not exist; check the path.")
    path = root / DATASET_JSON
    info = loads_json(read_bytes(path, "data set description"), path)
    if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
        raise DataFormatError(
            f"{path} does not describe a {FORMAT_NAME} folder (its 'format' key must say so)."
        )
    version = info.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise DataFormatError(
            f"{path} has format_version {version!r}; this trichometry reads 1..{FORMAT_VERSION}. "
            "Upgrade trichometry or re-create the data set."
        )
    return info


def resolve(root: Path, relpath: str, what: str) -> Path:
    """Turn a manifest path into a file path; relative paths must stay inside ``root``."""
    if not relpath:
        raise DataFormatError(f"the manifest gives no {what} path; fill in the cell.")
    p = PurePosixPath(relpath)
    if p.is_absolute() or Path(relpath).is_absolute():
        return Path(relpath)
    if ".." in p.parts:
        raise DataFormatError(f"{what} path {relpath!r} leaves the data set folder; use a path inside it.")
    return root.joinpath(*p.parts)


class Dataset:
    """A data set folder, opened for reading.

    Args:
        root: the folder holding ``dataset.json`` and ``manifest.csv``.
        verify: check each image's SHA-256 against the manifest when it is read.
    """

    def __init__(self, root: str | os.PathLike[str], *, verify: bool = False) -> None:
        self.root = Path(root)
        self.info = read_dataset_info(self.root)
        self.rows = read_manifest(self.root)
        self.verify = verify
        self._by_id = {r.image_id: r for r in self.rows}

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, image_id: object) -> bool:
        return image_id in self._by_id

    def ids(self, split: str | None = None) -> list[str]:
        """Image ids in manifest order, optionally of one split (``train``/``val``/``test``)."""
        if split is not None and split not in SPLITS:
            raise DataFormatError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}.")
        return [r.image_id for r in self.rows if split is None or r.split == split]

    def row(self, image_id: str) -> ManifestRow:
        try:
            return self._by_id[image_id]
        except KeyError:
            raise DataFormatError(
                f"image {image_id!r} is not in {self.root}/manifest.csv; "
                "check the id (see the image_id column)."
            ) from None

    def subjects(self) -> list[str]:
        """Subject ids in order of first appearance (empty subjects skipped)."""
        return list(dict.fromkeys(r.subject for r in self.rows if r.subject))

    # ---------------------------------------------------------------- pieces
    def image(self, image_id: str) -> np.ndarray:
        """The image as ``(H, W, 3)`` uint8 RGB, checked against the manifest size (and hash)."""
        row = self.row(image_id)
        path = resolve(self.root, row.image, "image")
        data = read_bytes(path, "image")
        if self.verify and sha256_bytes(data) != row.image_sha256:
            raise DataFormatError(
                f"{path} does not match its SHA-256 in the manifest (changed or corrupted); "
                "restore the original."
            )
        img = decode_image(data, path, color=True)
        if img.shape[:2] != (row.height, row.width):
            raise DataFormatError(
                f"{path} is {img.shape[1]}x{img.shape[0]} px but the manifest says {row.width}x{row.height}."
            )
        return img

    def _annotation(self, row: ManifestRow) -> tuple[dict[str, Any], Path]:
        path = resolve(self.root, row.annotation, "annotation")
        d = loads_json(read_bytes(path, "annotation"), path)
        if not isinstance(d, dict):
            raise DataFormatError(f"{path} must hold a JSON object.")
        kind = d.get("annotation_type", KIND_HAIRS)
        if kind != row.annotation_type:
            raise DataFormatError(
                f"{path} is of type {kind!r} but the manifest says {row.annotation_type!r}."
            )
        for key, expect in (("image_id", row.image_id), ("width", row.width), ("height", row.height)):
            if d.get(key) != expect:
                raise DataFormatError(f"{path}: {key} is {d.get(key)!r}, the manifest says {expect!r}.")
        return d, path

    def truth(self, image_id: str) -> ImageTruth:
        """The per-hair truth of a ``hairs`` image."""
        row = self._need(image_id, KIND_HAIRS)
        d, path = self._annotation(row)
        try:
            truth = ImageTruth.from_dict(d)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise DataFormatError(
                f"{path} is not a valid hair truth ({type(exc).__name__}: {exc}); see data/README.md."
            ) from exc
        if abs(truth.um_per_px - row.um_per_px) > 1e-9 * row.um_per_px:
            raise DataFormatError(
                f"{path}: um_per_px {truth.um_per_px} differs from the manifest's {row.um_per_px}."
            )
        if "count" in d and d["count"] != truth.count:
            raise DataFormatError(
                f"{path}: 'count' is {d['count']} but {truth.count} hairs have their exit point in the frame."
            )
        return truth

    def boxes(self, image_id: str) -> BoxAnnotation:
        """The boxes of a ``boxes`` image."""
        row = self._need(image_id, KIND_BOXES)
        d, path = self._annotation(row)
        return BoxAnnotation.from_dict(d, where=str(path))

    def _need(self, image_id: str, kind: str) -> ManifestRow:
        row = self.row(image_id)
        if row.annotation_type != kind:
            other = "boxes()/iter_boxed()" if row.annotation_type == KIND_BOXES else "sample()/iter_samples()"
            raise DataFormatError(
                f"image {image_id} has {row.annotation_type!r} annotations; read it with {other}."
            )
        return row

    # ---------------------------------------------------------------- records
    def sample(self, image_id: str) -> Sample:
        """Image, truth and dense targets of a ``hairs`` image."""
        row = self._need(image_id, KIND_HAIRS)
        truth = self.truth(image_id)
        image = self.image(image_id)
        paths = {
            name: resolve(self.root, getattr(row, name), name) if getattr(row, name) else None
            for name in TARGET_SUFFIXES
        }
        targets = decode_targets(paths, (row.height, row.width))
        return Sample(image=image, truth=truth, targets=targets)

    def boxed(self, image_id: str) -> BoxedImage:
        row = self._need(image_id, KIND_BOXES)
        return BoxedImage(image=self.image(image_id), annotation=self.boxes(image_id), row=row)

    def iter_samples(self, split: str | None = None) -> Iterator[Sample]:
        """Yield the ``hairs`` images of a split (all splits when ``None``) in manifest order."""
        for image_id in self.ids(split):
            if self._by_id[image_id].annotation_type == KIND_HAIRS:
                yield self.sample(image_id)

    def iter_boxed(self, split: str | None = None) -> Iterator[BoxedImage]:
        """Yield the ``boxes`` images of a split (all splits when ``None``) in manifest order."""
        for image_id in self.ids(split):
            if self._by_id[image_id].annotation_type == KIND_BOXES:
                yield self.boxed(image_id)

    def subject_truth(self, subject: str) -> dict[str, Any]:
        """The raw ``subjects/SUBJECT.json`` of a synthetic cohort (see ``synth.longitudinal``)."""
        validate_id(subject, "subject")
        path = self.root / SUBJECTS_DIR / f"{subject}.json"
        d = loads_json(read_bytes(path, "subject truth"), path)
        if not isinstance(d, dict):
            raise DataFormatError(f"{path} must hold a JSON object.")
        return d

    def check(self) -> int:
        """Read every image, annotation and target once (hashes verified); return the count.

        Raises:
            DataFormatError: at the first problem found.
        """
        verify, self.verify = self.verify, True
        try:
            for row in self.rows:
                if row.annotation_type == KIND_HAIRS:
                    self.sample(row.image_id)
                else:
                    self.boxed(row.image_id)
        finally:
            self.verify = verify
        return len(self.rows)


def load_sample(root: str | os.PathLike[str], image_id: str, *, verify: bool = False) -> Sample:
    """Load one synthetic image with its truth and targets from a data set folder."""
    return Dataset(root, verify=verify).sample(image_id)


def iter_split(root: str | os.PathLike[str], split: str | None) -> Iterator[Sample | BoxedImage]:
    """Yield every image of ``split`` as a :class:`Sample` (``hairs``) or :class:`BoxedImage` (``boxes``)."""
    ds = Dataset(root)
    for image_id in ds.ids(split):
        row = ds.row(image_id)
        yield ds.sample(image_id) if row.annotation_type == KIND_HAIRS else ds.boxed(image_id)
