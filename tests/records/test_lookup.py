"""Caller lookup: customers and records found by phone in any format, last digits and a name, e-mail and numbers."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from records.access import PermissionDenied
from records.customers import list_customers
from records.enums import Role
from records.lookup import callers, parse_lookup, phone_keys
from records.operations import RecordFilters, list_records

CALLER = {"name": "王小明", "phone": "13886168491", "email": "Wang.XM@example.com"}


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("13886168491", ("13886168491", "008613886168491")),
        ("138-8616-8491", ("13886168491", "008613886168491")),
        ("+86 138 8616 8491", ("13886168491", "008613886168491")),
        ("0086 138 8616 8491", ("13886168491", "008613886168491")),
        ("(010) 6552-9988", ("01065529988",)),
        ("+1 415 555 0100", ("14155550100",)),
        ("95588", ("95588",)),
        ("8491", ()),
        ("王小明", ()),
        ("1388616849112345678", ()),
        ("", ()),
    ],
)
def test_phone_keys_read_any_format(typed, keys):
    assert phone_keys(typed) == keys


@pytest.mark.parametrize(
    ("typed", "digits", "name"),
    [
        ("王 8491", "8491", "王"),
        ("8491王先生", "8491", "王"),
        ("尾号8491 王小明", "8491", "王小明"),
        ("Mr Li 0100", "0100", "Li"),
    ],
)
def test_last_digits_with_a_name(typed, digits, name):
    lookup = parse_lookup(typed)
    assert (lookup.last_digits, lookup.name) == (digits, name)


def test_four_digits_alone_are_no_caller():
    lookup = parse_lookup("8491")
    assert lookup.last_digits is None and lookup.phone_keys == ()


@pytest.fixture
def caller_record(make_user, make_record):
    agent = make_user(Role.AGENT, team="客服A组")
    record = make_record(
        agent=agent,
        customer=CALLER,
        status="open",
        resolution=None,
        key_details="订单号 DD20261102001，型号 X5",
        tags=["投诉-物流延迟"],
    )
    make_record(customer={"name": "李四", "phone": "13900001111"}, agent=agent)
    return record


@pytest.mark.parametrize(
    "q",
    [
        "13886168491",
        "138-8616-8491",
        "+86 138 8616 8491",
        "王 8491",
        "8491 王先生",
        "wang.xm@example.com",
        "DD20261102001",
        "王小明",
    ],
)
def test_admin_finds_the_caller_and_their_record(caller_record, make_user, q):
    admin = make_user(Role.ADMIN)
    customers, total = list_customers(admin, q=q)
    assert total == 1 and customers[0].id == caller_record.customer_id
    records, total = list_records(admin, RecordFilters(q=q))
    assert total == 1 and records[0].id == caller_record.id


def test_customer_and_record_numbers_find_each_other(caller_record, make_user):
    admin = make_user(Role.ADMIN)
    customer_no = caller_record.customer.number
    assert [c.id for c in list_customers(admin, q=caller_record.number)[0]] == [caller_record.customer_id]
    assert [c.id for c in list_customers(admin, q=customer_no.lower())[0]] == [caller_record.customer_id]
    assert [r.id for r in list_records(admin, RecordFilters(q=customer_no))[0]] == [caller_record.id]


def test_wrong_last_digits_or_name_find_nobody(caller_record, make_user):
    admin = make_user(Role.ADMIN)
    assert list_customers(admin, q="王 1234")[1] == 0
    assert list_customers(admin, q="张 8491")[1] == 0
    assert list_customers(admin, q="13886168490")[1] == 0


def test_agents_find_only_the_callers_they_served(caller_record, make_user):
    stranger = make_user(Role.AGENT, team="客服A组")
    assert list_customers(stranger, q="13886168491")[1] == 0
    assert list_records(stranger, RecordFilters(q="13886168491"))[1] == 0
    other_supervisor = make_user(Role.SUPERVISOR, team="客服B组")
    assert list_records(other_supervisor, RecordFilters(q="王 8491"))[1] == 0
    supervisor = make_user(Role.SUPERVISOR, team="客服A组")
    assert list_records(supervisor, RecordFilters(q="王 8491"))[1] == 1


def test_trainers_cannot_find_records_by_the_customers_identity(caller_record, make_user):
    trainer = make_user(Role.TRAINER)
    assert list_records(trainer, RecordFilters(q="13886168491"))[1] == 0
    assert list_records(trainer, RecordFilters(q="wang.xm@example.com"))[1] == 0
    # What the record itself says stays searchable.
    assert list_records(trainer, RecordFilters(q="DD20261102001"))[1] == 1


def test_a_phone_written_in_the_text_is_found_however_it_is_typed(make_user, make_record):
    admin = make_user(Role.ADMIN)
    record = make_record(customer={"name": "赵六"}, customer_request="请回电 13712345678")
    assert [r.id for r in list_records(admin, RecordFilters(q="137 1234 5678"))[0]] == [record.id]


def test_callers_bring_open_records_last_contacts_and_tags(caller_record, make_record):
    agent = caller_record.agent
    make_record(agent=agent, customer={"phone": "+86 138-8616-8491"}, contacted_at="2026-11-05 09:00", tags=["VIP回访"])
    [caller] = callers(agent, "138 8616 8491")
    assert caller.customer.id == caller_record.customer_id
    assert [r.id for r in caller.open_records] == [caller_record.id]
    assert len(caller.last_contacts) == 2
    assert caller.last_contacts[0].contacted_at > caller.last_contacts[1].contacted_at
    assert set(caller.tags) == {"投诉-物流延迟", "VIP回访"}


def test_an_unknown_or_invisible_number_has_no_caller(caller_record, make_user):
    # A NUL (which PostgreSQL refuses in text) is dropped, not sent to the database.
    assert len(callers(caller_record.agent, "138\x0086168491")) == 1
    assert callers(caller_record.agent, "13500000000") == []
    assert callers(make_user(Role.AGENT, team="客服B组"), "13886168491") == []


@pytest.mark.parametrize("phone", ["", "   ", "anonymous", "12", "+86 abc", "1" * 30])
def test_bad_numbers_are_refused_with_a_message(caller_record, phone):
    with pytest.raises(ValidationError) as refused:
        callers(caller_record.agent, phone)
    assert "phone" in refused.value.messages


def test_trainers_get_no_caller_profiles(make_user):
    with pytest.raises(PermissionDenied):
        callers(make_user(Role.TRAINER), "13886168491")
