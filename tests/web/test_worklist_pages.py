"""The worklist page and API, bulk actions, reassigning on the record page, notifications (bell, list, API) and the
assignment rules page and API: who may do what, both languages, and bad input answered with a 4xx, never a 500."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from records.db import db
from records.enums import Role
from records.models import AssignmentRule, Notification, Record
from records.notifications import create_notifications
from records.timeutil import to_local, utcnow


def hours_ago(hours: float) -> str:
    return to_local(utcnow() - timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def floor(make_user, make_record):
    people = {
        "a1": make_user(Role.AGENT, team="客服A组", username="a1", display_name="王一"),
        "a2": make_user(Role.AGENT, team="客服A组", username="a2", display_name="李二"),
        "b1": make_user(Role.AGENT, team="客服B组", username="b1", display_name="赵三"),
        "sup": make_user(Role.SUPERVISOR, team="客服A组", username="sup", display_name="主管甲"),
        "admin": make_user(Role.ADMIN, username="boss", display_name="管理员"),
        "trainer": make_user(Role.TRAINER, username="coach"),
    }
    records = {
        "a1": make_record(people["a1"], status="open", priority="high", contacted_at=hours_ago(50)),
        "a2": make_record(people["a2"], status="open", priority="urgent", contacted_at=hours_ago(10)),
        "b1": make_record(people["b1"], status="open", priority="high", contacted_at=hours_ago(30)),
    }
    return people, records


def test_the_worklist_page_by_role(client, sign_in, floor):
    people, records = floor
    sign_in(people["sup"], language="zh_CN")
    html = client.get("/worklist").get_data(as_text=True)
    assert records["a1"].number in html and records["a2"].number in html and records["b1"].number not in html
    assert "SLA 工作清单" in html and "table-stack" in html and 'name="viewport"' in html
    assert "客服A组: 2" in html
    # Filters and sorting; a bad filter is reported and ignored, never a 500.
    filtered = client.get("/worklist?priority=urgent").get_data(as_text=True)
    assert records["a2"].number in filtered and records["a1"].number not in filtered
    for query in ("overdue=abc", "kind=zzz", "sort=x", "agent=ghost", "team=无此组", "page=-3", "overdue=1e400"):
        response = client.get(f"/worklist?{query}")
        assert response.status_code == 200, query
        assert "无法识别" in response.get_data(as_text=True) or query == "page=-3", query
    sign_in(people["a1"], language="en")
    mine = client.get("/worklist").get_data(as_text=True)
    assert records["a1"].number in mine and records["a2"].number not in mine
    assert 'value="reassign"' not in mine  # agents do not hand records to others
    sign_in(people["trainer"])
    assert client.get("/worklist").status_code == 403


def test_bulk_actions_from_the_page(client, sign_in, floor):
    people, records = floor
    sign_in(people["sup"], language="en")
    response = client.post(
        "/worklist/bulk",
        data={"action": "reassign", "assignee": "a2", "record": [records["a1"].number, records["b1"].number]},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Done for 1 record(s): {records['a1'].number}" in html
    assert f"{records['b1'].number} not changed" in html
    db.session.refresh(records["a1"])
    db.session.refresh(records["b1"])
    assert records["a1"].assignee == people["a2"] and records["b1"].assignee is None
    # Missing parts of an action are messages, not errors.
    for data in (
        {"action": "priority", "priority": "high"},
        {"action": "follow_up", "record": records["a1"].number},
        {"action": "follow_up", "record": records["a1"].number, "follow_up_action": "x", "follow_up_due": "31/12"},
        {"action": "explode", "record": records["a1"].number},
        {"action": "reassign", "assignee": "ghost", "record": records["a1"].number},
    ):
        answer = client.post("/worklist/bulk", data=data, follow_redirects=True)
        assert answer.status_code == 200 and "alert-danger" in answer.get_data(as_text=True), data
    added = client.post(
        "/worklist/bulk",
        data={
            "action": "follow_up",
            "record": records["a1"].number,
            "follow_up_action": "回电确认",
            "follow_up_owner_user": "a1",
            "follow_up_due": "2026-12-31",
        },
        follow_redirects=True,
    )
    assert "Done for 1 record(s)" in added.get_data(as_text=True)
    assert records["a1"].follow_ups[-1].owner_user == people["a1"]


def test_too_many_ticked_records_are_told_the_limit(app, client, sign_in, token_for, floor):
    people, records = floor
    api = app.test_client()
    headers = token_for(people["sup"])
    many = [records["a1"].number] * 201
    answer = api.post(
        "/api/v1/worklist/bulk", json={"records": many, "action": "priority", "priority": "low"}, headers=headers
    )
    assert answer.status_code == 422 and answer.json["errors"]["json"]["records"] == ["At most 200 records at once."]
    none = api.post(
        "/api/v1/worklist/bulk", json={"records": [], "action": "priority", "priority": "low"}, headers=headers
    )
    assert none.json["errors"]["json"]["records"] == ["Choose at least one record."]
    sign_in(people["sup"], language="zh_CN")
    data = {"record": many, "action": "priority", "priority": "low"}
    html = client.post("/worklist/bulk", data=data, follow_redirects=True).get_data(as_text=True)
    assert "一次最多 200 条记录。" in html and "请先勾选要修改的记录。" not in html
    html = client.post("/worklist/bulk", data={**data, "record": []}, follow_redirects=True).get_data(as_text=True)
    assert "请先勾选要修改的记录。" in html
    html = client.post("/worklist/bulk", data={**data, "record": ["R" * 41]}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "记录编号应为 1 到 40 个字符。" in html and "Length" not in html
    db.session.refresh(records["a1"])
    assert records["a1"].priority.value == "high"


def test_reassigning_on_the_record_page_keeps_history(client, sign_in, floor):
    people, records = floor
    number = records["a1"].number
    sign_in(people["sup"], language="zh_CN")
    page = client.get(f"/records/{number}").get_data(as_text=True)
    assert "分派" in page and 'name="assignee"' in page
    response = client.post(f"/records/{number}/assign", data={"assignee": "a2"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "李二" in html and "主管甲" in html  # the history row: by whom, to whom
    refused = client.post(f"/records/{number}/assign", data={"assignee": "b1"}, follow_redirects=True)
    assert refused.status_code == 200 and "alert-danger" in refused.get_data(as_text=True)
    sign_in(people["a1"])
    assert client.post(f"/records/{number}/assign", data={"assignee": "a1"}).status_code == 302  # taking it back
    assert client.post(f"/records/{number}/assign", data={"assignee": "a2"}).status_code == 403
    sign_in(people["a2"])
    # a2 no longer handles it, and never took it: the record is out of reach again.
    assert client.get(f"/records/{number}").status_code == 403


def test_the_worklist_api(client, token_for, floor):
    people, records = floor
    headers = token_for(people["admin"])
    body = client.get("/api/v1/worklist?sort=priority&per_page=2", headers=headers).json
    assert body["total"] == 3 and len(body["items"]) == 2 and body["items"][0]["priority"] == "urgent"
    assert {row["team"]: row["count"] for row in body["team_counts"]} == {"客服A组": 2, "客服B组": 1}
    assert client.get("/api/v1/worklist?kind=nope", headers=headers).status_code == 422
    assert client.get("/api/v1/worklist?team=nope", headers=headers).status_code == 422
    sup = token_for(people["sup"])
    outcome = client.post(
        "/api/v1/worklist/bulk",
        json={"records": [records["a1"].number, records["b1"].number], "action": "priority", "priority": "low"},
        headers=sup,
    )
    assert outcome.status_code == 200
    assert outcome.json["done"] == [records["a1"].number]
    assert outcome.json["refused"][0]["record"] == records["b1"].number
    for bad in ({"records": [], "action": "priority", "priority": "low"}, {"records": ["x"], "action": "priority"}, {}):
        assert client.post("/api/v1/worklist/bulk", json=bad, headers=sup).status_code == 422
    record = client.patch(f"/api/v1/records/{records['a1'].number}", json={"assignee": "a2"}, headers=sup).json
    assert record["assignee"] == "a2"
    history = client.get(f"/api/v1/records/{records['a1'].number}/assignments", headers=sup).json
    assert history[-1]["to"] == "a2" and history[-1]["by"] == "sup"


def test_notifications_bell_list_and_api(app, client, sign_in, token_for, floor):
    people, records = floor
    api = app.test_client()  # API calls by token, without the page's session cookie
    create_notifications(db.session, now=utcnow())
    headers, other = token_for(people["sup"]), token_for(people["a1"])
    sign_in(people["sup"], language="zh_CN")
    html = client.get("/records").get_data(as_text=True)
    assert "bell-count" in html
    listed = client.get("/notifications").get_data(as_text=True)
    assert records["a1"].number in listed and "错过" in listed
    body = api.get("/api/v1/notifications", headers=headers).json
    assert body["unread"] == body["total"] == 2  # a1's and a2's records missed their deadlines; b1's is another team
    first = body["items"][0]["id"]
    assert api.post(f"/api/v1/notifications/{first}/read", headers=headers).json["read"] is True
    assert api.get("/api/v1/notifications?unread=true", headers=headers).json["total"] == 1
    # Someone else's notification is not found; nor is a made-up one.
    assert api.post(f"/api/v1/notifications/{first}/read", headers=other).status_code == 404
    assert api.post("/api/v1/notifications/999999/read", headers=other).status_code == 404
    assert api.post(f"/api/v1/notifications/{10**30}/read", headers=other).status_code == 404
    assert api.get("/api/v1/notifications?page=0", headers=other).status_code == 422
    assert client.post("/notifications/read-all").status_code == 302
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(Notification.read_at.is_(None), Notification.user_id == people["sup"].id)
        )
        == 0
    )
    assert client.post("/notifications/424242/read", follow_redirects=True).status_code == 200


def test_a_notification_names_no_record_once_its_reader_left_the_team(app, client, sign_in, token_for, floor):
    people, records = floor
    api = app.test_client()
    create_notifications(db.session, now=utcnow())
    headers = token_for(people["sup"])
    assert {item["record"] for item in api.get("/api/v1/notifications", headers=headers).json["items"]} == {
        records["a1"].number,
        records["a2"].number,
    }
    # The supervisor moves to the other team: team A's records, their numbers and handlers are no longer theirs.
    people["sup"].team_id = records["b1"].team_id
    db.session.commit()
    items = api.get("/api/v1/notifications", headers=headers).json["items"]
    assert len(items) == 2 and {item["record"] for item in items} == {None}
    for item in items:
        assert records["a1"].number not in item["text"] and records["a2"].number not in item["text"]
        assert "王一" not in item["text"] and "李二" not in item["text"]
    sign_in(people["sup"], language="zh_CN")
    listed = client.get("/notifications").get_data(as_text=True)
    assert records["a1"].number not in listed and "王一" not in listed and "您已无权查看" in listed


def test_the_assignment_rules_page_and_api(app, client, sign_in, token_for, floor):
    people, records = floor
    api = app.test_client()  # API calls by token, without the page's session cookie
    headers, sup = token_for(people["admin"]), token_for(people["sup"])
    sign_in(people["admin"], language="zh_CN")
    assert "分派规则" in client.get("/admin/assignment").get_data(as_text=True)
    refused = client.post("/admin/assignment", data={"name": "", "team": "无此组"})
    assert refused.status_code == 422 and "invalid-feedback" in refused.get_data(as_text=True)
    made = client.post(
        "/admin/assignment",
        data={"name": "VIP", "customer_tier": "vip", "candidates": ["a2"], "strategy": "fewest_open", "active": "1"},
        follow_redirects=True,
    )
    assert made.status_code == 200 and "VIP" in made.get_data(as_text=True)
    rule = db.session.scalar(sa.select(AssignmentRule))
    assert rule.candidates == [people["a2"]] and rule.strategy == "fewest_open"
    assert client.get(f"/admin/assignment/{rule.id}").status_code == 200
    assert client.get("/admin/assignment/9999").status_code == 404
    assert client.get(f"/admin/assignment/{10**30}").status_code == 404
    assert client.post(f"/admin/assignment/{rule.id}/move", data={"direction": "up"}).status_code == 302
    assert api.get("/api/v1/assignment-rules", headers=headers).json[0]["candidates"] == ["a2"]
    patched = api.patch(f"/api/v1/assignment-rules/{rule.id}", json={"active": False}, headers=headers)
    assert patched.status_code == 200 and patched.json["active"] is False
    bad = api.post("/api/v1/assignment-rules", json={"name": "x", "candidates": ["ghost"]}, headers=headers)
    assert bad.status_code == 422 and "candidates" in bad.json["errors"]["json"]
    assert (
        api.post("/api/v1/assignment-rules", json={"name": "x", "strategy": "random"}, headers=headers).status_code
        == 422
    )
    assert (
        api.post("/api/v1/assignment-rules", json={"name": "x", "candidates": ["a1"]}, headers=sup).status_code == 403
    )
    assert api.delete(f"/api/v1/assignment-rules/{rule.id}", headers=headers).status_code == 204
    assert api.delete(f"/api/v1/assignment-rules/{rule.id}", headers=headers).status_code == 404
    huge = {"records": ["1"], "action": "reassign", "assignee": str(10**30)}
    assert api.post("/api/v1/worklist/bulk", json=huge, headers=headers).status_code == 422
    sign_in(people["sup"])
    assert client.get("/admin/assignment").status_code == 403


def test_the_assignment_rule_form_speaks_chinese_about_lengths(client, sign_in, floor):
    people, _records = floor
    sign_in(people["admin"], language="zh_CN")
    data = {"name": "x" * 500, "category": "c" * 100, "candidates": ["a1"] * 201, "strategy": "round_robin"}
    html = client.post("/admin/assignment", data=data).get_data(as_text=True)
    assert "请输入 1 到 120 个字符。" in html and "最多 60 个字符。" in html and "最多填写 200 项。" in html
    assert "Length" not in html and "Longer than" not in html


def test_the_handler_filter_tells_nobody_who_works_in_another_team(app, token_for, floor, make_user):
    people, records = floor
    make_user(Role.AGENT, team="客服B组", username="b2", email="b2.secret@example.com")
    api = app.test_client()
    headers = token_for(people["sup"])
    ghost = api.get("/api/v1/worklist?agent=ghost", headers=headers)
    assert ghost.status_code == 422
    for reference in ("b1", "b2.secret@example.com", str(people["b1"].id)):
        answer = api.get("/api/v1/worklist", query_string={"agent": reference}, headers=headers)
        assert answer.status_code == 422, reference
        assert answer.json["errors"]["json"]["agent"] == [f"There is no user {reference!r}."]
    # The team's own people and administrators (who may handle any record) are found.
    assert api.get("/api/v1/worklist?agent=a2", headers=headers).status_code == 200
    assert api.get("/api/v1/worklist?agent=boss", headers=headers).status_code == 200
    admin = token_for(people["admin"])
    assert api.get("/api/v1/worklist?agent=b2.secret@example.com", headers=admin).status_code == 200


def test_refusing_another_teams_user_does_not_name_them(app, client, sign_in, token_for, floor):
    people, records = floor
    api = app.test_client()
    sup, agent = token_for(people["sup"]), token_for(people["a1"])
    other = str(people["b1"].id)  # ids are easy to count through
    number = records["a1"].number
    answers = [
        api.post(
            "/api/v1/worklist/bulk", json={"records": [number], "action": "reassign", "assignee": other}, headers=sup
        ),
        api.patch(f"/api/v1/records/{number}", json={"assignee": other}, headers=sup),
        api.post(
            f"/api/v1/records/{number}/follow-ups",
            json={"action": "回电", "owner_user": other, "due": "2026-12-31"},
            headers=agent,
        ),
    ]
    for answer in answers:
        assert answer.status_code in (200, 422), answer.json
        said = json.dumps(answer.json, ensure_ascii=False)
        assert "赵三" not in said and "b1" not in said and "cannot" in said
    sign_in(people["sup"], language="zh_CN")
    html = client.post(f"/records/{number}/assign", data={"assignee": other}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "赵三" not in html and "该用户不能处理记录" in html


def test_the_new_record_form_takes_an_assignee(client, sign_in, floor):
    people, _records = floor
    sign_in(people["sup"], language="en")
    form = {
        "contacted_at": "2026-11-02T14:30",
        "channel": "phone",
        "status": "open",
        "priority": "high",
        "problem_description": "客户反映登录异常。",
        "customer_name": "周先生",
        "customer_phone": "13712345678",
        "agent": "a1",
    }
    refused = client.post("/records/new", data={**form, "assignee": "b1"})
    assert refused.status_code == 422 and "cannot handle" in refused.get_data(as_text=True)
    saved = client.post("/records/new", data={**form, "assignee": "a2"})
    assert saved.status_code == 302
    record = db.session.scalar(sa.select(Record).where(Record.number == saved.headers["Location"].rsplit("/", 1)[-1]))
    assert record.agent == people["a1"] and record.assignee == people["a2"]
