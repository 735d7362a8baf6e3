"""Deterministic, realistic demo consultation records and demo users.

Every later feature demos on this data (FAQ clustering, search, masking, quality scoring, reports), so it imitates a
real support desk: 29 topics (one per taxonomy subcategory) in Chinese and English, each phrased many ways with order
numbers, amounts, dates and app versions filled in; repeat consultations linked to the customer's earlier record;
personal data written into free text now and then; a few deliberately sloppy records; and trends over time (a
login-failure wave after a release, delivery delays after shopping holidays, a satisfaction dip in one team).

Rows use only the canonical import columns (docs/import-format.md) and satisfy the importer's rules. Pure stdlib:
the same `seed` and `now` always give the same rows. Phrase tables and value pools: `demo.phrases`.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from demo import phrases as ph

# --- Users -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str  # agent | supervisor | trainer | admin
    team: str | None
    agent_code: str | None
    password: str


#: One readable password per role; `make run` prints them as the demo logins.
DEMO_PASSWORDS: dict[str, str] = {
    "agent": "agent-demo",
    "supervisor": "supervisor-demo",
    "trainer": "trainer-demo",
    "admin": "admin-demo",
}

DEMO_TEAMS: tuple[str, ...] = ("客服A组", "客服B组", "English Support")
TEAM_LANGUAGE: dict[str, str] = {"客服A组": "zh", "客服B组": "zh", "English Support": "en"}

# (team, agent code, username, name)
_AGENTS: tuple[tuple[str, str, str, str], ...] = (
    ("客服A组", "A01", "wangfang", "王芳"),
    ("客服A组", "A02", "lina", "李娜"),
    ("客服A组", "A03", "zhangwei", "张伟"),
    ("客服A组", "A04", "liuyang", "刘洋"),
    ("客服A组", "A05", "chenjing", "陈静"),
    ("客服A组", "A06", "yanglei", "杨磊"),
    ("客服B组", "B01", "zhaomin", "赵敏"),
    ("客服B组", "B02", "huangting", "黄婷"),
    ("客服B组", "B03", "zhoujie", "周杰"),
    ("客服B组", "B04", "wuhao", "吴昊"),
    ("客服B组", "B05", "xuli", "徐丽"),
    ("English Support", "E01", "ecarter", "Emily Carter"),
    ("English Support", "E02", "jwalker", "James Walker"),
    ("English Support", "E03", "sturner", "Sophie Turner"),
    ("English Support", "E04", "dlee", "Daniel Lee"),
)
#: Chinese-team agents who also take English conversations, so "mostly their language" is not "only".
_BILINGUAL_AGENTS = ("lina", "zhoujie")


def _display_name(team: str, name: str) -> str:
    # The record template names agents as "客服A组-王芳"; English names stand alone.
    return name if TEAM_LANGUAGE[team] == "en" else f"{team}-{name}"


DEMO_USERS: tuple[DemoUser, ...] = (
    *(DemoUser(u, _display_name(t, n), "agent", t, c, DEMO_PASSWORDS["agent"]) for t, c, u, n in _AGENTS),
    DemoUser("sunli", "客服A组主管-孙丽", "supervisor", "客服A组", None, DEMO_PASSWORDS["supervisor"]),
    DemoUser("hemei", "客服B组主管-何梅", "supervisor", "客服B组", None, DEMO_PASSWORDS["supervisor"]),
    DemoUser("obrown", "Olivia Brown", "supervisor", "English Support", None, DEMO_PASSWORDS["supervisor"]),
    DemoUser("majing", "培训师-马静", "trainer", None, None, DEMO_PASSWORDS["trainer"]),
    DemoUser("admin", "系统管理员", "admin", None, None, DEMO_PASSWORDS["admin"]),
)

DEMO_TOPICS: tuple[str, ...] = tuple(ph.TOPICS)
#: topic key -> (category code, subcategory code) in the default taxonomy.
DEMO_TOPIC_CATEGORIES: dict[str, tuple[str, str]] = {
    key: (topic["category"], topic["subcategory"]) for key, topic in ph.TOPICS.items()
}


# --- Phrase tables -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One phrase-table entry: a template (or a tuple of step templates) and the cases of its topic it fits."""

    value: Any
    cases: frozenset[str]  # empty: fits every case
    heated: bool = False  # the angry way of putting the problem


_CASE_MARK = re.compile(r"^\[([\w,]+)\]")
_PHRASE_FIELDS = ("problem", "request", "details", "steps", "resolution", "unresolvable", "follow_up", "collab")


def _entry(raw: str | tuple[str, ...]) -> _Entry:
    # "!" marks the angry phrasing, "[case,case]" the sub-issues an entry belongs to; for steps on the first step.
    first = raw if isinstance(raw, str) else raw[0]
    heated = first.startswith("!")
    first = first.removeprefix("!")
    mark = _CASE_MARK.match(first)
    cases = frozenset(mark.group(1).split(",")) if mark else frozenset()
    first = first[mark.end() :] if mark else first
    return _Entry(first if isinstance(raw, str) else (first, *raw[1:]), cases, heated)


