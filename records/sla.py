"""Service-level deadlines by priority (high: respond in 4 h, resolve in 24 h), breaches and overdue follow-ups.

Everything is computed in SQL so dashboards and reports stay fast on millions of records; functions take the session
to read in (use records.db.read_session for reports) and an optional `where` condition (records.access.record_scope,
a team, an agent) and return plain rows.

What the deadlines measure — the record has no separate "first response" time, so:

* **Respond.** A consultation record is written by the agent who took the contact: for phone, chat, e-mail,
  in-person and social-media records the contact itself was the response, and they cannot miss the response
  deadline. Only a record the customer created without an agent — a help-center contact request ("still need help?",
  source in WAITING_SOURCES) — waits for one. Its response is the first thing a signed-in staff member did to it
  that the audit log shows: changing the record or adding or updating a follow-up (RESPOND_ACTIONS). Opening it is
  not a response; the system assigning it to an agent is not either.
* **Resolve.** Status resolved, at `resolved_at`. That time is stamped by the application when the status becomes
  resolved, so it is the resolution moment only when the application saw it happen: the record was resolved by a
  later change (resolved_at after created_at), or it was created resolved within ENTRY_WINDOW_HOURS of the contact
  (an agent writing up a call they resolved). Records imported already resolved carry the import time instead; their
  resolution moment is unknown and they count neither as met nor as breached (`resolution_known`). Records closed as
  unresolvable have no resolution and no resolve deadline.
* A breach is a deadline passed without the response/resolution: met late, or still not met at `now`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from records.access import is_scrubbed_viewer
from records.anonymising import trainer_anonymiser
from records.enums import Priority, Status
from records.masking import mask_text
from records.models import AuditLog, FollowUp, Record, Team, User
from records.timeutil import local_day_start

#: Defaults of the SLA_RULES setting (hours). High is the record-keeping guides' rule (respond in 4 h, resolve in
#: 24 h); the others follow the usual helpdesk ladder around it, each step about 2-3 times as long: urgent within
#: the hour and the working day, medium within a working day and three days, low within a day and five days.
DEFAULT_SLA_RULES: dict[str, dict[str, float | None]] = {
    "urgent": {"respond_hours": 1, "resolve_hours": 8},
    "high": {"respond_hours": 4, "resolve_hours": 24},
    "medium": {"respond_hours": 8, "resolve_hours": 72},
    "low": {"respond_hours": 24, "resolve_hours": 120},
}
DEADLINE_KINDS = ("respond", "resolve")
#: Sources of records a customer created without an agent (kb.selfservice.SOURCE: help-center contact requests).
WAITING_SOURCES = ("self-service",)
#: Audit-log actions by a signed-in user that count as responding to a waiting record.
RESPOND_ACTIONS = ("record.update", "follow_up.create", "follow_up.update")
#: A record created resolved this long after the contact or sooner was resolved at the contact: the guides ask for
#: records within 30 minutes, at the latest within 24 hours, of the contact.
ENTRY_WINDOW_HOURS = 24
#: A resolved_at this close to created_at was stamped when the record was created (same request, same second).
_SAME_SAVE_MINUTES = 1.0

OPEN_STATUSES = (Status.OPEN, Status.PENDING, Status.TRANSFERRED)


# ----- rules ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRule:
    priority: Priority
    #: None: no deadline of that kind for this priority.
    respond_hours: float | None
    resolve_hours: float | None

    def hours(self, kind: str) -> float | None:
        return self.respond_hours if kind == "respond" else self.resolve_hours


def sla_rules(raw: Mapping[str, Any] | None = None) -> dict[Priority, SlaRule]:
    """The deadlines per priority: DEFAULT_SLA_RULES with SLA_RULES (app config, or `raw`) laid over them.

    SLA_RULES maps a priority (low, medium, high, urgent) to {"respond_hours": h, "resolve_hours": h}; a key left
    out keeps its default, a null removes that deadline, and a priority set to null has none.
    E.g. CONSULTKB_SLA_RULES='{"high": {"respond_hours": 2}}'. ValueError says what is wrong.
    """
    if raw is None:
        raw = current_app.config.get("SLA_RULES") if has_app_context() else None
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise ValueError('SLA_RULES must map priorities to deadlines, e.g. {"high": {"respond_hours": 4}}.')
    merged = {key: dict(value) for key, value in DEFAULT_SLA_RULES.items()}
    for key, value in raw.items():
        if key not in merged:
            raise ValueError(f"SLA_RULES: unknown priority {key!r}; use {', '.join(Priority.values())}.")
        if value is None:
            merged[key] = {"respond_hours": None, "resolve_hours": None}
            continue
        if not isinstance(value, Mapping) or set(value) - {"respond_hours", "resolve_hours"}:
            raise ValueError(f"SLA_RULES[{key!r}] may only set respond_hours and resolve_hours.")
        merged[key].update(value)
    rules = {}
    for key, value in merged.items():
        for name, hours in value.items():
            valid = hours is None or (isinstance(hours, int | float) and not isinstance(hours, bool) and hours > 0)
            if not valid:
                raise ValueError(f"SLA_RULES[{key!r}][{name!r}] must be a positive number of hours or null.")
        rules[Priority(key)] = SlaRule(Priority(key), value["respond_hours"], value["resolve_hours"])
    return rules


def rules_as_dict(rules: Mapping[Priority, SlaRule]) -> dict[str, dict[str, float | None]]:
    return {p.value: {"respond_hours": r.respond_hours, "resolve_hours": r.resolve_hours} for p, r in rules.items()}


# ----- SQL building blocks -------------------------------------------------------------------------------------------


class minutes_between(FunctionElement):  # noqa: N801  (an SQL function, named like one)
    """(later - earlier) in minutes, as a float, on SQLite and PostgreSQL."""

    type = sa.Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element, compiler, **kw) -> str:
    # unixepoch parses the stored text about twice as fast as julianday; whole seconds are precise enough here.
    later, earlier = list(element.clauses)
    return f"((unixepoch({compiler.process(later, **kw)}) - unixepoch({compiler.process(earlier, **kw)})) / 60.0)"


@compiles(minutes_between, "postgresql")
def _minutes_postgresql(element, compiler, **kw) -> str:
    later, earlier = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})) / 60.0)"


@compiles(minutes_between)
def _minutes_other(element, compiler, **kw) -> str:
    raise NotImplementedError(f"minutes_between is written for SQLite and PostgreSQL, not {compiler.dialect.name}.")


def resolution_known() -> sa.ColumnElement[bool]:
    """Whether resolved_at is the moment the record was resolved (see the module docstring)."""
    return sa.and_(
        Record.status == Status.RESOLVED,
        Record.resolved_at.is_not(None),
        sa.or_(
            minutes_between(Record.resolved_at, Record.created_at) > _SAME_SAVE_MINUTES,
            minutes_between(Record.created_at, Record.contacted_at) <= ENTRY_WINDOW_HOURS * 60,
        ),
    )


def resolution_minutes() -> sa.ColumnElement[float]:
    """Minutes from the contact to the resolution; NULL unless the resolution moment is known."""
    return sa.case((resolution_known(), minutes_between(Record.resolved_at, Record.contacted_at)), else_=None)


def is_waiting() -> sa.ColumnElement[bool]:
    """Records that wait for a staff member's response (help-center contact requests)."""
    return Record.source.in_(WAITING_SOURCES)


