"""The self-service figures (kb.insights) on a constructed history of visitor events with known answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kb import insights
from kb.insights import classify, ratio, self_service_figures
from kb.models import ArticleFeedback, SearchEvent, SearchSession
from kb.operations import archive_article
from records.db import db as database
from records.enums import Role
from records.timeutil import local_day_start

START = local_day_start(date(2026, 11, 1))
END = local_day_start(date(2026, 11, 8))  # seven local days
NOW = datetime(2026, 11, 10, 12, 0)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A time of November 2026, naive UTC."""
    return datetime(2026, 11 if day > 0 else 10, day if day > 0 else 30 + day, hour, minute)


def visit(name: str, *events: tuple) -> SearchSession:
    """A session with events (kind, at, extra fields)."""
    session = SearchSession(id=name, started_at=events[0][1], last_seen_at=events[-1][1])
    database.session.add(session)
    for kind, moment, *rest in events:
        fields = rest[0] if rest else {}
        database.session.add(SearchEvent(session_id=name, kind=kind, at=moment, **fields))
    database.session.flush()
    return session


def answer(article, session: str, helpful: bool, moment: datetime) -> None:
    database.session.add(
        ArticleFeedback(
            article_id=article.id, session_id=session, helpful=helpful, created_at=moment, updated_at=moment
        )
    )


@pytest.fixture
def history(make_article, make_record, make_user, db):
    one = make_article(title="如何重置登录密码")
    two = make_article(title="发票怎么开", body="在订单详情页申请电子发票。")
    never = make_article(title="修改绑定手机号", body="在账户设置中修改绑定的手机号。")
    stale = make_article(title="物流延迟怎么办", body="包裹超过三天未更新时请联系我们。")
    gone = make_article(title="旧的说明", body="已经不再适用的说明。")
    archive_article(gone, by=make_user(Role.TRAINER))
    for article in (one, two, never, stale, gone):
        article.published_at = datetime(2026, 9, 1)

    def view(article, moment):
        return ("view", moment, {"article_id": article.id})

    def search(moment, results, query="q"):
        return ("search", moment, {"query": query, "result_count": results})

    # A searched, opened a result, said it helped, never asked: successful.
    visit("A", search(at(2, 10), 1), ("click", at(2, 10, 1), {"article_id": one.id}), view(one, at(2, 10, 1)))
    answer(one, "A", True, at(2, 10, 2))
    # B found nothing, then something, read it and asked for help two days later: failed.
    visit(
        "B",
        search(at(2, 11), 0, "发票"),
        search(at(2, 11, 5), 2),
        view(one, at(2, 11, 6)),
        ("contact", at(4, 9)),
    )
    answer(one, "B", False, at(2, 11, 7))
    # C read an article four days before "now" and has not asked (yet): potential.
    visit("C", view(two, at(6, 8)))
    answer(two, "C", False, at(6, 8, 5))
    # D clicked a result, searched again without results and asked: no view, so no deflection class.
    visit(
        "D",
        search(at(5, 11), 3),
        ("click", at(5, 11, 1), {"article_id": two.id}),
        search(at(5, 12), 0, "退货"),
        ("contact", at(5, 12, 10)),
    )
    # E read an article and asked eight days later, after the seven-day window: successful.
    visit("E", view(two, at(1, 9)), ("contact", at(9, 10)))
    # F is before the period; its view of `stale` is its last one.
    visit("F", search(at(-2, 10), 1), view(stale, at(0, 10)))
    # Customers who contacted us: one customer twice, another once, and one contact after the period.
    make_record(contacted_at="2026-11-03 10:00", customer={"name": "王先生", "phone": "13800000001"})
    make_record(contacted_at="2026-11-05 10:00", customer={"name": "王先生", "phone": "13800000001"})
    make_record(contacted_at="2026-11-06 10:00", channel="email", customer={"name": "李女士", "phone": "13800000002"})
    make_record(contacted_at="2026-11-20 10:00", customer={"name": "赵先生", "phone": "13800000003"})
    database.session.commit()
    return {"one": one, "two": two, "never": never, "stale": stale, "gone": gone}


def test_each_figure_on_a_known_history(history):
    figures = self_service_figures(START, END, window_days=7, unviewed_days=30, now=NOW)
    assert figures["sessions"] == 5  # A-E; F had nothing in the period
    assert figures["customers_contacted"] == 2
    assert figures["self_service_score"] == {"sessions": 5, "customers": 2, "value": 2.5}
    assert figures["searches"] == 5
    assert figures["zero_result"] == {"count": 2, "of": 5, "value": 0.4}
    # A's search and D's first search were followed by a click before the next search.
    assert figures["click_through"] == {"count": 2, "of": 5, "value": 0.4}
    assert figures["contact_after_search"] == {"count": 2, "of": 3, "value": 0.6667}
    assert figures["helpful"] == {"count": 1, "of": 3, "value": 0.3333}
    deflection = figures["deflection"]
    assert (deflection["successful"], deflection["failed"], deflection["potential"]) == (2, 1, 1)
    assert deflection["viewing_sessions"] == 4
    assert deflection["rate"] == {"count": 2, "of": 3, "value": 0.6667}