#: (topic, language) -> field -> entries, parsed once from the phrase tables.
_PHRASES: dict[tuple[str, str], dict[str, list[_Entry]]] = {
    (key, lang): {name: [_entry(raw) for raw in topic[lang][name]] for name in _PHRASE_FIELDS}
    for key, topic in ph.TOPICS.items()
    for lang in ("zh", "en")
}


def _fitting(entries: list[_Entry], case: str | None) -> list[_Entry]:
    """The entries written for `case`, or, when there are none, the ones that fit every case."""
    if case:
        specific = [entry for entry in entries if case in entry.cases]
        if specific:
            return specific
    return [entry for entry in entries if not entry.cases]


#: Words that name a department in a collaboration note.
_DEPARTMENT_WORDS: dict[str, tuple[str, ...]] = {
    key: (zh, en, *ph.DEPARTMENT_ALIASES.get(key, ())) for key, (zh, en, _) in ph.DEPARTMENTS.items()
}

# --- Tuning of the generated data ----------------------------------------------------------------------------------

#: Share of records in Chinese; the rest are English.
ZH_SHARE = 0.70
#: Size of the customer pool; with 2,400 records most customers come back at least once.
CUSTOMER_POOL_SIZE = 900
#: Share of records that repeat an earlier consultation of the same customer on the same topic (linked in `related`).
REPEAT_SHARE = 0.15
#: A repeat consultation refers to a record of at most this many days before.
REPEAT_WINDOW_DAYS = 30
#: Nobody calls more than this many times about one issue in the demo.
MAX_CONTACTS_PER_ISSUE = 3
#: Share of deliberately incomplete (vague, no request/steps/category) records, for quality scoring to flag.
INCOMPLETE_SHARE = 0.05
#: Share of records with personal data (phone, e-mail, ID or card number) written into free text.
PII_SHARE = 0.15
#: Share of English conversations taken by the bilingual agents of the Chinese teams.
BILINGUAL_SHARE = 0.05
#: Target status shares over the whole period; open/pending/transferred lean towards recent records (see _status).
STATUS_SHARES: dict[str, float] = {
    "resolved": 0.65,
    "open": 0.08,
    "pending": 0.12,
    "transferred": 0.08,
    "unresolvable": 0.07,
}
#: Satisfaction weights for scores 1..5 per status; unresolvable records never score above 3.
SATISFACTION_WEIGHTS: dict[str, tuple[int, int, int, int, int]] = {
    "resolved": (2, 3, 10, 35, 50),
    "open": (5, 15, 40, 30, 10),
    "pending": (8, 15, 35, 30, 12),
    "transferred": (8, 17, 35, 28, 12),
    "unresolvable": (30, 40, 30, 0, 0),
}
#: Share of records the customer did not rate (未评价); open records are rarely rated yet.
NOT_RATED_SHARE = 0.21
NOT_RATED_SHARE_OPEN = 0.80
#: Relative contact volume per hour of day: office hours dominate, a trickle at night.
HOUR_WEIGHTS = (
    *(0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.7),  # 00:00-07:59
    *(2.0, 3.2, 3.5, 3.3, 2.2, 2.6, 3.3, 3.3),  # 08:00-15:59
    *(3.1, 2.8, 2.0, 1.8, 1.8, 1.5, 0.9, 0.3),  # 16:00-23:59
)
#: A weekend day gets this fraction of a weekday's contacts.
WEEKEND_WEIGHT = 0.55
#: The demo's big app release happened this many days before `now`; login failures spike afterwards.
RELEASE_DAYS_AGO = 21
RELEASE_TOPIC_BOOST = {"login": 5.0, "app_crash": 1.5}
#: Shopping holidays (month, day); deliveries run late for HOLIDAY_DAYS after each.
HOLIDAYS = ((1, 1), (5, 1), (6, 18), (10, 1), (11, 11), (12, 12))
HOLIDAY_DAYS = 12
HOLIDAY_TOPIC_BOOST = {"delivery_delay": 3.5, "lost_package": 2.0}
HOLIDAY_VOLUME_BOOST = 1.25
#: One team has a rough patch (new hires) over the last DIP_DAYS: worse scores, more attitude complaints.
DIP_TEAM = "客服B组"
DIP_DAYS = 42
DIP_TOPIC_BOOST = {"agent_attitude": 3.0, "slow_response": 2.0}
DIP_SCORE_DROP = 0.6
#: The latest possible contact: a record is written after the conversation.
LATEST_CONTACT = timedelta(minutes=10)

_EMOTIONS = ("calm", "dissatisfied", "anxious", "impatient", "angry", "other")
_PRIORITIES = ("low", "medium", "high", "urgent")
_NEGATIVE_EMOTIONS = ("dissatisfied", "impatient", "angry")
#: Slots a repeat consultation shares with the earlier record: it is about the same order, product and payment.
_IDENTITY_SLOTS = (
    "order", "order2", "tracking", "carrier", "product", "price", "amount", "refund", "diff", "purchase_date",
    "promised_date", "variant", "plan", "plan_price", "pay_method", "last4", "device", "os", "invoice_title", "tax_id",
    "feature", "new_address", "city", "other_code", "export_format", "count", "ip_city", "sign_time",
)  # fmt: skip
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- Public API --------------------------------------------------------------------------------------------------


