"""Imports keep history that today's template would refuse at entry; the form and the API keep today's rules."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from records.enums import Role, Status
from records.formats import SourceRow, read_rows
from records.importing import import_rows
from records.models import Record
from records.operations import add_follow_up, update_record
from records.schemas import RecordUpdateSchema
from scoring.operations import scorecard
from tests.conftest import PASSWORD, record_payload


@pytest.fixture
def wang(make_user):
    return make_user(Role.AGENT, username="wang", team="客服A组")


def row(number: int, **values) -> SourceRow:
    base = {
        "external_id": f"OLD-{number}",
        "channel": "phone",
        "contacted_at": "2025-03-02 10:00",
        "agent": "wang",
        "status": "resolved",
        "problem_description": "客户自3月1日起登录App提示“密码错误”，版本 5.2.1，订单号 DD20250301。",
        "handling_steps": "核实账号状态\n引导清除缓存后重试",
        "resolution": "重置登录状态后客户成功登录，客户确认。",
    }
    base.update(values)
    return SourceRow(number, {key: value for key, value in base.items() if value is not None})


def criteria(record: Record) -> dict[str, dict]:
    return {item["key"]: item for item in scorecard(record)["criteria"]}


def test_pending_without_follow_up_owner_is_kept_flagged_and_scored_low(db, wang):
    report = import_rows(
        [row(2, status="pending", resolution=None, follow_ups=[{"action": "回访", "owner": "", "done": False}])],
        source="csv",
    )
    assert (report.created, report.rejected) == (1, 0), report.problems
    record = db.session.scalar(sa.select(Record).where(Record.external_id == "OLD-2"))
    assert record.status == Status.PENDING and record.template_exceptions == ["follow_ups"]
    card = scorecard(record)
    follow_up = criteria(record)["follow_up_complete"]
    # The critical follow-up criterion fails, so the record scores at most the shipped rubric's cap (30), and the
    # reason says it is imported history.
    assert card["score"] == 30 and card["critical_failed"] and card["critical_cap"] == 30
    assert "Imported history" in follow_up["explanation"]["en"] and "导入" in follow_up["explanation"]["zh"]


def test_resolved_without_resolution_is_kept_and_loses_its_points(db, wang):
    report = import_rows([row(2, resolution=None)], source="jsonl")
    assert report.created == 1 and not report.problems
    record = db.session.scalar(sa.select(Record).where(Record.external_id == "OLD-2"))
    assert record.template_exceptions == ["resolution"]
    confirmed = criteria(record)["resolution_confirmed"]
    assert confirmed["points"] == 0 and "Imported history" in confirmed["explanation"]["en"]


def test_malformed_rows_are_still_rejected(db, wang):
    report = import_rows(
        [
            row(2, status="escalated"),
            row(3, contacted_at="2099-01-01 10:00"),
            row(4, channel="other"),  # no platform named: not a history rule
            row(5, recorded_at="2025-03-01 09:00"),  # written before the contact
            row(6, recorded_at="not a time"),
        ],
        source="csv",
    )
    assert report.created == 0 and report.rejected_rows == {2, 3, 4, 5, 6}
    fields = {(problem.row, problem.field) for problem in report.problems}
    assert {(2, "status"), (3, "contacted_at"), (4, "channel_platform"), (5, "recorded_at"), (6, "recorded_at")} <= (
        fields
    )


def test_recorded_at_feeds_timeliness_and_without_it_timeliness_does_not_apply(db, wang):
    report = import_rows(
        [
            row(2, recorded_at="2025-03-02 10:20"),  # 20 minutes after the contact: in time
            row(3, recorded_at="2025-03-03 12:00"),  # 26 hours later: late
            row(4),  # the source did not say
        ],
        source="csv",
    )
    assert report.created == 3, report.problems
    by_id = {r.external_id: r for r in db.session.scalars(sa.select(Record))}
    assert by_id["OLD-2"].recorded_at == datetime(2025, 3, 2, 2, 20)  # stored in UTC
    assert criteria(by_id["OLD-2"])["timeliness"]["points"] == 2
    late = criteria(by_id["OLD-3"])["timeliness"]
    assert late["points"] == 0 and "26.0" in late["explanation"]["en"]
    untimed = criteria(by_id["OLD-4"])["timeliness"]
    assert not untimed["applicable"] and untimed["points"] is None
    # Imported long after the contact, the record does not lose the timeliness points for the import's delay.
    assert scorecard(by_id["OLD-3"])["score"] < scorecard(by_id["OLD-4"])["score"] < scorecard(by_id["OLD-2"])["score"]


def test_reimport_keeps_the_flags_in_step(db, wang):
    import_rows([row(2, resolution=None)], source="csv")
    report = import_rows([row(2)], source="csv")
    assert report.updated == 1
    record = db.session.scalar(sa.select(Record).where(Record.external_id == "OLD-2"))
    assert record.template_exceptions == []


def test_csv_column_recorded_at_is_read(db, wang, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        "external_id,channel,contacted_at,recorded_at,agent,status,problem_description\n"
        "H-1,phone,2024-05-20 14:30,2024-05-20 14:50,wang,resolved,客户反映订单DD1001未发货\n",
        encoding="utf-8",
    )
    report = import_rows(read_rows(path), source="csv")
    assert report.created == 1, report.problems
    record = db.session.scalar(sa.select(Record))
    assert record.template_exceptions == ["resolution"] and record.recorded_at is not None


def test_entry_through_the_api_keeps_todays_rules(client, token_for, db, wang):
    headers = token_for(wang)
    answer = client.post("/api/v1/records", headers=headers, json=record_payload(resolution=None))
    assert answer.status_code == 422 and "resolution" in answer.get_json()["errors"]["json"]
    answer = client.post("/api/v1/records", headers=headers, json=record_payload(recorded_at="2026-11-02 14:40"))
    assert answer.status_code == 422  # only imports say when a record was first written
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0


def test_editing_an_imported_record_asks_for_todays_rules_and_clears_the_flag(db, wang):
    import_rows([row(2, status="pending", resolution=None)], source="csv")
    record = db.session.scalar(sa.select(Record))
    assert record.template_exceptions == ["follow_ups"]
    with pytest.raises(Exception, match="follow-up"):
        update_record(record, RecordUpdateSchema().load({"customer_request": "尽快处理"}), by=wang)
    db.session.rollback()
    record = db.session.scalar(sa.select(Record))
    add_follow_up(record, {"action": "回访客户", "owner": "王磊", "due": datetime(2026, 12, 20).date()}, by=wang)
    assert record.template_exceptions == []


def test_the_record_page_and_api_show_the_flag(client, db, wang, token_for):
    import_rows([row(2, status="pending", resolution=None, recorded_at="2025-03-02 10:20")], source="csv")
    record = db.session.scalar(sa.select(Record))
    answer = client.get(f"/api/v1/records/{record.number}", headers=token_for(wang)).get_json()
    assert answer["template_exceptions"] == ["follow_ups"]
    assert answer["recorded_at"].startswith("2025-03-02T02:20") and answer["imported_at"]
    assert client.post("/login", data={"username": "wang", "password": PASSWORD}).status_code == 302
    client.post("/language", data={"language": "zh_CN"})
    html = client.get(f"/records/{record.number}").get_data(as_text=True)
    assert "导入的历史记录" in html and "跟进事项缺少负责人或截止日期" in html
