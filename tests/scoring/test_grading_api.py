"""The grading API: grades, disputes, calibration sessions and review samples, with their status codes."""

from __future__ import annotations

import pytest

from scoring.operations import record_score
from tests.scoring.helpers import full_points


@pytest.fixture
def headers(people, token_for):
    return {name: token_for(user) for name, user in people.items()}


def grade(client, headers, ref, points, comment=None):
    return client.post(f"/api/v1/records/{ref}/grades", headers=headers, json={"points": points, "comment": comment})


def test_grading_a_record(client, db, headers, record):
    points = {**full_points(record), "specific_problem": 1}
    response = grade(client, headers["supervisor"], record.number, points, "描述可更具体")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["points"] == points and body["comment"] == "描述可更具体"
    assert 0 < body["score"] < 100 and body["critical_failed"] is False
    assert body["effective"] == {
        "auto": record_score(record).score,
        "grade": body["score"],
        "effective": body["score"],
        "grade_id": body["id"],
        "graded_by": body["grader"]["username"],
        "locked": False,
    }
    assert body["auto_points"] == record_score(record).points and body["locked_at"] is None
    assert body["agreement"]["specific_problem"] == 100 - 50 * abs(record_score(record).points["specific_problem"] - 1)

    listing = client.get(f"/api/v1/records/{record.id}/grades", headers=headers["agent"])
    assert listing.status_code == 200
    assert [item["id"] for item in listing.json["items"]] == [body["id"]]
    assert listing.json["effective"]["effective"] == body["score"]


def test_grading_status_codes(client, db, headers, record):
    points = full_points(record)
    assert grade(client, headers["agent"], record.id, points).status_code == 403
    assert grade(client, headers["agent"], record.id, {"bad": "body"}).status_code == 403  # role before body
    assert grade(client, headers["trainer"], record.id, points).status_code == 403
    assert grade(client, headers["other_supervisor"], record.id, points).status_code == 403
    assert grade(client, headers["supervisor"], "R209901010001", points).status_code == 404
    assert client.get(f"/api/v1/records/{record.id}/grades", headers=headers["other_agent"]).status_code == 403
    assert client.get(f"/api/v1/records/{record.id}/grades").status_code == 401

    missing = grade(client, headers["supervisor"], record.id, {"core_fields": 4})
    assert missing.status_code == 422
    assert "specific_problem" in missing.json["errors"]["json"]["points"]
    too_many = grade(client, headers["supervisor"], record.id, {**points, "core_fields": 5})
    assert too_many.status_code == 422
    assert list(too_many.json["errors"]["json"]["points"]) == ["core_fields"]
    assert grade(client, headers["supervisor"], record.id, {**points, "core_fields": "x"}).status_code == 422

    failed = grade(client, headers["supervisor"], record.id, {**points, "no_unmasked_pii": 0})
    assert failed.status_code == 201
    assert (failed.json["score"], failed.json["critical_failed"]) == (30.0, True)


def test_dispute_and_resolution(client, db, headers, record):
    graded = grade(client, headers["supervisor"], record.id, {**full_points(record), "concrete_steps": 0}).json
    url = f"/api/v1/grades/{graded['id']}/dispute"
    assert client.post(url, headers=headers["other_agent"], json={"reason": "不同意"}).status_code == 403
    assert client.post(url, headers=headers["agent"], json={"reason": ""}).status_code == 422
    assert (
        client.post("/api/v1/grades/999999/dispute", headers=headers["agent"], json={"reason": "x"}).status_code == 404
    )
    response = client.post(url, headers=headers["agent"], json={"reason": "处理过程写了三步。"})
    assert response.status_code == 201, response.json
    dispute = response.json
    assert (dispute["status"], dispute["grade"]["id"]) == ("open", graded["id"])
    assert client.post(url, headers=headers["agent"], json={"reason": "again"}).status_code == 422

    listed = client.get("/api/v1/disputes?status=open", headers=headers["supervisor"])
    assert [item["id"] for item in listed.json["items"]] == [dispute["id"]]
    assert client.get("/api/v1/disputes", headers=headers["other_supervisor"]).json["items"] == []
    assert client.get("/api/v1/disputes?status=closed", headers=headers["admin"]).status_code == 422
    assert client.get("/api/v1/disputes", headers=headers["trainer"]).status_code == 403

    resolve = f"/api/v1/disputes/{dispute['id']}/resolve"
    body = {"outcome": "changed", "note": "同意，步骤具体。"}
    assert client.post(resolve, headers=headers["agent"], json=body).status_code == 403
    assert client.post(resolve, headers=headers["other_supervisor"], json=body).status_code == 403
    assert client.post(resolve, headers=headers["supervisor"], json=body).status_code == 422  # no points
    assert client.post("/api/v1/disputes/999999/resolve", headers=headers["supervisor"], json=body).status_code == 404
    response = client.post(resolve, headers=headers["supervisor"], json={**body, "points": full_points(record)})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "changed"
    assert response.json["effective"]["effective"] == 100.0
    assert response.json["effective"]["grade_id"] != graded["id"]
    assert (
        client.post(resolve, headers=headers["supervisor"], json={"outcome": "upheld", "note": "x"}).status_code == 422
    )

    history = client.get(f"/api/v1/records/{record.number}/grades", headers=headers["agent"]).json["items"]
    assert [item["score"] for item in history] == [100.0, graded["score"]]
    assert history[1]["dispute"]["status"] == "changed"


