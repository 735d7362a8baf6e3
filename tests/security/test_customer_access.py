"""Issue 18, High 1: linking a record to another team's customer grants nothing beyond that record.

An agent of team B could create a record with `customer_no` of team A's customer (or with a phone team A's customer
has), and then read the whole history, reveal the phone and e-mail and change the profile; their supervisor too.
The rule now: a customer is seen through one's own records (the masked profile and the records one may see); the
profile is revealed and changed by the team that owns it and by administrators; a customer one may not see answers
like a customer that does not exist.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from records.enums import Role
from records.models import AuditLog, Customer, Record
from tests.conftest import PASSWORD, record_payload

PHONE = "13812345678"
EMAIL = "zhang.san@example.com"


@pytest.fixture
def teams(make_user, make_record):
    people = {
        "a": make_user(Role.AGENT, username="agent_a", team="客服A组"),
        "sa": make_user(Role.SUPERVISOR, username="super_a", team="客服A组"),
        "b": make_user(Role.AGENT, username="agent_b", team="客服B组"),
        "sb": make_user(Role.SUPERVISOR, username="super_b", team="客服B组"),
        "admin": make_user(Role.ADMIN, username="root"),
    }
    # Team A's customer, with a record only team A may see.
    record_a = make_record(
        agent=people["a"],
        problem_description="A组的秘密：客户订单 DD20261101 退款纠纷。",
        contacted_at="2026-11-01 10:00",
    )
    return {"people": people, "record_a": record_a, "customer": record_a.customer}


def bearer(client, user) -> dict[str, str]:
    response = client.post("/api/v1/auth/tokens", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def sign_in(client, user) -> None:
    client.post("/logout")
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302


def attach_by_phone(client, user) -> dict:
    """Team B writes down a call from the same phone: the record joins team A's customer."""
    payload = record_payload(customer={"name": "张先生", "phone": PHONE}, problem_description="B组接到的咨询电话。")
    response = client.post("/api/v1/records", json=payload, headers=bearer(client, user))
    assert response.status_code == 201, response.json
    return response.json


def test_another_teams_customer_number_cannot_be_linked_or_probed(client, db, teams):
    headers = bearer(client, teams["people"]["b"])
    taken = teams["customer"].number
    unused = taken[:-3] + "999"
    answers = {}
    for number in (taken, unused):
        payload = record_payload(customer_no=number)
        del payload["customer"]
        response = client.post("/api/v1/records", json=payload, headers=headers)
        answers[number] = (
            response.status_code,
            response.json["errors"]["json"]["customer_no"][0].replace(number, "C…"),
        )
    assert answers[taken] == answers[unused] == (422, "There is no customer with the number C….")
    assert db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.customer_id == teams["customer"].id)) == 1


def test_a_typed_number_with_details_tells_nothing_either(client, db, teams):
    """With customer details, a non-administrator's typed number is never kept: taken or free, a new number."""
    headers = bearer(client, teams["people"]["b"])
    taken = teams["customer"].number
    unused = taken[:-3] + "998"
    for number, phone in ((taken, "13900002222"), (unused, "13900003333")):
        payload = record_payload(customer={"name": "李女士", "phone": phone}, customer_no=number)
        response = client.post("/api/v1/records", json=payload, headers=headers)
        assert response.status_code == 201, response.json
        assert response.json["customer"]["number"] not in (taken, unused)


def test_an_invisible_customer_answers_like_a_missing_one(client, teams):
    customer = teams["customer"]
    missing = customer.number[:-3] + "999"
    headers = bearer(client, teams["people"]["b"])
    for method in ("GET", "PATCH"):
        seen = client.open(f"/api/v1/customers/{customer.number}", method=method, json={"tier": "vip"}, headers=headers)
        unknown = client.open(f"/api/v1/customers/{missing}", method=method, json={"tier": "vip"}, headers=headers)
        assert seen.status_code == unknown.status_code == 404
        assert seen.json["message"].replace(customer.number, "C…") == unknown.json["message"].replace(missing, "C…")
    by_id = client.get(f"/api/v1/customers/{customer.id}", headers=headers)
    assert by_id.status_code == 404
    sign_in(client, teams["people"]["b"])
    assert client.get(f"/customers/{customer.number}").status_code == 404
    assert client.post(f"/customers/{customer.number}/reveal").status_code == 404


