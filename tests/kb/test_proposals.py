"""FAQ proposals: grouping, PII-free drafts, coverage by articles, stable ids, rejection memory, merge, removal."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from kb.models import Article, ArticleStatus, Proposal, ProposalKind, ProposalMember, ProposalRun, ProposalStatus
from kb.operations import archive_article, publish_article, submit_for_review
from kb.proposal_engine import RefreshConflict, refresh_proposals, run_refresh
from kb.proposal_notes import status_note_text
from kb.proposals import (
    approve_proposal,
    merge_proposals,
    reject_proposal,
    remove_members,
    retarget_proposal,
    similar_articles,
    update_draft,
)
from records.access import PermissionDenied
from records.db import db as database
from records.enums import Role
from records.identifiers import contains_identifiers

PARCEL = [
    "客户{n}月{d}日下单的包裹已经{k}天没有物流更新，快递单号查不到物流信息",
    "包裹{k}天没有物流更新了，客户{n}月{d}日下的单，快递单号查不到物流信息",
    "客户反映{n}月{d}日下单后包裹{k}天没有物流更新，快递单号查不到信息",
]
PASSWORD = [
    "客户忘记登录密码，收不到短信验证码，无法重置密码，已尝试{k}次",
    "客户收不到短信验证码，忘记密码后无法重置登录密码，试了{k}次",
    "忘记登录密码的客户无法重置密码，短信验证码一直收不到（{k}次）",
]
REFUND = [
    "Customer returned the blender on Oct {d} but the refund has not arrived after {k} days",
    "Refund has not arrived {k} days after the customer returned the blender (returned Oct {d})",
    "Customer says the refund for the returned blender has not arrived, {k} days since Oct {d}",
]
RESOLUTIONS = {
    "parcel": "联系快递公司核实，包裹已重新派送，预计明天送达。",
    "password": "1. 引导客户通过邮箱找回密码\n2. 重置密码后客户成功登录",
    "refund": "Checked with finance: the refund was issued and arrives within 3 business days.",
}
CATEGORIES = {
    "parcel": ("物流", None),
    "password": ("功能故障", "登录异常"),
    "refund": ("退换货", None),
}


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT)


@pytest.fixture
def trainer(make_user):
    return make_user(Role.TRAINER)


@pytest.fixture
def add_topic(make_record, agent):
    """Create `count` resolved records asking one topic's question in varied words; returns their ids."""
    templates = {"parcel": PARCEL, "password": PASSWORD, "refund": REFUND}
    counter = {"n": 0}

    def factory(topic: str, count: int, *, start: int = 0, **overrides) -> list[int]:
        ids = []
        for index in range(start, start + count):
            counter["n"] += 1
            text = templates[topic][index % 3].format(n=index % 12 + 1, d=index % 27 + 1, k=index % 5 + 2)
            category, subcategory = CATEGORIES[topic]
            values = {
                "problem_description": text,
                "customer_request": overrides.pop("customer_request", None),
                "resolution": RESOLUTIONS[topic],
                "category": category,
                "subcategory": subcategory,
                "external_id": f"{topic}-{index}-{counter['n']}",
                "source": "test",
                "satisfaction": 2 if topic == "parcel" else 4,
                "contacted_at": f"2026-11-{index % 20 + 1:02d} 10:00",
                **overrides,
            }
            ids.append(make_record(agent=agent, **values).id)
        return ids

    return factory


def refresh():
    summary = refresh_proposals()
    database.session.commit()
    return summary


def open_proposals() -> list[Proposal]:
    return database.session.scalars(
        sa.select(Proposal).where(Proposal.status == ProposalStatus.OPEN).order_by(Proposal.id)
    ).all()


def member_ids(proposal: Proposal) -> set[int]:
    database.session.refresh(proposal)
    return {member.record_id for member in proposal.members if not member.removed}


def proposal_holding(record_id: int) -> Proposal:
    return database.session.scalars(
        sa.select(Proposal)
        .join(ProposalMember)
        .where(ProposalMember.record_id == record_id, ProposalMember.removed.is_(False))
        .order_by(Proposal.id)
    ).first()


