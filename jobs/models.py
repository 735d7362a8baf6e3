"""Job runs and generated improvement reports."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from records.db import db
from records.enums import LabelledEnum
from records.models import User, enum_column
from records.timeutil import utcnow


class RunStatus(LabelledEnum):
    RUNNING = "running", "运行中", "Running"
    SUCCEEDED = "succeeded", "成功", "Succeeded"
    FAILED = "failed", "失败", "Failed"
    #: The work was already done (a report that exists) or claimed by another live run.
    SKIPPED = "skipped", "已跳过", "Skipped"


class RequestStatus(LabelledEnum):
    QUEUED = "queued", "排队中", "Queued"
    RUNNING = "running", "运行中", "Running"
    FINISHED = "finished", "已结束", "Finished"
    CANCELLED = "cancelled", "已取消", "Cancelled"


class ReportKind(LabelledEnum):
    WEEKLY = "weekly", "周报", "Weekly"
    MONTHLY = "monthly", "月报", "Monthly"


class ReportStatus(LabelledEnum):
    BUILDING = "building", "生成中", "Building"
    READY = "ready", "已生成", "Ready"
    FAILED = "failed", "失败", "Failed"


class JobRun(db.Model):
    """One execution of a scheduled or manually started job, shown to admins."""

    __tablename__ = "job_runs"
    #: One run per scheduled occurrence: a scheduler taking over from a dead one never runs the same occurrence again.
    #: Runs started by hand or by a request have no occurrence (NULLs never collide).
    __table_args__ = (sa.UniqueConstraint("job_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(60), index=True)
    #: "scheduler" or "cli:<user>" — who started it.
    trigger: Mapped[str] = mapped_column(sa.String(80), default="scheduler")
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.RUNNING)
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: What the job reports about its work (counts, the report it made), JSON.
    output: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: host:pid of the process running it, so a run whose process died can be recognised as stale.
    worker: Mapped[str | None] = mapped_column(sa.String(120))
    #: The schedule's fire time (naive UTC) this run is for; None for runs started by hand, by request or to catch up.
    scheduled_for: Mapped[datetime | None]
    #: Progress of a run that reports it (jobs.runs.report_progress): done of total, and the stage (a code the pages
    #: translate, e.g. "encode").
    progress_done: Mapped[int | None]
    progress_total: Mapped[int | None]
    progress_stage: Mapped[str | None] = mapped_column(sa.String(40))


class JobRequest(db.Model):
    """A run asked for in the browser or the API; the scheduler process picks it up and runs it (jobs.requests)."""

    __tablename__ = "job_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(60), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus), default=RequestStatus.QUEUED)
    #: The job's id while the request is queued or running, NULL after: the unique key lets one request per job wait
    #: or run at a time, whoever asks and however many web workers take the clicks.
    active_job: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    #: The scheduler process that took it (host:pid) and when.
    worker: Mapped[str | None] = mapped_column(sa.String(120))
    picked_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_runs.id", ondelete="SET NULL"))

    run: Mapped[JobRun | None] = relationship()
    requested_by: Mapped[User | None] = relationship()


class SchedulerProcess(db.Model):
    """A running `consultkb jobs run` process: the leader that schedules, or a standby waiting to take over. Each
    writes its heartbeat here; pages read it to say whether requested runs will be picked up."""

    __tablename__ = "job_schedulers"

    #: host:pid (jobs.runs.this_worker).
    worker: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    #: "leader", "standby", or "gone" (a leader whose lock another process took: it died or lost the database).
    role: Mapped[str] = mapped_column(sa.String(10))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(db.Model):
    """An improvement report for one period. (kind, period) is unique: re-runs never make a second one."""

    __tablename__ = "reports"
    __table_args__ = (sa.UniqueConstraint("kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind))
    #: "2026-W46" (ISO week) or "2026-10".
    period: Mapped[str] = mapped_column(sa.String(10))
    #: Local (configured timezone) bounds as naive UTC datetimes: [starts_at, ends_at).
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus), default=ReportStatus.BUILDING)
    #: Everything the report shows, JSON-serialisable (built by jobs.reports.figures.build_figures).
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: The process building it and when it claimed the row: a claim older than the stale limit may be taken over.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    claimed_at: Mapped[datetime | None]
    generated_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportDayRows(db.Model):
    """The grouped rows of one part of the improvement report for one settled local contact day (jobs.reports.days),
    kept so a report reads its settled days instead of scanning their records again."""

    __tablename__ = "report_day_rows"

    part: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    #: What the rows were computed under (timezone, SLA rules, the queries' version): rows of other settings are
    #: ignored.
    settings: Mapped[str] = mapped_column(sa.String(64))
    #: records.changes.ContactDayVersion.version of the day when the rows were computed; a later write bumps it.
    version: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows: Mapped[list] = mapped_column(sa.JSON)


#: APScheduler's job store (jobs/scheduling.py), declared here in its exact shape so migrations create it and the
#: schema comparison knows it; APScheduler finds it existing and uses it.
scheduler_jobs = sa.Table(
    "apscheduler_jobs",
    db.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
