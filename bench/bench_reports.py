"""Monthly improvement report over --records records ÷ one GROUP BY scan of the records table (target ≤ 3).

Builds (once; reused while it has the wanted size) a database of synthetic records spread over two years before the
current month: texts, categories, channels, priorities, statuses, ratings, feedback and follow-ups copied from the
realistic demo generator (demo.generator), contact times spread over the days with a login wave, holiday delivery
delays and repeat contacts laid over them, resolution and entry times, an automatic score per record, a few grades,
help-center searches and feedback, articles and FAQ proposals, and the audit log (one entry per record created and
the staff's first response to help-center contact requests). Rows go in with executemany (SQLite) or COPY
(PostgreSQL), bypassing the application: about five minutes for a million records, not hours. PostgreSQL is
vacuumed afterwards, as autovacuum would have done, so the scan may read the category index alone on both.

Then, warm (best of --runs): (a) `SELECT channel, count(*) FROM records GROUP BY channel`, (b)
jobs.reports.figures.build_figures for the last complete month as the scheduler makes it, on the 1st at 08:00 local,
after the nightly `report_days` job kept the days' rows (jobs.reports.days: the breaches of the month's last five days
are still scanned), and prints b ÷ a. It also prints the report with nothing kept (a fresh installation, or the first
report after a change of settings) and how long the nightly job took to keep 100 days. The baseline groups by channel,
which has no index of its own, so both databases read the records table itself: grouping by category was answered
from the category index alone (about ten times faster than reading the table), which is not the "one GROUP BY scan
of the records table" the target is stated against.

    .venv/bin/python bench/bench_reports.py [--records 1000000] [--postgres URL] [--rebuild] [--runs 3] [--parts]

The SQLite database is cached as bench/out/reports-<records>.db and migrated to the newest schema before timing (so
an index added since it was built is there); with --postgres (or CONSULTKB_BENCH_POSTGRES) the
given database is filled when it does not hold exactly --records records (it is emptied first: give a scratch one).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

#: Contacts spread over this many days before the current month.
SPAN_DAYS = 730
#: Distinct customers: with 1M records about 3 contacts each, as a busy consumer desk sees.
RECORDS_PER_CUSTOMER = 3.3
#: Share of contacts that are the same customer again on the same problem within a few days (repeat contacts).
REPEAT_SHARE = 0.08
#: Records older than this are mostly closed; a desk does not leave half its history open.
SETTLED_DAYS = 30
OPEN_SHARE_SETTLED = 0.04
SEED = 20261101


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Writer:
    """Bulk inserts of plain tuples: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection):
        self.connection = connection
        self.dialect = connection.dialect.name
        self.raw = connection.connection.driver_connection

    def insert(self, table: str, columns: tuple[str, ...], rows) -> int:
        count = 0
        if self.dialect == "sqlite":
            cursor = self.raw.cursor()
            placeholders = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
            batch = []
            for row in rows:
                batch.append(tuple(_sqlite_value(value) for value in row))
                if len(batch) >= 20000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            cursor.executemany(sql, batch)
            return count + len(batch)
        with self.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def execute(self, sql: str) -> None:
        cursor = self.raw.cursor()
        cursor.execute(sql)
        cursor.close()

    def fix_sequence(self, table: str) -> None:
        if self.dialect == "postgresql":
            with self.raw.cursor() as cursor:
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                cursor.execute(f"SELECT setval({sequence}, COALESCE((SELECT max(id) FROM {table}), 1))")


def _month_start_utc(zone) -> datetime:
    local = datetime.now(zone)
    first = datetime(local.year, local.month, 1, tzinfo=zone)
    return first.astimezone(UTC).replace(tzinfo=None)