def generate_demo_rows(
    count: int = 2400,
    *,
    days: int = 120,
    now: datetime,
    seed: int = 20261122,
    timezone_name: str = "Asia/Shanghai",
) -> list[dict[str, Any]]:
    """Return `count` canonical import rows contacted within the `days` before `now`, oldest first.

    `now` is the local wall-clock time of `timezone_name` (an aware datetime is converted to it); contact times are
    local "YYYY-MM-DD HH:MM" strings between `now - days` and ten minutes before `now`.
    """
    if count < 0:
        raise ValueError("count must not be negative.")
    if days < 1:
        raise ValueError("days must be at least 1.")
    try:
        zone = ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {timezone_name!r}.") from exc
    if now.tzinfo is not None:
        now = now.astimezone(zone).replace(tzinfo=None)
    return _DemoGenerator(now=now, days=days, seed=seed, zone=zone).rows(count)


# --- Generator ---------------------------------------------------------------------------------------------------


@dataclass
class _Customer:
    language: str
    name: str
    phone: str | None
    email: str | None
    type: str
    company: str | None
    industry: str | None
    tier: str
    tags: tuple[str, ...]


@dataclass
class _Draft:
    """A record being written; kept afterwards for the repeat consultations that come back to it."""

    external_id: str
    when: datetime
    lang: str
    customer: _Customer
    agent: DemoUser
    topic_key: str
    earlier: _Draft | None = None
    incomplete: bool = False
    contact_number: int = 1  # 1 for the first contact about the issue, 2 for the first repeat, ...
    slots: dict[str, str] = field(default_factory=dict)
    status: str = ""
    emotion: str = ""
    priority: str = ""
    case: str | None = None  # the sub-issue of the topic, from the problem phrasing
    repeated: bool = False  # a later record already came back about it: issues repeat in a chain, not a fan

    @property
    def topic(self) -> dict[str, Any]:
        return ph.TOPICS[self.topic_key]

    def fitting(self, field_name: str) -> list[_Entry]:
        """The phrase-table entries of `field_name` that fit this record's topic, language and sub-issue."""
        return _fitting(_PHRASES[self.topic_key, self.lang][field_name], self.case)

    def phrase(self, rng: random.Random, field_name: str) -> str:
        return rng.choice(self.fitting(field_name)).value.format_map(self.slots)


@dataclass
class _Calendar:
    """The dated events behind the trends."""

    start: datetime
    release: datetime
    dip_start: datetime
    holidays: list[tuple[date, date]] = field(default_factory=list)

    @classmethod
    def around(cls, now: datetime, days: int) -> _Calendar:
        start = now - timedelta(days=days)
        calendar = cls(start, now - timedelta(days=RELEASE_DAYS_AGO), now - timedelta(days=DIP_DAYS))
        for year in range(start.year - 1, now.year + 1):
            for month, day in HOLIDAYS:
                first = date(year, month, day)
                last = first + timedelta(days=HOLIDAY_DAYS)
                if last >= start.date() and first <= now.date():
                    calendar.holidays.append((first, last))
        return calendar

    def in_holiday_peak(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.holidays)


