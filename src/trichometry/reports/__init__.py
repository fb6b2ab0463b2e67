"""Trial exports: cohort density reports with statistics and provenance.

Typical use::

    from trichometry.reports import ReportConfig, ResultsFolderSource, build_report, write_report

    source = ResultsFolderSource("results/", "manifest.csv")
    config = ReportConfig(responder_threshold_pct=10)
    report = build_report(source, config, generated_at="2026-11-21T08:00:00Z")
    write_report(report, "xlsx", "trial.xlsx")   # also "csv" (long ADaM-style data) and "pdf"

See ``docs/REPORTS.md`` for the columns, statistics and manifest format.
"""

from __future__ import annotations

from trichometry.reports.engine import MissingVisit, ReportConfig, VisitObservation
from trichometry.reports.export import FORMATS, report_bytes, write_report
from trichometry.reports.records import ImageRecord, ModelInfo, RecordListSource, ReportSource
from trichometry.reports.report import Report, build_report
from trichometry.reports.sources import ResultsFolderSource
from trichometry.reports.stats import ArmComparison, ArmWindowStats
from trichometry.reports.store_source import StoreSource
from trichometry.reports.windows import parse_windows

__all__ = [
    "FORMATS",
    "ArmComparison",
    "ArmWindowStats",
    "ImageRecord",
    "MissingVisit",
    "ModelInfo",
    "RecordListSource",
    "Report",
    "ReportConfig",
    "ReportSource",
    "ResultsFolderSource",
    "StoreSource",
    "VisitObservation",
    "build_report",
    "parse_windows",
    "report_bytes",
    "write_report",
]