def first_response_at(since: datetime, until: datetime) -> sa.ColumnElement[datetime]:
    """A waiting record's first staff action logged in [since, until); NULL for other records.

    Audit entries name records by number: each waiting record's entries are looked up on the audit log's
    (object_type, object_id) index, a few rows each, instead of reading every entry of the time range (most of them
    about records that wait for nothing)."""
    first = (
        sa.select(sa.func.min(AuditLog.at))
        .where(
            AuditLog.object_type == "record",
            AuditLog.object_id == Record.number,
            AuditLog.user_id.is_not(None),
            AuditLog.action.in_(RESPOND_ACTIONS),
            AuditLog.at >= since,
            AuditLog.at < until,
        )
        .correlate(Record)
        .scalar_subquery()
    )
    return sa.case((is_waiting(), first), else_=None)


def _by_priority(rules: Mapping[Priority, SlaRule], kind: str, value: Any) -> sa.ColumnElement | None:
    """CASE priority WHEN ... THEN value(hours) END over the priorities that have a deadline of this kind."""
    whens = {p.value: value(rule.hours(kind)) for p, rule in rules.items() if rule.hours(kind) is not None}
    if not whens:
        return None
    return sa.case(whens, value=Record.priority, else_=None)


@dataclass
class SlaColumns:
    """SQL expressions over Record deciding breaches as of `now`."""

    rules: Mapping[Priority, SlaRule]
    now: datetime
    #: first_response_at for the records queried (None when no respond deadline is judged).
    responses: sa.ColumnElement | None

    def responded_at(self) -> sa.ColumnElement:
        return self.responses

    def limit_minutes(self, kind: str) -> sa.ColumnElement | None:
        return _by_priority(self.rules, kind, lambda hours: float(hours) * 60)

    def cutoff(self, kind: str) -> sa.ColumnElement | None:
        """Contacts before this moment are past the deadline of their priority at `now`."""
        return _by_priority(self.rules, kind, lambda hours: self.now - timedelta(hours=hours))

    def respond_breach(self) -> sa.ColumnElement[bool]:
        limit = self.limit_minutes("respond")
        if limit is None:
            return sa.false()
        # Not responded yet: as if responded now (now − contact > limit ⟺ contacted before the cutoff). One use of
        # the response keeps its subquery to one evaluation per record.
        responded = sa.func.coalesce(self.responded_at(), sa.literal(self.now, sa.DateTime))
        return sa.and_(is_waiting(), minutes_between(responded, Record.contacted_at) > limit)

    def resolve_breach(self) -> sa.ColumnElement[bool]:
        limit, cutoff = self.limit_minutes("resolve"), self.cutoff("resolve")
        if limit is None:
            return sa.false()
        return sa.or_(
            sa.and_(Record.status.in_(OPEN_STATUSES), Record.contacted_at < cutoff),
            sa.and_(resolution_known(), minutes_between(Record.resolved_at, Record.contacted_at) > limit),
        )

    def breach(self, kind: str) -> sa.ColumnElement[bool]:
        return self.respond_breach() if kind == "respond" else self.resolve_breach()


