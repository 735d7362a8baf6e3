"""The canonical columns in CSV, XLSX and JSON Lines files."""

from __future__ import annotations

import csv
import io
import json
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from records.formats.base import (
    CANONICAL_COLUMNS,
    IGNORED_COLUMNS,
    REQUIRED_COLUMNS,
    CellError,
    FormatError,
    NumberedCells,
    SourceRow,
    Table,
    column_key,
    decode,
    is_blank,
    make_row,
    put_value,
    read_bytes,
    unknown_message,
)
from records.spreadsheets import restore_cell

# ---------------------------------------------------------------------------------------------------------------
# Canonical tables: CSV and XLSX


def sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    return max((",", ";", "\t"), key=first_line.count)  # comma wins ties, so normal files are unaffected


def _csv_table(path: Path) -> list[list[str]]:
    text = decode(read_bytes(path), path.name)
    delimiter = sniff_delimiter(text)
    # Strict first: only it notices a quote left open, which the lenient reader closes at the end of the file,
    # silently folding every later row into one cell. Its one other complaint, text after a closing quote
    # ("a"b), is a stray quote spreadsheets accept, so such files are read again leniently.
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    first_line = 1
    try:
        for row in reader:
            rows.append(row)
            first_line = reader.line_num + 1
        return rows
    except csv.Error as exc:
        if str(exc) == _CSV_OPEN_QUOTE:
            raise FormatError(
                f'{path.name}: row {len(rows) + 1} (line {first_line}) opens a quote (") that is never closed, so '
                "every line after it would be read as one cell. Close the quote in that row."
            ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(reader)
    except csv.Error as exc:
        raise FormatError(f"{path.name}: broken CSV near line {reader.line_num}: {exc}. Check the quotes.") from exc


#: What Python's strict CSV reader says when the file ends inside a quoted cell.
_CSV_OPEN_QUOTE = "unexpected end of data"


def read_csv_records(path: Path) -> Table:
    # Row numbers count CSV records, which is the row number Excel shows even when a cell spans several lines.
    return _split_header(path.name, list(enumerate(_csv_table(path), start=1)))


def read_xlsx_records(path: Path) -> Table:
    with warnings.catch_warnings():
        # Files written by Excel/WPS make openpyxl warn about styles and extensions it ignores; values are unaffected.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        # Imported on use: openpyxl costs every web worker ~13 MB, and only imports read workbooks.
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise FormatError(f"{path.name} is not a readable .xlsx workbook ({exc}). Save it again as .xlsx.") from exc
        try:
            sheet = workbook.worksheets[0]
            # min_row=1: read-only sheets otherwise start at their stored dimension, shifting row numbers.
            rows = [(number, row) for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)]
        finally:
            workbook.close()
    return _split_header(path.name, rows)


def _split_header(name: str, rows: list[NumberedCells]) -> Table:
    for index, (_number, cells) in enumerate(rows):
        if not all(is_blank(cell) for cell in cells):
            return list(cells), rows[index + 1 :]
    raise FormatError(f"{name} is empty; the first row must be a header with the canonical column names.")


def _check_canonical_header(name: str, header: list[Any]) -> list[str]:
    keys = [column_key(cell) for cell in header]
    unknown = [
        str(cell).strip()
        for cell, key in zip(header, keys, strict=True)
        if key and key not in CANONICAL_COLUMNS and key not in IGNORED_COLUMNS
    ]
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown_message(cell) for cell in unknown)}")
    duplicates = sorted({key for key in keys if key and keys.count(key) > 1})
    if duplicates:
        problems.append(f"column(s) given twice: {', '.join(duplicates)}")
    missing = [column for column in REQUIRED_COLUMNS if column not in keys]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    if problems:
        raise FormatError(
            f"{name}: the header row has {'; '.join(problems)}. Fix the first row; allowed columns are: "
            f"{', '.join(CANONICAL_COLUMNS)} (see docs/import-format.md)."
        )
    return keys


def read_canonical_table(name: str, table: Table) -> Iterator[SourceRow]:
    header, rows = table
    keys = _check_canonical_header(name, header)
    return (_canonical_table_row(keys, number, cells) for number, cells in rows if not all(map(is_blank, cells)))


def _canonical_table_row(keys: list[str], number: int, cells: Sequence[Any]) -> SourceRow:
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for index, cell in enumerate(cells):
        key = keys[index] if index < len(keys) else ""
        if key in IGNORED_COLUMNS or is_blank(cell):
            continue
        if not key:
            errors.setdefault("__row__", []).append(
                f"Column {index + 1} has a value but no header; an unquoted comma or a shifted cell is likely."
            )
            continue
        put_value(values, errors, key, restore_cell(_spreadsheet_value(cell)))
    return make_row(number, values, errors)


def _spreadsheet_value(cell: Any) -> Any:
    """Excel cell types to canonical text; numbers stay numbers (see normalise for text columns)."""
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, date):
        return cell.strftime("%Y-%m-%d")
    if isinstance(cell, time):
        return cell.strftime("%H:%M")
    if isinstance(cell, timedelta):  # a duration typed as [h]:mm
        return round(cell.total_seconds() / 60)
    return cell


# ---------------------------------------------------------------------------------------------------------------
# JSON Lines


def json_lines(text: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object or CellError) for each non-blank line."""
    # split("\n"), not splitlines(): U+2028 may legally appear inside JSON strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, CellError(f"Invalid JSON at column {exc.colno}: {exc.msg}. Each line must be one object.")
            continue
        if not isinstance(parsed, dict):
            yield number, CellError(f"Expected a JSON object {{...}} on this line, got {type(parsed).__name__}.")
            continue
        yield number, parsed


def first_json_line(text: str) -> Any:
    for _number, parsed in json_lines(text):
        return None if isinstance(parsed, CellError) else parsed
    return None


def read_jsonl(path: Path) -> Iterator[SourceRow]:
    lines = list(json_lines(decode(read_bytes(path), path.name)))
    return (_jsonl_row(number, parsed) for number, parsed in lines)


def _jsonl_row(number: int, parsed: dict[str, Any] | CellError) -> SourceRow:
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if isinstance(parsed, CellError):
        return make_row(number, values, {"__line__": [str(parsed)]})
    seen: dict[str, str] = {}
    for raw_key, raw_value in parsed.items():
        key = column_key(raw_key)
        if key in IGNORED_COLUMNS:
            continue
        if key not in CANONICAL_COLUMNS:
            # Per row rather than per file: JSONL lines are independent, so one stray key rejects only its line.
            errors.setdefault(raw_key, []).append(f"Unknown field {unknown_message(raw_key)}.")
        elif key in seen:
            errors.setdefault(key, []).append(f"Given twice, as {seen[key]!r} and {raw_key!r}.")
        else:
            seen[key] = raw_key
            put_value(values, errors, key, raw_value)
    return make_row(number, values, errors)