def test_each_topic_becomes_one_proposal_with_a_draft(add_topic):
    parcel = add_topic("parcel", 7)
    password = add_topic("password", 6)
    refund = add_topic("refund", 6)
    summary = refresh()
    assert summary.records == 19 and summary.new == 3
    proposals = {frozenset(member_ids(proposal)): proposal for proposal in open_proposals()}
    assert set(proposals) == {frozenset(parcel), frozenset(password), frozenset(refund)}

    parcel_draft = proposals[frozenset(parcel)]
    assert "物流" in parcel_draft.title and parcel_draft.language.value == "zh"
    assert parcel_draft.category == "logistics"
    assert parcel_draft.record_count == 7 and parcel_draft.mean_satisfaction == 2.0
    assert parcel_draft.alt_questions and parcel_draft.title not in parcel_draft.alt_questions
    assert "快递公司" in parcel_draft.answer
    assert parcel_draft.keywords and "客户" not in parcel_draft.keywords
    assert parcel_draft.first_seen is not None and parcel_draft.last_seen >= parcel_draft.first_seen

    password_draft = proposals[frozenset(password)]
    assert password_draft.answer == "1. 可按指引通过邮箱找回密码\n2. 重置密码后即可登录"  # addressed to the customer
    refund_draft = proposals[frozenset(refund)]
    assert refund_draft.language.value == "en" and "refund" in refund_draft.keywords
    # Unhappy customers weigh more: the parcel group (2 stars) outranks the others (4 stars) at similar volume.
    assert parcel_draft.impact > refund_draft.impact


def test_groups_smaller_than_the_minimum_are_not_proposed(app, add_topic):
    add_topic("parcel", 4)
    assert refresh().new == 0
    app.config["PROPOSAL_MIN_RECORDS"] = 3
    try:
        assert refresh().new == 1
    finally:
        del app.config["PROPOSAL_MIN_RECORDS"]


def test_records_that_ask_nothing_make_no_proposal(add_topic, make_record, agent):
    """Agents' notes of calls with no question in them ("没说清楚") group together, but no FAQ can answer them."""
    add_topic("parcel", 6)
    for index in range(8):
        make_record(
            agent=agent,
            problem_description=["客户来电咨询，没说清楚", "客户问订单的事", "客户咨询相关事宜"][index % 3],
            resolution="已回复客户。",
            category="其他",
            subcategory=None,
            external_id=f"vague-{index}",
            source="test",
        )
    refresh()
    titles = [proposal.title for proposal in open_proposals()]
    assert len(titles) == 1 and "物流" in titles[0]


PLANTED = {
    "customer name": "欧阳娜娜",
    "honorific": "欧阳女士",
    "phone": "13912345678",
    "email": "nana.ouyang@example.com",
    "id number": "110101199003074578",
    "bank card": "6222021234567890128",
    "address": "上海市浦东新区世纪大道100号5栋1单元1201室",
    "english name": "Sarah Connor",
    "english address": "42 Baker Street",
    "english card": "4111 1111 1111 1111",
}


def test_planted_personal_data_never_reaches_a_draft(add_topic, make_record, agent):
    add_topic("parcel", 3)
    for index in range(4):
        make_record(
            agent=agent,
            customer={"name": "欧阳娜娜", "phone": "13912345678"},
            problem_description=(
                f"欧阳女士（电话13912345678，邮箱nana.ouyang@example.com）{index + 3}月5日下单的包裹"
                "已经3天没有物流更新，"
                "快递单号查不到物流信息，收货地址上海市浦东新区世纪大道100号5栋1单元1201室"
            ),
            customer_request="身份证110101199003074578，退款到卡6222021234567890128",
            resolution="联系快递公司核实，包裹已重新派送到上海市浦东新区世纪大道100号5栋1单元1201室，已短信通知13912345678。",
            category="物流",
            subcategory=None,
        )
    for index in range(6):
        make_record(
            agent=agent,
            customer={"name": "Sarah Connor", "email": "sarah@example.com"},
            problem_description=(
                f"Sarah Connor of 42 Baker Street says the refund for the returned blender has not arrived, "
                f"{index + 2} days since Oct 3; card 4111 1111 1111 1111"
            ),
            resolution="Told Ms Connor the refund to card 4111 1111 1111 1111 was issued and arrives within 3 days.",
            category="退换货",
            subcategory=None,
            language="en",
        )
    refresh()
    proposals = open_proposals()
    assert len(proposals) == 2
    for proposal in proposals:
        texts = [
            proposal.title,
            proposal.answer,
            *proposal.alt_questions,
            *proposal.keywords,
            *(variation["text"] for variation in proposal.variations),
        ]
        joined = "\n".join(texts)
        for label, value in PLANTED.items():
            assert value not in joined, label
        for surname_form in ("欧阳", "Connor", "Sarah", "1201", "3456789", "1111 1111"):
            assert surname_form not in joined
        assert not any(contains_identifiers(text) for text in texts)


