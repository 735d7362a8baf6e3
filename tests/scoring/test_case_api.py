"""The case library API: /api/v1/cases and /api/v1/collections, with their roles and status codes, and exports."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from records.models import AuditLog
from scoring.cases.models import CaseCollection, CollectionReading, TrainingCase
from tests.scoring.case_data import leaked, pii_records


@pytest.fixture
def headers(people, token_for):
    return {name: token_for(user) for name, user in people.items()}


def make_case(client, headers, source, **values):
    body = {"record": source.number, "kind": "exemplary", "dimensions": ["communication"], **values}
    return client.post("/api/v1/cases", headers=headers, json=body)


def count(model) -> int:
    from records.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_making_and_reading_a_case(client, db, headers, people, make_user, make_record):
    planted = pii_records(make_user, make_record)
    response = make_case(client, headers["trainer"], planted["zh"], commentary="先致歉再核实。", title="安抚示范")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "安抚示范" and body["kind"] == "exemplary"
    assert body["dimensions"] == [{"key": "communication", "name": {"zh": "沟通技巧", "en": "Communication"}}]
    assert body["customer"]["label"] == "客户A" and body["source_record"] == planted["zh"].number
    assert body["criteria"] and body["score"] == body["auto_score"]
    assert leaked(response.get_data(as_text=True), (planted["zh"].customer.number,)) == []

    shown = client.get(f"/api/v1/cases/{body['id']}", headers=headers["supervisor"])
    assert shown.status_code == 200 and shown.json["commentary"] == "先致歉再核实。"
    listing = client.get("/api/v1/cases?q=安抚&dimension=communication", headers=headers["supervisor"])
    assert [item["id"] for item in listing.json["items"]] == [body["id"]]
    assert listing.json["kind_counts"] == {"exemplary": 1, "cautionary": 0}
    assert client.get("/api/v1/cases?q=不存在的词", headers=headers["trainer"]).json["total"] == 0


def test_case_status_codes(client, db, headers, people, record):
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases", headers=headers["agent"]).status_code == 403
    assert make_case(client, headers["supervisor"], record).status_code == 403
    assert make_case(client, headers["agent"], record, kind="bogus").status_code == 403  # role before body
    assert make_case(client, headers["trainer"], record, record="R209901010001").status_code == 404

    bad = make_case(client, headers["trainer"], record, kind="bogus", dimensions=[])
    assert bad.status_code == 422
    assert set(bad.json["errors"]["json"]) == {"kind"}
    no_dimension = make_case(client, headers["trainer"], record, dimensions=[])
    assert no_dimension.status_code == 422 and "dimensions" in no_dimension.json["errors"]["json"]
    pii = make_case(client, headers["trainer"], record, commentary="请回电 13812345678")
    assert pii.status_code == 422 and "commentary" in pii.json["errors"]["json"]
    assert count(TrainingCase) == 0

    case_id = make_case(client, headers["admin"], record).json["id"]
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers["agent"]).status_code == 403
    assert client.get("/api/v1/cases/999999", headers=headers["trainer"]).status_code == 404
    patch = client.patch(f"/api/v1/cases/{case_id}", headers=headers["trainer"], json={"resolution": "张先生满意"})
    assert patch.status_code == 422
    assert (
        client.patch(f"/api/v1/cases/{case_id}", headers=headers["supervisor"], json={"title": "x"}).status_code == 403
    )
    ok = client.patch(
        f"/api/v1/cases/{case_id}", headers=headers["trainer"], json={"title": "新标题", "kind": "cautionary"}
    )
    assert ok.status_code == 200 and ok.json["title"] == "新标题" and ok.json["kind"] == "cautionary"
    assert client.delete(f"/api/v1/cases/{case_id}", headers=headers["supervisor"]).status_code == 403
    assert client.delete(f"/api/v1/cases/{case_id}", headers=headers["trainer"]).status_code == 204
    assert count(TrainingCase) == 0


def test_suggestions_and_dimensions(client, db, headers, people, make_record):
    angry = make_record(agent=people["agent"], emotion="angry", satisfaction=5)
    make_record(agent=people["agent"], emotion="calm", satisfaction=5)
    response = client.get(
        "/api/v1/cases/suggestions?kind=angry_resolved&from=2026-11-01&to=2026-11-30", headers=headers["trainer"]
    )
    assert response.status_code == 200, response.json
    assert [item["record_number"] for item in response.json["items"]] == [angry.number]
    assert response.json["items"][0]["suggested_kind"] == "exemplary"
    assert client.get("/api/v1/cases/suggestions?kind=best", headers=headers["trainer"]).status_code == 422
    assert (
        client.get("/api/v1/cases/suggestions?from=2026-12-01&to=2026-11-01", headers=headers["trainer"]).status_code
        == 422
    )
    assert client.get("/api/v1/cases/suggestions", headers=headers["supervisor"]).status_code == 403

    dimensions = client.get("/api/v1/cases/dimensions", headers=headers["agent"]).json
    assert [item["key"] for item in dimensions["dimensions"]] == [
        "communication",
        "problem_solving",
        "empathy",
        "compliance",
        "product_knowledge",
    ]
    assert {"resolution_rate", "core_fields"} <= {item["key"] for item in dimensions["criteria"]}


def test_a_pack_from_draft_to_read(client, db, headers, people, record):
    case_id = make_case(client, headers["trainer"], record).json["id"]
    created = client.post(
        "/api/v1/collections",
        headers=headers["trainer"],
        json={
            "title": "高效解答",
            "introduction": "一次解决问题",
            "case_ids": [case_id],
            "criteria": ["resolution_rate"],
        },
    )
    assert created.status_code == 201, created.json
    pack_id = created.json["id"]
    assert created.json["status"] == "draft" and [case["id"] for case in created.json["cases"]] == [case_id]
    assert "resolution_rate" in [item["key"] for item in created.json["teaches"]]

    agent = headers["agent"]
    assert client.get(f"/api/v1/collections/{pack_id}", headers=agent).status_code == 403
    assign = {"agents": [people["agent"].username], "due": "2026-12-01", "criterion": "resolution_rate"}
    assignments = f"/api/v1/collections/{pack_id}/assignments"
    assert client.post(assignments, headers=headers["supervisor"], json=assign).status_code == 403  # a draft
    assert client.post(assignments, headers=headers["trainer"], json=assign).status_code == 422  # publish first
    assert client.post(f"/api/v1/collections/{pack_id}/publish", headers=headers["supervisor"]).status_code == 403
    published = client.post(f"/api/v1/collections/{pack_id}/publish", headers=headers["trainer"])
    assert published.status_code == 200 and published.json["status"] == "published"

    assert client.post(f"/api/v1/collections/{pack_id}/assignments", headers=agent, json=assign).status_code == 403
    other = {"agents": [people["other_agent"].username]}
    refused = client.post(f"/api/v1/collections/{pack_id}/assignments", headers=headers["supervisor"], json=other)
    assert refused.status_code == 422
    unknown = client.post(
        f"/api/v1/collections/{pack_id}/assignments", headers=headers["trainer"], json={"agents": ["nobody"]}
    )
    assert unknown.status_code == 422 and "nobody" in unknown.json["errors"]["json"]["agents"][0]
    assigned = client.post(f"/api/v1/collections/{pack_id}/assignments", headers=headers["supervisor"], json=assign)
    assert assigned.status_code == 200
    assert [(row["username"], row["due"], row["first_opened_at"]) for row in assigned.json["items"]] == [
        (people["agent"].username, "2026-12-01", None)
    ]

    mine = client.get("/api/v1/collections", headers=agent)
    assert [item["id"] for item in mine.json["items"]] == [pack_id]
    assert mine.json["items"][0]["assignment"]["due"] == "2026-12-01" and mine.json["items"][0]["reading"] is None
    assert client.get("/api/v1/collections", headers=headers["other_agent"]).json["items"] == []

    opened = client.get(f"/api/v1/collections/{pack_id}", headers=agent)
    assert opened.status_code == 200
    assert opened.json["reading"]["first_opened_at"] and opened.json["reading"]["completed_at"] is None
    assert opened.json["cases"][0]["source_record"] is None  # agents get no way back to the record
    done = client.post(f"/api/v1/collections/{pack_id}/complete", headers=agent)
    assert done.status_code == 200 and done.json["reading"]["completed_at"]
    assert client.post(f"/api/v1/collections/{pack_id}/complete", headers=headers["supervisor"]).status_code == 403
    assert count(CollectionReading) == 1

    progress = client.get(f"/api/v1/collections/{pack_id}/assignments", headers=headers["trainer"]).json["items"]
    assert progress[0]["completed_at"] and progress[0]["criterion"] == "resolution_rate"
    assert client.get(f"/api/v1/collections/{pack_id}/assignments", headers=agent).status_code == 403
    gone = client.delete(
        f"/api/v1/collections/{pack_id}/assignments/{people['agent'].id}", headers=headers["supervisor"]
    )
    assert gone.status_code == 204
    # The reading stays: it is what the agent did.
    assert [
        row["assigned"]
        for row in client.get(f"/api/v1/collections/{pack_id}/assignments", headers=headers["trainer"]).json["items"]
    ] == [False]

    assert client.delete(f"/api/v1/collections/{pack_id}", headers=headers["trainer"]).status_code == 422
    assert client.post(f"/api/v1/collections/{pack_id}/archive", headers=headers["trainer"]).status_code == 200
    assert client.get(f"/api/v1/collections/{pack_id}", headers=agent).status_code == 403
    assert count(CaseCollection) == 1


def test_pack_edits_and_bad_input(client, db, headers, record):
    first = make_case(client, headers["trainer"], record).json["id"]
    second = make_case(client, headers["trainer"], record, kind="cautionary").json["id"]
    pack_id = client.post(
        "/api/v1/collections", headers=headers["trainer"], json={"title": "包", "case_ids": [first, second]}
    ).json["id"]
    reordered = client.patch(
        f"/api/v1/collections/{pack_id}",
        headers=headers["trainer"],
        json={"case_ids": [second, first], "audience": "everyone"},
    )
    assert [case["id"] for case in reordered.json["cases"]] == [second, first]
    assert reordered.json["audience"] == "everyone"
    for body in ({"title": ""}, {"case_ids": [first, first]}, {"criteria": ["charm"]}, {"audience": "all"}):
        response = client.patch(f"/api/v1/collections/{pack_id}", headers=headers["trainer"], json=body)
        assert response.status_code == 422, body
    # A draft may be emptied (found by fuzzing: it answered 500).
    emptied = client.patch(f"/api/v1/collections/{pack_id}", headers=headers["trainer"], json={"case_ids": []})
    assert emptied.status_code == 200 and emptied.json["cases"] == []
    assert client.post("/api/v1/collections", headers=headers["trainer"], json={"introduction": "x"}).status_code == 422
    assert client.post("/api/v1/collections", headers=headers["supervisor"], json={"title": "x"}).status_code == 403
    assert client.delete(f"/api/v1/collections/{pack_id}", headers=headers["trainer"]).status_code == 204
    assert client.get("/api/v1/collections/999999", headers=headers["trainer"]).status_code == 404


def test_exports(client, db, headers, people, make_user, make_record):
    planted = pii_records(make_user, make_record)
    case_id = make_case(client, headers["trainer"], planted["zh"], title="安抚示范").json["id"]
    english = make_case(client, headers["trainer"], planted["en"], title="Login reset").json["id"]
    pack_id = client.post(
        "/api/v1/collections", headers=headers["trainer"], json={"title": "高效解答", "case_ids": [case_id, english]}
    ).json["id"]

    markdown = client.get(
        f"/api/v1/collections/{pack_id}/export?format=markdown&language=en", headers=headers["trainer"]
    )
    assert markdown.status_code == 200
    assert markdown.mimetype == "text/markdown"
    assert "training-pack-" in markdown.headers["Content-Disposition"]
    text = markdown.get_data(as_text=True)
    assert "# 高效解答" in text and "Login reset" in text and "Customer A" in text
    assert leaked(text, (planted["zh"].customer.number,)) == []

    pdf = client.get(f"/api/v1/collections/{pack_id}/export?format=pdf", headers=headers["trainer"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert (
        client.get(f"/api/v1/collections/{pack_id}/export?format=docx", headers=headers["trainer"]).status_code == 422
    )
    # A draft is the trainers' own; agents export only packs they may read.
    assert client.get(f"/api/v1/collections/{pack_id}/export", headers=headers["agent"]).status_code == 403
    exports = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "collection.export").order_by(AuditLog.id)
    ).all()
    assert [(entry.details["format"], entry.details["language"]) for entry in exports] == [
        ("markdown", "en"),
        ("pdf", "zh"),
    ]


def test_recommendations(client, db, headers, people, make_user, make_record):
    slow = make_user("agent", team="客服A组")
    for _ in range(5):
        make_record(
            agent=slow,
            status="transferred",
            resolution=None,
            satisfaction=None,
            follow_ups=[{"action": "回电", "owner": "赵敏", "due": "2026-11-10"}],
            collaboration=[{"department": "财务部", "ticket_no": "CW-1"}],
        )
        make_record(agent=people["agent"])
    url = "/api/v1/collections/recommendations?from=2026-11-01&to=2026-11-30"
    response = client.get(url, headers=headers["supervisor"])
    assert response.status_code == 200, response.json
    row = next(item for item in response.json["items"] if item["username"] == slow.username)
    assert "resolution_rate" in [weakness["criterion"] for weakness in row["weaknesses"]]
    assert client.get(url + "&team=客服B组", headers=headers["supervisor"]).status_code == 403
    assert client.get(url + "&team=没有这个组", headers=headers["trainer"]).status_code == 422
    assert client.get(url, headers=headers["agent"]).status_code == 403


def test_the_spec_documents_the_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/suggestions",
        "/api/v1/collections",
        "/api/v1/collections/{collection_id}/export",
        "/api/v1/collections/{collection_id}/assignments",
        "/api/v1/collections/recommendations",
    ):
        assert path in paths