def _responses_for(start: datetime, end: datetime, rules: Mapping[Priority, SlaRule]) -> sa.ColumnElement:
    # A response after the latest respond deadline of the period's records changes no breach: it was late anyway.
    longest = max((rule.respond_hours or 0 for rule in rules.values()), default=0)
    return first_response_at(start, end + timedelta(hours=longest))


# ----- breaches ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    record_id: int
    number: str
    agent_id: int
    agent: str
    team_id: int | None
    team: str | None
    priority: str
    status: str
    #: "respond" or "resolve".
    kind: str
    contacted_at: datetime
    due: datetime
    #: When it was responded to / resolved, late; None while it still is not.
    met_at: datetime | None
    #: (met_at or now) - due, in minutes.
    overdue_minutes: float

    @property
    def open(self) -> bool:
        return self.met_at is None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "open": self.open}


def most_overdue_first(breach: Breach) -> tuple[float, str, str]:
    """The order breaches are listed in: most overdue first, then by record number and kind."""
    return (-breach.overdue_minutes, breach.number, breach.kind)


def sla_breaches(
    session: Session,
    *,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    kinds: Sequence[str] = DEADLINE_KINDS,
    where: sa.ColumnElement[bool] | None = None,
    open_only: bool = False,
    limit: int | None = None,
    rules: Mapping[Priority, SlaRule] | None = None,
) -> list[Breach]:
    """Deadlines missed by `now` by records contacted in [start, end) (either bound may be left out), most overdue
    first. open_only: only those still not responded to / resolved (a supervisor's to-do list).

    Giving both bounds is fastest: without a start the oldest waiting record is looked up first."""
    rules = rules if rules is not None else sla_rules()
    conditions = [where if where is not None else sa.true()]
    if start is not None:
        conditions.append(Record.contacted_at >= start)
    if end is not None:
        conditions.append(Record.contacted_at < end)
    if open_only:
        conditions.append(Record.status.in_(OPEN_STATUSES))
    found: list[Breach] = []
    for kind in kinds:
        if kind not in DEADLINE_KINDS:
            raise ValueError(f"Unknown deadline {kind!r}; use respond or resolve.")
        responses = None
        if kind == "respond":
            since = start or session.scalar(
                sa.select(sa.func.min(Record.contacted_at)).where(*conditions, is_waiting())
            )
            if since is None:
                continue
            responses = _responses_for(since, end, rules) if end is not None else first_response_at(since, now)
        columns = SlaColumns(rules, now, responses)
        limit_minutes = columns.limit_minutes(kind)
        if limit_minutes is None:
            continue
        if kind == "respond":
            met = columns.responded_at()
            still_open = met.is_(None)
        else:
            met = sa.case((resolution_known(), Record.resolved_at), else_=None)
            still_open = sa.true()
        overdue = (
            minutes_between(sa.func.coalesce(met, sa.literal(now, sa.DateTime)), Record.contacted_at) - limit_minutes
        )
        query = (
            sa.select(
                Record.id,
                Record.number,
                Record.agent_id,
                User.display_name,
                Record.team_id,
                Team.name,
                Record.priority,
                Record.status,
                Record.contacted_at,
                limit_minutes,
                met,
            )
            .join(User, User.id == Record.agent_id)
            .outerjoin(Team, Team.id == Record.team_id)
            .where(*conditions, columns.breach(kind), still_open if open_only else sa.true())
            .order_by(overdue.desc(), Record.number)
        )
        if limit is not None:
            query = query.limit(limit)
        for row in session.execute(query):
            due = row.contacted_at + timedelta(minutes=row[9])
            met_at = row[10]
            found.append(
                Breach(
                    record_id=row.id,
                    number=row.number,
                    agent_id=row.agent_id,
                    agent=row.display_name,
                    team_id=row.team_id,
                    team=row.name,
                    priority=Priority(row.priority).value,
                    status=Status(row.status).value,
                    kind=kind,
                    contacted_at=row.contacted_at,
                    due=due,
                    met_at=met_at,
                    overdue_minutes=round(((met_at or now) - due).total_seconds() / 60, 1),
                )
            )
    found.sort(key=most_overdue_first)
    return found[:limit] if limit is not None else found


