"""Issue 18, Medium 5: simultaneous first contacts from one new phone make one customer, not one each.

Runs on both databases; the race it guards against exists on PostgreSQL, where concurrent transactions each saw
no customer with the phone and each created one. SQLite runs write transactions one at a time, so there it checks
only that the lock costs nothing.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from records.db import db as database
from records.enums import Role
from records.models import Customer, Record, User
from records.operations import create_record
from records.schemas import RecordInputSchema
from tests.conftest import record_payload

WRITERS = 8
ROUNDS = 3


def test_simultaneous_creates_with_one_new_phone_make_one_customer(app, db, make_user):
    agent_ids = [make_user(Role.AGENT, team="客服A组").id for _ in range(WRITERS)]
    db.session.commit()  # this test's own session must not hold a transaction while the writers run
    failures: list[BaseException] = []

    def write(agent_id: int, phone: str, start: threading.Barrier) -> None:
        try:
            with app.app_context():
                agent = database.session.get(User, agent_id)
                payload = record_payload(customer={"name": "新客户", "phone": phone})
                data = RecordInputSchema().load(payload)
                database.session.commit()  # loading read the taxonomy; start the race from no transaction
                start.wait()
                create_record(data, by=agent)
                database.session.commit()
                database.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    for round_ in range(ROUNDS):
        phone = f"1370000{round_:04d}"
        start = threading.Barrier(WRITERS)
        threads = [threading.Thread(target=write, args=(agent_id, phone, start)) for agent_id in agent_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        customers = db.session.scalars(sa.select(Customer.id).where(Customer.phone == phone)).all()
        assert len(customers) == 1, f"round {round_}: {len(customers)} customers for one phone"
        linked = db.session.scalar(sa.select(sa.func.count(Record.id)).where(Record.customer_id == customers[0]))
        assert linked == WRITERS
        db.session.rollback()  # end this session's reading transaction before the next round's writers start
