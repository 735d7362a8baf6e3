"""Score reports: figures checked by hand on six records, periods, access by role, the exports and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from records.access import PermissionDenied
from records.db import db as database
from records.enums import Role
from records.models import Record, User
from scoring.engine import current_rubric
from scoring.models import CalibrationSession, Grade, RecordScore
from scoring.report_exports import RECORD_COLUMNS, export_report
from scoring.reports import parse_period, period_days, score_report

OCTOBER = parse_period("2026-10")


@dataclass
class October:
    """Six records in October 2026 (local time) with scores set by hand, and one in November.

    | record | agent | team | contacted (local) | week | auto | grade | effective |
    | r1     | a1    | A    | Mon 10-05         | W41  | 95   |       | 95        |
    | r2     | a1    | A    | Tue 10-06         | W41  | 85   |       | 85        |
    | r3     | a1    | A    | Wed 10-14         | W42  | 55 (critical failed) | | 55 |
    | r4     | a2    | A    | Thu 10-15         | W42  | 72   | 50, then 90 | 90  |
    | r5     | a2    | A    | Tue 10-20         | W43  | 64   | 20 in calibration only | 64 |
    | r6     | b1    | B    | Tue 10-27         | W44  | 100  |       | 100       |
    | r7     | a1    | A    | Mon 11-02 (outside October) | | 10 | |       |
    """

    a1: User
    a2: User
    b1: User
    supervisor: User
    admin: User
    records: list[Record]
    outside: Record


SCORES = [
    # auto score, critical failed, points (rubric v1 scales: core_fields 4, specific_problem 2, timeliness 2)
    (95, False, {"core_fields": 4, "specific_problem": 2, "timeliness": 2}),
    (85, False, {"core_fields": 4, "specific_problem": 1, "timeliness": 2}),
    (55, True, {"core_fields": 2, "specific_problem": 0, "timeliness": 1}),
    (72, False, {"core_fields": 4, "specific_problem": 2, "timeliness": 2}),
    (64, False, {"core_fields": 3, "specific_problem": 1, "timeliness": 2}),
    (100, False, {"core_fields": 4, "specific_problem": 2, "timeliness": 2, "follow_up_complete": 0}),
]


def set_score(record: Record, score: float, critical: bool, points: dict) -> None:
    database.session.execute(
        sa.update(RecordScore)
        .where(RecordScore.record_id == record.id)
        .values(score=score, critical_failed=critical, points=points)
    )


def build_october(make_user, make_record) -> October:
    a1 = make_user(Role.AGENT, username="a1", team="客服A组", display_name="Agent One")
    a2 = make_user(Role.AGENT, username="a2", team="客服A组", display_name="Agent Two")
    b1 = make_user(Role.AGENT, username="b1", team="客服B组", display_name="Agent Bee")
    supervisor = make_user(Role.SUPERVISOR, username="sA", team="客服A组", display_name="Supervisor A")
    admin = make_user(Role.ADMIN, username="boss", display_name="Boss")
    records = [
        make_record(a1, contacted_at="2026-10-05 10:00"),
        make_record(a1, contacted_at="2026-10-06 10:00", key_details="订单号 DD20261006001"),
        make_record(a1, contacted_at="2026-10-14 10:00"),
        make_record(a2, contacted_at="2026-10-15 10:00"),
        make_record(a2, contacted_at="2026-10-20 10:00", satisfaction=None),
        make_record(
            b1,
            contacted_at="2026-10-27 10:00",
            status="pending",
            resolution=None,
            satisfaction=None,
            follow_ups=[{"action": "回访客户", "owner": "王磊", "due": "2026-12-01"}],
        ),
    ]
    outside = make_record(a1, contacted_at="2026-11-02 10:00")
    for record, (score, critical, points) in zip(records, SCORES, strict=True):
        set_score(record, score, critical, points)
    set_score(outside, 10, False, {"core_fields": 0})
    rubric = current_rubric()
    database.session.add_all(
        [
            Grade(record_id=records[3].id, grader_id=supervisor.id, rubric_id=rubric.id, points={}, score=50),
            Grade(record_id=records[3].id, grader_id=supervisor.id, rubric_id=rubric.id, points={}, score=90),
        ]
    )
    calibration = CalibrationSession(name="Oct", record_ids=[records[4].id], grader_ids=[admin.id])
    database.session.add(calibration)
    database.session.flush()
    database.session.add(
        Grade(
            record_id=records[4].id,
            grader_id=admin.id,
            rubric_id=rubric.id,
            points={},
            score=20,
            calibration_id=calibration.id,
        )
    )
    database.session.commit()
    return October(a1, a2, b1, supervisor, admin, records, outside)


@pytest.fixture
def october(make_user, make_record) -> October:
    return build_october(make_user, make_record)


def report_for(viewer: User, **kwargs) -> dict:
    return score_report(viewer=viewer, start=OCTOBER[0], end=OCTOBER[1], **kwargs)


def by_key(rows: list[dict], key: str = "key") -> dict:
    return {row[key]: row for row in rows}


# ----- figures -----------------------------------------------------------------------------------------------------


def test_summary_figures_match_the_hand_computed_ones(october):
    report = report_for(october.admin)
    assert report["count"] == 6
    assert report["graded"] == 1  # r4; r5's calibration grade does not count
    assert report["critical_failed"] == 1
    assert report["mean_auto"] == 78.5  # (95 + 85 + 55 + 72 + 64 + 100) / 6
    assert report["mean_effective"] == 81.5  # r4 counts with its newest grade, 90
    assert [(band["label"], band["count"]) for band in report["distribution"]] == [
        ("0-59", 1),
        ("60-69", 1),
        ("70-79", 0),
        ("80-89", 1),
        ("90-100", 3),
    ]
    assert report["distribution"][4]["share"] == 0.5
    assert (report["first_day"], report["last_day"]) == (date(2026, 10, 1), date(2026, 10, 31))
    assert report["rubric_version"] == 1


def test_records_carry_auto_grade_and_effective_scores(october):
    rows = by_key(report_for(october.admin)["records"], "record_number")
    graded = rows[october.records[3].number]
    assert (graded["auto_score"], graded["grade_score"], graded["effective_score"]) == (72, 90, 90)
    assert graded["graded_by"] == "sA"
    calibrated = rows[october.records[4].number]
    assert (calibrated["grade_score"], calibrated["effective_score"]) == (None, 64)
    assert october.outside.number not in rows
    assert all(row["rubric_version"] == 1 for row in rows.values())


def test_weakest_criteria_are_ordered_by_share_of_records_losing_points(october):
    criteria = report_for(october.admin)["weakest_criteria"]
    assert [row["key"] for row in criteria] == ["follow_up_complete", "specific_problem", "core_fields", "timeliness"]
    specific = criteria[1]
    assert (specific["applicable"], specific["losing"], specific["losing_share"]) == (6, 3, 0.5)
    assert specific["mean_fraction"] == pytest.approx(4 / 6, abs=1e-4)
    assert criteria[2]["mean_fraction"] == pytest.approx(5.25 / 6, abs=1e-4)
    assert specific["name"] == {"zh": "问题描述具体", "en": "Specific problem description"}


def test_fill_rates_flag_fields_filled_in_fewer_than_half_of_the_records(october):
    rates = by_key(report_for(october.admin)["fill_rates"])
    assert (rates["key_details"]["filled"], rates["key_details"]["applicable"]) == (1, 6)
    assert rates["key_details"]["alert"] is True
    assert rates["problem_description"]["rate"] == 1.0 and not rates["problem_description"]["alert"]
    # Closed records only (r1-r5); r5 was not rated.
    assert (rates["satisfaction"]["filled"], rates["satisfaction"]["applicable"]) == (4, 5)
    assert (rates["resolution"]["filled"], rates["resolution"]["applicable"]) == (5, 5)
    # Pending/transferred only (r6).
    assert (rates["follow_ups"]["filled"], rates["follow_ups"]["applicable"]) == (1, 1)
    # No transferred record: nothing to measure, nothing to flag.
    assert rates["collaboration"]["rate"] is None and rates["collaboration"]["alert"] is False


def test_weekly_trend_lists_every_iso_week_of_the_period(october):
    weeks = [(row["week"], row["count"], row["mean"]) for row in report_for(october.admin)["weeks"]]
    assert weeks == [
        ("2026-W40", 0, None),
        ("2026-W41", 2, 90.0),
        ("2026-W42", 2, 72.5),
        ("2026-W43", 1, 64.0),
        ("2026-W44", 1, 100.0),
    ]


def test_best_and_worst_examples_split_the_records(october):
    report = report_for(october.admin)
    number = {record.number: index + 1 for index, record in enumerate(october.records)}
    assert [number[row["record_number"]] for row in report["best"]] == [6, 1, 4]
    assert [number[row["record_number"]] for row in report["worst"]] == [3, 5, 2]


def test_agent_rows_with_their_weakest_criterion(october):
    agents = by_key(report_for(october.admin)["agents"], "username")
    assert list(agents) == ["b1", "a1", "a2"]  # by display name: Agent Bee, Agent One, Agent Two
    assert (agents["a1"]["count"], agents["a1"]["mean"]) == (3, 78.3)
    assert (agents["a2"]["mean"], agents["a2"]["mean_auto"]) == (77.0, 68.0)
    assert agents["a1"]["weakest"]["key"] == "specific_problem"
    assert agents["a2"]["weakest"]["key"] == "specific_problem"  # ties core_fields on share, loses on mean
    assert agents["b1"]["weakest"]["key"] == "follow_up_complete"


def test_an_empty_period_reports_no_figures(october):
    start, end = parse_period("2025-10")
    report = score_report(viewer=october.admin, start=start, end=end)
    assert report["count"] == 0 and report["mean_effective"] is None and report["best"] == []
    assert all(row["rate"] is None for row in report["fill_rates"])


# ----- access ------------------------------------------------------------------------------------------------------


def test_agents_see_only_their_own_records(october):
    report = report_for(october.a1)
    assert report["count"] == 3 and report["agent"]["username"] == "a1"
    assert report["agents"] == []
    assert report["mean_effective"] == 78.3  # (95 + 85 + 55) / 3
    with pytest.raises(PermissionDenied):
        report_for(october.a1, agent_id=october.a2.id)


def test_supervisors_see_their_team(october):
    report = report_for(october.supervisor)
    assert report["count"] == 5
    assert {row["username"] for row in report["agents"]} == {"a1", "a2"}
    with pytest.raises(PermissionDenied):
        report_for(october.supervisor, team_id=october.b1.team_id)


def test_team_and_agent_filters(october):
    team_b = report_for(october.admin, team_id=october.b1.team_id)
    assert team_b["count"] == 1 and team_b["team"]["name"] == "客服B组"
    one = report_for(october.admin, agent_id=october.a2.id)
    assert one["count"] == 2 and one["agents"] == [] and one["mean_effective"] == 77.0


# ----- periods -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "after"),
    [
        ("2026-W46", date(2026, 11, 9), date(2026, 11, 16)),
        ("2026-w01", date(2025, 12, 29), date(2026, 1, 5)),
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 4)),
        ("2026-10", date(2026, 10, 1), date(2026, 11, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-10-01..2026-10-31", date(2026, 10, 1), date(2026, 11, 1)),
        (" 2026-10-05 ", date(2026, 10, 5), date(2026, 10, 6)),
    ],
)
def test_periods(text, first, after):
    assert period_days(text) == (first, after)


def test_periods_are_local_days_in_utc(app):
    with app.app_context():
        # Asia/Shanghai is UTC+8: the local month starts at 16:00 UTC the day before.
        assert parse_period("2026-10") == (datetime(2026, 9, 30, 16), datetime(2026, 10, 31, 16))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-W53", "2025 has ISO weeks 1 to 52"),
        ("2026-W00", "there is no week 0"),
        ("2026-13", "Month 13 does not exist"),
        ("2026-Q5", "Quarter 5 does not exist"),
        ("2026-10-31..2026-10-01", "ends (2026-10-01) before it starts (2026-10-31)"),
        ("2026-02-30..2026-03-01", "2026-02-30 is not a date"),
        ("last month", "Unknown period 'last month'; use 2026-W46"),
        ("", "Unknown period ''"),
        # The day after the period is past the calendar's end: a 4xx message, not an OverflowError.
        ("9999-12-31", "Give a period from 1900 to 9998"),
        ("9999-W52", "Give a period from 1900 to 9998"),
        ("2026-01-01..9999-12-31", "Give a period from 1900 to 9998"),
    ],
)
def test_bad_periods_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        period_days(text)


# ----- exports -----------------------------------------------------------------------------------------------------


def test_csv_export_has_one_row_per_record(october):
    content = export_report(report_for(october.admin), "csv")
    assert content.startswith("\ufeff".encode())  # Excel reads the Chinese team names
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == RECORD_COLUMNS
    assert len(rows) == 7
    graded = next(row for row in rows if row[0] == october.records[3].number)
    line = dict(zip(RECORD_COLUMNS, graded, strict=True))
    assert line["contacted_at"] == "2026-10-15 10:00"
    assert (line["team"], line["auto_score"], line["grade_score"], line["effective_score"]) == (
        "客服A组",
        "72.0",
        "90.0",
        "90.0",
    )


def test_xlsx_export_has_the_summary_sheets(october):
    workbook = load_workbook(io.BytesIO(export_report(report_for(october.admin), "xlsx")))
    assert workbook.sheetnames == ["Summary", "Criteria", "Fill rates", "Agents", "Weeks", "Records"]
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Records"] == 6 and summary["Mean score"] == 81.5 and summary["Mean automatic score"] == 78.5
    assert summary["90-100"] == 3
    criteria = list(workbook["Criteria"].iter_rows(values_only=True))
    assert criteria[0][:2] == ("Criterion", "Key")
    assert criteria[2][:4] == ("Specific problem description", "specific_problem", 6, 3)
    fill = {row[1]: row for row in workbook["Fill rates"].iter_rows(min_row=2, values_only=True)}
    assert fill["key_details"][5] == "Below 50 %" and fill["problem_description"][5] in (None, "")
    assert workbook["Fill rates"]["E2"].number_format == "0.0%"
    agents = list(workbook["Agents"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in agents] == ["b1", "a1", "a2"]
    weeks = list(workbook["Weeks"].iter_rows(min_row=2, values_only=True))
    assert weeks[1] == ("2026-W41", "2026-10-05", 2, 90)
    assert workbook["Records"].max_row == 7


def test_xlsx_export_in_chinese(october):
    workbook = load_workbook(io.BytesIO(export_report(report_for(october.admin), "xlsx", language="zh_CN")))
    assert workbook["Criteria"]["A1"].value == "评分项"
    assert workbook["Criteria"]["A3"].value == "问题描述具体"


#: The labels of the XLSX export in English and the Chinese each had before they were translated where written.
EXPORT_LABELS = {
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


def export_labels(workbook) -> dict[str, list]:
    """Every label of the workbook: the summary's first column and its headers, each sheet's header row, alerts."""
    summary = list(workbook["Summary"].iter_rows(values_only=True))
    return {
        "summary": [row[0] for row in summary[:10]] + [row[1] for row in summary[2:4]],
        "tables": [summary[index] for index in range(len(summary)) if index and not any(summary[index - 1])],
        **{name: list(next(workbook[name].iter_rows(values_only=True))) for name in workbook.sheetnames[1:]},
        "alerts": sorted({row[5] for row in workbook["Fill rates"].iter_rows(min_row=2, values_only=True) if row[5]}),
    }


@pytest.mark.parametrize("language", ["en", "zh_CN", "zh"])
def test_xlsx_labels_keep_their_wording(october, language):
    english = export_labels(load_workbook(io.BytesIO(export_report(report_for(october.admin), "xlsx"))))
    # Labels only: the report's own values (band and record numbers, names) are the same in both languages.
    assert english["summary"][:4] == ["From", "To", "Agent", "Team"] and english["summary"][-2:] == ["All", "All"]
    assert [row[:3] for row in english["tables"]] == [
        ("Score band", "Records", "Share"),
        ("Best records", "Score", "Agent"),
        ("Worst records", "Score", "Agent"),
    ]
    assert english["alerts"] == ["Below 50 %"]
    labels = export_labels(
        load_workbook(io.BytesIO(export_report(report_for(october.admin), "xlsx", language=language)))
    )
    if language == "en":
        assert labels == english
        return

    def chinese(value):
        if isinstance(value, tuple):
            return tuple(chinese(item) for item in value)
        return EXPORT_LABELS.get(value, value)

    expected = {key: [chinese(value) for value in values] for key, values in english.items()}
    # The per-record sheet keeps its machine-readable column names in every language.
    assert labels == {**expected, "Records": list(RECORD_COLUMNS)}


def test_unknown_export_format_is_refused(october):
    with pytest.raises(ValueError, match="Unknown report format 'pdf'"):
        export_report(report_for(october.admin), "pdf")


# ----- command line ------------------------------------------------------------------------------------------------


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["scoring", "report", *args])


def test_cli_report_for_a_team(app, october):
    result = run(app, "--team", "客服A组", "--period", "2026-10")
    assert result.exit_code == 0, result.output
    assert "Records: 5" in result.output
    assert "Mean score: 77.8" in result.output  # (95 + 85 + 55 + 90 + 64) / 5
    assert "Specific problem description / 问题描述具体" in result.output


def test_cli_report_as_json_and_files(app, october, tmp_path):
    result = run(app, "--agent", "a2", "--period", "2026-10-01..2026-10-31", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["count"] == 2 and data["mean_effective"] == 77.0 and data["first_day"] == "2026-10-01"
    assert data["records"][0]["contacted_at"] == "2026-10-15T02:00:00Z"

    target = tmp_path / "october.xlsx"
    result = run(app, "--period", "2026-10", "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert load_workbook(target)["Summary"]["B6"].value == 6

    result = run(app, "--period", "2026-10", "--format", "csv")
    assert result.output.splitlines()[0] == ",".join(RECORD_COLUMNS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent", "nobody", "--period", "2026-10"], "No agent 'nobody'"),
        (["--team", "客服Z组", "--period", "2026-10"], "No team '客服Z组'; known teams: 客服A组, 客服B组."),
        (["--period", "2026-13"], "Month 13 does not exist"),
        (["--agent", "a1", "--team", "客服A组", "--period", "2026-10"], "not both"),
        (["--period", "2026-10", "--format", "xlsx"], "give --output FILE"),
    ],
)
def test_cli_errors_are_clear(app, october, args, message):
    result = run(app, *args)
    assert result.exit_code == 1
    assert message in result.output
