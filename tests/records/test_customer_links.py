"""Customer status links in the domain: signing, tampering, expiry, revocation, notes that never edit the record,
and the rating rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer
from marshmallow import ValidationError

from records import customer_links
from records.access import PermissionDenied
from records.customer_links import (
    LinkNotFound,
    add_note,
    create_link,
    open_link,
    public_resolution,
    rate,
    revoke_link,
    token_for,
)
from records.db import db as database
from records.enums import Role, Status
from records.models import AuditLog, CustomerLink, RecordNote
from records.presenting import record_to_dict
from records.timeutil import utcnow


def audit_actions(record) -> list[str]:
    return list(
        database.session.scalars(
            sa.select(AuditLog.action).where(AuditLog.object_id == record.number).order_by(AuditLog.id)
        )
    )


def test_a_signed_token_opens_its_record_and_is_audited(make_record):
    record = make_record()
    link = create_link(record, by=record.agent)
    database.session.commit()
    opened_link, opened_record = open_link(token_for(link))
    assert (opened_link.id, opened_record.id) == (link.id, record.id)
    assert opened_link.last_used_at is not None
    assert "customer_link.create" in audit_actions(record)
    # The token is stable, so staff can copy an active link again.
    assert token_for(link) == token_for(link)


def test_a_tampered_token_or_one_for_another_purpose_opens_nothing(app, make_record):
    record = make_record()
    other = make_record()
    link = create_link(record, by=record.agent)
    database.session.commit()
    token = token_for(link)
    payload, signature = token.rsplit(".", 1)
    # The first character: the last one of base64 carries padding bits, and changing those changes nothing.
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    serializer = URLSafeSerializer(app.config["SECRET_KEY"], salt=customer_links.SALT)
    expiry = int((utcnow() + timedelta(days=5)).timestamp())
    forged = [
        payload + "." + flipped,
        # Another record's id in the payload, under this link's signature.
        serializer.dumps({"r": other.id, "p": customer_links.PURPOSE, "n": link.nonce, "e": expiry}).rsplit(".", 1)[0]
        + "."
        + signature,
        "",
        "nothing-here",
        # Signed with another key: the record of someone else, with a real nonce.
        URLSafeSerializer("another key", salt=customer_links.SALT).dumps(
            {"r": other.id, "p": customer_links.PURPOSE, "n": link.nonce, "e": expiry}
        ),
        # Correctly signed but for another purpose, or pointing the nonce at another record.
        serializer.dumps({"r": record.id, "p": "password-reset", "n": link.nonce, "e": expiry}),
        serializer.dumps({"r": other.id, "p": customer_links.PURPOSE, "n": link.nonce, "e": expiry}),
        serializer.dumps({"r": record.id, "p": customer_links.PURPOSE, "n": "0" * 32, "e": expiry}),
        serializer.dumps(["not", "a", "dict"]),
        serializer.dumps({"r": "1", "p": customer_links.PURPOSE, "n": link.nonce, "e": expiry}),
    ]
    for token in forged:
        with pytest.raises(LinkNotFound):
            open_link(token)


def test_an_expired_link_opens_nothing(make_record, monkeypatch):
    record = make_record()
    link = create_link(record, by=record.agent, days=2)
    database.session.commit()
    token = token_for(link)
    monkeypatch.setattr(customer_links, "utcnow", lambda: utcnow() + timedelta(days=1))
    assert open_link(token)[1].id == record.id
    monkeypatch.setattr(customer_links, "utcnow", lambda: utcnow() + timedelta(days=2, minutes=1))
    with pytest.raises(LinkNotFound):
        open_link(token)


def test_link_days_are_configurable_and_bounded(app, make_record, monkeypatch):
    record = make_record()
    monkeypatch.setitem(app.config, "CUSTOMER_LINK_DAYS", 7)
    link = create_link(record, by=record.agent)
    assert timedelta(days=6, hours=23) < link.expires_at - utcnow() <= timedelta(days=7)
    for days in (0, 366, -1):
        with pytest.raises(ValidationError):
            create_link(record, by=record.agent, days=days)


def test_a_revoked_link_opens_nothing(make_record):
    record = make_record()
    link = create_link(record, by=record.agent)
    kept = create_link(record, by=record.agent)
    database.session.commit()
    revoke_link(link, by=record.agent)
    database.session.commit()
    with pytest.raises(LinkNotFound):
        open_link(token_for(link))
    assert open_link(token_for(kept))[0].id == kept.id, "revoking one link leaves the others"
    assert "customer_link.revoke" in audit_actions(record)


def test_only_who_may_change_the_record_makes_or_revokes_links(make_record, people):
    record = make_record(agent=people["agent"])
    for user in (people["trainer"], people["other_agent"]):
        with pytest.raises(PermissionDenied):
            create_link(record, by=user)
    link = create_link(record, by=people["supervisor"])
    with pytest.raises(PermissionDenied):
        revoke_link(link, by=people["trainer"])
    record.archived_at = utcnow()
    with pytest.raises(PermissionDenied):
        create_link(record, by=people["admin"])


def test_a_note_is_kept_beside_the_record_and_never_edits_it(make_record):
    record = make_record(status="pending", follow_ups=[{"action": "回电", "owner": "王", "due": "2026-12-30"}])
    link = create_link(record, by=record.agent)
    database.session.commit()
    before = record_to_dict(record, viewer=record.agent, revealed=True)
    add_note(link, record, "  我的订单号是 88001234，电话 13912345678。  ")
    database.session.commit()
    database.session.expire_all()
    after = record_to_dict(record, viewer=record.agent, revealed=True)
    (note,) = after.pop("customer_notes")
    before.pop("customer_notes")
    assert after == before, "the record's fields are untouched"
    assert note["author"] == "customer" and note["text"] == "我的订单号是 88001234，电话 13912345678。"
    masked = record_to_dict(record, viewer=record.agent)["customer_notes"][0]["text"]
    assert "13912345678" not in masked and "139****5678" in masked
    assert "record.customer_note" in audit_actions(record)
    entry = database.session.scalar(sa.select(AuditLog).where(AuditLog.action == "record.customer_note"))
    assert "13912345678" not in str(entry.details), "the audit log keeps no copy of the text"


def test_a_trainer_reads_notes_scrubbed(make_record, make_user):
    record = make_record(customer={"name": "张三丰", "phone": "13812345678"})
    link = create_link(record, by=record.agent)
    add_note(link, record, "张三丰补充：电话 13812345678")
    database.session.commit()
    text = record_to_dict(record, viewer=make_user(Role.TRAINER))["customer_notes"][0]["text"]
    assert "张三丰" not in text and "13812345678" not in text


def test_an_empty_or_too_long_note_is_refused(make_record):
    record = make_record()
    link = create_link(record, by=record.agent)
    for text in ("   ", "x" * (customer_links.NOTE_CHARS + 1)):
        with pytest.raises(ValidationError):
            add_note(link, record, text)
    assert database.session.scalar(sa.select(sa.func.count()).select_from(RecordNote)) == 0


def test_rating_waits_for_the_resolution_and_a_second_rating_replaces_the_first(make_record):
    record = make_record(status="open", satisfaction=None)
    link = create_link(record, by=record.agent)
    with pytest.raises(ValidationError) as refused:
        rate(link, record, {"satisfaction": 5})
    assert "satisfaction" in refused.value.messages
    assert record.satisfaction is None

    record.status = Status.RESOLVED
    database.session.commit()
    rate(link, record, {"satisfaction": 2, "satisfaction_efficiency": 1, "satisfaction_resolution": 3})
    database.session.commit()
    assert (record.satisfaction, record.satisfaction_efficiency, record.satisfaction_resolution) == (2, 1, 3)
    assert record.satisfaction_attitude is None
    rate(link, record, {"satisfaction": 4, "satisfaction_attitude": 5})
    database.session.commit()
    assert (record.satisfaction, record.satisfaction_efficiency, record.satisfaction_attitude) == (4, None, 5)
    entries = database.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "record.customer_rating").order_by(AuditLog.id)
    ).all()
    assert [entry.details["again"] for entry in entries] == [False, True]
    assert entries[1].details["before"]["satisfaction"] == 2 and entries[1].details["after"]["satisfaction"] == 4


@pytest.mark.parametrize(
    "rating", [{}, {"satisfaction": 0}, {"satisfaction": 6}, {"satisfaction": 3, "satisfaction_attitude": 9}]
)
def test_a_rating_out_of_range_is_refused(make_record, rating):
    record = make_record(status="resolved", satisfaction=None)
    link = create_link(record, by=record.agent)
    with pytest.raises(ValidationError):
        rate(link, record, rating)
    assert record.satisfaction is None


def test_the_public_resolution_names_no_staff_and_no_personal_data(make_record, make_user):
    agent = make_user(Role.AGENT, username="wangfang", display_name="王芳")
    record = make_record(
        agent=agent,
        resolution="王芳已为您重置登录状态，如仍有问题请拨打 13812345678 或写信给 li.si@example.com。",
    )
    shown = public_resolution(record)
    assert "王芳" not in shown and "13812345678" not in shown and "li.si@example.com" not in shown
    assert "重置登录状态" in shown
    record.status = Status.OPEN
    assert public_resolution(record) is None, "an open record has no answer yet"


@pytest.mark.parametrize("how", ["delete", "erase"])
def test_deleting_a_record_takes_its_links_and_notes(make_record, people, how):
    from jobs.erasure import RunMemo, erase_records
    from jobs.erasure_requests import erase_record

    record = make_record(agent=people["agent"])
    link = create_link(record, by=record.agent)
    add_note(link, record, "补充：订单 88001234")
    database.session.commit()
    token = token_for(link)
    if how == "delete":
        erase_record(record, by=people["admin"])
    else:
        erase_records([record.id], [record.number], RunMemo())
    database.session.commit()
    for model in (CustomerLink, RecordNote):
        assert database.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    with pytest.raises(LinkNotFound):
        open_link(token)