def test_refresh_keeps_ids_and_review_state_and_trainer_edits(add_topic, trainer):
    parcel = add_topic("parcel", 6)
    add_topic("password", 6)
    refresh()
    first = {frozenset(member_ids(proposal)): proposal.id for proposal in open_proposals()}
    proposal = database.session.get(Proposal, first[frozenset(parcel)])
    update_draft(proposal, {"title": "包裹多天没有物流更新怎么办？"}, by=trainer)
    database.session.commit()

    summary = refresh()
    assert summary.new == 0 and summary.updated == 2
    assert {frozenset(member_ids(p)): p.id for p in open_proposals()} == first

    more = add_topic("parcel", 3, start=6)
    summary = refresh()
    assert summary.new == 0
    proposal = database.session.get(Proposal, first[frozenset(parcel)])
    assert member_ids(proposal) == set(parcel) | set(more)
    assert proposal.record_count == 9
    assert proposal.title == "包裹多天没有物流更新怎么办？"
    assert proposal.edited_fields == ["title"]


def test_a_rejected_proposal_returns_only_after_growing_by_the_factor(add_topic, trainer):
    add_topic("parcel", 6)
    refresh()
    (proposal,) = open_proposals()
    reject_proposal(proposal, "Carrier issue, handled by logistics, not an FAQ.", by=trainer)
    database.session.commit()
    assert proposal.rejected_size == 6

    add_topic("parcel", 4, start=6)
    summary = refresh()
    assert summary.new == 0 and summary.reopened == 0
    assert open_proposals() == []
    database.session.refresh(proposal)
    assert proposal.status == ProposalStatus.REJECTED and proposal.record_count == 10

    add_topic("parcel", 2, start=10)
    summary = refresh()
    assert summary.reopened == 1 and summary.new == 0
    database.session.refresh(proposal)
    assert proposal.status == ProposalStatus.OPEN
    assert json.loads(proposal.status_note) == {"code": "regrown", "before": 6, "after": 12, "factor": 2.0}
    assert "grew from 6 to 12 records" in status_note_text(proposal.status_note)


def test_an_approved_topic_is_not_proposed_again_and_new_cases_update_its_article(app, add_topic, trainer, make_user):
    parcel = add_topic("parcel", 6)
    refresh()
    (proposal,) = open_proposals()
    article = approve_proposal(proposal, by=trainer)
    database.session.commit()
    assert article.status == ArticleStatus.DRAFT
    assert article.title == proposal.title and article.alt_questions == proposal.alt_questions
    assert proposal.status == ProposalStatus.APPROVED and proposal.article_id == article.id

    summary = refresh()
    assert summary.new == 0 and summary.covered == 1 and open_proposals() == []

    submit_for_review(article, by=trainer)
    publish_article(article, by=make_user(Role.TRAINER))
    database.session.commit()
    fresh = add_topic("parcel", 5, start=6)
    summary = refresh()
    (update,) = open_proposals()
    assert update.kind == ProposalKind.UPDATE and update.target_article_id == article.id
    assert member_ids(update) == set(fresh)
    assert not member_ids(update) & set(parcel)

    approve_proposal(update, by=trainer)
    database.session.commit()
    database.session.refresh(article)
    assert article.status == ArticleStatus.DRAFT and article.live_version_id is not None
    assert refresh().new == 0 and open_proposals() == []


def test_a_group_close_to_a_published_article_becomes_an_update_proposal(add_topic, make_article):
    article = make_article(
        title="忘记登录密码，收不到短信验证码怎么办？",
        body="通过邮箱找回密码。",
        alt_questions=["无法重置登录密码", "短信验证码收不到"],
    )
    add_topic("password", 6)
    refresh()
    (proposal,) = open_proposals()
    assert proposal.kind == ProposalKind.UPDATE and proposal.target_article_id == article.id