def test_per_article_figures_and_the_daily_series(history):
    figures = self_service_figures(START, END, window_days=7, now=NOW)
    rows = {row["title"]: row for row in figures["articles"]}
    assert set(rows) == {"如何重置登录密码", "发票怎么开"}
    assert rows["如何重置登录密码"]["views"] == 2
    assert rows["如何重置登录密码"]["helpful"] == {"count": 1, "of": 2, "value": 0.5}
    assert rows["如何重置登录密码"]["contacts_after_view"] == {"count": 1, "of": 2, "value": 0.5}
    assert rows["发票怎么开"]["views"] == 2
    assert rows["发票怎么开"]["helpful"] == {"count": 0, "of": 1, "value": 0.0}
    assert rows["发票怎么开"]["contacts_after_view"] == {"count": 0, "of": 2, "value": 0.0}
    days = {row["day"]: row for row in figures["days"]}
    assert list(days) == [date(2026, 11, d) for d in range(1, 8)]
    assert days[date(2026, 11, 2)] == {"day": date(2026, 11, 2), "successful": 1, "failed": 1, "potential": 0}
    assert days[date(2026, 11, 6)]["potential"] == 1 and days[date(2026, 11, 1)]["successful"] == 1


def test_a_longer_window_turns_the_late_contact_into_a_failure(history):
    figures = self_service_figures(START, END, window_days=10, now=NOW)
    deflection = figures["deflection"]
    # E asked 8 days after reading: within 10 days. A's window (Nov 2 + 10 days) is still open on Nov 10.
    assert (deflection["successful"], deflection["failed"], deflection["potential"]) == (0, 2, 2)
    assert deflection["rate"] == {"count": 0, "of": 2, "value": 0.0}


def test_review_lists(history, monkeypatch):
    figures = self_service_figures(START, END, unviewed_days=30, now=NOW)
    assert figures["low_helpful"] == []  # no article has three answers yet
    unviewed = [row["title"] for row in figures["unviewed"]]
    # Never viewed; "物流延迟怎么办" was last viewed on Oct 30, within the 30 days; the archived one is not public.
    assert unviewed == ["修改绑定手机号"]
    # Six days before the period's end is Nov 1 (local): Oct 30 is before it, Nov 2 after.
    assert [row["title"] for row in self_service_figures(START, END, unviewed_days=6, now=NOW)["unviewed"]] == [
        "修改绑定手机号",
        "物流延迟怎么办",
    ]
    monkeypatch.setattr(insights, "REVIEW_MIN_ANSWERS", 1)
    low = self_service_figures(START, END, now=NOW)["low_helpful"]
    assert [row["title"] for row in low] == ["发票怎么开"]  # 0 of 1; "如何重置登录密码" at 1 of 2 is not under 50 %


def test_recently_published_articles_are_not_called_unviewed(history):
    history["never"].published_at = END - timedelta(days=3)
    database.session.commit()
    assert self_service_figures(START, END, unviewed_days=30, now=NOW)["unviewed"] == []


def test_an_empty_period_has_no_data_instead_of_zero_or_a_division_error(history):
    figures = self_service_figures(local_day_start(date(2025, 1, 1)), local_day_start(date(2025, 1, 31)), now=NOW)
    assert figures["sessions"] == figures["searches"] == figures["customers_contacted"] == 0
    assert figures["self_service_score"]["value"] is None
    for key in ("zero_result", "click_through", "contact_after_search", "helpful"):
        assert figures[key] == {"count": 0, "of": 0, "value": None}, key
    assert figures["deflection"]["rate"]["value"] is None
    assert figures["articles"] == [] and figures["low_helpful"] == []
    assert len(figures["days"]) == 30 and not any(row["successful"] for row in figures["days"])


def test_sessions_without_customers_have_no_score(db):
    visit("lonely", ("search", at(2), {"query": "x", "result_count": 1}))
    database.session.commit()
    figures = self_service_figures(START, END, now=NOW)
    assert figures["self_service_score"] == {"sessions": 1, "customers": 0, "value": None}


def test_ratio_and_classification_edges():
    assert ratio(0, 0) == {"count": 0, "of": 0, "value": None}
    assert ratio(3, 3)["value"] == 1.0
    window = timedelta(days=7)
    viewed = datetime(2026, 11, 1)
    assert classify(viewed, [viewed + window], window, NOW) == "failed"  # the last moment of the window counts
    assert classify(viewed, [viewed - timedelta(minutes=1)], window, NOW) == "successful"  # asked before reading
    assert classify(viewed, [], window, viewed + window) == "successful"
    assert classify(viewed, [], window, viewed + window - timedelta(seconds=1)) == "potential"


def test_an_article_archived_since_keeps_its_figures_but_is_not_public(history, make_user):
    archive_article(history["one"], by=make_user(Role.TRAINER))
    database.session.commit()
    rows = {row["title"]: row for row in self_service_figures(START, END, now=NOW)["articles"]}
    assert rows["如何重置登录密码"]["views"] == 2 and not rows["如何重置登录密码"]["public"]
    assert rows["发票怎么开"]["public"]
