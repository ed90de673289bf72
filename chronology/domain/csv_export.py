"""Writing CSV files that a spreadsheet opens as text: no cell is ever run as a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Iterable

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): =HYPERLINK
# can send what the sheet holds to another site. A tab or carriage return first hides the sign.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell's text, with a leading apostrophe when it would otherwise run as a formula.

    A number the app wrote (a count, a negative balance) is a number, not a formula, and stays
    as it is; text that only looks like one ("-2") is still defused, as it may have been typed.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The rows as CSV text (RFC 4180 line endings), every cell made safe; every CSV export uses this."""
    out = io.StringIO()
    csv.writer(out).writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