def test_a_reviewer_decides_whether_a_proposal_updates_an_article_and_refreshes_keep_it(
    add_topic, make_article, trainer
):
    article = make_article(
        title="忘记登录密码，收不到短信验证码怎么办？",
        body="通过邮箱找回密码。",
        alt_questions=["无法重置登录密码", "短信验证码收不到"],
    )
    other = make_article(title="包裹没有物流更新怎么办？", body="联系快递公司。")
    add_topic("password", 6)
    refresh()
    (proposal,) = open_proposals()
    assert proposal.kind == ProposalKind.UPDATE and proposal.target_article_id == article.id
    # The closest articles are offered, without the one it already updates.
    assert [found.id for found, _ in similar_articles(proposal)] == [other.id]

    retarget_proposal(proposal, None, by=trainer)
    database.session.commit()
    refresh()
    database.session.refresh(proposal)
    assert proposal.kind == ProposalKind.NEW and proposal.target_article_id is None
    assert "target" in proposal.edited_fields
    assert article.id in [found.id for found, _ in similar_articles(proposal)]

    retarget_proposal(proposal, other.id, by=trainer)
    database.session.commit()
    refresh()
    database.session.refresh(proposal)
    assert proposal.kind == ProposalKind.UPDATE and proposal.target_article_id == other.id
    approve_proposal(proposal, by=trainer)
    database.session.commit()
    database.session.refresh(other)
    assert proposal.title in other.alt_questions


def test_a_proposal_updates_only_a_live_article_of_its_language(add_topic, make_article, trainer, make_user):
    english = make_article(title="How do I reset my password?", body="Use the e-mail link.", language="en")
    archived = make_article(title="旧的登录问题", body="已不适用。")
    archive_article(archived, by=trainer)
    database.session.commit()
    add_topic("password", 6)
    refresh()
    (proposal,) = open_proposals()
    for article_id, message in (
        (english.id, "another language"),
        (archived.id, "not archived"),
        (999_999, "not archived"),
    ):
        with pytest.raises(ValidationError) as refused:
            retarget_proposal(proposal, article_id, by=trainer)
        assert message in str(refused.value.messages["target"][0])
    with pytest.raises(PermissionDenied):
        retarget_proposal(proposal, None, by=make_user(Role.AGENT))
    database.session.rollback()
    database.session.refresh(proposal)
    assert proposal.kind == ProposalKind.NEW and not proposal.edited_fields


def test_merged_proposals_stay_together(add_topic, trainer):
    parcel = add_topic("parcel", 6)
    password = add_topic("password", 6)
    refresh()
    target, source = (proposal_holding(parcel[0]), proposal_holding(password[0]))
    merge_proposals(target, source, by=trainer)
    database.session.commit()
    assert source.status == ProposalStatus.MERGED and source.merged_into_id == target.id
    assert member_ids(target) == set(parcel) | set(password)

    summary = refresh()
    assert summary.new == 0
    assert [proposal.id for proposal in open_proposals()] == [target.id]
    assert member_ids(target) == set(parcel) | set(password)
    assert target.record_count == 12


def test_removed_members_never_rejoin(add_topic, trainer):
    parcel = add_topic("parcel", 7)
    refresh()
    (proposal,) = open_proposals()
    remove_members(proposal, [parcel[0]], by=trainer)
    database.session.commit()
    assert proposal.record_count == 6
    refresh()
    assert parcel[0] not in member_ids(proposal)
    assert proposal.record_count == 6


def test_a_proposal_whose_group_dissolves_becomes_obsolete(add_topic, trainer):
    parcel = add_topic("parcel", 6)
    refresh()
    (proposal,) = open_proposals()
    remove_members(proposal, parcel[:2], by=trainer)
    database.session.commit()
    summary = refresh()
    assert summary.obsolete == 1
    database.session.refresh(proposal)
    assert proposal.status == ProposalStatus.OBSOLETE
    assert status_note_text(proposal.status_note).startswith("Its records no longer form a group of their own")


def test_review_actions_check_role_and_state(add_topic, agent, trainer):
    from marshmallow import ValidationError

    from records.access import PermissionDenied

    add_topic("parcel", 6)
    refresh()
    (proposal,) = open_proposals()
    with pytest.raises(PermissionDenied):
        reject_proposal(proposal, "no", by=agent)
    with pytest.raises(ValidationError):
        reject_proposal(proposal, "  ", by=trainer)
    with pytest.raises(ValidationError) as error:
        update_draft(proposal, {"title": "王先生的包裹13812345678没到"}, by=trainer)
    assert "title" in error.value.messages
    reject_proposal(proposal, "duplicate", by=trainer)
    with pytest.raises(ValidationError):
        approve_proposal(proposal, by=trainer)


def test_a_refresh_that_raced_another_writes_nothing(add_topic, monkeypatch):
    add_topic("parcel", 6)
    import kb.proposal_engine as engine

    original = engine.build_spaces

    def slow_build(*args, **kwargs):
        # Another refresh finishes while this one is encoding.
        with database.engine.begin() as connection:
            connection.execute(sa.insert(ProposalRun).values(status="done", summary={}, started_at=sa.func.now()))
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "build_spaces", slow_build)
    with pytest.raises(RefreshConflict):
        run_refresh()
    assert database.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0
    runs = database.session.scalars(sa.select(ProposalRun.status).order_by(ProposalRun.id)).all()
    assert runs == ["done", "failed"]


