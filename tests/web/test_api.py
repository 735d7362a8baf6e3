"""The REST API: auth, records, follow-ups, customers, the access matrix, errors and the spec."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from records.enums import Role
from records.models import AuditLog, Record
from tests.conftest import PASSWORD, record_payload


@pytest.fixture
def world(db, make_user, make_record):
    """Two teams: agents a1, a2 and supervisor sA in 客服A组; agent b1 and supervisor sB in 客服B组."""
    people = {
        "a1": make_user(Role.AGENT, username="a1", team="客服A组"),
        "a2": make_user(Role.AGENT, username="a2", team="客服A组"),
        "b1": make_user(Role.AGENT, username="b1", team="客服B组"),
        "sA": make_user(Role.SUPERVISOR, username="sA", team="客服A组"),
        "sB": make_user(Role.SUPERVISOR, username="sB", team="客服B组"),
        "trainer": make_user(Role.TRAINER, username="trainer"),
        "admin": make_user(Role.ADMIN, username="admin"),
    }
    record_a = make_record(agent=people["a1"])
    record_b = make_record(
        agent=people["b1"], customer={"name": "Li Lei", "phone": "13900001111"}, problem_description="Parcel late."
    )
    return {"people": people, "record_a": record_a, "record_b": record_b}


def bearer(client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


# (method, path template, body) -> expected status for anonymous, a1, a2, b1, sA, sB, trainer, admin
MATRIX = [
    ("GET", "/api/v1/records", None, [401, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/records/{a}", None, [401, 200, 403, 403, 200, 403, 200, 200]),
    ("GET", "/api/v1/records/{a}?reveal=true", None, [401, 200, 403, 403, 200, 403, 403, 200]),
    ("PATCH", "/api/v1/records/{a}", {"priority": "high"}, [401, 200, 403, 403, 200, 403, 403, 200]),
    ("DELETE", "/api/v1/records/{a}", None, [401, 403, 403, 403, 403, 403, 403, 204]),
    ("GET", "/api/v1/records/{a}/follow-ups", None, [401, 200, 403, 403, 200, 403, 200, 200]),
    ("POST", "/api/v1/records", "payload", [401, 201, 201, 201, 201, 201, 403, 201]),
    ("GET", "/api/v1/customers", None, [401, 200, 200, 200, 200, 200, 403, 200]),
    # A customer one may not see is a 404, like one that does not exist (issue 18, High 1).
    ("GET", "/api/v1/customers/{customer_a}", None, [401, 200, 404, 404, 200, 404, 403, 200]),
    ("PATCH", "/api/v1/customers/{customer_a}", {"tier": "vip"}, [401, 200, 404, 404, 200, 404, 403, 200]),
    ("GET", "/api/v1/users", None, [401, 200, 200, 200, 200, 200, 200, 200]),
    ("POST", "/api/v1/users", "new_user", [401, 403, 403, 403, 403, 403, 403, 201]),
    ("GET", "/api/v1/taxonomy", None, [401, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/audit", None, [401, 403, 403, 403, 403, 403, 403, 200]),
]
WHO = [None, "a1", "a2", "b1", "sA", "sB", "trainer", "admin"]


@pytest.mark.parametrize(("method", "template", "body", "expected"), MATRIX, ids=[f"{m} {t}" for m, t, _, _ in MATRIX])
def test_access_matrix(client, world, method, template, body, expected):
    record = world["record_a"]
    path = template.format(a=record.number, customer_a=record.customer.number)
    for who, status in zip(WHO, expected, strict=True):
        headers = bearer(client, who) if who else {}
        if body == "payload":
            json_body = record_payload(contacted_at="2026-11-03 09:00")
        elif body == "new_user":
            json_body = {"username": f"new{who}", "password": "long-enough-1", "role": "agent", "team": "客服A组"}
        else:
            json_body = body
        response = client.open(path, method=method, headers=headers, json=json_body)
        assert response.status_code == status, f"{who} {method} {path}: {response.status_code} {response.json}"
        if status >= 400:
            assert response.is_json and response.json["code"] == status
        if method == "DELETE" and status == 204:
            break  # the record is gone for the remaining (none) callers


def test_token_with_wrong_password_is_refused(client, world):
    response = client.post("/api/v1/auth/tokens", json={"username": "a1", "password": "nope"})
    assert response.status_code == 401
    assert "wrong password" in response.json["message"]


def test_revoked_token_stops_working(client, world):
    headers = bearer(client, "a1")
    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/records", headers=headers).status_code == 401


def test_lists_are_scoped_by_role(client, world):
    numbers = {
        who: {item["number"] for item in client.get("/api/v1/records", headers=bearer(client, who)).json["items"]}
        for who in ("a1", "a2", "sA", "sB", "admin")
    }
    a, b = world["record_a"].number, world["record_b"].number
    assert numbers == {"a1": {a}, "a2": set(), "sA": {a}, "sB": {b}, "admin": {a, b}}


def test_record_is_masked_and_reveal_is_audited(client, world, db):
    number = world["record_a"].number
    masked = client.get(f"/api/v1/records/{number}", headers=bearer(client, "a1")).json
    assert masked["masked"] is True
    assert masked["customer"]["phone"] == "138****5678"
    assert masked["customer"]["email"] == "zha***@example.com"

    revealed = client.get(f"/api/v1/records/{number}?reveal=true", headers=bearer(client, "a1")).json
    assert revealed["customer"]["phone"] == "13812345678"
    entries = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "record.reveal")).all()
    assert [(entry.actor, entry.object_id) for entry in entries] == [("a1", number)]


def test_free_text_pii_is_masked_unless_revealed(client, world, db, make_record):
    record = make_record(
        agent=world["people"]["a1"],
        problem_description="客户留下备用手机13987654321，订单号DD202611020001无法支付。",
    )
    shown = client.get(f"/api/v1/records/{record.number}", headers=bearer(client, "a1")).json
    assert "13987654321" not in shown["problem_description"]
    assert "139****4321" in shown["problem_description"]
    assert "DD202611020001" in shown["problem_description"]


def test_trainer_sees_scrubbed_record(client, world):
    shown = client.get(f"/api/v1/records/{world['record_a'].number}", headers=bearer(client, "trainer")).json
    assert shown["customer"]["name"] != "张先生" and shown["customer"]["number"] is None
    assert shown["customer"]["phone"] is None and shown["customer"]["email"] is None


def test_create_record_via_api(client, world, db):
    headers = bearer(client, "a1")
    payload = record_payload(
        status="pending",
        resolution=None,
        follow_ups=[{"action": "回访确认登录", "owner": "王芳", "due": "2026-11-30"}],
        tags="投诉-物流延迟，咨询-产品功能",
        channel="社交媒体",
        channel_platform="微信公众号",
    )
    response = client.post("/api/v1/records", headers=headers, json=payload)
    assert response.status_code == 201, response.json
    created = response.json
    assert created["number"].startswith("R20261102")
    assert created["agent"] == "a1" and created["team"] == "客服A组"
    assert created["category"] == "malfunction" and created["subcategory"] == "login"
    assert created["channel"] == "social_media"
    assert created["tags"] == ["投诉-物流延迟", "咨询-产品功能"]
    assert created["follow_ups"][0]["owner"] == "王芳" and created["follow_ups"][0]["done"] is False
    assert created["language"] == "zh"
    # The same phone is the same customer: both records share the customer number.
    assert created["customer"]["number"] == world["record_a"].customer.number


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"status": "resolved", "resolution": ""}, "resolution", "resolved record needs a resolution"),
        ({"status": "pending", "resolution": None}, "follow_ups", "needs an open follow-up"),
        ({"status": "closed"}, "status", "allowed: open, pending, transferred, resolved, unresolvable"),
        ({"satisfaction": 6}, "satisfaction", "1 to 5"),
        ({"emotion": "furious"}, "emotion", "allowed: calm"),
        ({"priority": "asap"}, "priority", "allowed: low, medium, high, urgent"),
        ({"contacted_at": "2999-01-01 10:00"}, "contacted_at", "future"),
        ({"contacted_at": "yesterday"}, "contacted_at", "YYYY-MM-DD HH:MM"),
        ({"channel": "social_media"}, "channel_platform", "Name the platform"),
        ({"category": "功能故障", "subcategory": "没有这个"}, "category", "Unknown subcategory"),
        ({"customer": {"customer_type": "enterprise"}}, "customer", "company"),
        ({"duration_minutes": -3}, "duration_minutes", "Enter a number from 0 to 1440."),
        ({"problem_description": None}, "problem_description", "This field is required."),
        ({"shoe_size": 42}, "shoe_size", "Unknown field"),
    ],
)
def test_invalid_records_get_field_messages_and_write_nothing(client, world, db, overrides, field, fragment):
    before = db.session.scalar(sa.select(sa.func.count(Record.id)))
    response = client.post("/api/v1/records", headers=bearer(client, "a1"), json=record_payload(**overrides))
    assert response.status_code == 422, response.json
    messages = response.json["errors"]["json"][field]
    assert fragment in str(messages)
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == before


def test_patch_checks_rules_on_the_merged_record(client, world, db):
    number = world["record_a"].number
    headers = bearer(client, "a1")
    response = client.patch(f"/api/v1/records/{number}", headers=headers, json={"status": "transferred"})
    assert response.status_code == 422
    assert "follow_ups" in response.json["errors"]["json"]
    assert db.session.get(Record, world["record_a"].id).status.value == "resolved"

    response = client.patch(
        f"/api/v1/records/{number}",
        headers=headers,
        json={
            "status": "transferred",
            "collaboration": [{"department": "技术部", "ticket_no": "JS-20261102-003"}],
            "follow_ups": [{"action": "技术部修复后回访", "owner": "李工", "due": "2026-11-25"}],
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "transferred"
    assert response.json["collaboration"][0]["ticket_no"] == "JS-20261102-003"


def test_follow_up_done_and_rule_kept(client, world):
    headers = bearer(client, "a1")
    number = world["record_a"].number
    created = client.post(
        f"/api/v1/records/{number}/follow-ups",
        headers=headers,
        json={"action": "三天后回访", "owner": "王芳", "due": "2026-11-05"},
    )
    assert created.status_code == 201, created.json
    assert created.json["overdue"] is True  # 2026-11-05 is past and not done
    done = client.patch(
        f"/api/v1/records/{number}/follow-ups/{created.json['id']}", headers=headers, json={"done": True}
    )
    assert done.status_code == 200 and done.json["done"] is True and done.json["overdue"] is False
    missing = client.patch(f"/api/v1/records/{number}/follow-ups/99999", headers=headers, json={"done": True})
    assert missing.status_code == 404


def test_list_filters(client, world, make_record):
    a1 = world["people"]["a1"]
    make_record(
        agent=a1,
        status="open",
        resolution=None,
        contacted_at="2026-10-01 09:00",
        category="物流",
        subcategory="物流延迟",
    )
    headers = bearer(client, "admin")

    def numbers(query: str) -> int:
        response = client.get(f"/api/v1/records?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return response.json["total"]

    assert numbers("status=open") == 1
    assert numbers("status=resolved") == 2
    assert numbers("agent=a1") == 2
    assert numbers("team=客服B组") == 1
    assert numbers("category=logistics") == 1
    assert numbers("category=物流&subcategory=物流延迟") == 1
    assert numbers("channel=phone") == 3
    assert numbers("from=2026-11-01&to=2026-11-30") == 2
    assert numbers("q=Li Lei") == 1  # customer name
    assert numbers("q=parcel") == 1  # text, case-insensitive
    assert numbers("q=100%25") == 0  # a literal %, not a wildcard
    assert client.get("/api/v1/records?from=2026-12-01&to=2026-11-01", headers=headers).status_code == 422
    assert client.get("/api/v1/records?status=nope", headers=headers).status_code == 422


def test_customer_with_history(client, world, make_record):
    a1 = world["people"]["a1"]
    make_record(agent=a1, contacted_at="2026-11-05 10:00")
    customer_no = world["record_a"].customer.number
    response = client.get(f"/api/v1/customers/{customer_no}", headers=bearer(client, "a1"))
    assert response.status_code == 200
    assert response.json["phone"] == "138****5678"
    history = response.json["history"]
    assert len(history) == 2 and history[0]["contacted_at"] > history[1]["contacted_at"]


def test_oversized_request_gets_413_json(client, world, app):
    body = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/api/v1/records", headers={**bearer(client, "a1"), "Content-Type": "application/json"}, data=body
    )
    assert response.status_code == 413
    assert response.is_json and response.json["code"] == 413


def test_malformed_json_is_a_clear_4xx(client, world):
    response = client.post(
        "/api/v1/records", headers={**bearer(client, "a1"), "Content-Type": "application/json"}, data="{not json"
    )
    assert 400 <= response.status_code < 500 and response.is_json


def test_unknown_record_is_404(client, world):
    assert client.get("/api/v1/records/R209901019999", headers=bearer(client, "admin")).status_code == 404


def test_spec_and_docs_are_served_locally(client, db):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.json["paths"]
    assert {"/api/v1/records", "/api/v1/records/{ref}", "/api/v1/customers/{ref}", "/api/v1/auth/tokens"} <= set(paths)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/api/v1/docs-assets/swagger-ui-bundle.js" in docs.data and b"cdn" not in docs.data.lower()
    with client.get("/api/v1/docs-assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and b"SwaggerUI" in asset.get_data()


def test_cookie_session_api_calls_need_csrf(app, db, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        user = make_user(Role.AGENT)
        # Sign-in form itself needs the token too; fetch it the way a browser would.
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
        assert client.post("/api/v1/records", json=record_payload()).status_code == 400
        ok = client.post("/api/v1/records", json=record_payload(), headers={"X-CSRFToken": token})
        assert ok.status_code == 201, ok.json
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_audit_log_lists_who_did_what(client, world):
    number = world["record_a"].number
    client.get(f"/api/v1/records/{number}?reveal=true", headers=bearer(client, "sA"))
    headers = bearer(client, "admin")
    entries = client.get(f"/api/v1/audit?object_id={number}", headers=headers).json["items"]
    assert [(entry["actor"], entry["action"]) for entry in entries] == [
        ("sA", "record.reveal"),
        ("a1", "record.create"),
    ]
    assert (
        client.get("/api/v1/audit?action=record.reveal&from=2000-01-01&to=2000-01-02", headers=headers).json["total"]
        == 0
    )


def test_pii_in_notes_and_follow_ups_is_masked(client, world, make_record):
    record = make_record(
        agent=world["people"]["a1"],
        status="pending",
        resolution=None,
        attachments=[{"type": "截图", "obtained_via": "微信", "note": "客户另留邮箱 li.si@example.com"}],
        follow_ups=[{"action": "回电 13700001234 确认", "owner": "王芳", "due": "2026-11-30"}],
    )
    shown = client.get(f"/api/v1/records/{record.number}", headers=bearer(client, "a1")).json
    assert "li.si@example.com" not in str(shown) and "13700001234" not in str(shown)
    revealed = client.get(f"/api/v1/records/{record.number}?reveal=true", headers=bearer(client, "a1")).json
    assert revealed["follow_ups"][0]["action"] == "回电 13700001234 确认"


def test_days_far_outside_any_record_are_a_clear_422(client, world):
    response = client.get("/api/v1/records?from=0001-01-01", headers=bearer(client, "admin"))
    assert response.status_code == 422
    assert "1900" in str(response.json["errors"])


def test_absurd_page_numbers_are_a_clear_422(client, world):
    for path in ("/api/v1/records", "/api/v1/customers", "/api/v1/audit"):
        response = client.get(f"{path}?page=2264431091888435712", headers=bearer(client, "admin"))
        assert response.status_code == 422, path


def test_audit_times_are_utc_iso(client, world):
    entry = client.get("/api/v1/audit", headers=bearer(client, "admin")).json["items"][0]
    assert entry["at"].endswith("Z") and "T" in entry["at"]


def test_unknown_method_says_which_are_allowed(client, world):
    response = client.open("/api/v1/users/me", method="TRACE", headers=bearer(client, "a1"))
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]


def test_cookie_call_without_session_is_401_not_csrf(app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        client.set_cookie("session", "forged")
        response = client.post("/api/v1/users", json={"username": "x", "password": "long-enough-1", "role": "admin"})
        assert response.status_code == 401
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_duplicate_external_id_is_a_field_error(client, world, db):
    headers = bearer(client, "a1")
    first = client.post("/api/v1/records", headers=headers, json=record_payload(external_id="CRM-1"))
    assert first.status_code == 201
    again = client.post("/api/v1/records", headers=headers, json=record_payload(external_id="CRM-1"))
    assert again.status_code == 422
    assert first.json["number"] in again.json["errors"]["json"]["external_id"][0]
    other = client.post("/api/v1/records", headers=headers, json=record_payload(external_id="CRM-2"))
    clash = client.patch(f"/api/v1/records/{other.json['number']}", headers=headers, json={"external_id": "CRM-1"})
    assert clash.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.external_id == "CRM-1")) == 1


def test_a_lost_race_on_a_constraint_is_a_409_not_a_500(app, db):
    from sqlalchemy.exc import IntegrityError

    with app.test_request_context("/api/v1/records", method="POST"):
        response = app.make_response(app.handle_user_exception(IntegrityError("INSERT", {}, Exception("UNIQUE"))))
    assert response.status_code == 409 and response.json["code"] == 409


def test_user_email_must_be_unique(client, world):
    headers = bearer(client, "admin")
    body = {"username": "zhao", "password": "long-enough-1", "role": "trainer", "email": "T@example.com"}
    assert client.post("/api/v1/users", headers=headers, json=body).status_code == 201
    again = client.post("/api/v1/users", headers=headers, json={**body, "username": "zhao2", "email": "t@example.com"})
    assert again.status_code == 422 and "email" in again.json["errors"]["json"]
