"""Parallel writers (several web workers) never share a record or customer number and lose nothing."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from records.db import db as database
from records.enums import Role
from records.models import Customer, Record, User
from records.operations import create_record
from records.schemas import RecordInputSchema
from tests.conftest import record_payload

WRITERS = 4
RECORDS_EACH = 8


def test_parallel_creates_get_unique_gapless_numbers(app, db, make_user):
    agent_ids = [make_user(Role.AGENT, team="客服A组").id for _ in range(WRITERS)]
    db.session.commit()  # this test's own session must not hold a transaction while the writers run
    failures: list[BaseException] = []

    def write(agent_id: int, writer: int) -> None:
        try:
            with app.app_context():
                agent = database.session.get(User, agent_id)
                for index in range(RECORDS_EACH):
                    payload = record_payload(
                        contacted_at="2026-11-02 10:00",
                        customer={"name": f"客户{writer}-{index}", "phone": f"1390000{writer:02d}{index:02d}"},
                    )
                    create_record(RecordInputSchema().load(payload), by=agent)
                    database.session.commit()
                database.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(agent_id, n)) for n, agent_id in enumerate(agent_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    total = WRITERS * RECORDS_EACH
    numbers = sorted(db.session.scalars(sa.select(Record.number)))
    assert numbers == [f"R20261102{n:04d}" for n in range(1, total + 1)]
    customer_numbers = sorted(db.session.scalars(sa.select(Customer.number)))
    assert customer_numbers == [f"C20261102{n:03d}" for n in range(1, total + 1)]
