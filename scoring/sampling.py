"""Which records a supervisor reviews: per agent the lowest automatic scores, and a stratified random sample.

The lowest scores find the records most likely to need coaching; the random part keeps the review honest about
everything else (a supervisor who only reads the worst records misjudges the agent). Stratifying by status, and
within a status by channel, makes the random part cover pending and transferred records in proportion rather
than by luck.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from records.access import require
from records.db import db
from records.enums import Channel, Role, Status
from records.models import Record, Team, User
from records.people import find_agent
from records.timeutil import local_day_start, local_today
from scoring.grading import counts_for_record_sql
from scoring.models import Grade, RecordScore
from scoring.operations import record_score

#: Roles that ask for review samples (supervisors for their own team).
SAMPLER_ROLES = (Role.SUPERVISOR, Role.ADMIN)
#: Largest sample per agent one request may ask for.
MAX_PER_AGENT = 100
#: The period sampled when none is given: the last 30 days, about one monthly review.
DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True)
class _Candidate:
    id: int
    status: Status
    channel: Channel
    score: float


def review_sample(
    *,
    agent_ids: list[int],
    start: datetime,
    end: datetime,
    per_agent: int = 5,
    lowest: int = 2,
    seed: int | None = None,
) -> dict[int, list[Record]]:
    """Per agent, up to `per_agent` records contacted in [start, end) that nobody has graded yet: the `lowest`
    lowest automatic scores first, then a random sample stratified by status (and channel) for the rest.

    The same seed gives the same sample; each agent's sample depends only on the seed and that agent's records.
    Grades given in calibration sessions do not count as graded (they are not the record's grade).
    """
    errors: dict[str, list[str]] = {}
    if not 1 <= per_agent <= MAX_PER_AGENT:
        errors["per_agent"] = [_l("Enter a number from 1 to %(max)s.", max=MAX_PER_AGENT)]
    if lowest < 0:
        errors["lowest"] = [_l("Enter 0 or more.")]
    if start >= end:
        errors["from"] = [_l("The period starts after it ends.")]
    if errors:
        raise ValidationError(errors)
    candidates = _candidates(agent_ids, start, end)
    chosen: dict[int, list[int]] = {}
    for agent_id in dict.fromkeys(agent_ids):
        pool = candidates.get(agent_id, [])
        rng = random.Random(f"{seed}:{agent_id}") if seed is not None else random.Random()
        by_score = sorted(pool, key=lambda item: (item.score, item.id))
        worst = by_score[: min(lowest, per_agent)]
        worst_ids = {item.id for item in worst}
        rest = [item for item in pool if item.id not in worst_ids]
        chosen[agent_id] = [item.id for item in worst] + _stratified(rest, per_agent - len(worst), rng)
    records = {
        record.id: record
        for record in db.session.scalars(
            sa.select(Record).where(Record.id.in_([rid for ids in chosen.values() for rid in ids]))
        )
    }
    return {agent_id: [records[rid] for rid in ids] for agent_id, ids in chosen.items()}


def _candidates(agent_ids: list[int], start: datetime, end: datetime) -> dict[int, list[_Candidate]]:
    graded = sa.select(Grade.id).where(Grade.record_id == Record.id, counts_for_record_sql()).exists()
    rows = db.session.execute(
        sa.select(Record.id, Record.agent_id, Record.status, Record.channel, RecordScore.score)
        .outerjoin(RecordScore, RecordScore.record_id == Record.id)
        .where(Record.agent_id.in_(agent_ids), Record.contacted_at >= start, Record.contacted_at < end, ~graded)
        .order_by(Record.id)
    ).all()
    by_agent: dict[int, list[_Candidate]] = defaultdict(list)
    for record_id, agent_id, status, channel, score in rows:
        if score is None:
            # Records older than scoring have no stored score yet; score them now.
            score = record_score(db.session.get(Record, record_id)).score
        by_agent[agent_id].append(_Candidate(record_id, Status(status), Channel(channel), score))
    return by_agent


def _stratified(pool: list[_Candidate], size: int, rng: random.Random) -> list[int]:
    """`size` records drawn without replacement, allocated to statuses in proportion to their share of the pool
    (largest remainder, ties drawn at random); within a status, channels take turns."""
    if size <= 0 or not pool:
        return []
    if size >= len(pool):
        return [item.id for item in pool]
    strata: dict[Status, list[_Candidate]] = defaultdict(list)
    for item in pool:
        strata[item.status].append(item)
    statuses = sorted(strata, key=lambda status: status.value)
    quotas = {status: Fraction(size * len(strata[status]), len(pool)) for status in statuses}
    allocation = {status: int(quota) for status, quota in quotas.items()}
    tiebreak = {status: rng.random() for status in statuses}
    by_remainder = sorted(statuses, key=lambda status: (-(quotas[status] - allocation[status]), tiebreak[status]))
    for status in by_remainder[: size - sum(allocation.values())]:
        allocation[status] += 1
    picked = []
    for status in statuses:
        picked.extend(_channels_in_turn(strata[status], rng)[: allocation[status]])
    return [item.id for item in picked]


def _channels_in_turn(items: list[_Candidate], rng: random.Random) -> list[_Candidate]:
    """The items shuffled within each channel, then interleaved channel by channel (channels in random order)."""
    by_channel: dict[Channel, list[_Candidate]] = defaultdict(list)
    for item in items:
        by_channel[item.channel].append(item)
    channels = sorted(by_channel, key=lambda channel: channel.value)
    rng.shuffle(channels)
    for channel in channels:
        rng.shuffle(by_channel[channel])
    interleaved = []
    for turn in range(max(len(group) for group in by_channel.values())):
        interleaved.extend(by_channel[channel][turn] for channel in channels if turn < len(by_channel[channel]))
    return interleaved


def review_period(date_from: date | None = None, date_to: date | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC for local days `date_from` to `date_to` inclusive; by default the last 30 days."""
    date_to = date_to or local_today()
    date_from = date_from or date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return local_day_start(date_from), local_day_start(date_to + timedelta(days=1))


def sample_agent_ids(viewer: User, *, agent: str | None = None, team: str | None = None) -> list[int]:
    """The agents whose records `viewer` may sample: one agent, a team's active agents, or (no filter) the viewer's
    team's (every team's for administrators). Supervisors sample their own team only."""
    require(viewer.role in SAMPLER_ROLES, "Supervisors and administrators sample records for review.")
    own_team_only = viewer.role == Role.SUPERVISOR
    if agent:
        found = find_agent(agent)
        if found is None or found.role != Role.AGENT:
            raise ValidationError({"agent": [_l("There is no agent %(name)s.", name=repr(agent))]})
        require(not own_team_only or found.team_id == viewer.team_id, _l("Supervisors sample their own team's agents."))
        return [found.id]
    query = sa.select(User.id).where(User.role == Role.AGENT, User.active.is_(True)).order_by(User.id)
    if team:
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == team))
        if team_id is None:
            raise ValidationError({"team": [_l("There is no team %(name)s.", name=repr(team))]})
        require(not own_team_only or team_id == viewer.team_id, _l("Supervisors sample their own team's agents."))
        query = query.where(User.team_id == team_id)
    elif own_team_only:
        query = query.where(User.team_id == viewer.team_id if viewer.team_id else sa.false())
    return list(db.session.scalars(query))
