"""Outputs of an analysis: the JSON document, the CSV row, the overlay picture, atomic writers."""

from __future__ import annotations

from trichometry.outputs.overlay import render_overlay
from trichometry.outputs.schema import (
    CSV_COLUMNS,
    REQUIRED_KEYS,
    SCHEMA_VERSION,
    failure_row,
    result_row,
    result_to_dict,
)
from trichometry.outputs.writers import write_csv, write_json, write_png

__all__ = [
    "CSV_COLUMNS",
    "REQUIRED_KEYS",
    "SCHEMA_VERSION",
    "failure_row",
    "render_overlay",
    "result_row",
    "result_to_dict",
    "write_csv",
    "write_json",
    "write_png",
]
