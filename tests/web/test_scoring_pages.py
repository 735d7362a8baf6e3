"""Quality pages: the scorecard, the performance report with its exports, and the rubric editor."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from openpyxl import load_workbook

from records.enums import Role
from records.models import AuditLog
from scoring.models import RecordScore, Rubric
from scoring.report_exports import RECORD_COLUMNS
from tests.scoring.test_reports import October, build_october

WEB = Path(__file__).resolve().parents[2] / "web"
CATALOG = WEB / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


@pytest.fixture
def october(make_user, make_record) -> October:
    return build_october(make_user, make_record)


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.get_data(as_text=True)))


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, name
    return match[1].strip()


# ----- scorecard ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "en",
            [
                "Score of record {number}",
                "Specific problem description",
                "Critical",
                "The problem description is not specific",  # the explanation
                "Say when, which product or order",  # the suggestion
            ],
            "问题描述不够具体",
        ),
        ("zh_CN", ["记录 {number} 的评分", "问题描述具体", "关键项", "问题描述不够具体", "写清时间"], "not specific"),
    ],
)
def test_the_scorecard_in_the_ui_language(client, make_record, make_user, language, expected, absent, sign_in):
    agent = make_user(Role.AGENT)
    record = make_record(agent, problem_description="客户说有问题", handling_steps="已处理")
    sign_in(agent, language=language)
    html = text(client.get(f"/records/{record.number}/score"))
    for snippet in expected:
        assert snippet.format(number=record.number) in html
    assert absent not in html
    assert figure(html, "rubric-version") == "1"


@pytest.mark.parametrize(
    ("language", "message", "badge"),
    [
        (
            "en",
            "A critical criterion failed, so the automatic score is at most 30.",
            "Failing it caps the score at 30.",
        ),
        ("zh_CN", "有关键项未通过，自动评分最高为 30 分。", "未通过此项时评分最高为 30 分。"),
    ],
)
def test_a_failed_critical_criterion_caps_the_score_and_says_so(
    client, make_record, make_user, sign_in, language, message, badge
):
    agent = make_user(Role.AGENT)
    record = make_record(agent, customer_request="客户无理取闹，要求立即退款。")
    sign_in(agent, language=language)
    html = text(client.get(f"/records/{record.number}/score"))
    assert figure(html, "effective") == "30.0"  # no grade: the automatic score, capped
    assert message in html and badge in html
    assert 'data-critical-criterion="objective_wording"' in html


def test_the_scorecard_shows_the_grade_over_the_automatic_score(client, october, sign_in):
    sign_in(october.a2, language="en")
    html = text(client.get(f"/records/{october.records[3].number}/score"))
    assert figure(html, "effective") == "90.0"
    assert "Graded by sA; automatic score 72.0" in html


def test_the_record_page_links_to_its_score_and_others_cannot_open_it(client, october, sign_in):
    record = october.records[0]
    sign_in(october.a1, language="en")
    assert f'href="/records/{record.number}/score"' in client.get(f"/records/{record.number}").get_data(as_text=True)
    client.post("/logout")
    sign_in(october.b1, language="en")
    assert client.get(f"/records/{record.number}/score").status_code == 403


# ----- performance -------------------------------------------------------------------------------------------------


def test_the_performance_report_for_an_administrator(client, october, sign_in):
    sign_in(october.admin, language="en")
    response = client.get("/scoring/performance", query_string={"period": "2026-10"})
    assert response.status_code == 200
    html = text(response)
    assert (figure(html, "count"), figure(html, "mean"), figure(html, "mean-auto")) == ("6", "81.5", "78.5")
    assert (figure(html, "graded"), figure(html, "critical")) == ("1", "1")
    assert re.search(r'data-band="90-100">.*?50 %.*?>3</td>', html)
    chart = re.search(r'data-chart="distribution">(.*?)</figure>', response.get_data(as_text=True), re.S).group(1)
    assert "<title>90-100: 3</title>" in chart  # the band's bar, drawn by records.charts
    assert re.search(r'data-field="key_details" class="table-danger">.*?data-alert', html)
    assert re.search(r'data-week="2026-W42">.*?>2</td> <td class="text-end">72.5<', html)
    assert 'data-agent="a1"' in html and 'data-agent="b1"' in html
    best = html[html.index('data-examples="best"') :]
    assert october.records[5].number in best[: best.index("</ul>")]
    assert f'href="/records/{october.records[2].number}"' in html
    assert "/scoring/performance/export?format=xlsx&amp;period=2026-10" in response.get_data(as_text=True)


def test_the_default_period_is_this_month_and_bad_periods_are_reported(client, october, sign_in):
    sign_in(october.admin, language="en")
    html = text(client.get("/scoring/performance"))
    assert re.search(r'name="period" value="\d{4}-\d{2}"', html)
    refused = text(client.get("/scoring/performance", query_string={"period": "2026-13"}))
    assert "Could not read the period 2026-13" in refused


def test_agents_see_their_own_report_only(client, october, sign_in):
    sign_in(october.a1, language="en")
    html = text(client.get("/scoring/performance", query_string={"period": "2026-10", "agent": "a2", "team": "x"}))
    assert figure(html, "count") == "3"
    assert 'id="filter-agent"' not in html and 'data-agent="' not in html


def test_supervisors_see_their_team(client, october, sign_in):
    sign_in(october.supervisor, language="en")
    html = text(client.get("/scoring/performance", query_string={"period": "2026-10", "team": "客服B组"}))
    assert figure(html, "count") == "5"
    assert 'value="客服A组" readonly' in html
    assert 'data-agent="a1"' in html and 'data-agent="b1"' not in html
    one = text(client.get("/scoring/performance", query_string={"period": "2026-10", "agent": "a2"}))
    assert figure(one, "count") == "2"
    outsider = text(client.get("/scoring/performance", query_string={"period": "2026-10", "agent": "b1"}))
    assert "No agent b1 among those you may see." in outsider and figure(outsider, "count") == "5"


def test_trainers_filter_by_team(client, october, make_user, sign_in):
    sign_in(make_user(Role.TRAINER), language="en")
    html = text(client.get("/scoring/performance", query_string={"period": "2026-10", "team": "客服B组"}))
    assert figure(html, "count") == "1" and "Agent Bee" in html


def test_exports(client, db, october, sign_in):
    sign_in(october.supervisor, language="en")
    response = client.get("/scoring/performance/export", query_string={"format": "csv", "period": "2026-10"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert tuple(rows[0]) == RECORD_COLUMNS and len(rows) == 6  # the team's five records

    response = client.get("/scoring/performance/export", query_string={"format": "xlsx", "period": "2026-10"})
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames[:5] == ["Summary", "Criteria", "Fill rates", "Agents", "Weeks"]
    assert workbook["Criteria"]["A1"].value == "Criterion"
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "scores.export")) == 2

    assert client.get("/scoring/performance/export", query_string={"format": "pdf"}).status_code == 400
    bad = client.get("/scoring/performance/export", query_string={"format": "csv", "period": "soon"})
    assert bad.status_code == 400


def test_the_nav_has_a_quality_link(client, october, sign_in):
    sign_in(october.a1)
    html = client.get("/records").get_data(as_text=True)
    assert 'href="/scoring/performance"' in html and ">质量<" in html


# ----- rubric ------------------------------------------------------------------------------------------------------


def rubric_form(client) -> dict[str, str]:
    """The rubric form as the browser would post it unchanged."""
    html = client.get("/admin/rubric").get_data(as_text=True)
    data = {name: unescape(value) for name, value in re.findall(r'name="([^"]+)"[^>]*?value="([^"]*)"', html)}
    for name in re.findall(r'name="((?:enabled|critical)-[a-z_]+)"[^>]*? checked', html):
        data[name] = "on"
    data.pop("language", None)
    data.pop("next", None)
    return data


def test_only_administrators_edit_the_rubric(client, october, sign_in):
    sign_in(october.supervisor, language="en")
    assert client.get("/admin/rubric").status_code == 403
    assert client.post("/admin/rubric", data={"timeliness_minutes": "60"}).status_code == 403


def test_a_rubric_edit_makes_version_2_and_old_scores_say_version_1(client, db, october, sign_in):
    sign_in(october.admin, language="en")
    data = rubric_form(client)
    assert data["weight-timeliness"] == "5" and data["enabled-core_fields"] == "on"
    data.update({"weight-timeliness": "20", "timeliness_minutes": "60", "note": "更重视及时记录"})
    data.pop("enabled-objective_wording")
    data["critical-core_fields"] = "on"
    response = client.post("/admin/rubric", data=data, follow_redirects=True)
    assert response.status_code == 200
    html = text(response)
    assert "Rubric version 2 saved." in html
    assert re.search(r'data-version="2">.*?Boss.*?更重视及时记录', html)
    assert re.search(r'data-version="1">.*?<td class="text-end">7</td>', html)  # seven records scored with v1

    rubric = db.session.scalar(sa.select(Rubric).where(Rubric.version == 2))
    criteria = {item["key"]: item for item in rubric.definition["criteria"]}
    assert criteria["timeliness"]["weight"] == 20 and criteria["core_fields"]["critical"] is True
    assert "objective_wording" not in criteria and rubric.definition["timeliness_minutes"] == 60
    assert {score.rubric.version for score in db.session.scalars(sa.select(RecordScore))} == {1}
    card = text(client.get(f"/records/{october.records[0].number}/score"))
    assert figure(card, "rubric-version") == "1"

    again = rubric_form(client)
    assert "enabled-objective_wording" not in again and again["weight-objective_wording"] == "0"  # a gate: weight 0
    assert text(client.post("/admin/rubric", data=again, follow_redirects=True)).count("Nothing changed.") == 1


@pytest.mark.parametrize(("language", "note"), [("en", "shipped default"), ("zh_CN", "系统默认")])
def test_the_shipped_rubric_is_described_in_the_readers_language(client, db, october, sign_in, language, note):
    # Version 1 was stored by the records' own writes, outside any request.
    assert db.session.scalar(sa.select(Rubric.note).where(Rubric.version == 1)) is None
    sign_in(october.admin, language=language)
    assert re.search(rf'data-version="1">.*?<td>{note}</td>', text(client.get("/admin/rubric")))


def test_rubric_errors_keep_the_input(client, db, october, sign_in):
    sign_in(october.admin, language="en")
    data = rubric_form(client)
    data.update({"weight-timeliness": "150", "scale-core_fields": "four", "note": "试一试"})
    response = client.post("/admin/rubric", data=data)
    assert response.status_code == 422
    html = text(response)
    assert "Enter a number." in html and 'value="four"' in html and 'value="试一试"' in html

    data["scale-core_fields"] = "4"
    response = client.post("/admin/rubric", data=data)
    assert response.status_code == 422
    html = text(response)
    assert re.search(
        r'id="f-weight-timeliness" name="weight-timeliness" inputmode="decimal" value="150" aria-invalid', html
    )
    assert "Weight must be a number from 0 to 100." in html
    data.update({"weight-timeliness": "5", "timeliness_minutes": "0"})
    response = client.post("/admin/rubric", data=data)
    assert response.status_code == 422 and "Whole minutes from 1 to 10080." in text(response)
    assert db.session.scalar(sa.select(sa.func.max(Rubric.version))) == 1


def test_the_quality_pages_in_chinese(client, october, sign_in):
    sign_in(october.admin, language="zh_CN")
    html = text(client.get("/admin/rubric"))
    assert "评分标准" in html and "基础字段完整" in html and "版本历史" in html
    html = text(client.get("/scoring/performance", query_string={"period": "2026-10"}))
    assert "记录质量" in html and "字段填写率" in html and "关键细节/附件" in html and "问题描述具体" in html
    assert "Record quality" not in html and "Specific problem description" not in html


def test_every_scoring_page_text_has_a_chinese_translation():
    with (CATALOG / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    sources = [("jinja2", path) for path in sorted((WEB / "templates" / "scoring").glob("*.html"))]
    sources.append(("python", WEB / "pages" / "scoring.py"))
    missing = [
        f"{path.name}: {message[1]}"
        for method, path in sources
        for message in extract_from_file(method, str(path))
        if catalog.get(message[1]) is None or not catalog.get(message[1]).string
    ]
    assert missing == []