def test_upholding_a_dispute(client, db, headers, record):
    graded = grade(client, headers["supervisor"], record.id, {**full_points(record), "concrete_steps": 0}).json
    dispute = client.post(f"/api/v1/grades/{graded['id']}/dispute", headers=headers["agent"], json={"reason": "x"})
    response = client.post(
        f"/api/v1/disputes/{dispute.json['id']}/resolve",
        headers=headers["admin"],
        json={"outcome": "upheld", "note": "步骤只写了“已处理”。"},
    )
    assert response.status_code == 200
    assert response.json["status"] == "upheld"
    assert response.json["effective"]["grade_id"] == graded["id"]
    assert client.get("/api/v1/disputes", headers=headers["agent"]).json["items"][0]["status"] == "upheld"


def test_calibration_session(client, db, people, headers, record, make_record):
    second = make_record(agent=people["agent"], handling_steps="已处理")
    body = {
        "name": "十一月校准",
        "record_numbers": [record.number, second.number],
        "grader_usernames": [people["supervisor"].username, people["trainer"].username],
    }
    assert client.post("/api/v1/calibrations", headers=headers["agent"], json=body).status_code == 403
    assert client.post("/api/v1/calibrations", headers=headers["trainer"], json={"name": "x"}).status_code == 422
    unknown = client.post(
        "/api/v1/calibrations", headers=headers["trainer"], json={**body, "grader_usernames": ["ghost", "nobody"]}
    )
    assert unknown.status_code == 422
    response = client.post("/api/v1/calibrations", headers=headers["trainer"], json=body)
    assert response.status_code == 201, response.json
    session = response.json
    assert session["record_ids"] == [record.id, second.id]
    assert [grader["username"] for grader in session["graders"]] == body["grader_usernames"]
    assert session["report"]["grades"] == 0

    url = f"/api/v1/calibrations/{session['id']}/grades"
    for who in ("supervisor", "trainer"):
        for item in (record, second):
            response = client.post(
                url, headers=headers[who], json={"record": item.number, "points": record_score(item).points}
            )
            assert response.status_code == 201, response.json
            assert response.json["calibration_id"] == session["id"]
            assert response.json["effective"]["grade"] is None
    points = record_score(record).points
    assert (
        client.post(url, headers=headers["admin"], json={"record": record.number, "points": points}).status_code == 403
    )
    assert (
        client.post(url, headers=headers["agent"], json={"record": record.number, "points": points}).status_code == 403
    )
    outsider = make_record(agent=people["agent"])
    assert (
        client.post(url, headers=headers["trainer"], json={"record": outsider.id, "points": points}).status_code == 422
    )

    report = client.get(f"/api/v1/calibrations/{session['id']}", headers=headers["supervisor"])
    assert report.status_code == 200
    assert report.json["report"]["complete"] is True
    assert report.json["report"]["score"]["alpha"] == 1.0
    assert {item["key"] for item in report.json["report"]["criteria"]} >= {"core_fields", "concrete_steps"}
    assert client.get(f"/api/v1/calibrations/{session['id']}", headers=headers["agent"]).status_code == 403
    assert client.get(f"/api/v1/calibrations/{session['id']}", headers=headers["other_supervisor"]).status_code == 403
    assert client.get("/api/v1/calibrations/999999", headers=headers["admin"]).status_code == 404


def test_review_sample(client, db, people, headers, make_record):
    for _ in range(4):
        make_record(agent=people["agent"])
    make_record(agent=people["other_agent"])
    query = "/api/v1/review-sample?from=2026-11-01&to=2026-11-10&per_agent=3&lowest=1&seed=5"
    response = client.get(query, headers=headers["supervisor"])
    assert response.status_code == 200, response.json
    assert [item["agent"]["username"] for item in response.json["items"]] == [people["agent"].username]
    records = response.json["items"][0]["records"]
    assert len(records) == 3 and all("auto_score" in item for item in records)
    assert client.get(query, headers=headers["supervisor"]).json == response.json

    everyone = client.get(query, headers=headers["admin"]).json["items"]
    assert {item["agent"]["username"] for item in everyone} == {
        people["agent"].username,
        people["other_agent"].username,
    }
    assert client.get(query + "&team=客服B组", headers=headers["supervisor"]).status_code == 403
    assert client.get(query, headers=headers["agent"]).status_code == 403
    assert client.get(query, headers=headers["trainer"]).status_code == 403
    assert client.get(query + "&agent=ghost", headers=headers["admin"]).status_code == 422
    assert (
        client.get("/api/v1/review-sample?from=2026-11-10&to=2026-11-01", headers=headers["admin"]).status_code == 422
    )


def test_the_routes_are_in_the_api_spec(client, db):
    paths = set(client.get("/api/v1/openapi.json").json["paths"])
    assert {
        "/api/v1/records/{ref}/grades",
        "/api/v1/grades/{grade_id}/dispute",
        "/api/v1/disputes",
        "/api/v1/disputes/{dispute_id}/resolve",
        "/api/v1/calibrations",
        "/api/v1/calibrations/{session_id}",
        "/api/v1/calibrations/{session_id}/grades",
        "/api/v1/review-sample",
    } <= paths
