"""A GET never writes: walking the pages and every API GET as each role leaves the database as it was.

The GETs that write on purpose, since their writes are what they are for (the API's are in API_INTENDED_WRITES, each
limited to the tables it may write):
- downloads and `reveal=true` that audit-log an export or the unmasking of personal data;
- the help center's search, click and view counts (its deflection figures);
- an agent-assist search that found nothing (a knowledge-gap signal);
- an agent's first opening of a training pack (their progress);
- a bearer token's last use, written at most once a minute (web.auth.TOKEN_USE_RESOLUTION).
A job run whose process died is shown as stale on read; the scheduler marks it failed (jobs.runs.mark_dead_runs).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.models import JobRun
from jobs.reports import generate_report
from kb.gaps.models import KnowledgeGap
from records.assignment import create_rule
from records.db import db as database
from records.enums import Role
from records.timeutil import to_local, utcnow
from scoring.calibration import create_session
from scoring.cases.operations import create_case
from scoring.cases.packs import create_collection, publish_collection
from scoring.cases.training import assign_collection
from scoring.models import RecordScore
from tests.web.test_proposal_pages import add_proposal

#: The main pages each role reaches by GET; {record} is a record of the walking user's team.
PAGES = (
    "/records",
    "/records/{record}",
    "/records/{record}/score",
    "/records/{record}/grade",
    "/customers",
    "/customers?q=138-1234-5678",
    "/calls/incoming?phone=13812345678",
    "/dashboard",
    "/scoring/performance",
    "/admin/rubric",
    "/kb/proposals",
    "/kb/queue",
    "/kb/gaps",
    "/kb/articles",
    "/cases",
    "/collections",
    "/review-sample",
    "/calibrations",
    "/disputes",
    "/reports",
    "/admin/users",
    "/admin/jobs",
    "/admin/jobs?job=retention",
    "/worklist",
    "/worklist?kind=follow_up&sort=priority",
    "/notifications",
    "/admin/assignment",
)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture
def writes():
    """The statements that change data, as the database sees them (every session, Core or ORM)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(database.engine, "before_cursor_execute", count)


def dead_run() -> JobRun:
    """A run whose process died a day ago: the jobs page and API show it stale; only the scheduler marks it failed."""
    return JobRun(job_id="retention", worker="nohost-that-exists:1", output={}, started_at=utcnow() - timedelta(days=1))


@pytest.mark.parametrize("role", list(Role))
def test_get_pages_do_not_write(client, make_user, make_record, sign_in, writes, role):
    user = make_user(role, team="客服A组")
    agent = user if role == Role.AGENT else make_user(Role.AGENT, team="客服A组")
    record = make_record(agent=agent)
    # A record older than scoring: pages show its score without storing it.
    database.session.execute(sa.delete(RecordScore).where(RecordScore.record_id == record.id))
    database.session.add(dead_run())
    database.session.commit()
    sign_in(user)
    writes.clear()
    for path in PAGES:
        response = client.get(path.format(record=record.number))
        assert response.status_code in (200, 403, 404), (path, response.status_code)
        assert writes == [], (path, writes)


# ----- the API ------------------------------------------------------------------------------------------------------

#: Every GET of the API, as a bearer-token client calls it; {…} are the walking test's objects.
API_PATHS = (
    "/api/v1/users",
    "/api/v1/users/me",
    "/api/v1/taxonomy",
    "/api/v1/audit",
    "/api/v1/records",
    "/api/v1/records/{record}",
    "/api/v1/records/{record}?reveal=true",
    "/api/v1/records/{record}/follow-ups",
    "/api/v1/records/{record}/score",
    "/api/v1/records/{record}/grades",
    "/api/v1/records/{record}/articles",
    "/api/v1/records/{record}/customer-links",
    "/api/v1/customers",
    "/api/v1/customers/{customer}",
    "/api/v1/customers/{customer}?reveal=true",
    "/api/v1/customers/{customer}/erase",
    "/api/v1/articles",
    "/api/v1/articles/{article}",
    "/api/v1/articles/{article}/versions",
    "/api/v1/articles/{article}/versions/1",
    "/api/v1/articles/{article}/diff?from=1&to=1",
    "/api/v1/articles/{article}/sources",
    "/api/v1/articles/{article}/feedback",
    "/api/v1/feedback",
    "/api/v1/assist?text=忘记密码怎么办",
    "/api/v1/search?q=忘记密码",
    "/api/v1/proposals",
    "/api/v1/proposals/{proposal}",
    "/api/v1/gaps",
    "/api/v1/gaps/{gap}",
    "/api/v1/trainer-queue",
    "/api/v1/scores",
    "/api/v1/rubric",
    "/api/v1/rubric/versions",
    "/api/v1/rubric/tuning",
    "/api/v1/disputes",
    "/api/v1/review-sample",
    "/api/v1/calibrations/{calibration}",
    "/api/v1/cases",
    "/api/v1/cases/dimensions",
    "/api/v1/cases/suggestions",
    "/api/v1/cases/{case}",
    "/api/v1/collections",
    "/api/v1/collections/recommendations",
    "/api/v1/collections/{pack}",
    "/api/v1/collections/{pack}/assignments",
    "/api/v1/collections/{pack}/export",
    "/api/v1/reports",
    "/api/v1/reports/monthly/{period}",
    "/api/v1/reports/monthly/{period}/export?format=csv",
    "/api/v1/jobs",
    "/api/v1/jobs/runs",
    "/api/v1/jobs/proposal_refresh/status",
    "/api/v1/alerts",
    "/api/v1/worklist",
    "/api/v1/notifications",
    "/api/v1/assignment-rules",
    "/api/v1/assignment-rules/{rule}",
    "/api/v1/records/{record}/assignments",
    "/api/v1/openapi.json",
    "/api/v1/docs",
)
#: GETs whose writes are what they are for: the only tables each may write, and why.
API_INTENDED_WRITES = {
    "/api/v1/records/{record}?reveal=true": ({"audit_log"}, "unmasking personal data is audit-logged"),
    "/api/v1/customers/{customer}?reveal=true": ({"audit_log"}, "unmasking personal data is audit-logged"),
    "/api/v1/search?q=忘记密码": ({"search_sessions", "search_events"}, "the help center counts searches"),
    "/api/v1/assist?text=忘记密码怎么办": ({"kb_assist_misses"}, "an assist search that found nothing is a gap signal"),
    "/api/v1/collections/{pack}": ({"case_readings"}, "an agent's first opening of a pack is their progress"),
    "/api/v1/collections/{pack}/export": ({"audit_log"}, "an export of training material is audit-logged"),
}
#: GETs the walk leaves out: no database behind them.
API_NOT_WALKED = {"swagger_assets": "the API docs' static files"}


