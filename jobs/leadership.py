"""Which `consultkb jobs run` process schedules: one leader per installation, any others wait as standbys.

On PostgreSQL the leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own.
The lock lives exactly as long as that connection: a leader killed with SIGKILL loses its socket, PostgreSQL ends the
session and the lock is free at once; a leader whose host dies without closing the socket is found out by the TCP
keepalives set on both ends of the connection (KEEPALIVE_*: about 25 s), after which its session ends too. A standby
tries for the lock every JOB_LEADER_POLL_SECONDS, so it takes over within that plus the keepalive time (under 60 s
with the defaults). The leader checks its connection as often; if it is gone it stops scheduling at once and waits
as a standby (another process may hold the lock by then).

SQLite lives on one host's disk and serves one writer at a time: a second scheduler there is a mistake, so it is
refused with a clear message (an exclusive `flock` on a file beside the database) instead of waiting.

Every scheduler process writes a heartbeat to `job_schedulers` (role, last seen), which pages read to say whether a
requested run will be picked up, and which tells other hosts whether a run or report claim of a scheduler is alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from jobs.models import SchedulerProcess
from jobs.runs import SCHEDULER_SILENT_AFTER, this_worker
from records.db import conflict_insert, db
from records.timeutil import utcnow

log = logging.getLogger(__name__)

#: The advisory lock's two keys: ("CKJS", 1). records.customers uses namespace "CUST".
LEADER_LOCK = (0x434B4A53, 1)
#: How often a standby tries for the lock and the leader checks it still holds it (and both write a heartbeat).
#: JOB_LEADER_POLL_SECONDS overrides it; the takeover time after a SIGKILL is at most this.
LEADER_POLL_SECONDS = 10.0
#: TCP keepalives on the lock connection, set on the client (libpq) and on the server's end (the session's GUCs):
#: silence for KEEPALIVE_IDLE s, then a probe every KEEPALIVE_INTERVAL s, dead after KEEPALIVE_COUNT missed probes;
#: unacknowledged data gives up after USER_TIMEOUT_MS. A dead host's lock is freed after about 25 s.
KEEPALIVE_IDLE = 10
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3
USER_TIMEOUT_MS = 25_000
CONNECT_TIMEOUT = 10
#: SQLite: the file beside the database whose exclusive lock the one scheduler holds.
LOCK_SUFFIX = ".scheduler.lock"
#: Heartbeat rows of processes gone longer than this are removed by the leader.
FORGET_AFTER = timedelta(days=1)


class SchedulerRefused(RuntimeError):
    """This process may not schedule: on SQLite another scheduler runs on the same database."""


def poll_seconds(app: Flask) -> float:
    return float(app.config.get("JOB_LEADER_POLL_SECONDS") or LEADER_POLL_SECONDS)


class PostgresLease:
    """The leader's advisory lock on a dedicated connection (never from the pool: the lock is the session's)."""

    def __init__(self, url: sa.URL | str):
        self.engine: Engine = sa.create_engine(
            url,
            poolclass=NullPool,
            connect_args={
                "keepalives": 1,
                "keepalives_idle": KEEPALIVE_IDLE,
                "keepalives_interval": KEEPALIVE_INTERVAL,
                "keepalives_count": KEEPALIVE_COUNT,
                "tcp_user_timeout": USER_TIMEOUT_MS,
                "connect_timeout": CONNECT_TIMEOUT,
                "application_name": f"consultkb scheduler {this_worker()}"[:63],
            },
        )
        self.connection: Connection | None = None
        self.held = False

    def _connect(self) -> Connection:
        if self.connection is None:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            # The server's end of the socket: without these a dead client host keeps its session (and the lock) for
            # the kernel's default of two hours.
            for name, value in (
                ("tcp_keepalives_idle", KEEPALIVE_IDLE),
                ("tcp_keepalives_interval", KEEPALIVE_INTERVAL),
                ("tcp_keepalives_count", KEEPALIVE_COUNT),
                ("tcp_user_timeout", USER_TIMEOUT_MS),
            ):
                connection.execute(sa.text(f"SET {name} = {int(value)}"))
            self.connection = connection
        return self.connection

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()
                self.connection.close()
            except Exception:  # a broken socket may fail to close; it is gone either way
                log.debug("Closing the lock connection failed", exc_info=True)
        self.connection, self.held = None, False

    def acquire(self) -> bool:
        """Try once for the lock; True once this process holds it."""
        try:
            got = self._connect().scalar(sa.select(sa.func.pg_try_advisory_lock(*LEADER_LOCK)))
        except sa.exc.DBAPIError:
            log.warning("The scheduler lock connection failed; trying again.", exc_info=True)
            self._drop()
            return False
        self.held = bool(got)
        return self.held

    def still_held(self) -> bool:
        """Whether the lock connection is alive (a live session keeps its lock; a dropped one has lost it)."""
        if not self.held or self.connection is None:
            return False
        try:
            held = self.connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                    "AND classid = :classid AND objid = :objid AND granted"
                ),
                {"classid": LEADER_LOCK[0], "objid": LEADER_LOCK[1]},
            )
        except sa.exc.DBAPIError:
            log.error("The scheduler lock connection was lost.", exc_info=True)
            self._drop()
            return False
        if not held:
            self.held = False
        return bool(held)

    def release(self) -> None:
        if self.connection is not None and self.held:
            with contextlib.suppress(sa.exc.DBAPIError):
                self.connection.execute(sa.select(sa.func.pg_advisory_unlock(*LEADER_LOCK)))
        if self.connection is not None:
            self.connection.close()
        self.connection, self.held = None, False
        self.engine.dispose()


class FileLease:
    """SQLite: an exclusive flock on `<database>.scheduler.lock`, released by the kernel when the process ends."""

    def __init__(self, path: Path | None):
        self.path = path
        self.file: IO[str] | None = None

    def acquire(self) -> bool:
        if self.path is None:  # an in-memory database: no other process can share it
            return True
        self.file = self.path.open("a+")
        try:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            owner = self.file.read().strip() or "another process"
            self.file.close()
            self.file = None
            database = self.path.with_name(self.path.name.removesuffix(LOCK_SUFFIX))
            raise SchedulerRefused(
                f"Another scheduler ({owner}) is running on this SQLite database ({database}). "
                "An SQLite installation runs one scheduler; stop that one first, or use PostgreSQL to run a "
                "standby scheduler on another host."
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(this_worker())
        self.file.flush()
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
            self.file.close()
            self.file = None


def make_lease(engine: Engine | None = None) -> PostgresLease | FileLease:
    engine = engine or db.engine
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresLease(url)
    database = url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return FileLease(None)
    return FileLease(Path(os.path.abspath(database)).with_name(Path(database).name + LOCK_SUFFIX))


# ----- heartbeats --------------------------------------------------------------------------------------------------


def heartbeat(role: str, *, started_at: datetime, now: datetime | None = None) -> None:
    """Write this process's row (role, seen now); a leader also marks other leaders gone and forgets old rows."""
    now = now or utcnow()
    worker = this_worker()
    insert = conflict_insert(db.engine.dialect.name)(SchedulerProcess.__table__)
    statement = insert.values(worker=worker, role=role, started_at=started_at, seen_at=now).on_conflict_do_update(
        index_elements=["worker"], set_={"role": role, "seen_at": now}
    )
    with Session(db.engine) as session:
        session.execute(statement)
        if role == "leader":
            # This process holds the lock: whoever claimed to lead before has died or lost its database connection,
            # so its runs and report claims are dead (jobs.runs.worker_alive) and may be taken over.
            session.execute(
                sa.update(SchedulerProcess)
                .where(SchedulerProcess.role == "leader", SchedulerProcess.worker != worker)
                .values(role="gone")
            )
            session.execute(sa.delete(SchedulerProcess).where(SchedulerProcess.seen_at < now - FORGET_AFTER))
        session.commit()


def sign_off() -> None:
    """Remove this process's row when it stops cleanly."""
    with Session(db.engine) as session:
        session.execute(sa.delete(SchedulerProcess).where(SchedulerProcess.worker == this_worker()))
        session.commit()


def scheduler_status(session: Session, now: datetime | None = None) -> dict:
    """What pages and the API say about the scheduler: the live leader (or None) and the live standbys."""
    now = now or utcnow()
    rows = session.scalars(
        sa.select(SchedulerProcess)
        .where(SchedulerProcess.seen_at >= now - SCHEDULER_SILENT_AFTER, SchedulerProcess.role != "gone")
        .order_by(SchedulerProcess.started_at)
    ).all()
    leaders = [row for row in rows if row.role == "leader"]
    return {
        "running": bool(leaders),
        "leader": leaders[-1] if leaders else None,
        "standbys": [row for row in rows if row.role == "standby"],
    }