class Generator:
    def __init__(self, records: int, zone, seed: int = SEED):
        from demo.generator import generate_demo_rows

        self.records = records
        self.zone = zone
        self.rng = random.Random(seed)
        self.end = _month_start_utc(zone)
        self.start = self.end - timedelta(days=SPAN_DAYS)
        pool = generate_demo_rows(6000, days=120, now=datetime(2026, 6, 1, 12, 0), seed=seed)
        self.pool_closed: dict[str, list[dict]] = defaultdict(list)
        self.pool_open: dict[str, list[dict]] = defaultdict(list)
        for row in pool:
            key = row.get("subcategory") or "-"
            target = self.pool_open if row["status"] in ("open", "pending", "transferred") else self.pool_closed
            target[key].append(row)
        self.topics = sorted(set(self.pool_closed) | set(self.pool_open))
        counts = defaultdict(int)
        for row in pool:
            counts[row.get("subcategory") or "-"] += 1
        self.topic_weights = [counts[key] for key in self.topics]

    def contact_times(self) -> list[datetime]:
        """Sorted contact times: busier on weekdays and in daytime, busier over the two years (a growing desk)."""
        rng = self.rng
        span = (self.end - self.start).total_seconds()
        times = []
        while len(times) < self.records:
            offset = rng.random() * span
            moment = self.start + timedelta(seconds=offset)
            local = moment.replace(tzinfo=UTC).astimezone(self.zone)
            weight = (0.6 + 0.4 * offset / span) * (0.75 if local.weekday() >= 5 else 1.0)
            weight *= 1.0 if 8 <= local.hour < 22 else 0.15
            if rng.random() < weight:
                times.append(moment.replace(second=0, microsecond=0))
        times.sort()
        return times

    def topic_for(self, moment: datetime) -> str:
        """A login-failure wave in the last quarter and delivery delays around November: trends the report shows."""
        rng = self.rng
        days_before_end = (self.end - moment).days
        if days_before_end < 90 and rng.random() < 0.06:
            return "login"
        if moment.month in (11, 12) and rng.random() < 0.08:
            return "delivery_delay"
        return rng.choices(self.topics, self.topic_weights)[0]

    def rows(self):
        """(record, follow-ups, score, audit entries) per record, in id order."""
        rng = self.rng
        times = self.contact_times()
        customers = max(1, int(self.records / RECORDS_PER_CUSTOMER))
        recent: list[tuple[int, str]] = []
        day_sequence: dict[date, int] = defaultdict(int)
        for index, contacted in enumerate(times, start=1):
            age_days = (self.end - contacted).days
            if recent and rng.random() < REPEAT_SHARE:
                customer_id, topic = recent[-rng.randint(1, min(len(recent), 2000))]
            else:
                customer_id, topic = rng.randint(1, customers), self.topic_for(contacted)
            recent.append((customer_id, topic))
            if len(recent) > 4000:
                del recent[:2000]
            settled = age_days > SETTLED_DAYS
            use_open = (rng.random() < OPEN_SHARE_SETTLED) if settled else (rng.random() < 0.25)
            pools = (self.pool_open if use_open else self.pool_closed).get(topic) or self.pool_closed.get(topic)
            pools = pools or self.pool_open[topic]
            source = rng.choice(pools)
            local_day = contacted.replace(tzinfo=UTC).astimezone(self.zone).date()
            day_sequence[local_day] += 1
            yield self.record(index, source, contacted, customer_id, local_day, day_sequence[local_day])

    def record(self, index, source, contacted, customer_id, local_day, sequence):
        rng = self.rng
        status = source["status"]
        priority = source.get("priority") or "medium"
        channel = source["channel"]
        origin = "self-service" if channel == "web" else "bench"
        entry_lag = timedelta(minutes=max(1.0, rng.lognormvariate(math.log(12), 0.9)))
        created = contacted + entry_lag
        resolved_at = None
        if status == "resolved":
            hours = rng.lognormvariate(math.log(3 if priority in ("high", "urgent") else 8), 1.3)
            resolved_at = max(created, contacted + timedelta(hours=hours))
            if resolved_at - contacted < timedelta(hours=1):
                resolved_at = created  # resolved during the contact: the record was saved resolved
        follow_ups = []
        for item in source.get("follow_ups") or []:
            lead = max(0, (date.fromisoformat(item["due"]) - date.fromisoformat(source["contacted_at"][:10])).days)
            due = contacted.date() + timedelta(days=lead)
            done = item["done"] or (contacted < self.end - timedelta(days=SETTLED_DAYS) and rng.random() < 0.9)
            done_at = None
            if done:
                done_at = datetime.combine(due, datetime.min.time()) + timedelta(hours=rng.uniform(-30, 40))
                done_at = max(done_at, created)
            follow_ups.append((item["action"], item["owner"], due, done, done_at, created))
        rating = {key: source.get(key) for key in _RATING_KEYS}
        record = (
            index,
            f"R{local_day:%Y%m%d}{sequence:04d}",
            origin,
            customer_id,
            channel,
            source.get("channel_platform"),
            contacted,
            source.get("duration_minutes"),
            self.agent_ids[source["agent"]],
            self.team_of[source["agent"]],
            source.get("category"),
            source.get("subcategory"),
            json.dumps(source.get("tags") or [], ensure_ascii=False),
            priority,
            status,
            source["problem_description"],
            source.get("customer_request"),
            source.get("key_details"),
            json.dumps(source.get("attachments") or [], ensure_ascii=False),
            source.get("emotion"),
            source.get("handling_steps"),
            json.dumps(source.get("collaboration") or [], ensure_ascii=False),
            source.get("resolution"),
            *rating.values(),
            source.get("language") or "zh",
            resolved_at,
            self.agent_ids[source["agent"]],
            created,
            max(created, resolved_at or created),
        )
        audit = [(created, self.agent_ids[source["agent"]], source["agent"], "record.create", record[1])]
        if origin == "self-service" and (status != "open" or rng.random() < 0.7):
            waited = timedelta(hours=rng.lognormvariate(math.log(2.5), 1.0))
            audit.append(
                (contacted + waited, self.agent_ids[source["agent"]], source["agent"], "record.update", record[1])
            )
        return record, follow_ups, self.score(source, status), audit

    def score(self, source, status) -> tuple[float, bool, str]:
        from scoring.engine import weighted_score

        rng = self.rng
        points = {}
        for criterion in self.rubric["criteria"]:
            statuses = criterion.get("statuses")
            categories = criterion.get("categories")
            if statuses and status not in statuses:
                continue
            if categories and source.get("category") not in categories:
                continue
            scale = float(criterion["scale"])
            miss = _MISS_RATES.get(criterion["key"], 0.1)
            points[criterion["key"]] = scale if rng.random() >= miss else round(rng.choice((0.0, scale / 2)), 3)
        score, critical = weighted_score(self.rubric, points)
        return score, critical, json.dumps(points)


