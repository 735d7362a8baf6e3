"""Grading pages: grading a record, disputes and their resolution, calibration sessions with their agreement
report, and review samples."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from scoring.calibration import calibration_report
from scoring.grading import current_grade, effective_score, grade_record
from scoring.models import CalibrationSession, Dispute, DisputeStatus, Grade
from scoring.operations import record_score
from tests.scoring.helpers import full_points

WEB = Path(__file__).resolve().parents[2] / "web"
CATALOG = WEB / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


def page(response) -> str:
    return response.get_data(as_text=True)


def squashed(response) -> str:
    return re.sub(r"\s+", " ", unescape(page(response)))


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return match[1] if match else None


def points_form(points: dict[str, float], **fields: str) -> dict[str, str]:
    return {**{f"points-{key}": f"{value:g}" for key, value in points.items()}, **fields}


@pytest.fixture
def record(make_record, people):
    return make_record(agent=people["agent"], problem_description="客户 13812345678 登录提示密码错误，版本 5.2.1。")


# ----- grading -----------------------------------------------------------------------------------------------------


def test_supervisor_grades_a_team_record_from_the_prefilled_form(client, db, people, record, sign_in):
    sign_in(people["supervisor"], language="en")
    auto = record_score(record)
    response = client.get(f"/records/{record.number}/grade")
    assert response.status_code == 200
    html = page(response)
    assert "13812345678" not in html and "138****5678" in html  # masked as on the record page
    for key, points in auto.points.items():
        assert input_value(html, f"points-{key}") == f"{points:g}"
    assert "Specific problem description" in html and "Not graded yet" in html

    points = {**full_points(record), "specific_problem": 1}
    saved = client.post(f"/records/{record.number}/grade", data=points_form(points, comment="描述可更具体"))
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/records/{record.number}/grade")

    grade = current_grade(record)
    assert grade.points == points and grade.comment == "描述可更具体" and grade.grader_id == people["supervisor"].id
    shown = page(client.get(saved.headers["Location"]))
    assert "Grade saved; it is now the record&#39;s score." in shown
    assert re.search(rf'data-figure="effective">{grade.score:.1f}<', shown)
    assert re.search(rf'data-figure="auto">{auto.score:.1f}<', shown)
    assert "描述可更具体" in shown and "Current grade" in shown


def test_refused_points_keep_what_was_typed(client, db, people, record, sign_in):
    sign_in(people["supervisor"], language="en")
    points = points_form(full_points(record), comment="再看看")
    points["points-core_fields"] = "9"
    points["points-specific_problem"] = "abc"
    points["points-objective_wording"] = ""
    response = client.post(f"/records/{record.number}/grade", data=points)
    assert response.status_code == 422
    html = page(response)
    text = squashed(response)
    assert input_value(html, "points-core_fields") == "9" and input_value(html, "points-specific_problem") == "abc"
    assert "再看看</textarea>" in html
    assert "Core fields filled: 9 is not from 0 to 4." in text
    assert "Specific problem description: Enter a number from 0 to 2." in text
    assert "Objective wording: This criterion applies to the record; give 0 to 1 points." in text
    assert db.session.scalar(sa.select(sa.func.count(Grade.id))) == 0


def test_only_supervisors_of_the_team_and_admins_grade(client, db, people, record, sign_in):
    sign_in(people["agent"], language="en")
    own = page(client.get(f"/records/{record.number}/grade"))
    assert "Save grade" not in own
    assert client.post(f"/records/{record.number}/grade", data=points_form(full_points(record))).status_code == 403

    sign_in(people["trainer"], language="en")
    assert "Save grade" not in page(client.get(f"/records/{record.number}/grade"))
    assert client.post(f"/records/{record.number}/grade", data=points_form(full_points(record))).status_code == 403

    sign_in(people["other_supervisor"], language="en")
    assert client.get(f"/records/{record.number}/grade").status_code == 403
    assert client.post(f"/records/{record.number}/grade", data=points_form(full_points(record))).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Grade.id))) == 0

    sign_in(people["admin"], language="en")
    assert client.post(f"/records/{record.number}/grade", data=points_form(full_points(record))).status_code == 303


# ----- disputes ----------------------------------------------------------------------------------------------------


@pytest.fixture
def graded(db, people, record) -> Grade:
    grade = grade_record(record, {**full_points(record), "specific_problem": 0}, "不够具体", by=people["supervisor"])
    db.session.commit()
    return grade


def dispute_as_agent(client, sign_in, people, graded) -> Dispute:
    sign_in(people["agent"], language="en")
    html = page(client.get(f"/records/{graded.record.number}/grade"))
    assert f'action="/grades/{graded.id}/dispute"' in html
    refused = client.post(f"/grades/{graded.id}/dispute", data={"reason": "  "})
    assert refused.status_code == 422
    assert "Say why you disagree with the grade." in page(refused)
    sent = client.post(f"/grades/{graded.id}/dispute", data={"reason": "描述里写了版本号和时间"})
    assert sent.status_code == 303
    dispute = graded.dispute
    assert dispute is not None and dispute.status == DisputeStatus.OPEN
    assert sent.headers["Location"].endswith(f"/disputes/{dispute.id}")
    detail = squashed(client.get(sent.headers["Location"]))
    assert "描述里写了版本号和时间" in detail and "Save decision" not in detail
    assert f"/disputes/{dispute.id}" in page(client.get("/disputes"))
    return dispute


def test_agent_disputes_and_the_supervisor_upholds_the_grade(client, db, people, graded, sign_in):
    dispute = dispute_as_agent(client, sign_in, people, graded)
    assert client.post(f"/disputes/{dispute.id}/resolve", data={"outcome": "upheld", "note": "x"}).status_code == 403

    sign_in(people["supervisor"], language="en")
    listing = page(client.get("/disputes", query_string={"status": "open"}))
    assert f"/disputes/{dispute.id}" in listing and "描述里写了版本号和时间" in listing
    assert f"/disputes/{dispute.id}" not in page(client.get("/disputes", query_string={"status": "upheld"}))
    assert "Save decision" in page(client.get(f"/disputes/{dispute.id}"))

    refused = client.post(f"/disputes/{dispute.id}/resolve", data={"outcome": "upheld", "note": ""})
    assert refused.status_code == 422
    assert "Explain the decision to the agent." in page(refused)
    assert 'value="upheld" required checked' in page(refused)

    upheld = client.post(f"/disputes/{dispute.id}/resolve", data={"outcome": "upheld", "note": "版本号不算具体描述"})
    assert upheld.status_code == 303
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    assert dispute.status == DisputeStatus.UPHELD and current_grade(graded.record).id == graded.id
    shown = squashed(client.get(upheld.headers["Location"]))
    assert "Grade upheld." in shown and "版本号不算具体描述" in shown and "Save decision" not in shown

    sign_in(people["other_supervisor"], language="en")
    assert client.get(f"/disputes/{dispute.id}").status_code == 403


def test_the_supervisor_changes_a_disputed_grade(client, db, people, graded, sign_in):
    dispute = dispute_as_agent(client, sign_in, people, graded)
    sign_in(people["supervisor"], language="en")
    form = points_form(full_points(graded.record), outcome="changed", note="同意，描述已具体")
    refused = client.post(f"/disputes/{dispute.id}/resolve", data={**form, "points-specific_problem": "3"})
    assert refused.status_code == 422
    assert input_value(page(refused), "points-specific_problem") == "3"
    assert "同意，描述已具体</textarea>" in page(refused)

    changed = client.post(f"/disputes/{dispute.id}/resolve", data=form)
    assert changed.status_code == 303
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    new_grade = current_grade(graded.record)
    assert dispute.status == DisputeStatus.CHANGED and new_grade.id != graded.id and new_grade.score == 100.0
    shown = page(client.get(changed.headers["Location"]))
    assert "Grade changed." in shown and 'data-figure="effective">100.0<' in shown

    sign_in(people["agent"], language="en")
    assert "Grade changed" in page(client.get(f"/records/{graded.record.number}/grade"))


# ----- calibration -------------------------------------------------------------------------------------------------


def test_calibration_session_from_creation_to_report(client, db, people, make_record, record, sign_in):
    second = make_record(agent=people["agent"], problem_description="客户咨询退款进度，订单号 A123。")
    supervisor, trainer = people["supervisor"], people["trainer"]
    sign_in(supervisor, language="en")
    refused = client.post(
        "/calibrations",
        data={"name": "十一月校准", "record_numbers": f"{record.number}\nR209901010001", "grader_usernames": "nobody"},
    )
    assert refused.status_code == 422
    text = squashed(refused)
    assert "Unknown records: R209901010001." in text and "Unknown users: nobody." in text
    assert "R209901010001</textarea>" in page(refused) and 'value="十一月校准"' in page(refused)

    created = client.post(
        "/calibrations",
        data={
            "name": "十一月校准",
            "record_numbers": f"{record.number}\r\n{second.number}\r\n",
            "grader_usernames": f"{supervisor.username}\n{trainer.username}",
        },
    )
    assert created.status_code == 303
    session = db.session.scalar(sa.select(CalibrationSession))
    assert created.headers["Location"].endswith(f"/calibrations/{session.id}")
    assert session.record_ids == [record.id, second.id] and session.grader_ids == [supervisor.id, trainer.id]
    detail = page(client.get(f"/calibrations/{session.id}"))
    for item in (record, second):
        assert f'href="/calibrations/{session.id}/records/{item.number}"' in detail
    assert "十一月校准" in page(client.get("/calibrations"))

    # Each grader grades both records on their own; the form does not show the automatic points.
    given = {
        supervisor: {record.id: {"specific_problem": 0}, second.id: {}},
        trainer: {record.id: {"specific_problem": 2}, second.id: {"objective_wording": 0}},
    }
    for grader, by_record in given.items():
        sign_in(grader, language="en")
        for item in (record, second):
            url = f"/calibrations/{session.id}/records/{item.number}"
            form_page = page(client.get(url))
            assert input_value(form_page, "points-core_fields") == "" and "Automatic:" not in form_page
            points = {**full_points(item), **by_record[item.id]}
            saved = client.post(url, data=points_form(points, comment="校准"))
            assert saved.status_code == 303, page(saved)
    db.session.expire_all()
    assert effective_score(record)["grade"] is None  # calibration grades never become the record's grade

    report = calibration_report(db.session.get(CalibrationSession, session.id))
    assert report["complete"] and report["score"]["alpha"] is not None
    shown = squashed(client.get(f"/calibrations/{session.id}"))
    for figure, value in (("alpha", report["score"]["alpha"]), ("alpha-with-auto", report["score"]["alpha_with_auto"])):
        assert re.search(rf'data-figure="{figure}">\s*(<[^>]+>\s*)*{re.escape(f"{value:.3f}")} ', shown)
    assert "4 of 4 grades given" in shown and "Specific problem description" in shown
    assert "Largest disagreements" in shown and record.number in shown
    for grader in report["per_grader"]:
        assert grader["username"] in shown and f"{grader['mean_score']:.1f}" in shown

    sign_in(people["agent"], language="en")
    assert client.get(f"/calibrations/{session.id}").status_code == 403
    sign_in(people["other_supervisor"], language="en")
    assert client.get(f"/calibrations/{session.id}").status_code == 403
    assert "十一月校准" not in page(client.get("/calibrations"))


# ----- review sample -----------------------------------------------------------------------------------------------


def test_review_sample_lists_records_per_agent_with_grade_links(client, db, people, make_record, record, sign_in):
    colleague = make_record(agent=people["agent"], contacted_at="2026-11-02 15:30")
    sign_in(people["agent"], language="en")
    assert client.get("/review-sample").status_code == 403

    sign_in(people["supervisor"], language="en")
    period = {"from": "2026-11-01", "to": "2026-11-03"}
    html = squashed(client.get("/review-sample", query_string={**period, "per_agent": "5", "seed": "7"}))
    assert people["agent"].display_name in html and "Records contacted from 2026-11-01 to 2026-11-03." in html
    for item in (record, colleague):
        assert f'href="/records/{item.number}/grade"' in html
    assert "seed=7" in html

    refused = squashed(client.get("/review-sample", query_string={**period, "per_agent": "0"}))
    assert "No sample was drawn." in refused and "Records per agent: Enter a number from 1 to 100." in refused
    other_team = squashed(client.get("/review-sample", query_string={"team": "客服B组"}))
    assert "Supervisors sample their own team's agents." in other_team


# ----- language ----------------------------------------------------------------------------------------------------


def test_grading_pages_in_chinese(client, db, people, record, sign_in):
    sign_in(people["supervisor"], language="zh_CN")
    html = squashed(client.get(f"/records/{record.number}/grade"))
    assert "保存主管评分" in html and "自动评分" in html and "问题描述具体" in html
    # The automatic score and a supervisor's grade have different names.
    assert "主管评分" in html
    assert "Save grade" not in html and "Specific problem description" not in html
    points = points_form(full_points(record))
    points["points-core_fields"] = "9"
    refused = squashed(client.post(f"/records/{record.number}/grade", data=points))
    assert "9 不在 0 到 4 之间。" in refused
    assert "新建校准" in squashed(client.get("/calibrations"))
    assert "抽样" in squashed(client.get("/review-sample"))
    assert "主管评分申诉" in squashed(client.get("/disputes"))


def test_every_grading_text_has_a_chinese_translation():
    with (CATALOG / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    sources = [*sorted((WEB / "templates" / "grading").glob("*.html")), WEB / "pages" / "grading.py"]
    missing = []
    for path in sources:
        for _quote, msgid in re.findall(r"""_\(\s*(['"])(.+?)(?<!\\)\1""", path.read_text(encoding="utf-8")):
            message = catalog.get(msgid.replace("\\'", "'"))
            if message is None or not message.string:
                missing.append(f"{path.name}: {msgid}")
    assert missing == []