class _DemoGenerator:
    def __init__(self, *, now: datetime, days: int, seed: int, zone: ZoneInfo):
        self.rng = random.Random(seed)
        self.now = now
        self.zone = zone
        self.calendar = _Calendar.around(now, days)
        self.agents = {
            lang: [u for u in DEMO_USERS if u.role == "agent" and TEAM_LANGUAGE[u.team or ""] == lang]
            for lang in ("zh", "en")
        }
        self.bilingual = [u for u in DEMO_USERS if u.username in _BILINGUAL_AGENTS]
        self.supervisors = {u.team: u for u in DEMO_USERS if u.role == "supervisor"}
        self.used_contacts: set[str] = set()  # phones and e-mails identify customers, so no two may share one
        self.customers = {lang: self._customer_pool(lang) for lang in ("zh", "en")}
        self.history: list[_Draft] = []
        self.history_times: list[datetime] = []
        self.ticket_counters: dict[str, int] = {}
        self.status_means: dict[str, float] = {}

    # -- orchestration

    def rows(self, count: int) -> list[dict[str, Any]]:
        times = self._contact_times(count)
        self.status_means = self._status_age_means(times)
        return [self._row(index, when) for index, when in enumerate(times, start=1)]

    def _row(self, index: int, when: datetime) -> dict[str, Any]:
        rng = self.rng
        external_id = f"demo-{index:05d}"
        earlier = self._earlier_record(when) if rng.random() < REPEAT_SHARE else None
        if earlier:
            agent = earlier.agent if rng.random() < 0.5 else self._pick_agent(earlier.lang)
            draft = _Draft(external_id, when, earlier.lang, earlier.customer, agent, earlier.topic_key, earlier)
            draft.contact_number = earlier.contact_number + 1
        else:
            lang = "zh" if rng.random() < ZH_SHARE else "en"
            customer, agent = rng.choice(self.customers[lang]), self._pick_agent(lang)
            draft = _Draft(external_id, when, lang, customer, agent, self._pick_topic(when, agent))
            draft.incomplete = rng.random() < INCOMPLETE_SHARE
        draft.slots = self._slots(draft)
        if earlier:
            draft.slots.update({key: earlier.slots[key] for key in _IDENTITY_SLOTS})
        draft.status = self._status(when)
        draft.emotion = self._emotion(draft)
        draft.priority = self._priority(draft)
        channel, platform = self._channel(draft.lang)
        problem = self._problem(draft)
        draft.case = min(problem.cases, default=None)
        collaboration = self._collaboration(draft)
        follow_ups = self._follow_ups(draft)
        if follow_ups:
            draft.slots["due"] = _day(draft.lang, date.fromisoformat(follow_ups[-1]["due"]))

        row: dict[str, Any] = {"external_id": external_id, "source": "demo", **self._customer_columns(draft.customer)}
        row.update(channel=channel, channel_platform=platform, contacted_at=when.strftime("%Y-%m-%d %H:%M"))
        row["duration_minutes"] = self._duration(channel, draft.topic["kind"])
        row["agent"] = agent.username
        if draft.incomplete:
            row.update(self._incomplete_content(draft))
        else:
            row.update(self._content(draft, problem, channel, platform))
            row.update(priority=draft.priority, emotion=draft.emotion, collaboration=collaboration)
        row["status"] = draft.status
        row.update(self._rating(draft))
        row.update(follow_ups=follow_ups, related=[earlier.external_id] if earlier else None, language=draft.lang)
        if not draft.incomplete and rng.random() < PII_SHARE:
            self._write_pii_into_text(row, draft)

        self.history.append(draft)
        self.history_times.append(when)
        return _canonical_order(row)

    # -- when

    def _contact_times(self, count: int) -> list[datetime]:
        """Business-hours-weighted contact times, more on weekdays and in holiday peaks; sorted."""
        rng = self.rng
        start, end = self.calendar.start, self.now - LATEST_CONTACT
        days = [start.date() + timedelta(days=offset) for offset in range((end.date() - start.date()).days + 1)]
        weights = [
            (WEEKEND_WEIGHT if day.weekday() >= 5 else 1.0)
            * (HOLIDAY_VOLUME_BOOST if self.calendar.in_holiday_peak(day) else 1.0)
            for day in days
        ]
        hours = range(24)
        times: list[datetime] = []
        while len(times) < count:
            for day in rng.choices(days, weights, k=count - len(times)):
                moment = datetime.combine(day, time(rng.choices(hours, HOUR_WEIGHTS)[0], rng.randrange(60)))
                # Partial first and last days, and wall-clock times a DST switch skips, are drawn again.
                if start <= moment <= end and self._exists_locally(moment):
                    times.append(moment)
        times.sort()
        return times

    def _exists_locally(self, moment: datetime) -> bool:
        aware = moment.replace(tzinfo=self.zone)
        return aware.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) == moment

    # -- who and what

    def _customer_pool(self, lang: str) -> list[_Customer]:
        size = round(CUSTOMER_POOL_SIZE * (ZH_SHARE if lang == "zh" else 1 - ZH_SHARE))
        return [self._customer(lang) for _ in range(size)]

    def _customer(self, lang: str) -> _Customer:
        rng = self.rng
        enterprise = rng.random() < (0.20 if lang == "zh" else 0.15)
        company, industry, domain = rng.choice(ph.COMPANIES[lang]) if enterprise else (None, None, None)
        tier_weights = (55, 30, 15) if enterprise else (85, 13, 2)
        tier = rng.choices(("regular", "vip", "strategic"), tier_weights)[0]
        if lang == "zh":
            surname, given = rng.choice(ph.SURNAMES), rng.choice(ph.GIVEN_NAMES)
            roll = rng.random()
            title = "经理" if enterprise else rng.choice(("先生", "女士"))
            name = "" if roll < 0.07 else f"{surname}{title}" if roll < 0.25 else surname + given
            has_phone, has_email = rng.random() < 0.96, rng.random() < (0.8 if enterprise else 0.35)
        else:
            first, last = rng.choice(ph.FIRST_NAMES), rng.choice(ph.LAST_NAMES)
            roll = rng.random()
            name = "" if roll < 0.07 else f"{rng.choice(('Mr', 'Ms'))} {last}" if roll < 0.17 else f"{first} {last}"
            has_phone, has_email = rng.random() < 0.6, rng.random() < 0.92
        # Every customer can be matched again by the importer, by phone or by e-mail.
        phone = self._unique(lambda: self._phone(lang)) if has_phone or not has_email else None
        email = self._unique(lambda: self._email(lang, domain)) if has_email else None
        tags = (rng.choice(ph.CUSTOMER_TAGS[lang]),) if rng.random() < 0.25 else ()
        return _Customer(
            lang, name, phone, email, "enterprise" if enterprise else "individual", company, industry, tier, tags
        )

    def _unique(self, make: Callable[[], str]) -> str:
        value = make()
        while value in self.used_contacts:
            value = make()
        self.used_contacts.add(value)
        return value

    def _phone(self, lang: str) -> str:
        rng = self.rng
        if lang == "zh":
            return rng.choice(ph.MOBILE_PREFIXES) + _digits(rng, 8)
        if rng.random() < 0.6:
            return f"+1 {rng.choice(ph.US_AREA_CODES)}-{rng.randint(200, 989)}-{_digits(rng, 4)}"
        return f"+44 7{_digits(rng, 3)} {_digits(rng, 6)}"

    def _email(self, lang: str, company_domain: str | None) -> str:
        rng = self.rng
        if lang == "zh":
            handle = f"{rng.choice(ph.EMAIL_HANDLES)}{rng.randint(1, 9999)}"
            if company_domain is None and rng.random() < 0.4:
                return f"{rng.randint(10_000_000, 3_999_999_999)}@qq.com"
        else:
            handle = f"{rng.choice(ph.FIRST_NAMES)}.{rng.choice(ph.LAST_NAMES)}{rng.randint(1, 99)}".lower()
        return f"{handle}@{company_domain or rng.choice(ph.EMAIL_DOMAINS[lang])}"

    def _pick_agent(self, lang: str) -> DemoUser:
        if lang == "en" and self.rng.random() < BILINGUAL_SHARE:
            return self.rng.choice(self.bilingual)
        return self.rng.choice(self.agents[lang])

    def _pick_topic(self, when: datetime, agent: DemoUser) -> str:
        weights = []
        for key, topic in ph.TOPICS.items():
            weight = float(topic["weight"])
            if when >= self.calendar.release:
                weight *= RELEASE_TOPIC_BOOST.get(key, 1.0)
            if self.calendar.in_holiday_peak(when.date()):
                weight *= HOLIDAY_TOPIC_BOOST.get(key, 1.0)
            if agent.team == DIP_TEAM and when >= self.calendar.dip_start:
                weight *= DIP_TOPIC_BOOST.get(key, 1.0)
            weights.append(weight)
        return self.rng.choices(DEMO_TOPICS, weights)[0]

    def _earlier_record(self, when: datetime) -> _Draft | None:
        """A recent complete record to come back about, or None when there is none yet."""
        lowest = bisect.bisect_left(self.history_times, when - timedelta(days=REPEAT_WINDOW_DAYS))
        if lowest >= len(self.history):
            return None
        for _ in range(5):
            candidate = self.history[self.rng.randrange(lowest, len(self.history))]
            if not (candidate.incomplete or candidate.repeated) and candidate.contact_number < MAX_CONTACTS_PER_ISSUE:
                candidate.repeated = True
                return candidate
        return None

    # -- status, mood, priority, channel

    @staticmethod
    def _age_factor(status: str, age_days: float) -> float:
        # Unfinished records are mostly recent; old ones that are still open are the stragglers reports point at.
        if status == "open":
            return 3.0 if age_days < 3 else 2.0 if age_days < 14 else 0.6
        if status in ("pending", "transferred"):
            return 2.5 if age_days < 14 else 1.0 if age_days < 30 else 0.5
        return 1.0

    def _status_age_means(self, times: list[datetime]) -> dict[str, float]:
        ages = [(self.now - when).total_seconds() / 86400 for when in times] or [0.0]
        return {status: sum(self._age_factor(status, age) for age in ages) / len(ages) for status in STATUS_SHARES}

    def _status(self, when: datetime) -> str:
        age = (self.now - when).total_seconds() / 86400
        shares = {
            status: share * self._age_factor(status, age) / self.status_means[status]
            for status, share in STATUS_SHARES.items()
            if status != "resolved"
        }
        shares["resolved"] = max(0.05, 1 - sum(shares.values()))
        return self.rng.choices(list(shares), list(shares.values()))[0]

    def _emotion(self, draft: _Draft) -> str:
        emotion = self.rng.choices(_EMOTIONS, ph.EMOTION_WEIGHTS[draft.topic["kind"]])[0]
        if draft.earlier and emotion == "calm" and self.rng.random() < 0.5:
            emotion = self.rng.choice(("impatient", "dissatisfied"))
        return emotion

    def _priority(self, draft: _Draft) -> str:
        rng = self.rng
        kind = draft.topic["kind"]
        level = rng.choices(range(4), ph.PRIORITY_WEIGHTS[kind])[0]
        bumps = (
            (draft.emotion == "angry" and rng.random() < 0.5)
            + (draft.customer.tier != "regular" and rng.random() < 0.25)
            + (draft.earlier is not None and rng.random() < 0.4)
            + (draft.status == "transferred" and rng.random() < 0.5)
        )
        if kind == "complaint" and draft.status == "transferred":
            level = max(level, 2)  # an escalated complaint is never below high
        return _PRIORITIES[min(3, level + bumps)]

    def _channel(self, lang: str) -> tuple[str, str | None]:
        names, weights = zip(*ph.CHANNELS[lang], strict=True)
        channel = self.rng.choices(names, weights)[0]
        platforms = ph.PLATFORMS.get(lang, {}).get(channel)
        return channel, self.rng.choice(platforms) if platforms else None

    def _duration(self, channel: str, kind: str) -> int:
        base, mean, cap = {
            "phone": (2, 7, 60),
            "online_chat": (3, 12, 90),
            "email": (5, 10, 60),
            "in_person": (10, 15, 120),
            "web": (1, 5, 30),
        }.get(channel, (2, 8, 45))
        minutes = base + self.rng.expovariate(1 / mean) * (1.3 if kind == "complaint" else 1.0)
        return min(cap, int(minutes))

    # -- slots

    def _slots(self, draft: _Draft) -> dict[str, str]:
        rng = self.rng
        lang, when, topic_key, agent = draft.lang, draft.when, draft.topic_key, draft.agent
        zh = lang == "zh"
        product_zh, product_en, cny, usd = rng.choice(ph.PRODUCTS)
        plan, plan_price = rng.choice(ph.PLANS[lang])
        device, systems = rng.choice(ph.DEVICES[lang])
        carrier, prefix, width = rng.choice(ph.CARRIERS[lang])
        purchased = when.date() - timedelta(days=rng.randint(2, 20))
        times = rng.randint(2, 4)
        after_release = when >= self.calendar.release
        if after_release and rng.random() < 0.75:
            version = rng.choice(ph.VERSIONS_AFTER_RELEASE)
        else:
            version = rng.choice(ph.VERSIONS_BEFORE_RELEASE)
        errors = ph.ERROR_CODES.get(topic_key, ph.ERROR_CODES["default"])
        error = ph.RELEASE_LOGIN_ERROR if topic_key == "login" and version.startswith("6.") else rng.choice(errors)
        city, street = rng.choice(ph.CITIES[lang]), rng.choice(ph.STREETS[lang])
        house = rng.randint(1, 300)
        same_team = [u for u in self.agents[lang] if u.team == agent.team and u is not agent] or self.agents[lang]
        company = draft.customer.company or rng.choice(ph.COMPANIES[lang])[0]
        return {
            "order": f"DD{purchased:%Y%m%d}{_digits(rng, 4)}",
            "order2": f"DD{purchased:%Y%m%d}{_digits(rng, 4)}",
            "tracking": _tracking_number(rng, prefix, width),
            "carrier": carrier,
            "product": product_zh if zh else product_en,
            "price": _money(lang, cny if zh else usd),
            "amount": _money(lang, cny if zh else usd),
            "refund": _money(
                lang, (cny - rng.choice((0, 0, 10, 20, 50))) if zh else round(usd * rng.choice((1, 1, 0.9)), 2)
            ),
            "diff": _money(lang, rng.randrange(20, 310, 10) if zh else rng.randrange(3, 45)),
            "purchase_date": _day(lang, purchased),
            "promised_date": _day(lang, purchased + timedelta(days=3)),
            "variant": rng.choice(ph.VARIANTS[lang]),
            "plan": plan,
            "plan_price": _money(lang, plan_price),
            "pay_method": rng.choice(ph.PAY_METHODS[lang]),
            "last4": _digits(rng, 4),
            "device": device,
            "os": rng.choice(systems),
            "version": version,
            "error": error,
            "since": self._since(lang, when),
            "days": str(rng.randint(2, 9)),
            "times": str(times),
            "nth": {2: "2nd", 3: "3rd"}.get(times, f"{times}th"),
            "minutes": str(rng.randint(15, 95)),
            "count": str(rng.randrange(50, 800, 10)),
            "city": city,
            "new_address": f"{city}{street}{house}号" if zh else f"{house} {street}, {city}",
            "invoice_title": company,
            "tax_id": f"91{rng.choice(ph.ID_AREA_CODES)}{_alnum(rng, 10)}" if zh else f"GB{_digits(rng, 9)}",
            "other_code": rng.choice(same_team).agent_code or "",
            "feature": rng.choice(ph.FEATURES[lang]),
            "export_format": rng.choice(ph.EXPORT_FORMATS),
            "ip_city": rng.choice(ph.SIGN_IN_PLACES[lang]),
            "sign_time": self._night_time(lang, when),
        }

    def _since(self, lang: str, when: datetime) -> str:
        ago = self.rng.randint(1, 6)
        return self.rng.choice(ph.SINCE[lang]).format(ago=ago, date=_day(lang, when.date() - timedelta(days=ago)))

    def _night_time(self, lang: str, when: datetime) -> str:
        day = when.date() - timedelta(days=self.rng.randint(0, 2))
        return ph.NIGHT_TIME[lang].format(
            date=_day(lang, day), hour=self.rng.randint(1, 5), minute=self.rng.randrange(60)
        )

    # -- record content

    def _content(self, draft: _Draft, problem: _Entry, channel: str, platform: str | None) -> dict[str, Any]:
        rng = self.rng
        category, subcategory = DEMO_TOPIC_CATEGORIES[draft.topic_key]
        content: dict[str, Any] = {"category": category, "subcategory": subcategory, "tags": self._tags(draft)}
        prefix = rng.choice(ph.REPEAT_PREFIX[draft.lang]) if draft.earlier else ""
        content["problem_description"] = prefix + problem.value.format_map(draft.slots)
        if rng.random() < 0.92:
            content["customer_request"] = draft.phrase(rng, "request")
        if rng.random() < 0.85:
            content["key_details"] = draft.phrase(rng, "details")
        content["attachments"] = self._attachments(draft, channel, platform)

        lines = [step.format_map(draft.slots) for step in rng.choice(draft.fitting("steps")).value]
        if draft.status != "open" or rng.random() < 0.5:
            lines.append(rng.choice(ph.CLOSING_STEPS[draft.lang][draft.status]).format_map(draft.slots))
        content["handling_steps"] = "\n".join(lines)
        if draft.status == "resolved":
            content["resolution"] = draft.phrase(rng, "resolution")
        elif draft.status == "unresolvable":
            content["resolution"] = draft.phrase(rng, "unresolvable")
        return content

    def _problem(self, draft: _Draft) -> _Entry:
        entries = _PHRASES[draft.topic_key, draft.lang]["problem"]
        if draft.earlier:
            # A customer who comes back is still on the same sub-issue.
            earlier_case = draft.earlier.case
            entries = _fitting(entries, earlier_case) if earlier_case else [e for e in entries if not e.cases]
        heated = [entry for entry in entries if entry.heated]
        plain = [entry for entry in entries if not entry.heated] or heated
        # Angry customers mostly phrase it angrily; calm ones never do.
        chance = 0.6 if draft.emotion == "angry" else 0.3
        if heated and draft.emotion in _NEGATIVE_EMOTIONS and self.rng.random() < chance:
            return self.rng.choice(heated)
        return self.rng.choice(plain)

    def _tags(self, draft: _Draft) -> list[str]:
        extra = ph.EXTRA_TAGS[draft.lang]
        tags = list(draft.topic[draft.lang]["tags"])
        if draft.earlier:
            tags.append(extra["repeat"])
        if draft.topic_key in RELEASE_TOPIC_BOOST and draft.when >= self.calendar.release:
            tags.append(extra["release"])
        if draft.topic_key in HOLIDAY_TOPIC_BOOST and self.calendar.in_holiday_peak(draft.when.date()):
            tags.append(extra["holiday"])
        return tags

    def _incomplete_content(self, draft: _Draft) -> dict[str, Any]:
        """A sloppy record: vague description, nothing else the template asks for, but still importable."""
        vague = ph.VAGUE[draft.lang]
        content: dict[str, Any] = {"problem_description": self.rng.choice(vague["problem"])}
        if draft.status in ("resolved", "unresolvable"):
            content["resolution"] = self.rng.choice(vague["resolution"])
        return content

    def _attachments(self, draft: _Draft, channel: str, platform: str | None) -> list[dict[str, str]]:
        rng = self.rng
        attachments = []
        kinds = draft.topic[draft.lang]["attachments"]
        if kinds and rng.random() < draft.topic["attachment_rate"]:
            via = ph.OBTAINED_VIA[draft.lang][channel].format(platform=platform)
            for kind, note in rng.sample(kinds, k=rng.randint(1, len(kinds))):
                attachments.append({"type": kind, "obtained_via": via, "note": note.format_map(draft.slots)})
        if channel == "phone" and rng.random() < 0.2:
            kind, via, note = ph.CALL_RECORDING[draft.lang]
            attachments.append({"type": kind, "obtained_via": via, "note": note})
        return attachments

    def _collaboration(self, draft: _Draft) -> list[dict[str, str]]:
        chance = {"transferred": 1.0, "pending": 0.5, "unresolvable": 0.35, "resolved": 0.25}.get(draft.status, 0.15)
        if self.rng.random() >= chance:
            return []
        note = self.rng.choice(draft.fitting("collab")).value
        # The department the note names, so that department and note agree; else one the topic usually involves.
        named = sorted(
            (note.find(word), key) for key, words in _DEPARTMENT_WORDS.items() for word in words if word in note
        )
        departments = draft.topic["departments"]
        key = named[0][1] if named else departments[0] if self.rng.random() < 0.7 else departments[-1]
        zh_name, en_name, prefix = ph.DEPARTMENTS[key]
        day_key = f"{prefix}-{draft.when:%Y%m%d}"
        self.ticket_counters[day_key] = self.ticket_counters.get(day_key, 0) + 1
        ticket = f"{day_key}-{self.ticket_counters[day_key]:03d}"
        draft.slots["dept"], draft.slots["ticket"] = (zh_name if draft.lang == "zh" else en_name), ticket
        return [{"department": draft.slots["dept"], "ticket_no": ticket, "note": note.format_map(draft.slots)}]

    def _follow_ups(self, draft: _Draft) -> list[dict[str, Any]]:
        rng = self.rng
        owner = draft.agent.display_name
        if draft.priority in ("high", "urgent") and rng.random() < 0.3:
            owner = self.supervisors[draft.agent.team].display_name
        follow_ups: list[dict[str, Any]] = []
        if draft.status in ("pending", "transferred"):
            if rng.random() < 0.3:
                first_call = ("已电话告知客户初步进展", "Called the customer with a first update")[draft.lang == "en"]
                follow_ups.append(self._follow_up(first_call, owner, draft.when, 1, done=True))
            lead = rng.randint(1, 2) if draft.priority in ("high", "urgent") else rng.randint(1, 4)
            # The importer requires an open follow-up; that some are overdue by now is realistic.
            follow_ups.append(self._follow_up(draft.phrase(rng, "follow_up"), owner, draft.when, lead, done=False))
        elif draft.status == "resolved" and rng.random() < 0.15:
            lead = rng.randint(3, 7)
            done = draft.when.date() + timedelta(days=lead) < self.now.date()
            action = rng.choice(ph.CHECK_IN_ACTIONS[draft.lang])
            follow_ups.append(self._follow_up(action, owner, draft.when, lead, done=done))
        elif draft.status == "open" and rng.random() < 0.3:
            action = draft.phrase(rng, "follow_up")
            follow_ups.append(self._follow_up(action, owner, draft.when, rng.randint(1, 3), done=False))
        return follow_ups

    @staticmethod
    def _follow_up(action: str, owner: str, when: datetime, lead_days: int, *, done: bool) -> dict[str, Any]:
        due = when.date() + timedelta(days=lead_days)
        return {"action": action, "owner": owner, "due": due.isoformat(), "done": done}

    def _rating(self, draft: _Draft) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < (NOT_RATED_SHARE_OPEN if draft.status == "open" else NOT_RATED_SHARE):
            return {}
        score = rng.choices(range(1, 6), SATISFACTION_WEIGHTS[draft.status])[0]
        if draft.emotion == "angry" and rng.random() < 0.5:
            score -= 1
        if draft.agent.team == DIP_TEAM and draft.when >= self.calendar.dip_start and rng.random() < DIP_SCORE_DROP:
            score -= 1
        score = max(1, score)
        rating: dict[str, Any] = {"satisfaction": score}
        if rng.random() < 0.88:
            for key in ("satisfaction_efficiency", "satisfaction_resolution", "satisfaction_attitude"):
                rating[key] = min(5, max(1, score + rng.choice((-1, 0, 0, 0, 1))))
            if draft.topic_key == "agent_attitude":
                rating["satisfaction_attitude"] = min(rating["satisfaction_attitude"], 2)
        if rng.random() < 0.4:
            mood = "positive" if score >= 4 else "neutral" if score == 3 else "negative"
            name = draft.agent.display_name.split("-")[-1].split()[0]
            rating["customer_feedback"] = rng.choice(ph.FEEDBACK[draft.lang][mood]).format(agent_name=name)
        return rating

    def _write_pii_into_text(self, row: dict[str, Any], draft: _Draft) -> None:
        """Write a phone, e-mail, ID or card number into the free text, as agents sometimes do."""
        rng, lang, customer = self.rng, draft.lang, draft.customer
        kinds = ("phone", "email", "id", "card") if lang == "zh" else ("phone", "email", "card")
        kind = rng.choices(kinds, (50, 15, 20, 15) if lang == "zh" else (55, 25, 20))[0]
        card_length = 19 if lang == "zh" and rng.random() < 0.5 else 16
        values = {
            "mobile": customer.phone if customer.phone and rng.random() < 0.5 else self._phone(lang),
            "email": customer.email or self._email(lang, None),
            "id_number": _chinese_id(rng),
            "card": _luhn_number(rng, rng.choice(ph.CARD_PREFIXES[lang]), card_length),
        }
        if kind == "phone" and draft.topic_key in ("login", "password_reset", "account_locked", "account_settings"):
            kind = "phone_problem"
        snippet = rng.choice(ph.PII_SNIPPETS[lang][kind]).format_map(values)
        field_name = "problem_description" if kind == "phone_problem" or "key_details" not in row else "key_details"
        row[field_name] = row[field_name].rstrip("。.") + ("；" if lang == "zh" else "; ") + snippet

    @staticmethod
    def _customer_columns(customer: _Customer) -> dict[str, Any]:
        return {
            "customer_name": customer.name,
            "customer_phone": customer.phone,
            "customer_email": customer.email,
            "customer_type": customer.type,
            "company": customer.company,
            "industry": customer.industry,
            "customer_tier": customer.tier,
            "customer_tags": list(customer.tags),
        }


