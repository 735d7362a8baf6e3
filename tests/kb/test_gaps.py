"""Knowledge gaps: signals, grouping by meaning, stable identity across refreshes, the trainers' decisions."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from kb.gaps.models import AssistMiss, GapStatus, KnowledgeGap
from kb.gaps.operations import (
    GapFilters,
    QueueFilters,
    add_alternative_question,
    create_article_from_gap,
    list_gaps,
    mark_not_a_gap,
    reopen_gap,
    resolve_gap,
    trainer_queue,
)
from kb.gaps.refresh import refresh_gaps
from kb.gaps.signals import collect_signals, note_assist_search
from kb.models import ArticleFeedback, ArticleStatus, Proposal, ProposalStatus, SearchEvent, SearchSession
from kb.operations import publish_article, submit_for_review
from records.access import PermissionDenied
from records.db import db as database
from records.db import read_session
from records.enums import Language, Role
from records.timeutil import utcnow

CANCEL = ["how do I cancel my subscription", "cancel subscription", "cancel my subscription please"]
REFUND = ["refund for a damaged item", "damaged item refund", "refund damaged item"]
ZH_INVOICE = ["怎么开发票", "开发票的流程", "如何开发票"]
ZH_DELIVERY = ["快递到哪了", "快递到哪里了", "我的快递到哪了"]


def searched(query: str, *, days_ago: float = 1, results: int = 0, record=None, session_id: str | None = None):
    """A help-center search `days_ago` days back, in its own visit unless `session_id` names one."""
    at = utcnow() - timedelta(days=days_ago)
    visit = database.session.get(SearchSession, session_id) if session_id else None
    if visit is None:
        visit = SearchSession(
            id=session_id or uuid.uuid4().hex,
            started_at=at,
            last_seen_at=at,
            searches=0,
            zero_result_searches=0,
            clicks=0,
        )
        database.session.add(visit)
    if record is not None:
        visit.record_id = record.id
    database.session.add(SearchEvent(session_id=visit.id, at=at, kind="search", query=query, result_count=results))
    database.session.commit()
    return visit


def refresh(**kwargs):
    database.session.commit()
    summary = refresh_gaps(**kwargs)
    database.session.commit()
    return summary


def open_gaps() -> list[KnowledgeGap]:
    return list_gaps(GapFilters(), per_page=100)[0]


def texts_of(gap: KnowledgeGap) -> set[str]:
    return {example["text"] for example in gap.examples}


def gap_holding(text: str) -> KnowledgeGap:
    for gap in database.session.scalars(sa.select(KnowledgeGap)):
        if text in texts_of(gap) or gap.title == text:
            return gap
    raise AssertionError(f"no gap holds {text!r}")


@pytest.fixture
def trainer(make_user):
    return make_user(Role.TRAINER)


# -- signals and masking -------------------------------------------------------------------------------------------


def test_each_kind_of_signal_is_collected_once_per_visit_and_masked(db, make_record, make_article, make_user):
    article = make_article(title="如何重置登录密码", body="在登录页点“忘记密码”。")
    record = make_record()
    searched("nothing matches this", days_ago=2)
    visit = searched("我的手机13812345678收不到验证码", days_ago=2, record=record)
    searched("我的手机13812345678收不到验证码", days_ago=2, session_id=visit.id, results=3)
    voter = searched("忘记密码了怎么办", days_ago=1, results=2)
    database.session.add(
        ArticleFeedback(
            article_id=article.id, helpful=False, session_id=voter.id, created_at=utcnow(), updated_at=utcnow()
        )
    )
    searched("found it", days_ago=1, results=4)  # a search that found something, no contact: no signal
    note_assist_search(make_user(Role.AGENT), "客户王小明，电话13912345678，问积分怎么兑换", found=0)
    database.session.commit()

    with read_session() as reader:
        signals = collect_signals(reader, utcnow() - timedelta(days=7), utcnow())
    by_text = {signal.text: signal for signal in signals}
    assert set(by_text["nothing matches this"].kinds) == {"zero_result"}
    phone = next(text for text in by_text if "验证码" in text)
    assert "13812345678" not in phone and "138****5678" in phone
    assert by_text[phone].kinds == {"zero_result", "contact"}, "one visit asking once is one signal with both reasons"
    assert by_text["忘记密码了怎么办"].kinds == {"not_helpful"} and by_text["忘记密码了怎么办"].articles == {article.id}
    assist = next(text for text in by_text if "积分" in text)
    assert "13912345678" not in assist and "王小明" not in assist
    assert by_text[assist].kinds == {"assist"}
    assert "found it" not in by_text
    stored = database.session.scalar(sa.select(AssistMiss.query))
    assert "13912345678" not in stored and "王小明" not in stored, "assist misses are stored masked"


def test_an_agent_typing_on_replaces_the_miss_and_a_found_article_withdraws_it(db, make_user):
    agent = make_user(Role.AGENT)
    note_assist_search(agent, "积分怎么", found=0)
    note_assist_search(agent, "积分怎么兑换", found=0)
    assert database.session.scalars(sa.select(AssistMiss.query)).all() == ["积分怎么兑换"]
    note_assist_search(agent, "积分怎么兑换礼品", found=2)
    assert database.session.scalars(sa.select(AssistMiss.query)).all() == []


def test_a_gap_keeps_masked_examples_only(db):
    for number in ("13812345678", "13987654321"):
        searched(f"手机号{number}换了怎么改绑定", days_ago=1)
    refresh()
    gap = open_gaps()[0]
    shown = " ".join([gap.title, *texts_of(gap)])
    assert "13812345678" not in shown and "13987654321" not in shown and "****" in shown


# -- grouping ------------------------------------------------------------------------------------------------------


def test_english_and_chinese_signals_group_by_meaning(db):
    for text in [*CANCEL, *REFUND, *ZH_INVOICE, *ZH_DELIVERY, "weather tomorrow"]:
        searched(text)
    summary = refresh()
    assert summary.signals == 13
    groups = sorted(sorted(texts_of(gap)) for gap in open_gaps())
    assert groups == sorted(sorted(group) for group in (CANCEL, REFUND, ZH_INVOICE, ZH_DELIVERY))
    assert {gap.language for gap in open_gaps()} == {Language.EN, Language.ZH}
    assert all(gap.signal_count == 3 for gap in open_gaps())


def test_gaps_rank_by_volume_and_show_the_trend(db):
    for days_ago in (1, 2, 3, 20):
        searched("cancel subscription", days_ago=days_ago)
    for days_ago in (18, 20, 22):
        searched("refund damaged item", days_ago=days_ago)
    searched("refund damaged item", days_ago=40)  # outside the 28-day window
    refresh()
    first, second = open_gaps()
    assert (first.title, first.signal_count, first.recent_count, first.previous_count) == (
        "cancel subscription",
        4,
        3,
        1,
    )
    assert (second.title, second.signal_count, second.recent_count, second.previous_count) == (
        "refund damaged item",
        3,
        0,
        3,
    )
    assert first.impact > second.impact


# -- identity across refreshes -------------------------------------------------------------------------------------


def test_a_gap_keeps_its_id_across_refreshes(db):
    for text in CANCEL + REFUND:
        searched(text, days_ago=3)
    refresh()
    ids = {gap.title: gap.id for gap in open_gaps()}
    searched("cancel the subscription", days_ago=1)
    searched("refund damaged item", days_ago=1)
    refresh()
    after = {gap.id: gap for gap in open_gaps()}
    assert set(after) == set(ids.values()), "the same meanings keep their gaps"
    assert gap_holding("cancel the subscription").id == gap_holding("cancel subscription").id
    assert sum(gap.signal_count for gap in after.values()) == 8


def test_not_a_gap_suppresses_the_same_meaning_in_later_refreshes(db, trainer):
    for text in CANCEL:
        searched(text, days_ago=3)
    refresh()
    gap = open_gaps()[0]
    mark_not_a_gap(gap, by=trainer, note="sales handles this")
    database.session.commit()
    for text in CANCEL:
        searched(text, days_ago=1)
    summary = refresh()
    assert summary.suppressed == 1 and summary.new == 0
    assert open_gaps() == []
    database.session.refresh(gap)
    assert gap.status == GapStatus.NOT_A_GAP and gap.signal_count == 6


def test_a_resolved_gap_reopens_only_when_signals_keep_coming(db, trainer):
    for text in REFUND:
        searched(text, days_ago=3)
    refresh()
    gap = open_gaps()[0]
    resolve_gap(gap, by=trainer)
    database.session.commit()
    refresh()
    assert gap_holding("damaged item refund").status == GapStatus.RESOLVED, "old signals do not reopen it"
    for _ in range(3):
        searched("refund damaged item", days_ago=0)
    summary = refresh()
    database.session.refresh(gap)
    assert summary.reopened == 1 and gap.status == GapStatus.OPEN and gap.status_note.startswith("reopened 3 ")


def test_signals_that_age_out_leave_the_gap(db):
    for text in CANCEL:
        searched(text, days_ago=3)
    refresh()
    gap = open_gaps()[0]
    refresh(days=2)
    database.session.refresh(gap)
    assert gap.signal_count == 0 and gap.examples == [] and open_gaps() == []


# -- actions -------------------------------------------------------------------------------------------------------


def test_create_article_drafts_from_the_gap(db, trainer, make_article):
    make_article(
        title="How to cancel an order", body="Open the order and cancel it.", category="操作咨询", language="en"
    )
    for text in CANCEL:
        searched(text)
    refresh()
    gap = open_gaps()[0]
    assert gap.category == "how_to", "the category of the nearest articles"
    article = create_article_from_gap(gap, by=trainer)
    database.session.commit()
    assert article.status == ArticleStatus.DRAFT and article.language == Language.EN
    assert article.title == gap.title
    assert set(article.alt_questions) == set(CANCEL) - {gap.title}
    assert article.category == "how_to"
    assert gap.status == GapStatus.ARTICLE and gap.article_id == article.id and gap.decided_by_id == trainer.id
    with pytest.raises(ValidationError):
        create_article_from_gap(gap, by=trainer)


def test_add_as_alternative_question_suggests_the_nearest_articles(db, trainer, make_article, make_user):
    target = make_article(title="Cancel a subscription plan", body="Settings, plan, cancel.", language="en")
    make_article(title="Change the delivery address", body="Edit the address before shipping.", language="en")
    for text in CANCEL:
        searched(text)
    refresh()
    gap = open_gaps()[0]
    assert gap.suggested_articles[0] == target.id
    add_alternative_question(gap, target, by=trainer, question="cancel subscription")
    database.session.commit()
    assert "cancel subscription" in target.alt_questions
    assert target.status == ArticleStatus.DRAFT, "the new version is reviewed before customers see it"
    assert gap.status == GapStatus.ALTERNATIVE and gap.article_id == target.id
    submit_for_review(target, by=trainer)
    publish_article(target, by=make_user(Role.TRAINER))
    database.session.commit()
    assert target.live_version.alt_questions[-1] == "cancel subscription"


def test_an_alternative_question_naming_someone_is_refused(db, trainer, make_article):
    target = make_article(title="Cancel a subscription plan", body="Settings, plan, cancel.", language="en")
    for text in CANCEL:
        searched(text)
    refresh()
    gap = open_gaps()[0]
    with pytest.raises(ValidationError):
        add_alternative_question(gap, target, by=trainer, question="cancel for 13812345678")
    with pytest.raises(ValidationError):
        add_alternative_question(gap, target, by=trainer, question="   ")
    assert gap.status == GapStatus.OPEN


def test_reopen_undoes_a_decision(db, trainer):
    for text in CANCEL:
        searched(text)
    refresh()
    gap = open_gaps()[0]
    resolve_gap(gap, by=trainer)
    reopen_gap(gap, by=trainer)
    assert gap.status == GapStatus.OPEN
    with pytest.raises(ValidationError):
        reopen_gap(gap, by=trainer)


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
def test_only_trainers_and_administrators_decide(db, make_user, role):
    for text in CANCEL:
        searched(text)
    refresh()
    gap = open_gaps()[0]
    someone = make_user(role)
    for action in (mark_not_a_gap, resolve_gap, create_article_from_gap):
        with pytest.raises(PermissionDenied):
            action(gap, by=someone)
    assert gap.status == GapStatus.OPEN
    mark_not_a_gap(gap, by=make_user(Role.ADMIN))
    assert gap.status == GapStatus.NOT_A_GAP


# -- the trainer queue ---------------------------------------------------------------------------------------------


def test_the_trainer_queue_holds_gaps_and_proposals_by_volume(db):
    for text in CANCEL:
        searched(text)
    for text in ZH_INVOICE:
        searched(text)
    refresh()
    database.session.add_all(
        [
            Proposal(
                title="退款多久到账",
                status=ProposalStatus.OPEN,
                language=Language.ZH,
                record_count=7,
                category="billing",
            ),
            Proposal(title="已拒绝", status=ProposalStatus.REJECTED, language=Language.ZH, record_count=50),
        ]
    )
    database.session.commit()
    items, total = trainer_queue(QueueFilters())
    assert total == 3
    assert [(item.kind, item.volume) for item in items] == [("proposal", 7), ("gap", 3), ("gap", 3)]
    only_gaps, _ = trainer_queue(QueueFilters(kind="gap", language=Language.ZH))
    assert [item.title for item in only_gaps] == [gap_holding("如何开发票").title]
    billing, _ = trainer_queue(QueueFilters(category="billing"))
    assert [item.kind for item in billing] == ["proposal"]


# -- with the real models ------------------------------------------------------------------------------------------

ZH_PASSWORD = ["忘记密码怎么办", "密码忘了怎么找回", "登录密码忘记了怎么重置"]
ZH_REFUND = ["退款多久到账", "退款什么时候能到账", "申请退款后钱多久退回来"]
EN_PARCEL = ["where is my parcel", "my package has not arrived yet", "my parcel still has not been delivered"]
EN_CANCEL = ["how do I cancel my subscription", "cancel my subscription plan", "I want to end my subscription"]


@pytest.mark.model
def test_model_groups_chinese_and_english_signals_by_meaning(db, embeddings):
    for text in [*ZH_PASSWORD, *ZH_REFUND, *EN_PARCEL, *EN_CANCEL]:
        searched(text)
    refresh()
    groups = sorted(sorted(texts_of(gap)) for gap in open_gaps())
    assert groups == sorted(sorted(group) for group in (ZH_PASSWORD, ZH_REFUND, EN_PARCEL, EN_CANCEL))
    spaces = {gap.space.split("=")[0] for gap in open_gaps()}
    assert spaces == {"chinese", "english"}, "each language in its own model's space"


@pytest.mark.model
def test_model_keeps_identity_for_new_phrasings(db, embeddings, trainer):
    for text in [*ZH_PASSWORD, *ZH_REFUND]:
        searched(text, days_ago=5)
    refresh()
    password, refund = gap_holding("忘记密码怎么办"), gap_holding("退款多久到账")
    mark_not_a_gap(refund, by=trainer)
    database.session.commit()
    for text in ("密码想不起来了怎么登录", "找回登录密码", "退款到账要几天", "退的钱什么时候到"):
        searched(text, days_ago=1)
    summary = refresh()
    assert summary.new == 0
    assert gap_holding("找回登录密码").id == password.id
    assert gap_holding("退款到账要几天").id == refund.id
    assert [gap.id for gap in open_gaps()] == [password.id]


def test_the_cli_refreshes_and_lists(app, db):
    for text in CANCEL:
        searched(text)
    runner = app.test_cli_runner()
    refreshed = runner.invoke(args=["kb", "gaps", "refresh", "--json"])
    assert refreshed.exit_code == 0, refreshed.output
    assert json.loads(refreshed.output)["new"] == 1
    listed = runner.invoke(args=["kb", "gaps", "list"])
    assert listed.exit_code == 0 and "3 signals" in listed.output and "1 of 1 gap(s)." in listed.output
    assert runner.invoke(args=["kb", "gaps", "list", "--status", "bogus"]).exit_code == 2
    assert runner.invoke(args=["kb", "gaps", "refresh", "--days", "0"]).exit_code == 2


def test_the_nightly_job_refreshes_the_gaps(db):
    from jobs.scheduling import JOBS_BY_ID, run_now

    for text in CANCEL:
        searched(text)
    assert JOBS_BY_ID["gap_refresh"].crontab == "30 3 * * *"
    output = run_now("gap_refresh", trigger="cli:test")
    assert output["signals"] == 3 and output["new"] == 1
    assert [texts_of(gap) for gap in open_gaps()] == [set(CANCEL)]
