"""Report sources: where the image records of a cohort come from.

:class:`ResultsFolderSource` reads a folder of ``trichometry analyze --out DIR`` results
(``DIR/<image_id>.json``) and a manifest CSV that places each image in the trial. The
manifest is the data set manifest of ``data/README.md`` (a simulated cohort's
``manifest.csv`` works as it is) or any CSV with at least these columns:

============================  ===========================================================
``image_id``                  stem of the result file ``DIR/<image_id>.json``
``subject``                   subject id (``USUBJID``)
``visit``                     visit label as collected (``baseline``, ``week12`` ...)
``site``                      target site (``vertex`` ...)
``arm``                       treatment arm
``days_since_baseline``       days after the subject's baseline (baseline = 0) ...
``date``                      ... or the visit date ``YYYY-MM-DD`` (with a ``baseline`` visit)
``image_sha256`` (optional)   SHA-256 of the image bytes; checked against the result's
``image`` (optional)          image path (relative to the manifest's folder); hashed when
                              no SHA-256 is given anywhere
``study_id`` (optional)       ``STUDYID``
============================  ===========================================================
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from trichometry.errors import DataFormatError
from trichometry.reports.records import ImageRecord, ModelInfo
from trichometry.utils.hashing import sha256_file

log = logging.getLogger(__name__)

REQUIRED = ("image_id", "subject", "visit", "site", "arm")


def convention_label(conv: Any) -> str:
    """``"trichoscopy (30, 60 um)"`` from a convention dict, or the text as it is."""
    if isinstance(conv, Mapping):
        cuts = ", ".join(f"{float(c):g}" for c in conv.get("cutoffs_um", []))
        return f"{conv.get('name', 'unknown')} ({cuts} um)" if cuts else str(conv.get("name", "unknown"))
    return "" if conv is None else str(conv)


def result_provenance(result: Mapping[str, Any]) -> tuple[ModelInfo, str, str]:
    """``(model, convention label, image sha256)`` recorded in one analyze result."""
    model = result.get("model")
    if not isinstance(model, Mapping):
        model = result.get("source") if isinstance(result.get("source"), Mapping) else {}
    sha = result.get("image_sha256") or ""
    image = result.get("image")
    if not sha and isinstance(image, Mapping):
        sha = image.get("sha256") or ""
    if not sha and isinstance(model, Mapping):
        sha = model.get("image_sha256") or ""
    return ModelInfo.from_mapping(model), convention_label(result.get("convention")), str(sha)


def read_manifest_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a report manifest (see the module docstring).

    Raises:
        DataFormatError: unreadable, not UTF-8, or missing a required column.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataFormatError(
            f"cannot read manifest {path}: {exc.strerror or exc}; check --manifest."
        ) from exc
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"manifest {path} is not UTF-8 text; save it as UTF-8 CSV.") from exc
    try:
        return _parse_manifest(path, text)
    except csv.Error as exc:
        raise DataFormatError(
            f"manifest {path} is not a readable CSV ({exc}); save it as plain UTF-8 CSV."
        ) from exc


def _parse_manifest(path: Path, text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing or not ({"date", "days_since_baseline"} & set(header)):
        need = [*missing] + (
            [] if {"date", "days_since_baseline"} & set(header) else ["date or days_since_baseline"]
        )
        raise DataFormatError(
            f"manifest {path} lacks column(s) {', '.join(need)}; it needs {', '.join(REQUIRED)} and "
            "days_since_baseline or date (see docs/REPORTS.md)."
        )
    rows = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(reader, start=2):
        if None in raw:
            raise DataFormatError(
                f"manifest {path} line {lineno} has more cells than the header; fix the row."
            )
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        row["_line"] = str(lineno)
        if row["image_id"] in seen:
            raise DataFormatError(
                f"manifest {path} line {lineno}: image_id {row['image_id']!r} is listed twice (first on line "
                f"{seen[row['image_id']]}); list every image once."
            )
        seen[row["image_id"]] = lineno
        rows.append(row)
    return rows


class ResultsFolderSource:
    """Image records from ``analyze`` results plus a manifest.

    Args:
        results_dir: folder holding ``<image_id>.json`` files.
        manifest: manifest CSV (see the module docstring).
        hash_images: compute the SHA-256 of image files the manifest names when neither
            the manifest nor the result records one.
    """

    def __init__(self, results_dir: str | Path, manifest: str | Path, *, hash_images: bool = True) -> None:
        self.results_dir = Path(results_dir)
        self.manifest = Path(manifest)
        self.hash_images = hash_images
        if not self.results_dir.is_dir():
            raise DataFormatError(
                f"results folder {self.results_dir} does not exist; pass analyze's --out folder."
            )

    def describe(self) -> str:
        return f"results folder {self.results_dir.name} + manifest {self.manifest.name}"

    def _load(self, row: Mapping[str, str]) -> tuple[Path, dict[str, Any]] | None:
        stem = Path(row["image_id"]).name
        path = self.results_dir / f"{stem}.json"
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataFormatError(
                f"result {path} is not valid JSON ({exc}); re-run analyze for this image."
            ) from exc
        if not isinstance(data, dict):
            raise DataFormatError(f"result {path} is not a JSON object; re-run analyze for this image.")
        return path, data

    def _record(self, row: Mapping[str, str], path: Path, data: Mapping[str, Any]) -> ImageRecord:
        where = f"manifest {self.manifest} line {row['_line']}"
        try:
            day = int(row["days_since_baseline"]) if row.get("days_since_baseline") else None
            date = dt.date.fromisoformat(row["date"]) if row.get("date") else None
        except ValueError as exc:
            raise DataFormatError(
                f"{where}: {exc}; days_since_baseline must be a whole number and date YYYY-MM-DD."
            ) from exc
        model, conv, sha = result_provenance(data)
        listed = row.get("image_sha256", "").lower()
        if listed and sha and listed != sha.lower():
            raise DataFormatError(
                f"{where}: image {row['image_id']} has SHA-256 {listed[:12]}... in the manifest but "
                f"{sha[:12]}... in {path.name}; the result belongs to another image. Re-run analyze on it."
            )
        sha = (listed or sha).lower()
        image_path = row.get("image", "")
        if image_path:
            full = Path(image_path) if Path(image_path).is_absolute() else self.manifest.parent / image_path
            if not sha and self.hash_images and full.is_file():
                sha = sha256_file(full)
        return ImageRecord(
            subject=row["subject"],
            site=row["site"],
            visit=row["visit"],
            arm=row["arm"],
            image_id=row["image_id"],
            measurement=data,
            days_since_baseline=day,
            date=date,
            image_sha256=sha,
            image_path=image_path,
            model=model,
            convention=conv,
            study_id=row.get("study_id", "") or row.get("STUDYID", ""),
        )

    def load_image(self, record: ImageRecord) -> Any:
        """The RGB pixels of a record's photo (for registration); ``None`` when the manifest
        names no image or the file cannot be read."""
        from trichometry.errors import TrichometryError
        from trichometry.io import read_image

        if not record.image_path:
            return None
        full = Path(record.image_path)
        full = full if full.is_absolute() else self.manifest.parent / full
        try:
            return read_image(full).image
        except (TrichometryError, OSError) as exc:
            log.info("photo %s cannot be read for registration: %s", full, exc)
            return None

    def matched_changes(self, obs: Sequence[Any]) -> dict[Any, Any]:
        """Hair-to-hair changes of the analysed follow-up visits, as the clinic computes them
        (:mod:`trichometry.reports.matched`): the same headline rule in files and clinic."""
        from trichometry.reports.matched import matched_changes

        return matched_changes(obs, self.load_image)

    def records(self) -> Iterable[ImageRecord]:
        """All records; every manifest row must have a result.

        Raises:
            DataFormatError: a manifest row without a result, malformed JSON or cells, or
                an image hash that differs between manifest and result.
        """
        rows = read_manifest_rows(self.manifest)
        out, absent = [], []
        for row in tqdm(rows, desc="reading results", unit="image", disable=len(rows) < 200):
            got = self._load(row)
            if got is None:
                absent.append(row["image_id"])
                continue
            out.append(self._record(row, *got))
        if absent:
            raise DataFormatError(
                f"{len(absent)} image(s) in the manifest have no result in {self.results_dir}, e.g. "
                f"{absent[:5]}; run `trichometry analyze` on them or remove their manifest rows."
            )
        listed = {Path(r["image_id"]).name for r in rows}
        extra = sorted(p.stem for p in self.results_dir.glob("*.json") if p.stem not in listed)
        if extra:
            log.warning("%d result file(s) not in the manifest are left out, e.g. %s", len(extra), extra[:5])
        return out
