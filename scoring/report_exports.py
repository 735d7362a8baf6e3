"""Report exports: `export_report` writes a quality report of scoring.reports.score_report as a file, CSV (one row
per record) or XLSX (the summary sheets plus the per-record rows, labelled in the language asked for), with the column
list and the allowed formats. The performance page and `consultkb scoring report` call it."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext

from records.i18n import in_language, is_chinese
from records.spreadsheets import csv_writer, save_workbook
from records.timeutil import format_local

REPORT_FORMATS = ("csv", "xlsx")
#: The columns of the CSV export and of the XLSX "Records" sheet: one row per record.
RECORD_COLUMNS = (
    "record_no",
    "contacted_at",
    "agent",
    "agent_name",
    "team",
    "status",
    "auto_score",
    "grade_score",
    "effective_score",
    "critical_failed",
    "rubric_version",
)


def export_report(report: dict[str, Any], format: str, *, language: str = "en") -> bytes:
    """The report as a file.

    CSV: one row per record (RECORD_COLUMNS, UTF-8 with a BOM so Excel reads Chinese), because a CSV holds one
    table and per-record rows are what people filter and pivot. XLSX: the summary in sheets Summary, Criteria,
    Fill rates, Agents and Weeks, plus the per-record rows in Records; headers and criterion names in `language`
    ("zh…" Chinese, else English).
    """
    if format not in REPORT_FORMATS:
        raise ValueError(f"Unknown report format {format!r}; allowed: {', '.join(REPORT_FORMATS)}.")
    if format == "csv":
        handle = io.StringIO()
        writer = csv_writer(handle)
        writer.writerow(RECORD_COLUMNS)
        for row in report["records"]:
            writer.writerow(_record_cells(row))
        return handle.getvalue().encode("utf-8-sig")
    with in_language(language):
        return _workbook(report, language)


def _record_cells(row: dict[str, Any]) -> list[Any]:
    values = {
        **row,
        "record_no": row["record_number"],
        "contacted_at": format_local(row["contacted_at"]),
        "critical_failed": "yes" if row["critical_failed"] else "no",
    }
    return ["" if values[column] is None else values[column] for column in RECORD_COLUMNS]


def _workbook(report: dict[str, Any], language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    chinese = is_chinese(language)

    def name(names: dict[str, str] | None) -> str:
        return "" if not names else names["zh" if chinese else "en"]

    def blank(value: Any) -> Any:
        return "" if value is None else value

    workbook = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: Iterable[list[Any]], percent: tuple[int, ...] = ()):
        ws = workbook.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for values in rows:
            ws.append([blank(value) for value in values])
            for index in percent:
                ws.cell(row=ws.max_row, column=index + 1).number_format = "0.0%"
        return ws

    summary = workbook.active
    summary.title = "Summary"
    agent, team = report["agent"], report["team"]
    # Labels read differently here than on the pages (记录数, not 交流记录): those carry the "score report" context.
    records, agent_label = pgettext("score report", "Records"), pgettext("score report", "Agent")
    score = pgettext("score report", "Score")
    for label, value in (
        (_("From"), report["first_day"].isoformat()),
        (_("To"), report["last_day"].isoformat()),
        (agent_label, agent["name"] if agent else _("All")),
        (_("Team"), team["name"] if team else _("All")),
        (_("Rubric version"), report["rubric_version"]),
        (records, report["count"]),
        (pgettext("score report", "Graded"), report["graded"]),
        (_("Critical failures"), report["critical_failed"]),
        (_("Mean score"), report["mean_effective"]),
        (_("Mean automatic score"), report["mean_auto"]),
    ):
        summary.append([label, blank(value)])
        summary.cell(row=summary.max_row, column=1).font = bold
    summary.append([])
    summary.append([_("Score band"), records, _("Share")])
    for band in report["distribution"]:
        summary.append([band["label"], band["count"], blank(band["share"])])
        summary.cell(row=summary.max_row, column=3).number_format = "0.0%"
    for title, examples in ((_("Best records"), report["best"]), (_("Worst records"), report["worst"])):
        summary.append([])
        summary.append([title, score, agent_label])
        for example in examples:
            summary.append([example["record_number"], example["effective_score"], example["agent_name"]])

    sheet(
        "Criteria",
        [
            _("Criterion"),
            _("Key"),
            _("Applicable records"),
            pgettext("score report", "Records losing points"),
            _("Share losing points"),
            _("Mean share of points"),
        ],
        (
            [name(row["name"]), row["key"], row["applicable"], row["losing"], row["losing_share"], row["mean_fraction"]]
            for row in report["weakest_criteria"]
        ),
        percent=(4, 5),
    )
    sheet(
        "Fill rates",
        [_("Field"), _("Key"), _("Applicable records"), _("Filled"), _("Fill rate"), _("Alert")],
        (
            [
                name(row["name"]),
                row["key"],
                row["applicable"],
                row["filled"],
                row["rate"],
                _("Below 50 %") if row["alert"] else "",
            ]
            for row in report["fill_rates"]
        ),
        percent=(4,),
    )
    sheet(
        "Agents",
        [agent_label, _("Username"), records, _("Mean score"), _("Mean automatic score"), _("Weakest criterion")],
        (
            [
                row["name"],
                row["username"],
                row["count"],
                row["mean"],
                row["mean_auto"],
                name((row["weakest"] or {}).get("name")),
            ]
            for row in report["agents"]
        ),
    )
    sheet(
        "Weeks",
        [_("Week"), _("Starts"), records, _("Mean score")],
        ([row["week"], row["starts"].isoformat(), row["count"], row["mean"]] for row in report["weeks"]),
    )
    sheet("Records", list(RECORD_COLUMNS), (_record_cells(row) for row in report["records"]))
    buffer = io.BytesIO()
    save_workbook(workbook, buffer)
    return buffer.getvalue()
