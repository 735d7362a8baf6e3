"""Issue 18, Low 10: a public contact request never joins (or shows) a known customer's history by itself.

Anyone can type a known customer's phone into the help center's contact form; the request used to land in that
customer's history. Now it goes to a new customer flagged unverified, which is never taken for a returning one;
staff join it to the known customer after verifying (POST /api/v1/records/{ref}/verify-customer), and the answer
is the same for a known and an unknown phone.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from records.enums import Role
from records.models import Customer, Record
from tests.conftest import PASSWORD

PHONE = "13812345678"  # the phone of tests.conftest.record_payload's customer


@pytest.fixture
def known(make_user, make_record):
    """A customer with a record, and the help desk agent who takes contact requests."""
    agent = make_user(Role.AGENT, username="helpdesk", team="客服A组")
    return make_record(agent=agent).customer


def request_contact(client, phone: str) -> dict:
    body = {"name": "张先生", "phone": phone, "description": "我的订单一直没有发货，请联系我。"}
    response = client.post("/api/v1/contact-requests", json=body)
    assert response.status_code == 201, response.json
    return response.json


def record_of(db, number: str) -> Record:
    return db.session.scalar(sa.select(Record).where(Record.number == number))


def records_of(db, customer: Customer) -> int:
    return db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.customer_id == customer.id))


def test_a_known_phone_does_not_join_the_customers_history(client, db, known):
    answer = request_contact(client, PHONE)
    record = record_of(db, answer["record_no"])
    assert record.customer_id != known.id
    assert record.customer.unverified and record.customer.phone == PHONE
    assert records_of(db, known) == 1


def test_the_answer_is_the_same_for_a_known_and_an_unknown_phone(client, db, known):
    answers = [request_contact(client, phone) for phone in (PHONE, "13900009999")]
    assert [sorted(answer) for answer in answers] == [["emailed", "record_no", "session", "status_url"]] * 2
    assert [answer["emailed"] for answer in answers] == [False, False]
    customers = [record_of(db, answer["record_no"]).customer for answer in answers]
    assert [customer.unverified for customer in customers] == [True, True]
    assert len({customer.id for customer in customers} | {known.id}) == 3


def test_the_help_center_contact_page_keeps_to_it(client, db, known):
    form = {"name": "张先生", "phone": PHONE, "email": "", "description": "我的订单一直没有发货，请联系我。"}
    assert client.post("/help/contact", data=form).status_code == 302
    assert records_of(db, known) == 1
    created = db.session.scalar(sa.select(Customer).where(Customer.unverified.is_(True)))
    assert created is not None and records_of(db, created) == 1


def test_an_unverified_customer_is_never_taken_for_a_returning_one(client, db, make_user, make_record):
    make_user(Role.AGENT, username="helpdesk")
    answer = request_contact(client, "13900009999")
    staff_record = make_record(customer={"name": "王女士", "phone": "13900009999"})
    assert staff_record.customer_id != record_of(db, answer["record_no"]).customer_id
    assert not staff_record.customer.unverified


def test_staff_join_the_request_to_the_known_customer_after_verifying(client, db, known):
    record_no = request_contact(client, PHONE)["record_no"]
    unverified_id = record_of(db, record_no).customer_id
    token = client.post("/api/v1/auth/tokens", json={"username": "helpdesk", "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(f"/api/v1/records/{record_no}/verify-customer", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["customer"]["number"] == known.number
    db.session.expire_all()
    assert records_of(db, known) == 2 and db.session.get(Customer, unverified_id) is None
    again = client.post(f"/api/v1/records/{record_no}/verify-customer", headers=headers)
    assert again.status_code == 422
