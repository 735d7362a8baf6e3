"""Knowledge gap pages, the trainer queue and the gap API: who may see and decide, each action, bad input."""

from __future__ import annotations

from html import unescape

import pytest
import sqlalchemy as sa

from kb.gaps.models import GapStatus, KnowledgeGap
from kb.models import Article, ArticleStatus, Proposal, ProposalStatus
from records.db import db as database
from records.enums import Language, Role
from records.timeutil import utcnow


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def gaps(db, make_article):
    article = make_article(title="Cancel a subscription plan", body="Settings, plan, cancel.", language="en")
    cancel = KnowledgeGap(
        title="cancel subscription",
        language=Language.EN,
        space="lexical",
        examples=[
            {"text": "cancel subscription", "count": 3, "kinds": ["zero_result"]},
            {"text": "how do I cancel my subscription", "count": 1, "kinds": ["contact", "zero_result"]},
        ],
        kinds={"zero_result": 4, "contact": 1},
        suggested_articles=[article.id],
        category="how_to",
        signal_count=4,
        recent_count=3,
        previous_count=1,
        impact=6.0,
        last_seen=utcnow(),
    )
    invoice = KnowledgeGap(
        title="怎么开发票",
        language=Language.ZH,
        space="lexical",
        examples=[{"text": "怎么开发票", "count": 2, "kinds": ["assist"]}],
        kinds={"assist": 2},
        category="billing",
        signal_count=2,
        recent_count=2,
        previous_count=0,
        impact=3.0,
    )
    proposal = Proposal(title="退款多久到账", status=ProposalStatus.OPEN, language=Language.ZH, record_count=3)
    database.session.add_all([cancel, invoice, proposal])
    database.session.commit()
    return {"cancel": cancel, "invoice": invoice, "article": article, "proposal": proposal}


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
def test_only_trainers_and_administrators_reach_gaps(client, make_user, sign_in, token_for, gaps, role):
    someone = make_user(role)
    headers = token_for(someone)  # before signing in: a signed-in client's API calls need a CSRF token
    sign_in(someone)
    gap = gaps["cancel"]
    for path in (
        "/kb/queue",
        "/kb/gaps",
        f"/kb/gaps/{gap.id}",
        "/api/v1/gaps",
        f"/api/v1/gaps/{gap.id}",
        "/api/v1/trainer-queue",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/kb/gaps/{gap.id}/resolve").status_code == 403
    assert client.post(f"/api/v1/gaps/{gap.id}/not-a-gap", json={}, headers=headers).status_code == 403
    assert client.post(f"/api/v1/gaps/{gap.id}/create-article", json={}, headers=headers).status_code == 403
    database.session.refresh(gap)
    assert gap.status == GapStatus.OPEN


def test_the_queue_lists_gaps_and_proposals_by_volume_with_filters(client, login_as, gaps):
    login_as(Role.TRAINER)
    html = page(client.get("/kb/queue"))
    assert html.index("cancel subscription") < html.index("退款多久到账") < html.index("怎么开发票")
    only_zh = page(client.get("/kb/queue", query_string={"language": "zh"}))
    assert "怎么开发票" in only_zh and "退款多久到账" in only_zh and "cancel subscription" not in only_zh
    only_gaps = page(client.get("/kb/queue", query_string={"kind": "gap", "category": "billing"}))
    assert "怎么开发票" in only_gaps and "退款多久到账" not in only_gaps and "cancel subscription" not in only_gaps
    odd = client.get("/kb/queue", query_string={"kind": "nonsense"})
    assert odd.status_code == 200 and "nonsense" in page(odd)


def test_the_queue_api(client, make_user, token_for, gaps):
    headers = token_for(make_user(Role.TRAINER))
    items = client.get("/api/v1/trainer-queue", headers=headers).json["items"]
    assert [(item["kind"], item["volume"]) for item in items] == [("gap", 4), ("proposal", 3), ("gap", 2)]
    assert client.get("/api/v1/trainer-queue?kind=other", headers=headers).status_code == 422


def test_the_detail_page_shows_masked_examples_and_the_nearest_articles(client, login_as, gaps):
    login_as(Role.TRAINER)
    html = page(client.get(f"/kb/gaps/{gaps['cancel'].id}"))
    assert "how do I cancel my subscription" in html and "Cancel a subscription plan" in html
    assert client.get("/kb/gaps/999999").status_code == 404


def test_create_article_page_drafts_and_goes_to_the_editor(client, login_as, gaps):
    login_as(Role.TRAINER)
    gap = gaps["cancel"]
    response = client.post(f"/kb/gaps/{gap.id}/create-article", data={"title": ""})
    assert response.status_code == 303 and "/edit" in response.location
    database.session.refresh(gap)
    article = database.session.get(Article, gap.article_id)
    assert gap.status == GapStatus.ARTICLE and article.status == ArticleStatus.DRAFT
    assert article.title == "cancel subscription" and article.alt_questions == ["how do I cancel my subscription"]
    again = client.post(f"/kb/gaps/{gap.id}/create-article", data={})
    assert again.status_code == 422


def test_add_alternative_page_refuses_bad_input_and_keeps_it(client, login_as, gaps):
    login_as(Role.TRAINER)
    gap = gaps["cancel"]
    missing = client.post(f"/kb/gaps/{gap.id}/add-alternative", data={"article": "999999", "question": "stop plan"})
    assert missing.status_code == 422 and "stop plan" in page(missing)
    not_a_number = client.post(f"/kb/gaps/{gap.id}/add-alternative", data={"article": "abc", "question": "q"})
    assert not_a_number.status_code == 422
    done = client.post(
        f"/kb/gaps/{gap.id}/add-alternative", data={"article": str(gaps["article"].id), "question": "stop my plan"}
    )
    assert done.status_code == 303
    database.session.refresh(gaps["article"])
    assert "stop my plan" in gaps["article"].alt_questions
    database.session.refresh(gap)
    assert gap.status == GapStatus.ALTERNATIVE


def test_gap_api_actions(client, make_user, token_for, gaps):
    headers = token_for(make_user(Role.ADMIN))
    cancel, invoice = gaps["cancel"], gaps["invoice"]
    listed = client.get("/api/v1/gaps", headers=headers).json
    assert [item["title"] for item in listed["items"]] == ["cancel subscription", "怎么开发票"]
    assert listed["items"][0]["suggested_articles"][0]["id"] == gaps["article"].id
    assert client.get("/api/v1/gaps?status=bogus", headers=headers).status_code == 422
    assert client.get("/api/v1/gaps/424242", headers=headers).status_code == 404

    resolved = client.post(f"/api/v1/gaps/{invoice.id}/resolve", json={"note": "已上线新流程"}, headers=headers)
    assert resolved.status_code == 200 and resolved.json["gap"]["status"] == "resolved"
    twice = client.post(f"/api/v1/gaps/{invoice.id}/not-a-gap", json={}, headers=headers)
    assert twice.status_code == 422
    reopened = client.post(f"/api/v1/gaps/{invoice.id}/reopen", headers=headers)
    assert reopened.json["gap"]["status"] == "open"
    assert client.post(f"/api/v1/gaps/{invoice.id}/not-a-gap", json={"note": 5}, headers=headers).status_code == 422
    assert client.post(f"/api/v1/gaps/{invoice.id}/not-a-gap", json={}, headers=headers).json["gap"]["status"] == (
        "not_a_gap"
    )

    bad = client.post(f"/api/v1/gaps/{cancel.id}/add-alternative", json={"question": "x"}, headers=headers)
    assert bad.status_code == 422 and "article" in bad.json["errors"]["json"]
    gone = client.post(f"/api/v1/gaps/{cancel.id}/add-alternative", json={"article": 999999}, headers=headers)
    assert gone.status_code == 422 and "999999" in gone.json["errors"]["json"]["article"][0]
    created = client.post(
        f"/api/v1/gaps/{cancel.id}/create-article", json={"title": "Cancel your plan"}, headers=headers
    )
    assert created.status_code == 201
    article = database.session.get(Article, created.json["article_id"])
    assert article.title == "Cancel your plan" and "cancel subscription" in article.alt_questions
    statuses = dict(database.session.execute(sa.select(KnowledgeGap.title, KnowledgeGap.status)).all())
    assert statuses == {"cancel subscription": GapStatus.ARTICLE, "怎么开发票": GapStatus.NOT_A_GAP}


def test_the_pages_speak_chinese(client, make_user, sign_in, gaps):
    trainer = make_user(Role.TRAINER)
    sign_in(trainer, language="zh_CN")
    html = page(client.get("/kb/queue"))
    assert "培训师待办" in html and "知识缺口" in html
    detail = page(client.get(f"/kb/gaps/{gaps['cancel'].id}"))
    assert "不是缺口" in detail and "无结果搜索" in detail
