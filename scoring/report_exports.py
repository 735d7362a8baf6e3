"""Report exports: `export_report` writes a quality report of scoring.reports.score_report as a file, CSV (one row
per record) or XLSX (the summary sheets plus the per-record rows), with the column list, the allowed formats and the
Chinese headers it uses. The performance page and `consultkb scoring report` call it."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

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

_ZH = {
    "Summary": "概要",
    "From": "开始日期",
    "To": "结束日期",
    "Agent": "客服",
    "Team": "团队",
    "All": "全部",
    "Rubric version": "评分标准版本",
    "Records": "记录数",
    "Graded": "已人工评分",
    "Critical failures": "关键项不合格",
    "Mean score": "平均分",
    "Mean automatic score": "自动评分平均分",
    "Score band": "分数段",
    "Share": "占比",
    "Best records": "最佳记录",
    "Worst records": "待改进记录",
    "Record": "记录",
    "Score": "得分",
    "Criterion": "评分项",
    "Key": "代码",
    "Username": "用户名",
    "Applicable records": "适用记录数",
    "Records losing points": "失分记录数",
    "Share losing points": "失分比例",
    "Mean share of points": "平均得分率",
    "Field": "字段",
    "Filled": "已填写",
    "Fill rate": "填写率",
    "Alert": "预警",
    "Below 50 %": "低于50%",
    "Weakest criterion": "最弱评分项",
    "Week": "周",
    "Starts": "开始日期",
}


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

    chinese = language.lower().startswith("zh")

    def t(text: str) -> str:
        return _ZH.get(text, text) if chinese else text

    def name(names: dict[str, str] | None) -> str:
        return "" if not names else names["zh" if chinese else "en"]

    def blank(value: Any) -> Any:
        return "" if value is None else value

    workbook = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: Iterable[list[Any]], percent: tuple[int, ...] = ()):
        ws = workbook.create_sheet(title)
        ws.append([t(text) for text in header])
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
    for label, value in (
        ("From", report["first_day"].isoformat()),
        ("To", report["last_day"].isoformat()),
        ("Agent", agent["name"] if agent else t("All")),
        ("Team", team["name"] if team else t("All")),
        ("Rubric version", report["rubric_version"]),
        ("Records", report["count"]),
        ("Graded", report["graded"]),
        ("Critical failures", report["critical_failed"]),
        ("Mean score", report["mean_effective"]),
        ("Mean automatic score", report["mean_auto"]),
    ):
        summary.append([t(label), blank(value)])
        summary.cell(row=summary.max_row, column=1).font = bold
    summary.append([])
    summary.append([t("Score band"), t("Records"), t("Share")])
    for band in report["distribution"]:
        summary.append([band["label"], band["count"], blank(band["share"])])
        summary.cell(row=summary.max_row, column=3).number_format = "0.0%"
    for title, examples in (("Best records", report["best"]), ("Worst records", report["worst"])):
        summary.append([])
        summary.append([t(title), t("Score"), t("Agent")])
        for example in examples:
            summary.append([example["record_number"], example["effective_score"], example["agent_name"]])

    sheet(
        "Criteria",
        [
            "Criterion",
            "Key",
            "Applicable records",
            "Records losing points",
            "Share losing points",
            "Mean share of points",
        ],
        (
            [name(row["name"]), row["key"], row["applicable"], row["losing"], row["losing_share"], row["mean_fraction"]]
            for row in report["weakest_criteria"]
        ),
        percent=(4, 5),
    )
    sheet(
        "Fill rates",
        ["Field", "Key", "Applicable records", "Filled", "Fill rate", "Alert"],
        (
            [
                name(row["name"]),
                row["key"],
                row["applicable"],
                row["filled"],
                row["rate"],
                t("Below 50 %") if row["alert"] else "",
            ]
            for row in report["fill_rates"]
        ),
        percent=(4,),
    )
    sheet(
        "Agents",
        ["Agent", "Username", "Records", "Mean score", "Mean automatic score", "Weakest criterion"],
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
        ["Week", "Starts", "Records", "Mean score"],
        ([row["week"], row["starts"].isoformat(), row["count"], row["mean"]] for row in report["weeks"]),
    )
    sheet("Records", list(RECORD_COLUMNS), (_record_cells(row) for row in report["records"]))
    buffer = io.BytesIO()
    save_workbook(workbook, buffer)
    return buffer.getvalue()
