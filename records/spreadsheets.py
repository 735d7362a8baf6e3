"""Cells written to CSV and XLSX files, neutralised against formula injection.

A text that starts with `=`, `+`, `-` or `@` (or with a tab or carriage return, which some spreadsheets skip before
reading the formula) is run as a formula when a spreadsheet opens the file: `=HYPERLINK("http://…", "Click")` in a
problem description typed into the public contact form would become a live link in a supervisor's Excel. Every CSV
and XLSX writer goes through this module, which prefixes such texts with an apostrophe (OWASP, "CSV Injection"), so
they show as the text that was typed. Numbers, and texts that are only a number ("-3", "+0.5"), stay as they are.

The importer reads the canonical columns back (`restore_cell`), so exporting and importing again changes nothing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

#: First characters that make a spreadsheet cell a formula (OWASP CSV Injection; tab and CR for LibreOffice/Excel).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: What is put before a triggering text: an apostrophe, which spreadsheets show as text and do not evaluate.
FORMULA_ESCAPE = "'"
# A plain number ("-3", "+0.5", "1e-3") is evaluated as that number, never as a formula: left alone.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _needs_escape(text: str) -> bool:
    if text.startswith(FORMULA_TRIGGERS):
        return not _PLAIN_NUMBER.fullmatch(text)
    # An apostrophe before a trigger is escaped too, so restore_cell gives back exactly what was written.
    return text.startswith(FORMULA_ESCAPE) and _needs_escape(text[1:])


def safe_cell(value: Any) -> Any:
    """The value as a CSV or XLSX cell that no spreadsheet runs as a formula."""
    if isinstance(value, str) and _needs_escape(value):
        return FORMULA_ESCAPE + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def restore_cell(value: Any) -> Any:
    """A cell read from a file this module wrote, as it was before `safe_cell`."""
    if isinstance(value, str) and value.startswith(FORMULA_ESCAPE) and _needs_escape(value[1:]):
        return value[1:]
    return value


class SafeCsvWriter:
    """`csv.writer` whose rows are neutralised cell by cell."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str], **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(handle, **options)


def save_workbook(workbook: Any, target: Any) -> None:
    """Neutralise every text cell of an openpyxl workbook, then save it to `target` (a path or a binary file).

    A write-only workbook keeps no cells to go over: append `safe_row(...)` to its sheets instead.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                # A formula cell is a text starting with "=" in openpyxl; the code writing these files sets none.
                if isinstance(cell.value, str):
                    cell.value = safe_cell(cell.value)
    workbook.save(target)
