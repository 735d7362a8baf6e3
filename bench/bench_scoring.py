"""Bulk scoring speed: `consultkb scoring rescore` over --records records ÷ loading the same records (target ≤ 1.5).

The demo data (2,400 realistic zh/en records with follow-ups, imported through the real path) is copied inside the
database until there are --records records. "Loading" is reading every record with its follow-ups and related
records in the batches the rescore uses (scoring.engine.record_batches), without scoring; "rescore" is
scoring.engine.rescore_all, which reads, scores and writes every score in SCORING_WORKERS processes (one per core).

    .venv/bin/python bench/bench_scoring.py [--records 100000] [--database URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def copy_records(target: int) -> int:
    """Copy the seeded records (and their follow-ups) until there are `target` records; returns the count."""
    import sqlalchemy as sa

    from records.db import db
    from records.models import FollowUp, Record

    records, follow_ups = Record.__table__, FollowUp.__table__
    seeded = db.session.scalar(sa.select(sa.func.max(records.c.id)))
    columns = [column for column in records.columns if column.name != "id"]
    follow_columns = [column for column in follow_ups.columns if column.name not in ("id", "record_id")]
    copy = 1
    while db.session.scalar(sa.select(sa.func.count()).select_from(records)) < target:
        offset = db.session.scalar(sa.select(sa.func.max(records.c.id)))
        wanted = min(seeded, target - db.session.scalar(sa.select(sa.func.count()).select_from(records)))
        values = []
        for column in columns:
            if column.name == "number":
                values.append((column + f"-{copy}").label("number"))
            elif column.name == "external_id":
                values.append(sa.null().label("external_id"))
            else:
                values.append(column)
        db.session.execute(
            records.insert().from_select(
                [column.name for column in columns],
                sa.select(*values).where(records.c.id <= wanted).order_by(records.c.id),
            )
        )
        # Copies keep the originals' order, so original id n became offset + n.
        db.session.execute(
            follow_ups.insert().from_select(
                ["record_id", *[column.name for column in follow_columns]],
                sa.select((follow_ups.c.record_id + offset).label("record_id"), *follow_columns).where(
                    follow_ups.c.record_id <= wanted
                ),
            )
        )
        db.session.commit()
        copy += 1
    return db.session.scalar(sa.select(sa.func.count()).select_from(records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database", help="SQLAlchemy URL of an EMPTY database (default: a temporary SQLite file).")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy.orm import Session

    from demo.seed import seed_demo
    from records.db import db
    from scoring.engine import record_batches, rescore_all
    from web import create_app

    with tempfile.TemporaryDirectory() as instance:
        config = {"TESTING": True, "INSTANCE_PATH": instance, "EMBEDDINGS_ENABLED": False}
        if args.database:
            config["SQLALCHEMY_DATABASE_URI"] = args.database
        app = create_app(config)
        with app.app_context():
            upgrade()
            seed_demo(count=2400)
            total = copy_records(args.records)
            print(f"{total} records ({db.engine.dialect.name}).", flush=True)
            timings = {}
            db.session.commit()  # no transaction of ours may hold SQLite's write lock while rescoring
            for _attempt in range(2):
                started = time.perf_counter()
                with Session(db.engine) as session:
                    loaded = sum(len(batch) for batch in record_batches(session))
                timings["load"] = min(timings.get("load", 1e9), time.perf_counter() - started)
                started = time.perf_counter()
                scored = rescore_all()
                timings["rescore"] = min(timings.get("rescore", 1e9), time.perf_counter() - started)
            assert loaded == scored == total
            ratio = timings["rescore"] / timings["load"]
            print("| records | load s | rescore s | rescore ÷ load (target ≤ 1.5) |")
            print("|---|---|---|---|")
            print(f"| {total} | {timings['load']:.1f} | {timings['rescore']:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
