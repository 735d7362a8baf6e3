"""Issue 19's rules as people meet them: the automatic score and a supervisor's grade named apart, a critical zero
that names its field, disputes that close and lock, calibration scores hidden until everyone has graded, and the
agreement of automatic and human points on the performance and rubric pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from marshmallow import ValidationError

from records.timeutil import utcnow
from scoring.calibration import calibration_report_for, create_session
from scoring.grading import close_overdue_disputes, dispute_grade, grade_record, resolve_dispute
from scoring.models import DisputeStatus
from tests.scoring.helpers import full_points


def squashed(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


@pytest.fixture
def record(make_record, people):
    return make_record(agent=people["agent"])


# ----- item 4: names, and a critical zero that says where ------------------------------------------------------------


def test_a_critical_zero_names_the_field_and_the_words_not_the_number(client, db, people, make_record, sign_in):
    record = make_record(agent=people["agent"], handling_steps="核实账号状态\n请客户拨打13812345678联系物流")
    sign_in(people["supervisor"], language="zh_CN")
    html = squashed(client.get(f"/records/{record.number}/score"))
    alert = html[html.index("data-critical") :][:600]
    assert "自由文本无未脱敏个人信息" in alert and "客服响应措施" in alert and "[手机号]" in alert
    assert "请客户拨打" in alert
    assert "13812345678" not in html and "5678" not in alert
    sign_in(people["supervisor"], language="en")
    html = squashed(client.get(f"/records/{record.number}/score"))
    assert 'handling steps: "请客户拨打[phone number]"' in html


def test_the_automatic_score_and_the_supervisor_grade_are_named_apart(client, db, people, record, sign_in):
    sign_in(people["agent"], language="zh_CN")
    html = squashed(client.get(f"/records/{record.number}/score"))
    assert "自动评分" in html and "尚无主管评分" in html
    grade_record(record, full_points(record), None, by=people["supervisor"])
    db.session.commit()
    html = squashed(client.get(f"/records/{record.number}/score"))
    assert "主管评分" in html and "自动评分" in html


# ----- item 5: disputes close, rulings lock ---------------------------------------------------------------------------


def test_a_dispute_closes_after_the_configured_days_and_locks_the_grade(app, db, people, record, monkeypatch):
    monkeypatch.setitem(app.config, "DISPUTE_DAYS", 3)
    grade = grade_record(record, {**full_points(record), "specific_problem": 0}, None, by=people["supervisor"])
    dispute = dispute_grade(grade, "描述已写明订单号", by=people["agent"])
    db.session.commit()
    assert dispute.due_at - dispute.created_at == timedelta(days=3)
    assert close_overdue_disputes(utcnow()) == 0
    assert close_overdue_disputes(utcnow() + timedelta(days=3, minutes=1)) == 1
    db.session.commit()
    assert dispute.status == DisputeStatus.EXPIRED and grade.locked_at is not None
    with pytest.raises(ValidationError, match="locked"):
        grade_record(record, full_points(record), None, by=people["supervisor"])


def test_a_late_ruling_is_refused(db, people, record):
    grade = grade_record(record, full_points(record), None, by=people["supervisor"])
    dispute = dispute_grade(grade, "不同意", by=people["agent"])
    dispute.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(ValidationError, match="closed unanswered"):
        resolve_dispute(dispute, "upheld", "维持", by=people["supervisor"])


def test_a_final_ruling_locks_the_grade(client, db, people, record, sign_in):
    grade = grade_record(record, {**full_points(record), "specific_problem": 0}, None, by=people["supervisor"])
    dispute = dispute_grade(grade, "描述已写明订单号", by=people["agent"])
    resolve_dispute(dispute, "changed", "同意，改为满分", by=people["supervisor"], points=full_points(record))
    db.session.commit()
    with pytest.raises(ValidationError, match="locked"):
        grade_record(record, full_points(record), "再改", by=people["admin"])
    db.session.rollback()
    sign_in(people["supervisor"], language="en")
    html = squashed(client.get(f"/records/{record.number}/grade"))
    assert "data-locked" in html and "Save grade" not in html
    refused = client.post(
        f"/records/{record.number}/grade", data={f"points-{k}": f"{v:g}" for k, v in full_points(record).items()}
    )
    assert refused.status_code == 422 and "locked" in squashed(refused)
    sign_in(people["agent"], language="en")
    html = squashed(client.get(f"/disputes/{dispute.id}"))
    assert "The ruling is final" in html


def test_the_disputes_list_shows_the_deadline(client, db, people, record, sign_in):
    grade = grade_record(record, full_points(record), None, by=people["supervisor"])
    dispute = dispute_grade(grade, "不同意", by=people["agent"])
    db.session.commit()
    sign_in(people["supervisor"], language="zh_CN")
    html = squashed(client.get("/disputes"))
    assert "截止时间" in html and dispute.due_at is not None


# ----- item 5: calibration scores hidden until everyone has graded ----------------------------------------------------


def test_calibration_scores_stay_hidden_from_graders_until_all_have_graded(client, db, people, record, sign_in):
    session = create_session("第一轮", [record.id], [people["supervisor"].id, people["admin"].id], by=people["trainer"])
    grade_record(record, full_points(record), None, by=people["supervisor"], calibration=session)
    db.session.commit()
    hidden = calibration_report_for(session, people["admin"])
    assert hidden["hidden"] and hidden["disagreements"] == [] and hidden["score"]["alpha"] is None
    assert all(row["mean_score"] is None for row in hidden["per_grader"])
    mine = calibration_report_for(session, people["supervisor"])
    assert [row["mean_score"] for row in mine["per_grader"] if row["grader_id"] == people["supervisor"].id] == [100.0]
    assert not calibration_report_for(session, people["trainer"])["hidden"]  # the creator, not a grader
    sign_in(people["admin"])
    assert "data-hidden" in squashed(client.get(f"/calibrations/{session.id}"))

    grade_record(record, {**full_points(record), "specific_problem": 0}, None, by=people["admin"], calibration=session)
    db.session.commit()
    shown = calibration_report_for(session, people["admin"])
    assert not shown["hidden"] and shown["disagreements"]
    assert "data-hidden" not in squashed(client.get(f"/calibrations/{session.id}"))


# ----- item 2 on the pages --------------------------------------------------------------------------------------------


def test_performance_and_rubric_pages_show_agreement_and_tuning(client, db, people, make_record, sign_in):
    records = [make_record(agent=people["agent"], problem_description="客户反映登录不了。") for _ in range(5)]
    for item in records:
        grade_record(item, full_points(item), None, by=people["supervisor"])
    db.session.commit()
    sign_in(people["supervisor"], language="zh_CN")
    html = squashed(client.get("/scoring/performance?period=2026-11"))
    section = html[html.index('id="h-agreement"') :]
    assert "自动评分与主管评分的一致度" in section and 'data-agreement="specific_problem"' in section
    assert "低于阈值" in section
    assert client.get("/admin/rubric").status_code == 403

    sign_in(people["admin"], language="en")
    html = squashed(client.get("/admin/rubric"))
    assert "criteria below the threshold" in html and "data-no-tuning" in html
    assert client.post("/admin/rubric/tuning").status_code == 303
    html = squashed(client.get("/admin/rubric"))
    assert 'data-tuning="specific_problem"' in html
    assert client.post("/admin/rubric/tuning/specific_problem", data={"action": "off"}).status_code == 303
    assert client.post("/admin/rubric/tuning/specific_problem", data={"action": "explode"}).status_code == 400
    assert client.post("/admin/rubric/tuning/charm", data={"action": "off"}).status_code == 404
    assert client.post("/admin/rubric/tuning/specific_problem", data={"action": "remove"}).status_code == 303
    assert 'data-tuning="specific_problem"' not in squashed(client.get("/admin/rubric"))


def test_the_api_gives_deadlines_locks_agreement_and_hides_calibration_scores(client, db, people, record, token_for):
    grade = grade_record(record, {**full_points(record), "specific_problem": 0}, None, by=people["supervisor"])
    db.session.commit()
    answer = client.post(
        f"/api/v1/grades/{grade.id}/dispute", headers=token_for(people["agent"]), json={"reason": "有订单号"}
    ).get_json()
    assert answer["due_at"] and answer["grade"]["agreement"]["core_fields"] == 100
    dispute_id = answer["id"]
    ruled = client.post(
        f"/api/v1/disputes/{dispute_id}/resolve",
        headers=token_for(people["supervisor"]),
        json={"outcome": "upheld", "note": "维持"},
    )
    assert ruled.status_code == 200, ruled.get_json()
    assert ruled.get_json()["grade"]["locked_at"] and ruled.get_json()["effective"]["locked"] is True
    again = client.post(
        f"/api/v1/records/{record.number}/grades",
        headers=token_for(people["supervisor"]),
        json={"points": full_points(record)},
    )
    assert again.status_code == 422 and "locked" in str(again.get_json())

    session = create_session("API", [record.id], [people["supervisor"].id, people["admin"].id], by=people["trainer"])
    grade_record(record, full_points(record), None, by=people["supervisor"], calibration=session)
    db.session.commit()
    seen = client.get(f"/api/v1/calibrations/{session.id}", headers=token_for(people["admin"])).get_json()
    assert seen["report"]["hidden"] is True and seen["report"]["disagreements"] == []
    assert (
        client.get(f"/api/v1/calibrations/{session.id}", headers=token_for(people["trainer"])).get_json()["report"][
            "hidden"
        ]
        is False
    )