def test_cli_propose_and_list_as_json(app, add_topic):
    ids = add_topic("refund", 6)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["kb", "propose"])
    assert result.exit_code == 0, result.output
    assert "6 resolved records" in result.output and "1 new" in result.output
    result = runner.invoke(args=["kb", "proposals", "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.output.strip().splitlines()
    listed = json.loads(line)
    assert listed["status"] == "open" and listed["record_count"] == 6
    assert {member["record_id"] for member in listed["members"]} == set(ids)
    assert all(member["external_id"].startswith("refund-") for member in listed["members"])


def test_api_lists_reviews_and_limits_members_to_what_the_user_may_see(
    client, add_topic, trainer, make_user, make_record, token_for
):
    parcel = add_topic("parcel", 6)
    password = add_topic("password", 6)
    refresh()
    other_agent = make_user(Role.AGENT)
    headers = token_for(trainer)
    listing = client.get("/api/v1/proposals?include=members", headers=headers).get_json()
    assert listing["total"] == 2 and listing["status_counts"]["open"] == 2
    assert [item["impact"] for item in listing["items"]] == sorted(
        (item["impact"] for item in listing["items"]), reverse=True
    )
    assert {len(item["members"]) for item in listing["items"]} == {6}
    assert all(member["external_id"] for item in listing["items"] for member in item["members"])

    outsider = client.get("/api/v1/proposals?include=members", headers=token_for(other_agent)).get_json()
    assert outsider["total"] == 2 and all(item["members"] == [] for item in outsider["items"])
    proposal_id = listing["items"][0]["id"]
    assert (
        client.post(f"/api/v1/proposals/{proposal_id}/approve", json={}, headers=token_for(other_agent)).status_code
        == 403
    )

    target = proposal_holding(parcel[0]).id
    source = proposal_holding(password[0]).id
    response = client.post(f"/api/v1/proposals/{source}/merge", json={"into": target}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["record_count"] == 12

    assert client.post(f"/api/v1/proposals/{target}/reject", json={}, headers=headers).status_code == 422
    response = client.post(
        f"/api/v1/proposals/{target}/approve", json={"title": "包裹没有物流更新怎么办？"}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["proposal"]["status"] == "approved" and body["article_status"] == "draft"
    article = database.session.get(Article, body["article_id"])
    assert article.title == "包裹没有物流更新怎么办？"
    assert client.post(f"/api/v1/proposals/{target}/approve", json={}, headers=headers).status_code == 422
    assert client.get("/api/v1/proposals/999999", headers=headers).status_code == 404


def test_api_offers_similar_articles_and_retargets(client, add_topic, make_article, trainer, make_user, token_for):
    article = make_article(title="包裹没有物流更新怎么办？", body="联系快递公司。")
    add_topic("password", 6)
    refresh()
    (proposal,) = open_proposals()
    headers = token_for(trainer)
    shown = client.get(f"/api/v1/proposals/{proposal.id}", headers=headers).get_json()
    assert shown["kind"] == "new" and [item["id"] for item in shown["similar_articles"]] == [article.id]

    url = f"/api/v1/proposals/{proposal.id}/target"
    response = client.post(url, json={"article_id": article.id}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["kind"] == "update" and response.get_json()["target_article_id"] == article.id
    response = client.post(url, json={"article_id": None}, headers=headers)
    assert response.status_code == 200 and response.get_json()["kind"] == "new"
    for body in ({}, {"article_id": "x"}, {"article_id": 0}, {"article_id": 999_999}):
        assert client.post(url, json=body, headers=headers).status_code == 422, body
    assert client.post(url, json={"article_id": None}, headers=token_for(make_user(Role.AGENT))).status_code == 403


@pytest.mark.model
def test_model_groups_english_questions(embeddings, add_topic):
    refund = add_topic("refund", 6)
    summary = refresh()
    assert summary.new == 1 and summary.encode_seconds > 0
    (proposal,) = open_proposals()
    assert member_ids(proposal) == set(refund)


PRODUCTS = [
    "robot vacuum cleaner with the self-emptying dock",
    "HEPA air purifier for large living rooms",
    "fingerprint smart door lock with the keypad",
]
FAULTY = [
    "The {p} stopped working after a few days; I want an exchange",
    "Customer says the {p} arrived faulty and won't turn on, wants a replacement",
    "My {p} is defective, can you swap it for a new one?",
    "The {p} broke within a week - exchange please",
    "Customer wants to exchange the {p} because it keeps failing",
    "The {p} I received does not work at all",
]
LATE = [
    "The {p} was promised for Monday and still hasn't arrived",
    "Customer is chasing delivery of the {p}; tracking has not moved",
    "Where is my {p}? It is late",
    "The {p} shows dispatched days ago but nothing has arrived",
    "Customer has been waiting a week for the {p} to be delivered",
    "Still no sign of the {p} I ordered, the delivery date has passed",
]
ANSWERS = {
    "faulty": "Collected the faulty unit and sent a new one; the exchange was confirmed by email.",
    "late": "Chased the courier, who had missed the parcel at the depot; it was delivered the next day.",
}


@pytest.mark.model
def test_english_records_answered_alike_group_together_whatever_product_they_name(embeddings, make_record, agent):
    # all-MiniLM-L6-v2 reads the product an English note names more than what it asks: by the question alone these
    # records formed a group per product, exchanges and delivery chases together; beside the resolution, no proposal
    # mixes the two.
    asked = {}
    for kind, templates in (("faulty", FAULTY), ("late", LATE)):
        for product in PRODUCTS:
            for number, template in enumerate(templates):
                record = make_record(
                    agent=agent,
                    problem_description=template.format(p=product),
                    customer_request="Please sort it out.",
                    resolution=ANSWERS[kind],
                    category="退换货",
                    subcategory=None,
                    external_id=f"{kind}-{product}-{number}",
                    contacted_at="2026-11-20 10:00",
                )
                asked[record.id] = kind
    refresh()
    groups = [{asked[record_id] for record_id in member_ids(proposal)} for proposal in open_proposals()]
    # By the question alone each proposal held one product's exchanges and delivery chases (weight 0 fails here).
    assert groups and all(len(kinds) == 1 for kinds in groups), groups
    assert {kind for kinds in groups for kind in kinds} == {"faulty", "late"}


ADDRESS_BEFORE_SHIPPING = [
    "客户下单后发现收货地址填错了，还没发货，想改一下地址",
    "地址写错了，订单还没发出，客户问怎么修改收货地址",
    "客户刚下单，收货地址选成了旧地址，要改成新地址",
    "订单还在待发货，客户想把收货地址改到公司",
    "客户说下单时地址少写了门牌号，问能不能改",
    "收货地址填错一个字，客户想在发货前修改",
]


@pytest.mark.model
@pytest.mark.parametrize(
    ("articles", "expected"),
    [
        # The article that answers the group: the group updates it, not the neighbour beside it.
        ([("下单后怎么修改收货地址？", "own"), ("已经发货了还能改地址吗？", "neighbour")], "own"),
        # Only neighbours, each of which a cosine of 0.93 alone (before 2026-12-07) took for the group's article,
        # so that a new topic became an update of another: the group asks before shipping, the article after
        # (text.conditions) ...
        ([("已经发货了还能改地址吗？", "neighbour")], None),
        # ... and the address book is less close to the group's centre than the group's own notes are.
        ([("怎么添加或删除收货地址？", "neighbour")], None),
    ],
)
def test_chinese_groups_are_covered_by_their_article_not_its_neighbour(
    embeddings, add_topic, make_record, agent, make_article, articles, expected
):
    made = {
        role: make_article(
            title=title, body="按页面提示操作。", category="物流", subcategory="address_change", language="zh"
        ).id
        for title, role in articles
    }
    # Other topics beside it, as in any help desk (grouping centres the vectors on what all records share).
    add_topic("parcel", 6)
    add_topic("password", 6)
    address = []
    for index, text in enumerate(ADDRESS_BEFORE_SHIPPING):
        address.append(
            make_record(
                agent=agent,
                problem_description=text,
                resolution="指导客户在我的订单中修改地址",
                category="物流",
                subcategory="address_change",
                external_id=f"address-{index}",
                source="test",
                contacted_at=f"2026-11-{index + 1:02d} 10:00",
            ).id
        )
    refresh()
    proposal = proposal_holding(address[0])
    assert member_ids(proposal) == set(address)
    if expected is None:
        assert proposal.kind == ProposalKind.NEW and proposal.target_article_id is None
    else:
        assert proposal.kind == ProposalKind.UPDATE and proposal.target_article_id == made[expected]
