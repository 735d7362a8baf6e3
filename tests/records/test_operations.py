"""The service layer: numbering, customer matching, language detection, updates, links, time handling, audit."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from jobs.erasure_requests import erase_record
from records.access import PermissionDenied
from records.customers import phone_key
from records.enums import Language, Role, Status
from records.models import AuditLog, Customer, Record, record_links
from records.operations import create_record, detect_language, update_record
from records.schemas import RecordInputSchema, RecordUpdateSchema
from records.timeutil import parse_contact_time
from tests.conftest import record_payload


def test_record_and_customer_numbers_count_per_day(make_user, make_record):
    agent = make_user(Role.AGENT)
    first = make_record(agent=agent, contacted_at="2026-11-02 09:00", customer={"name": "甲", "phone": "13800000001"})
    second = make_record(agent=agent, contacted_at="2026-11-02 23:59", customer={"name": "乙", "phone": "13800000002"})
    other_day = make_record(agent=agent, contacted_at="2026-11-03 00:01", customer={"name": "丙"})
    assert [first.number, second.number, other_day.number] == ["R202611020001", "R202611020002", "R202611030001"]
    assert [first.customer.number, second.customer.number] == ["C20261102001", "C20261102002"]
    assert other_day.customer.number == "C20261103001"


def test_kept_numbers_are_skipped_by_the_counter(make_user, make_record):
    agent = make_user(Role.AGENT)
    kept = make_record(agent=agent, record_no="R202611020001", contacted_at="2026-11-02 09:00")
    assert kept.number == "R202611020001"
    assert make_record(agent=agent, contacted_at="2026-11-02 10:00").number == "R202611020002"
    taken = make_record(agent=agent, record_no="R202611020001", contacted_at="2026-11-02 11:00")
    assert taken.number == "R202611020003"


def test_local_contact_time_is_stored_as_utc_to_the_minute(app):
    with app.app_context():
        assert parse_contact_time("2026-11-02 14:30") == datetime(2026, 11, 2, 6, 30)
        assert parse_contact_time("2026-11-02T14:30:59+08:00") == datetime(2026, 11, 2, 6, 30)
        assert parse_contact_time("2026-11-02T06:30:00Z") == datetime(2026, 11, 2, 6, 30)
        assert parse_contact_time("2026/11/02 14:30") == datetime(2026, 11, 2, 6, 30)
        with pytest.raises(ValueError, match="YYYY-MM-DD HH:MM"):
            parse_contact_time("next Tuesday")


@pytest.mark.parametrize(
    ("texts", "language"),
    [
        (("客户反映订单 DD202611020001 一直没有发货",), Language.ZH),
        (("My parcel SF1234567890123 has not arrived",), Language.EN),
        (("App 登录失败 error 500",), Language.ZH),
        (("", None), Language.EN),
    ],
)
def test_language_detection(texts, language):
    assert detect_language(*texts) == language


def test_returning_customer_recognised_by_phone_or_email(db, make_user, make_record):
    agent = make_user(Role.AGENT)
    first = make_record(agent=agent, customer={"name": "张先生", "phone": "+86 138-1234-5678"})
    by_phone = make_record(agent=agent, customer={"name": "张", "phone": "13812345678"})
    by_email = make_record(
        agent=agent, customer={"name": "Zhang", "email": "ZHANG@Example.com"}, contacted_at="2026-11-03 10:00"
    )
    make_record(agent=agent, customer={"email": "zhang@example.com"})
    assert by_phone.customer_id == first.customer_id
    assert by_email.customer_id != first.customer_id  # first had no e-mail
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 2
    anonymous = make_record(agent=agent, customer={})
    assert anonymous.customer.name == "匿名客户"
    assert phone_key("+86 138 1234 5678") == phone_key("138-1234-5678") == "13812345678"


def test_update_records_changes_and_audits_only_real_changes(db, make_user, make_record):
    agent = make_user(Role.AGENT)
    record = make_record(agent=agent, status="open", resolution=None)
    assert record.resolved_at is None
    changes = RecordUpdateSchema().load({"status": "resolved", "resolution": "已补发验证码，客户登录成功。"})
    assert sorted(update_record(record, changes, by=agent)) == ["resolution", "status"]
    assert record.status == Status.RESOLVED and record.resolved_at is not None
    assert update_record(record, RecordUpdateSchema().load({"status": "resolved"}), by=agent) == []
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.object_id == record.number).order_by(AuditLog.id)
    ).all()
    assert actions == ["record.create", "record.update"]


def test_update_refuses_other_agents_and_trainers(make_user, make_record):
    record = make_record()
    for role in (Role.AGENT, Role.TRAINER):
        with pytest.raises(PermissionDenied):
            update_record(record, {"priority": "high"}, by=make_user(role, team="客服B组"))


def test_customer_cannot_be_swapped_by_update(make_user, make_record):
    agent = make_user(Role.AGENT)
    record = make_record(agent=agent)
    with pytest.raises(ValidationError, match="customer"):
        update_record(record, {"customer_no": "C20200101001"}, by=agent)


def test_related_records_link_both_ways_and_vanish_on_delete(db, make_user, make_record):
    agent = make_user(Role.AGENT)
    earlier = make_record(agent=agent, contacted_at="2026-11-01 09:00")
    later = make_record(agent=agent, related=[earlier.number], contacted_at="2026-11-02 09:00")
    db.session.expire_all()
    assert [r.number for r in later.related] == [earlier.number]
    assert [r.number for r in earlier.related] == [later.number]
    with pytest.raises(PermissionDenied):
        erase_record(earlier, by=agent)
    erase_record(earlier, by=make_user(Role.ADMIN))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(record_links)) == 0
    assert db.session.get(Record, later.id) is not None


def test_unknown_related_record_is_a_field_error(make_user, make_record):
    with pytest.raises(ValidationError, match="R209901010001"):
        make_record(related=["R209901010001"])


def test_agent_cannot_record_for_someone_else(make_user):
    agent = make_user(Role.AGENT, team="客服A组")
    other = make_user(Role.AGENT, team="客服B组")
    with pytest.raises(PermissionDenied):
        create_record(RecordInputSchema().load(record_payload(agent=other.username)), by=agent)
    supervisor = make_user(Role.SUPERVISOR, team="客服A组")
    colleague = make_user(Role.AGENT, team="客服A组")
    record = create_record(
        RecordInputSchema().load(record_payload(agent=colleague.agent_code or colleague.username)), by=supervisor
    )
    assert record.agent_id == colleague.id and record.team.name == "客服A组" and record.created_by_id == supervisor.id
    with pytest.raises(PermissionDenied):
        create_record(RecordInputSchema().load(record_payload(agent=other.username)), by=supervisor)


def test_payload_defaults_are_complete():
    # The fixture every API test starts from must itself be a valid record.
    assert record_payload()["status"] == "resolved" and record_payload()["resolution"]


def test_a_kept_number_raises_the_days_counter(make_user, make_record):
    agent = make_user(Role.AGENT)
    assert make_record(agent=agent, record_no="R202611020050").number == "R202611020050"
    assert make_record(agent=agent, contacted_at="2026-11-02 12:00").number == "R202611020051"
    assert make_record(agent=agent, record_no="R2026110200XX").number == "R202611020052"  # malformed: not kept
