"""``write_report(report, format, path)``: one entry point for every export format."""

from __future__ import annotations

from pathlib import Path

from trichometry.errors import ConfigError
from trichometry.reports.report import Report

FORMATS: tuple[str, ...] = ("csv", "xlsx", "pdf")


def report_bytes(report: Report, fmt: str) -> bytes:
    """The export as bytes (for a web download); the CSV's provenance sidecar is not included."""
    fmt = _check(fmt)
    if fmt == "csv":
        from trichometry.reports.csv_writer import csv_bytes

        return csv_bytes(report)
    if fmt == "xlsx":
        from trichometry.reports.xlsx_writer import xlsx_bytes

        return xlsx_bytes(report)
    from trichometry.reports.pdf_writer import pdf_bytes

    return pdf_bytes(report)


def write_report(report: Report, fmt: str, path: str | Path) -> Path:
    """Write ``report`` as ``fmt`` (csv, xlsx or pdf) to ``path`` atomically.

    CSV also writes ``<path>.provenance.json`` beside it.

    Raises:
        ConfigError: unknown format.
        OutputError: the folder cannot be written.
    """
    fmt = _check(fmt)
    if fmt == "csv":
        from trichometry.reports.csv_writer import write_csv

        return write_csv(report, path)
    from trichometry.utils.atomic import atomic_write_bytes

    return atomic_write_bytes(path, report_bytes(report, fmt))


def _check(fmt: str) -> str:
    f = str(fmt).lower().lstrip(".")
    if f not in FORMATS:
        raise ConfigError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return f