def endpoint_of(adapter, path: str) -> str:
    placeholders = dict.fromkeys(
        ("record", "customer", "article", "case", "pack", "calibration", "proposal", "rule", "gap"), 1
    )
    return adapter.match(path.split("?")[0].format(**placeholders, period="2026-11"), method="GET")[0]


def written_table(statement: str) -> str:
    words = statement.replace('"', "").split()
    return words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]


def test_the_walk_covers_every_api_get(app):
    adapter = app.url_map.bind("localhost")
    walked = {endpoint_of(adapter, path) for path in API_PATHS}
    every = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and "GET" in rule.methods
    }
    assert every - set(API_NOT_WALKED) == walked


@pytest.mark.parametrize("role", list(Role))
def test_api_gets_do_not_write(client, make_user, make_record, make_article, token_for, writes, role):
    user = make_user(role, team="客服A组")
    agent = user if role == Role.AGENT else make_user(Role.AGENT, team="客服A组")
    trainer = user if role == Role.TRAINER else make_user(Role.TRAINER)
    supervisor = user if role == Role.SUPERVISOR else make_user(Role.SUPERVISOR, team="客服A组")
    record = make_record(agent=agent)
    article = make_article()
    case = create_case(record, {"kind": "exemplary", "dimensions": ["empathy"], "title": "安抚"}, by=trainer)
    pack = create_collection({"title": "高效解答", "case_ids": [case.id]}, by=trainer)
    publish_collection(pack, by=trainer)
    assign_collection(pack, [agent], by=supervisor)
    calibration = create_session("十一月校准", [record.id], [supervisor.id, trainer.id], by=supervisor)
    proposal = add_proposal(database, [record], title="忘记密码怎么办")
    gap = KnowledgeGap(title="积分怎么兑换", space="lexical", signal_count=2, examples=[], kinds={}, impact=2.0)
    database.session.add(gap)
    admin = user if role == Role.ADMIN else make_user(Role.ADMIN)
    rule = create_rule({"name": "VIP", "customer_tier": "vip", "candidates": [agent.username]}, by=admin)
    database.session.commit()  # the report below reads in sessions of its own
    last_month = (to_local(utcnow()).date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    period = generate_report("monthly", last_month).report.period
    database.session.add(dead_run())
    # A record older than scoring: the API shows its score without storing it.
    database.session.execute(sa.delete(RecordScore).where(RecordScore.record_id == record.id))
    database.session.commit()
    ids = {
        "record": record.number,
        "customer": record.customer.number,
        "article": article.id,
        "case": case.id,
        "pack": pack.id,
        "calibration": calibration.id,
        "proposal": proposal.id,
        "rule": rule.id,
        "gap": gap.id,
        "period": period,
    }
    headers = token_for(user)
    client.get("/api/v1/users/me", headers=headers)  # the token's last use: written at most once a minute
    for path in API_PATHS:
        writes.clear()
        response = client.get(path.format(**ids), headers=headers)
        # Administrators reach every one: the walk reads real objects, not 404s.
        expected = (200,) if role == Role.ADMIN else (200, 403, 404)
        assert response.status_code in expected, (path, response.status_code, response.get_data(as_text=True))
        allowed = API_INTENDED_WRITES.get(path, (set(), ""))[0]
        assert {written_table(statement) for statement in writes} <= allowed, (path, writes)
