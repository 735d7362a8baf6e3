"""Import and export throughput of consultation records, against a raw INSERT of the same rows.

    .venv/bin/python bench/bench_import.py [--rows 2400] [--database-url URL]

Prints rows per second and the ratio of a full import (validation, customer matching, numbering, audit log,
one savepoint per row) to a bare executemany INSERT of the same rows: the price of "a bad row writes nothing".
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from demo.generator import generate_demo_rows
from demo.seed import seed_demo
from records.db import db
from records.exporting import export_records
from records.formats import SourceRow
from records.importing import import_rows, system_actor
from records.models import AuditLog, Customer, FollowUp, Record, User, record_links
from records.operations import RecordFilters
from web import create_app


def clear_records() -> None:
    for table in (record_links, FollowUp.__table__, Record.__table__, Customer.__table__, AuditLog.__table__):
        db.session.execute(sa.delete(table))
    db.session.commit()


def raw_insert_seconds(rows: list[dict]) -> float:
    agent_id = db.session.scalar(sa.select(User.id).where(User.role == "agent").limit(1))
    customer = Customer(number="C20000101001", name="bench")
    db.session.add(customer)
    db.session.commit()
    values = [
        {
            "number": f"R2000010{index:05d}",
            "source": "raw",
            "external_id": row["external_id"],
            "customer_id": customer.id,
            "channel": row["channel"],
            "contacted_at": datetime.strptime(row["contacted_at"], "%Y-%m-%d %H:%M"),
            "agent_id": agent_id,
            "status": row["status"],
            "priority": row.get("priority", "medium"),
            "problem_description": row["problem_description"],
            "resolution": row.get("resolution"),
            "language": row.get("language", "zh"),
            "tags": [],
            "attachments": [],
            "collaboration": [],
        }
        for index, row in enumerate(rows)
    ]
    started = time.perf_counter()
    db.session.execute(sa.insert(Record), values)
    db.session.commit()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2400)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        app = create_app({"TESTING": True, "INSTANCE_PATH": scratch, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            seed_demo(count=0)
            now = datetime.now().replace(second=0, microsecond=0)
            rows = generate_demo_rows(args.rows, now=now)

            raw = raw_insert_seconds(rows)
            clear_records()

            started = time.perf_counter()
            report = import_rows([SourceRow(n, row) for n, row in enumerate(rows, 1)], source="demo")
            imported = time.perf_counter() - started
            assert report.created == len(rows), report.problems[:3]

            started = time.perf_counter()
            reimport = import_rows([SourceRow(n, row) for n, row in enumerate(rows, 1)], source="demo")
            idempotent = time.perf_counter() - started
            assert reimport.unchanged == len(rows)

            started = time.perf_counter()
            exported = export_records(system_actor(), RecordFilters(), Path(scratch) / "out.csv", "csv")
            export_seconds = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()

    print(f"database          {sa.make_url(url).get_backend_name()}")
    print(f"raw insert        {len(rows)} rows  {raw:7.2f} s  {len(rows) / raw:8.0f} rows/s")
    print(f"import            {len(rows)} rows  {imported:7.2f} s  {len(rows) / imported:8.0f} rows/s")
    print(f"re-import (no-op) {len(rows)} rows  {idempotent:7.2f} s  {len(rows) / idempotent:8.0f} rows/s")
    print(f"export (csv)      {exported} rows  {export_seconds:7.2f} s  {exported / export_seconds:8.0f} rows/s")
    print(f"ratio import / raw insert: {imported / raw:.1f}")


if __name__ == "__main__":
    main()
