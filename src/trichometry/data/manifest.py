"""The manifest: one CSV row per image of a data set, read and written exactly.

Columns (in this order; ``data/README.md`` documents each)::

    image_id, subject, visit, date, days_since_baseline, site, arm, split, um_per_px,
    width, height, annotation_type, n_hairs, image, image_sha256, annotation,
    shaft_mask, instance_ids, exit_map, diameter_map, overlay_mask

Unknown values are empty cells. Paths are POSIX and relative to the data set folder
(an image may also be an absolute path when it was imported by reference).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from trichometry.data.format import KINDS, MANIFEST_CSV, read_bytes, validate_id
from trichometry.errors import DataFormatError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ManifestRow:
    """One image of a data set.

    Attributes:
        image_id: unique id, also the file stem (see :func:`trichometry.data.format.validate_id`).
        subject: person (or synthetic subject) the image belongs to; ``""`` if unknown.
        visit: visit name (``baseline``, ``2w``, ``1m``, ...); ``""`` if unknown.
        date: ISO date ``YYYY-MM-DD`` of the visit; ``""`` if unknown.
        days_since_baseline: days between this subject's baseline and this visit.
        site: scalp site / target area (``vertex``, ``frontal``, ...); ``""`` if unknown.
        arm: trial arm (``treated``, ``control``, ...); ``""`` if none.
        split: ``train``, ``val`` or ``test``.
        um_per_px: micrometres per pixel of the image (> 0).
        width, height: image size in pixels.
        annotation_type: ``hairs`` (per-hair truth + dense targets) or ``boxes``.
        n_hairs: hairs counted in the frame (``hairs``) or usable boxes (``boxes``).
        image: path of the image file.
        image_sha256: SHA-256 of the image file's bytes (hex).
        annotation: path of the per-image JSON.
        shaft_mask, instance_ids, exit_map, diameter_map: target paths (``""`` for boxes).
        overlay_mask: path of the optional overlay mask (``""`` when there is none).
    """

    image_id: str
    subject: str
    visit: str
    date: str
    days_since_baseline: int | None
    site: str
    arm: str
    split: str
    um_per_px: float
    width: int
    height: int
    annotation_type: str
    n_hairs: int
    image: str
    image_sha256: str
    annotation: str
    shaft_mask: str = ""
    instance_ids: str = ""
    exit_map: str = ""
    diameter_map: str = ""
    overlay_mask: str = ""

    def __post_init__(self) -> None:
        validate_id(self.image_id)
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, str) and any(ord(c) < 32 or ord(c) == 127 for c in v):
                raise DataFormatError(
                    f"image {self.image_id}: {f.name} {v!r} contains a control character "
                    "(line break, tab, ...); remove it."
                )
        if self.subject:
            validate_id(self.subject, "subject")
        if self.split not in SPLITS:
            raise DataFormatError(
                f"image {self.image_id}: split {self.split!r} is not one of {', '.join(SPLITS)}."
            )
        if isinstance(self.um_per_px, int) and not isinstance(self.um_per_px, bool):
            object.__setattr__(self, "um_per_px", float(self.um_per_px))
        if not (isinstance(self.um_per_px, float) and math.isfinite(self.um_per_px) and self.um_per_px > 0):
            raise DataFormatError(
                f"image {self.image_id}: um_per_px must be a positive number, got {self.um_per_px!r}."
            )
        if self.width <= 0 or self.height <= 0:
            raise DataFormatError(f"image {self.image_id}: width and height must be positive.")
        if self.annotation_type not in KINDS:
            raise DataFormatError(
                f"image {self.image_id}: annotation_type {self.annotation_type!r} "
                f"is not one of {', '.join(KINDS)}."
            )
        if self.n_hairs < 0:
            raise DataFormatError(f"image {self.image_id}: n_hairs must be >= 0.")
        if self.date:
            try:
                dt.date.fromisoformat(self.date)
            except ValueError as exc:
                raise DataFormatError(
                    f"image {self.image_id}: date {self.date!r} is not YYYY-MM-DD."
                ) from exc
        if self.annotation_type == "hairs" and not all(
            (self.shaft_mask, self.instance_ids, self.exit_map, self.diameter_map)
        ):
            raise DataFormatError(f"image {self.image_id}: a 'hairs' row needs all four target paths.")

    @property
    def area_cm2(self) -> float:
        return self.width * self.height * (self.um_per_px * 1e-4) ** 2

    @property
    def density_per_cm2(self) -> float:
        """Counted hairs (or usable boxes) per cm^2 of the frame."""
        return self.n_hairs / self.area_cm2


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ManifestRow))
_INT_COLUMNS = {"width", "height", "n_hairs"}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest exact round-trip text
    return str(value)


def manifest_text(rows: list[ManifestRow]) -> str:
    """The manifest CSV text for ``rows`` (header first, ``\\n`` line ends, deterministic).

    Raises:
        DataFormatError: when two rows share an ``image_id``.
    """
    seen: set[str] = set()
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        if row.image_id in seen:
            raise DataFormatError(f"image_id {row.image_id!r} appears twice; image ids must be unique.")
        seen.add(row.image_id)
        d = asdict(row)
        writer.writerow([_cell(d[c]) for c in COLUMNS])
    return buf.getvalue()


def _parse_row(raw: dict[str, str], where: str) -> ManifestRow:
    values: dict[str, object] = {}
    try:
        for col in COLUMNS:
            cell = raw[col] if raw[col] is not None else ""
            if col in _INT_COLUMNS:
                values[col] = int(cell)
            elif col == "days_since_baseline":
                values[col] = int(cell) if cell != "" else None
            elif col == "um_per_px":
                values[col] = float(cell)
            else:
                values[col] = cell
    except (ValueError, TypeError) as exc:
        raise DataFormatError(f"{where}: {exc}; fix the cell or re-create the data set.") from exc
    try:
        return ManifestRow(**values)  # type: ignore[arg-type]
    except DataFormatError as exc:
        raise DataFormatError(f"{where}: {exc}") from exc


def parse_manifest(text: str, path: str | Path = MANIFEST_CSV) -> list[ManifestRow]:
    """Parse manifest CSV ``text``; extra columns are ignored, missing ones are an error."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataFormatError(
            f"{path} lacks column(s) {', '.join(missing)}; the header must list {', '.join(COLUMNS)}."
        )
    rows: list[ManifestRow] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(reader, start=2):
        if None in raw:
            raise DataFormatError(f"{path} line {lineno} has more cells than the header.")
        row = _parse_row(raw, f"{path} line {lineno}")
        if row.image_id in seen:
            raise DataFormatError(f"{path} line {lineno}: image_id {row.image_id!r} appears twice.")
        seen.add(row.image_id)
        rows.append(row)
    return rows


def read_manifest(root: str | Path) -> list[ManifestRow]:
    """Read ``root/manifest.csv``.

    Raises:
        DataFormatError: when it is missing or malformed (the message names line and cell).
    """
    path = Path(root) / MANIFEST_CSV
    data = read_bytes(path, "manifest")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from exc
    return parse_manifest(text, path)
