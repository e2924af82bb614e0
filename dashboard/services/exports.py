"""CSV files the app and the command line write for people to open in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and some treat a
leading tab or carriage return the same way), so a patient name or a typed username such as
``=HYPERLINK("http://...")`` would become a live link or worse. Every text cell that starts with one of
those characters is written with a leading ``'`` (the spreadsheet convention for "this is text"). Numbers
stay numbers: a negative number is not a formula. Every CSV goes through ``csv_bytes``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text value that a spreadsheet would run as a formula, made inert with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV (UTF-8 with BOM, so spreadsheets read accents), no formula in any text cell."""
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_datetime64_any_dtype(safe[column])):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator="\r\n").encode(
        "utf-8-sig"
    )  # RFC 4180: CR and LF in cells are quoted
