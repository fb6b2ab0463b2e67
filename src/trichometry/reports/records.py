"""What a report is built from: one :class:`ImageRecord` per analysed image.

A *source* (a folder of ``trichometry analyze`` outputs plus a manifest, or the store)
yields these records; the report engine never reads files or databases itself, so a new
source only has to implement :class:`ReportSource`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ModelInfo:
    """The model that produced a measurement.

    Attributes:
        name: model (variant) name, e.g. ``"unet-small"``; ``"unknown"`` when not recorded.
        version: model or package version string.
        sha256: SHA-256 of the weights file (hex); empty when not recorded.
    """

    name: str = "unknown"
    version: str = ""
    sha256: str = ""

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any] | None) -> ModelInfo:
        d = d or {}
        return cls(
            name=str(d.get("name") or "unknown"),
            version=str(d.get("version") or ""),
            sha256=str(d.get("sha256") or ""),
        )

    def label(self) -> str:
        """``name version (sha256 prefix)``, for tables."""
        sha = f" ({self.sha256[:12]})" if self.sha256 else ""
        ver = f" {self.version}" if self.version else ""
        return f"{self.name}{ver}{sha}"


@dataclass(frozen=True)
class ImageRecord:
    """One analysed image and where it belongs in the trial.

    Attributes:
        subject: subject identifier (becomes ``USUBJID``).
        site: target site on the scalp (e.g. ``"vertex"``; becomes ``SITE``).
        visit: visit label as collected (e.g. ``"baseline"``, ``"week12"``).
        arm: treatment arm (e.g. ``"treated"``, ``"control"``).
        image_id: identifier of the image (usually its file stem).
        measurement: the measurement dict of ``trichometry analyze`` (``hair_count``,
            ``area_cm2``, ``density_per_cm2``, ``mean_thickness_um``,
            ``cumulative_thickness_mm_per_cm2``, ``hairs``, ...).
        days_since_baseline: study day counted from the baseline visit (baseline = 0);
            ``None`` when only ``date`` is known.
        date: acquisition date of the visit, if known.
        image_sha256: SHA-256 of the original image bytes (hex), empty when unknown.
        image_path: where the image was read from, if known.
        model: the model that measured it.
        convention: the thickness cut-off convention used by the analysis (free text).
        study_id: trial identifier (becomes ``STUDYID``); empty to use the report default.
        corrected: the measurement carries human corrections (e.g. the store's), which
            the report lists as a warning.
    """

    subject: str
    site: str
    visit: str
    arm: str
    image_id: str
    measurement: Mapping[str, Any]
    days_since_baseline: int | None = None
    date: dt.date | None = None
    image_sha256: str = ""
    image_path: str = ""
    model: ModelInfo = field(default_factory=ModelInfo)
    convention: str = ""
    study_id: str = ""
    corrected: bool = False


@runtime_checkable
class ReportSource(Protocol):
    """Anything that yields the image records of one cohort."""

    def records(self) -> Iterable[ImageRecord]:
        """All image records of the cohort (any order)."""
        ...

    def describe(self) -> str:
        """One line naming where the records come from (recorded in the provenance).

        A source may also offer ``warnings() -> list[str]`` (what it left out); the
        report lists them. A source that can load its photos may offer
        ``matched_changes(observations)`` (hair-to-hair changes, see
        :mod:`trichometry.reports.matched`); the headline change then leads with them.
        """
        ...


@dataclass
class RecordListSource:
    """A source over records already in memory (tests, the web app, notebooks)."""

    items: list[ImageRecord]
    description: str = "records in memory"

    def records(self) -> Iterable[ImageRecord]:
        return list(self.items)

    def describe(self) -> str:
        return self.description
