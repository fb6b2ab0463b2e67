"""Neutralise spreadsheet formula injection in exported cells (one rule for every CSV and XLSX).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
run as a formula when a CSV or XLSX is opened in a spreadsheet (OWASP "CSV injection").
Such text gets a leading apostrophe. Numbers are never touched: they are written as
numbers (a negative change stays ``-3.5``), and text that is exactly a plain decimal number
(e.g. a subject id ``-12``) is harmless and left as it is.
"""

from __future__ import annotations

import re
from typing import Any

DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """``value`` unchanged unless it is text that a spreadsheet could run as a formula.

    Example:
        >>> neutralise("=HYPERLINK(\\"http://x\\")")
        '\\'=HYPERLINK("http://x")'
        >>> neutralise(-3.5), neutralise("-3.5")
        (-3.5, '-3.5')
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value
