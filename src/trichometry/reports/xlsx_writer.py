"""The report as an XLSX workbook (openpyxl).

Sheets: Summary, Comparisons, Baseline, Listing (responder parameter per subject and
window), Missing, Data, Provenance, Images.

Reproducible: the document dates are the report's ``generated_at`` and every zip entry
carries the same fixed time, so the same report gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from trichometry.reports import tables
from trichometry.reports.report import Report
from trichometry.utils.spreadsheet import neutralise

_BOLD = Font(bold=True)


def _cell_value(value: Any) -> Any:
    """A cell: numbers stay numbers, NaN is empty, text is neutralised and XML-safe."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, bool | int | float):
        return value
    # control characters cannot be stored in XLSX (XML); they are replaced by U+FFFD
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))


def _sheet(wb: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for c in ws[1]:
        c.font = _BOLD
    for row in rows:
        ws.append([_cell_value(v) for v in row])
    for r in ws.iter_rows(min_row=2):
        for c in r:
            if isinstance(c.value, str):
                c.data_type = "s"  # text stays text, never a formula
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(name)) + 4))


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip with one fixed entry time (zip times start in 1980)."""
    stamp = max(when.replace(tzinfo=None), dt.datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def xlsx_bytes(report: Report) -> bytes:
    """The workbook as bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Summary", *tables.stats_table(report))
    _sheet(wb, "Comparisons", *tables.comparisons_table(report))
    _sheet(wb, "Baseline", *tables.baseline_table(report))
    _sheet(wb, "Headline", *tables.headline_table(report))
    _sheet(wb, "Listing", *tables.subject_listing(report))
    _sheet(wb, "Missing", *tables.missing_table(report))
    _sheet(wb, "Data", report.columns, [[row.get(c) for c in report.columns] for row in report.rows])
    _sheet(wb, "Provenance", *tables.provenance_table(report))
    _sheet(wb, "Images", *tables.images_table(report))
    when = report.generated_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    wb.properties.creator = "trichometry"
    wb.properties.title = f"{report.study_id} hair density report"
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not save_workbook(): that stamps "modified" with now
    return _fixed_zip(buf.getvalue(), when)
