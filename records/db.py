"""The SQLAlchemy handle every domain package's models share."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Session

# Explicit constraint names so Alembic migrations name things the same way on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


#: The largest value of PostgreSQL's `integer`, the type of every primary key: a larger id names no row, and
#: PostgreSQL rejects it in a query instead of finding nothing.
MAX_ROW_ID = 2**31 - 1


def row_id(reference: int | str) -> int | None:
    """The primary key `reference` spells ("423" from a URL), or None when it cannot be one.

    Only ASCII digits count: str.isdigit() also accepts "²", which int() then refuses.
    """
    if isinstance(reference, int):
        number = reference
    elif reference.isascii() and reference.isdigit():
        number = int(reference)
    else:
        return None
    return number if 0 < number <= MAX_ROW_ID else None


def conflict_insert(dialect: str):
    """The INSERT construct of the database in use (a dialect name), which has ON CONFLICT clauses; both SQLite and
    PostgreSQL spell them alike."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def hold_lock(namespace: int, key: str) -> None:
    """Wait for the lock named (namespace, key) and hold it until the transaction ends, so writers deciding on the
    same key (is this customer new?) decide one after the other.

    A PostgreSQL advisory lock; keys are hashed, and a collision only makes an unrelated writer wait. SQLite needs
    none: its write transactions already run one at a time from their start (BEGIN IMMEDIATE, _sqlite_begin).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(namespace, sa.func.hashtext(key))))


def empty_json_list(column: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """The JSON list column holds nothing (stored as "[]"; NULL and JSON null count as empty)."""
    return sa.or_(column.is_(None), sa.cast(column, sa.Text).in_(("[]", "null")))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with % and _ taken literally (use escape="\\")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@event.listens_for(Engine, "connect")
def _sqlite_connection_setup(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # pysqlite's own transaction handling breaks SAVEPOINT (used per imported row); let SQLAlchemy emit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # WAL lets web workers read while an import writes; the timeout makes a second writer wait instead of failing.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 15000")
    # Deleted and overwritten content is zeroed in the file instead of left in free space, where anyone with a copy
    # of the file could read it: an erased record or customer must not stay readable (jobs.erasure). It costs a
    # write of the freed bytes; deletions are rare next to reads.
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


#: Execution option of connections that only read: on SQLite they begin a deferred transaction, so they never wait
#: for (or block) a writer; WAL gives them a consistent snapshot.
READ_ONLY_OPTION = "consultkb_read_only"


@contextmanager
def read_session() -> Iterator[Session]:
    """A short session of its own for reading, outside the caller's transaction (see READ_ONLY_OPTION)."""
    with Session(db.engine.execution_options(**{READ_ONLY_OPTION: True})) as session:
        yield session


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name == "sqlite" and connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    elif connection.dialect.name == "sqlite":
        # IMMEDIATE: a transaction that read first cannot become a writer once another writer has committed
        # (WAL answers "database is locked" at once, without waiting). Taking the write lock up front makes
        # parallel requests queue on busy_timeout instead: SQLite serves one transaction at a time, which suits
        # a small team; several busy workers belong on PostgreSQL.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def refresh_statistics() -> dict[str, str]:
    """Refresh the query planner's statistics of every table.

    SQLite keeps none until ANALYZE runs, and without them it reads a month's records for a report through the
    wrong index: 5.8 s instead of 3.2 s on a million records (bench/bench_reports.py). PostgreSQL's autovacuum
    analyzes on its own; doing it here as well costs seconds and keeps both alike after bulk imports."""
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        # A write transaction of its own: the statistics are stored in sqlite_stat1, which must be committed.
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    return {"analyzed": dialect}


def reclaim_erased_space() -> dict[str, Any]:
    """After an erasure committed, leave no copy of the erased text in the database's files.

    SQLite: secure_delete (set on every connection) zeroes the deleted content in the pages, but the write-ahead
    log still holds earlier versions of those pages until it is checkpointed and truncated; this does both. It
    cannot finish while another connection reads a snapshot that needs the log ("busy"); the next erasure or
    SQLite's own checkpoints finish the job. PostgreSQL keeps deleted rows until VACUUM reclaims them and their
    space is reused (see the README); nothing is done here.
    """
    if db.engine.dialect.name != "sqlite":
        return {"checkpointed": False}
    # The driver's connection, outside any transaction (its isolation_level is None): a checkpoint cannot run
    # inside one.
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        busy, log_frames, checkpointed = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return {"checkpointed": not busy, "log_frames": log_frames, "checkpointed_frames": checkpointed}