def open_breaches(
    session: Session,
    *,
    now: datetime,
    where: sa.ColumnElement[bool] | None = None,
    limit: int | None = None,
    rules: Mapping[Priority, SlaRule] | None = None,
) -> list[Breach]:
    """Records past a deadline right now and still not responded to / resolved, most overdue first."""
    return sla_breaches(session, now=now, where=where, open_only=True, limit=limit, rules=rules)


def breach_counts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    group_by: Sequence[sa.ColumnElement] = (),
    where: sa.ColumnElement[bool] | None = None,
    rules: Mapping[Priority, SlaRule] | None = None,
) -> list[dict[str, Any]]:
    """Per group (e.g. Record.priority, Record.team_id): records contacted in [start, end), how many have a
    deadline of each kind, and how many missed it by `now`. One scan of the period's records."""
    rules = rules if rules is not None else sla_rules()
    responses = _responses_for(start, end, rules)
    columns = SlaColumns(rules, now, responses)
    respond_limit, resolve_limit = columns.limit_minutes("respond"), columns.limit_minutes("resolve")
    measurable = sa.or_(Record.status.in_(OPEN_STATUSES), resolution_known())
    measured = [
        sa.func.count().label("records"),
        sa.func.count(sa.case((sa.and_(is_waiting(), respond_limit.is_not(None)), 1)))
        if respond_limit is not None
        else sa.literal(0),
        sa.func.count(sa.case((columns.respond_breach(), 1))),
        sa.func.count(sa.case((sa.and_(measurable, resolve_limit.is_not(None)), 1)))
        if resolve_limit is not None
        else sa.literal(0),
        sa.func.count(sa.case((columns.resolve_breach(), 1))),
    ]
    query = (
        sa.select(*group_by, *measured)
        .select_from(Record)
        .where(Record.contacted_at >= start, Record.contacted_at < end, where if where is not None else sa.true())
    )
    if group_by:
        query = query.group_by(*group_by)
    # Applicable: waiting records (respond); open records and those whose resolution moment is known (resolve).
    names = ("records", "respond_applicable", "respond_breaches", "resolve_applicable", "resolve_breaches")
    rows = []
    for row in session.execute(query):
        keys, values = tuple(row[: len(group_by)]), row[len(group_by) :]
        rows.append({"group": keys, **dict(zip(names, (int(value or 0) for value in values), strict=True))})
    return rows