_RATING_KEYS = (
    "satisfaction",
    "satisfaction_efficiency",
    "satisfaction_resolution",
    "satisfaction_attitude",
    "customer_feedback",
)
#: How often a synthetic record loses points on a criterion: specific wording and concrete steps are the usual
#: weak spots of hand-written records, unmasked personal data is rare.
_MISS_RATES = {"specific_problem": 0.3, "concrete_steps": 0.25, "timeliness": 0.2, "no_unmasked_pii": 0.03}


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


RECORD_COLUMNS = _columns(
    "id number source customer_id channel channel_platform contacted_at duration_minutes agent_id team_id category "
    "subcategory tags priority status problem_description customer_request key_details attachments emotion "
    "handling_steps collaboration resolution satisfaction satisfaction_efficiency satisfaction_resolution "
    "satisfaction_attitude customer_feedback language resolved_at created_by_id created_at updated_at"
)


def build_database(records: int) -> None:
    """Fill the app's (empty, migrated) database with `records` synthetic records and what surrounds them."""
    from werkzeug.security import generate_password_hash

    from demo.generator import DEMO_USERS
    from records.db import db
    from records.timeutil import local_timezone
    from scoring.engine import current_rubric

    zone = local_timezone()
    generator = Generator(records, zone)
    rubric = current_rubric()
    generator.rubric, rubric_id = rubric.definition, rubric.id
    db.session.commit()  # no transaction of ours may hold SQLite's write lock while the rows go in
    rng = generator.rng
    password = generate_password_hash("bench-password", method="pbkdf2:sha256:1000")
    started = time.perf_counter()
    with db.engine.begin() as connection:
        writer = Writer(connection)
        teams = sorted({user.team for user in DEMO_USERS if user.team})
        writer.insert(
            "teams", ("id", "name", "created_at"), [(i, name, generator.start) for i, name in enumerate(teams, 1)]
        )
        team_ids = {name: i for i, name in enumerate(teams, 1)}
        users = [
            (i, u.username, u.display_name, u.agent_code, u.role, team_ids.get(u.team), password, True, generator.start)
            for i, u in enumerate(DEMO_USERS, 1)
        ]
        writer.insert(
            "users",
            (
                "id",
                "username",
                "display_name",
                "agent_code",
                "role",
                "team_id",
                "password_hash",
                "active",
                "created_at",
            ),
            users,
        )
        generator.agent_ids = {u.username: i for i, u in enumerate(DEMO_USERS, 1)}
        generator.team_of = {u.username: team_ids.get(u.team) for u in DEMO_USERS}
        customers = max(1, int(records / RECORDS_PER_CUSTOMER))
        writer.insert(
            "customers",
            ("id", "number", "name", "customer_type", "tier", "tags", "created_at", "updated_at"),
            (
                (i, f"C{i:011d}", "匿名客户", "individual", "regular", "[]", generator.start, generator.start)
                for i in range(1, customers + 1)
            ),
        )
        follow_up_rows, score_rows, audit_rows = [], [], []

        def record_rows():
            for record, follow_ups, score, audit in generator.rows():
                for follow_up in follow_ups:
                    follow_up_rows.append((len(follow_up_rows) + 1, record[0], *follow_up))
                score_rows.append((record[0], rubric_id, score[0], score[1], score[2], record[-2]))
                for at, user_id, actor, action, number in audit:
                    audit_rows.append((len(audit_rows) + 1, at, user_id, actor, action, "record", number, "{}"))
                yield record

        writer.insert("records", tuple(RECORD_COLUMNS), record_rows())
        print(f"  records written ({time.perf_counter() - started:.0f} s)", flush=True)
        writer.insert(
            "follow_ups", ("id", "record_id", "action", "owner", "due", "done", "done_at", "created_at"), follow_up_rows
        )
        writer.insert(
            "record_scores",
            ("record_id", "rubric_id", "score", "critical_failed", "points", "computed_at"),
            score_rows,
        )
        writer.insert(
            "audit_log",
            ("id", "at", "user_id", "actor", "action", "object_type", "object_id", "details"),
            audit_rows,
        )
        # Supervisors grade about one record in 300.
        supervisors = [i for i, u in enumerate(DEMO_USERS, 1) if u.role == "supervisor"]
        graded = sorted(rng.sample(range(1, records + 1), max(1, records // 300)))
        writer.insert(
            "record_grades",
            ("id", "record_id", "grader_id", "rubric_id", "points", "score", "created_at"),
            (
                (i, record_id, rng.choice(supervisors), rubric_id, "{}", round(rng.uniform(40, 100), 1), generator.end)
                for i, record_id in enumerate(graded, 1)
            ),
        )
        _knowledge_base(writer, generator, rng)
        for table in ("teams", "users", "customers", "records", "follow_ups", "audit_log", "record_grades"):
            writer.fix_sequence(table)
        for table in ("articles", "article_versions", "article_feedback", "search_events", "kb_proposals"):
            writer.fix_sequence(table)
    # Statistics for the planners, and on PostgreSQL the visibility map index-only scans need: what autovacuum
    # gives a live database.
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        from records.db import refresh_statistics

        refresh_statistics()
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def _knowledge_base(writer: Writer, generator: Generator, rng: random.Random) -> None:
    """Articles for most topics (not all: some rising topics have none), proposals, searches and feedback."""
    from records.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    topics = [(top.code, sub.code, sub.zh) for top in taxonomy.categories for sub in top.children]
    covered = [topic for topic in topics if topic[1] not in ("login", "delivery_delay", "data_sync")]
    span = (generator.end - generator.start).total_seconds()

    def moment() -> datetime:
        return generator.start + timedelta(seconds=rng.random() * span)

    articles, versions = [], []
    for i, (category, subcategory, label) in enumerate(covered * 6, 1):
        published, title = moment(), f"{label}常见问题 {i}"
        versions.append((i, i, 1, title, "……", category, subcategory, "[]", "[]", "zh", "bench", published, "[]"))
        articles.append(
            (i, title, "……", category, subcategory, "[]", "[]", "zh", "published", None, 1, 0, 0, 0)
            + (published, published, published)
        )
    writer.insert(
        "articles",
        _columns(
            "id title body category subcategory tags alt_questions language status live_version_id version view_count "
            "helpful_yes helpful_no created_at updated_at published_at"
        ),
        articles,
    )
    writer.insert(
        "article_versions",
        _columns(
            "id article_id number title body category subcategory tags alt_questions language author_name created_at "
            "changed_fields"
        ),
        versions,
    )
    # Each article's live version is its first; the two point at each other, so the link comes last.
    writer.execute("UPDATE articles SET live_version_id = id")
    proposals = []
    for i in range(1, 401):
        category, subcategory, label = rng.choice(topics)
        at = moment()
        status = rng.choice(("open", "approved", "rejected"))
        proposals.append(
            (i, "new", status, f"{label}提案 {i}", "", "[]", "[]", category, subcategory, "[]", "zh", "[]")
            + (8, 3, 2, 1.0, at, at, at if status != "open" else None)
        )
    writer.insert(
        "kb_proposals",
        _columns(
            "id kind status title answer variations alt_questions category subcategory keywords language "
            "edited_fields record_count recent_count previous_count impact created_at updated_at reviewed_at"
        ),
        proposals,
    )
    queries = ("忘记密码", "退款多久到账", "物流太慢", "发票", "order export", "导出订单", "账号冻结怎么办")
    writer.insert(
        "search_events",
        ("id", "at", "kind", "query", "result_count"),
        (
            (i, moment(), "search" if rng.random() < 0.8 else "click", rng.choice(queries), rng.choice((0, 1, 3, 5)))
            for i in range(1, int(generator.records * 0.4) + 1)
        ),
    )
    writer.insert(
        "article_feedback",
        ("id", "article_id", "helpful", "created_at"),
        (
            (i, rng.randint(1, len(articles)), rng.random() < 0.7, moment())
            for i in range(1, generator.records // 20 + 1)
        ),
    )


def timed(function, runs: int) -> float:
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


#: The parts of build_figures timed by --parts (names in jobs.reports.figures).
PARTS = (
    "_contacts",
    "top_problems",
    "time_figures",
    "sla_figures",
    "quality_figures",
    "cases",
    "knowledge_figures",
    "needs_figures",
)


def part_times(period, now) -> dict[str, float]:
    """One build_figures with each part timed (the module's functions wrapped for the run)."""
    from jobs.reports import figures as report_figures

    spent: dict[str, float] = {}
    originals = {name: getattr(report_figures, name) for name in PARTS}

    def timed_part(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return run

    try:
        for name, function in originals.items():
            setattr(report_figures, name, timed_part(name, function))
        report_figures.build_figures(period, now=now)
    finally:
        for name, function in originals.items():
            setattr(report_figures, name, function)
    return spent


def measure(url: str, records: int, rebuild: bool, runs: int, parts: bool) -> dict:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from jobs.models import ReportDayRows
    from jobs.reports.figures import build_figures, keep_day_rows
    from jobs.reports.periods import last_complete_period
    from records.changes import settled_before
    from records.db import db, read_session
    from records.timeutil import local_day_start, utcnow
    from web import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {"TESTING": True, "INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": url, "EMBEDDINGS_ENABLED": False}
        )
        with app.app_context():
            have = 0
            if sa.inspect(db.engine).has_table("records"):
                have = db.session.scalar(sa.text("SELECT count(*) FROM records"))
            db.session.commit()
            if rebuild or have != records:
                print(f"Building {records} synthetic records ({db.engine.dialect.name}) ...", flush=True)
                db.session.remove()
                db.drop_all()
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
                upgrade()
                build_database(records)
            else:
                # A cached database gets the migrations added since it was built (new indexes: seconds, once).
                db.session.remove()
                upgrade()
            period = last_complete_period("monthly", utcnow())
            # As the scheduler runs it: on the 1st at 08:00 local, after the nightly job kept the settled days.
            now = local_day_start(period.after_day) + timedelta(hours=8)
            db.session.execute(sa.delete(ReportDayRows))
            db.session.commit()

            def scan():
                with read_session() as session:
                    session.execute(sa.text("SELECT channel, count(*) FROM records GROUP BY channel")).all()

            def report():
                build_figures(period, now=now)

            scan()  # warm the caches for both
            report()
            result = {
                "dialect": db.engine.dialect.name,
                "records": records,
                "period": period.label,
                "scan": timed(scan, runs),
                "cold": timed(report, runs),
            }
            started = time.perf_counter()
            keep_day_rows(now=now)
            result["keep"] = time.perf_counter() - started
            with read_session() as session:
                result["live_days"] = (period.after_day - settled_before(now)).days
            report()
            result["report"] = timed(report, runs)
            result["parts"] = part_times(period, now) if parts else {}
            with read_session() as session:
                result["in_period"] = session.scalar(
                    sa.text("SELECT count(*) FROM records WHERE contacted_at >= :a AND contacted_at < :b"),
                    {"a": period.starts_at, "b": period.ends_at},
                )
            return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("CONSULTKB_BENCH_POSTGRES"), help="SQLAlchemy URL")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parts", action="store_true", help="also time the parts of one report")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    targets = [f"sqlite:///{OUT / f'reports-{args.records}.db'}"]
    if args.postgres:
        targets.append(args.postgres)
    results = [measure(url, args.records, args.rebuild, args.runs, args.parts) for url in targets]
    print(
        "| database | records | month (its records) | GROUP BY scan s | monthly report s | report ÷ scan (target ≤ 3) "
        "| days scanned (breaches only) | nothing kept: report s | ÷ scan | nightly job s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        print(
            f"| {result['dialect']} | {result['records']} | {result['period']} ({result['in_period']}) "
            f"| {result['scan']:.3f} | {result['report']:.3f} | {result['report'] / result['scan']:.2f} "
            f"| {result['live_days']} | {result['cold']:.3f} | {result['cold'] / result['scan']:.2f} "
            f"| {result['keep']:.1f} |"
        )
    for result in results:
        if result["parts"]:
            spent = ", ".join(f"{name} {seconds:.2f}" for name, seconds in result["parts"].items())
            print(f"{result['dialect']} parts (s): {spent}")


if __name__ == "__main__":
    main()