def test_joining_by_phone_shows_only_ones_own_records_and_the_masked_profile(client, db, teams):
    people, customer, record_a = teams["people"], teams["customer"], teams["record_a"]
    created = attach_by_phone(client, people["b"])
    assert created["customer"]["number"] == customer.number  # the same person: one customer
    assert created["customer"]["phone"] != PHONE and created["customer"]["record_count"] == 1
    for who in ("b", "sb"):
        headers = bearer(client, people[who])
        profile = client.get(f"/api/v1/customers/{customer.number}", headers=headers)
        assert profile.status_code == 200
        assert [row["number"] for row in profile.json["history"]] == [created["number"]]
        assert profile.json["record_count"] == 1
        assert EMAIL not in str(profile.json) and profile.json["email"] == "zha***@example.com"
        revealed = client.get(f"/api/v1/customers/{customer.number}?reveal=true", headers=headers)
        assert revealed.status_code == 403
        changed = client.patch(f"/api/v1/customers/{customer.number}", json={"name": "改名"}, headers=headers)
        assert changed.status_code == 403
        # Revealing one's own record shows its text, not the profile's contact details.
        record = client.get(f"/api/v1/records/{created['number']}?reveal=true", headers=headers)
        assert record.status_code == 200 and record.json["customer"]["email"] == "zha***@example.com"
        assert client.get(f"/api/v1/records/{record_a.number}", headers=headers).status_code == 403
        listing = client.get("/api/v1/records", query_string={"customer_no": customer.number}, headers=headers)
        assert [row["number"] for row in listing.json["items"]] == [created["number"]]
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "张先生"
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "customer.reveal")) is None


def test_the_owning_team_and_administrators_still_reveal_and_edit(client, db, teams):
    people, customer = teams["people"], teams["customer"]
    created = attach_by_phone(client, people["b"])
    for who in ("a", "sa", "admin"):
        headers = bearer(client, people[who])
        revealed = client.get(f"/api/v1/customers/{customer.number}?reveal=true", headers=headers)
        assert revealed.status_code == 200 and revealed.json["email"] == EMAIL
        changed = client.patch(f"/api/v1/customers/{customer.number}", json={"tier": "vip"}, headers=headers)
        assert changed.status_code == 200
    # Team A's own history holds team A's records; team B's record is team B's.
    history = client.get(f"/api/v1/customers/{customer.number}", headers=bearer(client, people["sa"])).json["history"]
    assert [row["number"] for row in history] == [teams["record_a"].number]
    history = client.get(f"/api/v1/customers/{customer.number}", headers=bearer(client, people["admin"])).json
    assert {row["number"] for row in history["history"]} == {teams["record_a"].number, created["number"]}


def test_pages_keep_to_the_same_rule(client, teams):
    people, customer, record_a = teams["people"], teams["customer"], teams["record_a"]
    created = attach_by_phone(client, people["b"])
    headers = bearer(client, people["sb"])
    sign_in(client, people["sb"])
    html = client.get(f"/customers/{customer.number}").get_data(as_text=True)
    assert created["number"] in html and record_a.number not in html
    assert "/reveal" not in html and EMAIL not in html
    assert client.post(f"/customers/{customer.number}/reveal").status_code == 403
    # The record page's earlier contacts of this customer leave out team A's.
    html = client.get(f"/records/{created['number']}").get_data(as_text=True)
    assert record_a.number not in html
    revealed = client.post(f"/records/{created['number']}/reveal")
    assert revealed.status_code == 200 and EMAIL not in revealed.get_data(as_text=True)
    html = client.get("/calls/incoming", query_string={"phone": PHONE}).get_data(as_text=True)
    assert customer.number in html and created["number"] in html and record_a.number not in html
    listing = client.get("/customers", query_string={"q": PHONE}).get_data(as_text=True)
    assert customer.number in listing
    for q in (record_a.number, "DD20261101", PHONE):
        found = client.get("/api/v1/records", query_string={"q": q}, headers=headers).json["items"]
        assert record_a.number not in [row["number"] for row in found]
    sign_in(client, people["a"])
    html = client.get(f"/customers/{customer.number}").get_data(as_text=True)
    assert "/reveal" in html and created["number"] not in html