# ----- follow-ups ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueFollowUp:
    follow_up_id: int
    record_id: int
    number: str
    agent_id: int
    agent: str
    team_id: int | None
    team: str | None
    #: 负责人 as written, and the action with personal data masked.
    owner: str
    action: str
    due: date
    overdue_days: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def overdue_follow_ups(
    session: Session,
    *,
    today: date,
    where: sa.ColumnElement[bool] | None = None,
    limit: int | None = None,
) -> list[OverdueFollowUp]:
    """Follow-ups not done whose due day is before `today` (a local date), most overdue first."""
    query = (
        sa.select(
            FollowUp.id,
            FollowUp.owner,
            FollowUp.action,
            FollowUp.due,
            Record.id.label("record_id"),
            Record.number,
            Record.agent_id,
            User.display_name,
            Record.team_id,
            Team.name.label("team"),
        )
        .join(Record, Record.id == FollowUp.record_id)
        .join(User, User.id == Record.agent_id)
        .outerjoin(Team, Team.id == Record.team_id)
        .where(FollowUp.done.is_(False), FollowUp.due < today, where if where is not None else sa.true())
        .order_by(FollowUp.due, FollowUp.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        OverdueFollowUp(
            follow_up_id=row.id,
            record_id=row.record_id,
            number=row.number,
            agent_id=row.agent_id,
            agent=row.display_name,
            team_id=row.team_id,
            team=row.team,
            owner=row.owner,
            action=mask_text(row.action) or "",
            due=row.due,
            overdue_days=(today - row.due).days,
        )
        for row in session.execute(query)
    ]


def overdue_as_seen_by(session: Session, items: list[OverdueFollowUp], viewer: User) -> list[OverdueFollowUp]:
    """Overdue follow-ups as the viewer may read them: trainers get the action anonymised like the record itself
    (no customer or third-party name, no contact details) and no owner's name."""
    if not is_scrubbed_viewer(viewer):
        return items
    ids = {item.record_id for item in items}
    records = {record.id: record for record in session.scalars(sa.select(Record).where(Record.id.in_(ids)))}
    shown = []
    for item in items:
        anonymiser = trainer_anonymiser(records[item.record_id])
        chinese = records[item.record_id].language.value == "zh"
        shown.append(
            replace(item, action=anonymiser.text(item.action) or "", owner=anonymiser.owner(item.owner, chinese) or "")
        )
    return shown


def count_overdue_follow_ups(session: Session, *, today: date, where: sa.ColumnElement[bool] | None = None) -> int:
    """How many follow-ups are not done although their due day is before `today` (a local date)."""
    query = sa.select(sa.func.count()).select_from(FollowUp).where(FollowUp.done.is_(False), FollowUp.due < today)
    if where is not None:
        # Only conditions on the record need it: every follow-up belongs to one.
        query = query.join(Record, Record.id == FollowUp.record_id).where(where)
    return int(session.scalar(query) or 0)


def follow_up_timeliness(
    session: Session,
    *,
    first_day: date,
    after_day: date,
    today: date,
    group_by: Sequence[sa.ColumnElement] = (),
    where: sa.ColumnElement[bool] | None = None,
) -> list[dict[str, Any]]:
    """Follow-ups due on a local day in [first_day, after_day), per group: how many; done (by the end of the due
    day, later, or at an unknown time: imported as done); and not done although their day is before `today`."""
    days = [first_day + timedelta(days=offset) for offset in range((after_day - first_day).days)]
    if not days:
        return []
    # The due day ends at local midnight, which is a different UTC time per day where clocks change.
    deadline = sa.case({day: local_day_start(day + timedelta(days=1)) for day in days}, value=FollowUp.due)
    done = FollowUp.done.is_(True)
    query = (
        sa.select(
            *group_by,
            sa.func.count(),
            sa.func.count(sa.case((done, 1))),
            sa.func.count(sa.case((sa.and_(done, FollowUp.done_at <= deadline), 1))),
            sa.func.count(sa.case((sa.and_(done, FollowUp.done_at > deadline), 1))),
            sa.func.count(sa.case((sa.and_(FollowUp.done.is_(False), FollowUp.due < today), 1))),
        )
        .select_from(FollowUp)
        .where(FollowUp.due >= first_day, FollowUp.due < after_day)
    )
    if where is not None or group_by:
        # Only conditions and groups on the record need it: every follow-up belongs to one.
        query = query.join(Record, Record.id == FollowUp.record_id)
        if where is not None:
            query = query.where(where)
    if group_by:
        query = query.group_by(*group_by)
    names = ("due", "done", "done_on_time", "done_late", "overdue_open")
    rows = []
    for row in session.execute(query):
        counts = dict(zip(names, (int(value or 0) for value in row[len(group_by) :]), strict=True))
        rows.append({"group": tuple(row[: len(group_by)]), **counts})
    return rows