# --- Helpers -----------------------------------------------------------------------------------------------------

_CANONICAL_ORDER = (
    "external_id", "source", "customer_name", "customer_phone", "customer_email", "customer_type", "company",
    "industry", "customer_tier", "customer_tags", "channel", "channel_platform", "contacted_at", "duration_minutes",
    "agent", "category", "subcategory", "tags", "priority", "status", "problem_description", "customer_request",
    "key_details", "attachments", "emotion", "handling_steps", "collaboration", "resolution", "satisfaction",
    "satisfaction_efficiency", "satisfaction_resolution", "satisfaction_attitude", "customer_feedback", "follow_ups",
    "related", "language",
)  # fmt: skip


def _canonical_order(row: dict[str, Any]) -> dict[str, Any]:
    # Columns in the documented order make CSV/JSONL dumps easy to read; empty values are left out ("not given").
    return {key: row[key] for key in _CANONICAL_ORDER if row.get(key) not in (None, "", [])}


def _digits(rng: random.Random, width: int) -> str:
    return "".join(rng.choices("0123456789", k=width))


def _alnum(rng: random.Random, width: int) -> str:
    return "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=width))


def _tracking_number(rng: random.Random, prefix: str, width: int) -> str:
    # UPS numbers are alphanumeric after "1Z"; Royal Mail's end in the country code.
    body = _alnum(rng, width) if prefix == "1Z" else _digits(rng, width)
    return prefix + body + ("GB" if prefix == "RM" else "")


def _money(lang: str, amount: float) -> str:
    return f"{amount:g}元" if lang == "zh" else f"${amount:.2f}"


def _day(lang: str, day: date) -> str:
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{_MONTHS_EN[day.month - 1]} {day.day}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def _chinese_id(rng: random.Random) -> str:
    """An 18-digit resident ID number with a valid GB 11643 check character."""
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(45 * 365))
    body = f"{rng.choice(ph.ID_AREA_CODES)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + _ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def _luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    """A card number of `length` digits starting with `prefix` that passes the Luhn check."""
    body = prefix + _digits(rng, length - len(prefix) - 1)
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return body + str((10 - total % 10) % 10)
