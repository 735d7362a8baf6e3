"""A report's figures as CSV and XLSX: one row per figure (section, metric, dimension, current, previous, change).

Dimensions carry both languages ("电话 / Phone"), so one file serves every reader; CSV starts with a UTF-8 byte
order mark so Excel opens the Chinese correctly. XLSX has a sheet per section plus the recommendations.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from records.spreadsheets import csv_writer, save_workbook

HEADER = ("section", "metric", "dimension", "current", "previous", "change")
Row = tuple[str, str, str, Any, Any, Any]


def _dimension(name: Any) -> str:
    if isinstance(name, dict):
        zh, en = name.get("zh") or "", name.get("en") or ""
        return zh if zh == en or not en else f"{zh} / {en}" if zh else en
    return "" if name is None else str(name)


def _row(section: str, metric: str, cmp: dict[str, Any], dimension: Any = "") -> Row:
    return (section, metric, _dimension(dimension), cmp.get("current"), cmp.get("previous"), cmp.get("change"))


def figure_rows(figures: dict[str, Any]) -> Iterator[Row]:
    """Every figure of the report that has a current and a previous value."""
    volume = figures["volume"]
    yield _row("volume", "records", volume["total"])
    for row in volume["by_channel"]:
        yield _row("volume", "records_by_channel", row, row["name"])
    for row in volume["by_category"]:
        yield _row("volume", "records_by_category", row, row["name"])
        for sub in row["subcategories"]:
            yield _row("volume", "records_by_subcategory", sub, sub["name"])
    for problem in figures["top_problems"]:
        yield _row("top_problems", f"rank_{problem['rank']}_records", problem, problem["name"])
    satisfaction = figures["satisfaction"]
    for key in ("overall", "efficiency", "resolution", "attitude", "satisfied_share", "rating_rate", "rated"):
        yield _row("satisfaction", key, satisfaction[key])
    for row in satisfaction["by_channel"]:
        yield _row("satisfaction", "overall_by_channel", row, row["name"])
    steps = satisfaction["trend"]
    for step in (s for s in steps if s["which"] == "current"):
        before = next((s for s in steps if s["which"] == "previous" and s["step"] == step["step"]), None)
        previous = before["overall"] if before else None
        change = None if step["overall"] is None or previous is None else round(step["overall"] - previous, 2)
        yield ("satisfaction", "overall_by_step", step["label"], step["overall"], previous, change)
    yield _row("fcr", "rate", figures["fcr"]["rate"])
    yield _row("fcr", "resolved_first_contact", figures["fcr"]["resolved_first_contact"])
    for key, unit in (("handling", "minutes"), ("resolution", "hours")):
        for stat in ("median", "p90", "mean"):
            yield _row("times", f"{key}_{stat}_{unit}", figures["times"][key][stat])
    yield from _service_rows(figures["sla"])
    yield from _quality_rows(figures["quality"])
    knowledge = figures["knowledge"]
    for key in ("new_proposals", "approved_proposals", "published_articles", "reused_articles"):
        yield _row("knowledge", key, knowledge[key])
    for key, cmp in knowledge["help_center"].items():
        if isinstance(cmp, dict) and "current" in cmp:
            yield _row("knowledge", f"help_center_{key}", cmp)
    for row in figures["needs"]["keywords"]:
        yield ("needs", "keyword_share", row["word"], row["share"], row["previous_share"], row["change"])


def _service_rows(sla: dict[str, Any]) -> Iterator[Row]:
    for key in ("resolve_breaches", "resolve_breach_rate", "respond_breaches", "respond_breach_rate"):
        yield _row("sla", key, sla[key])
    for row in sla["by_priority"]:
        yield _row("sla", "resolve_breaches_by_priority", row["resolve_breaches"], row["name"])
        yield _row("sla", "respond_breaches_by_priority", row["respond_breaches"], row["name"])
    for row in sla["by_team"]:
        yield _row("sla", "resolve_breaches_by_team", row["resolve_breaches"], row["name"])
    follow_ups = sla["follow_ups"]
    for key in ("due", "done_on_time", "late", "late_rate"):
        yield _row("sla", f"follow_ups_{key}", follow_ups[key])
    yield ("sla", "follow_ups_overdue_now", "", follow_ups["overdue_now"], None, None)


def _quality_rows(quality: dict[str, Any]) -> Iterator[Row]:
    for key in ("mean_score", "mean_auto", "scored", "graded", "critical_failed"):
        yield _row("quality", key, quality[key])
    for row in quality["by_team"]:
        yield _row("quality", "mean_score_by_team", row["mean_score"], row["name"])
    for row in quality["by_agent"]:
        yield _row("quality", "mean_score_by_agent", row["mean_score"], row["name"])
    for row in quality["weakest_criteria"]:
        yield _row("quality", "losing_share_by_criterion", row["losing_share"], row["name"])
    for row in quality["fill_rates"]:
        yield _row("quality", "fill_rate", row["rate"], row["name"])


def report_csv(report_data: dict[str, Any]) -> bytes:
    """The figures as CSV, UTF-8 with a byte order mark."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(figure_rows(report_data["figures"]))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(report_data: dict[str, Any]) -> bytes:
    """The figures as an XLSX workbook, a sheet per section, and the recommendations."""
    # Imported on use: openpyxl costs every web worker ~13 MB.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets: dict[str, Any] = {}
    for row in figure_rows(report_data["figures"]):
        if row[0] not in sheets:
            sheets[row[0]] = workbook.create_sheet(row[0])
            sheets[row[0]].append(HEADER)
        sheets[row[0]].append(row)
    recommendations = workbook.create_sheet("recommendations")
    recommendations.append(("kind", "severity", "zh", "en"))
    for item in report_data["figures"]["recommendations"]:
        recommendations.append((item["kind"], item["severity"], item["zh"], item["en"]))
    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column, width in zip("ABCDEF", (14, 30, 36, 12, 12, 12), strict=True):
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    save_workbook(workbook, buffer)
    return buffer.getvalue()
