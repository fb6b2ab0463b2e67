"""The long BDS data as CSV, plus a provenance sidecar (``<file>.provenance.json``).

Numbers are written in Python's shortest round-trip form (``repr``), so reading the file
back gives exactly the reported values; missing values are empty cells. Text cells are
neutralised against formula injection (:mod:`trichometry.utils.spreadsheet`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from trichometry.reports.report import Report
from trichometry.utils.atomic import atomic_write_bytes, atomic_write_text
from trichometry.utils.spreadsheet import neutralise


def format_cell(value: Any) -> str:
    """One CSV cell: numbers round-trip exactly, ``None``/NaN are empty, text is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return neutralise(str(value))


def csv_bytes(report: Report) -> bytes:
    """The long data as UTF-8 CSV bytes (header + one row per subject, visit, parameter)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(report.columns)
    for row in report.rows:
        w.writerow([format_cell(row.get(c)) for c in report.columns])
    return buf.getvalue().encode("utf-8")


def provenance_path(path: str | Path) -> Path:
    """Where the provenance sidecar of a CSV export goes."""
    path = Path(path)
    return path.with_name(path.name + ".provenance.json")


def write_csv(report: Report, path: str | Path) -> Path:
    """Write the CSV and its provenance sidecar atomically; returns the CSV path."""
    path = Path(path)
    prov = json.dumps(report.provenance, indent=2, sort_keys=True, allow_nan=False, default=str) + "\n"
    atomic_write_text(provenance_path(path), prov)
    return atomic_write_bytes(path, csv_bytes(report))
