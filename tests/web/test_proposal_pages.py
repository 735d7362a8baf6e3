"""FAQ proposal pages: the list with status tabs, the detail page with its draft and member records, and the review
actions (edit, remove members, merge, reject, approve)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape

import pytest
import sqlalchemy as sa

from kb.models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    Proposal,
    ProposalKind,
    ProposalMember,
    ProposalRun,
    ProposalStatus,
)
from kb.operations import archive_article
from records.enums import Role
from records.models import Record, User


@dataclass
class Fixture:
    agent: User
    records: list[Record]
    login: Proposal
    phone: Proposal
    update: Proposal
    rejected: Proposal
    article: Article


def page(response) -> str:
    return response.get_data(as_text=True)


def squashed(response) -> str:
    return re.sub(r"\s+", " ", unescape(page(response)))


def add_proposal(db, records: list[Record], **fields) -> Proposal:
    values = {
        "kind": ProposalKind.NEW,
        "status": ProposalStatus.OPEN,
        "record_count": len(records),
        "recent_count": len(records),
        "previous_count": 0,
        "impact": float(len(records)),
        **fields,
    }
    proposal = Proposal(**values)
    proposal.members = [ProposalMember(record_id=record.id, rank=rank) for rank, record in enumerate(records)]
    db.session.add(proposal)
    db.session.commit()
    return proposal


@pytest.fixture
def kb(db, make_user, make_record, make_article) -> Fixture:
    agent, colleague = make_user(Role.AGENT), make_user(Role.AGENT)
    records = [
        make_record(
            agent=agent if number < 2 else colleague,
            problem_description=f"张先生来电 1381234567{number} 说 App 登录提示密码错误。",
            satisfaction=3 + number % 3,
        )
        for number in range(6)
    ]
    article = make_article(title="如何找回账号")
    login = add_proposal(
        db,
        records[:4],
        title="登录提示密码错误怎么办",
        answer="## 步骤\n\n1. 清除缓存\n2. **重置**登录状态",
        alt_questions=["App 登录失败"],
        keywords=["登录", "密码"],
        category="malfunction",
        subcategory="login",
        variations=[{"text": "重新安装 App 后恢复", "count": 2}],
        recent_count=9,
        previous_count=4,
        mean_satisfaction=4.5,
        impact=12.0,
        first_seen=datetime(2026, 9, 1, 8, 0),
        last_seen=datetime(2026, 11, 2, 6, 30),
    )
    phone = add_proposal(db, records[4:], title="如何修改绑定手机", impact=3.0)
    update = add_proposal(
        db, [], title="账号被冻结如何找回", kind=ProposalKind.UPDATE, target_article_id=article.id, impact=5.0
    )
    rejected = add_proposal(
        db,
        [],
        title="天气如何",
        status=ProposalStatus.REJECTED,
        rejection_reason="不是客服问题",
        rejected_size=5,
        impact=1.0,
    )
    return Fixture(agent, records, login, phone, update, rejected, article)


def english(client) -> None:
    client.post("/language", data={"language": "en"})


# ----- list --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.TRAINER])
def test_staff_see_the_list_with_status_tabs_counts_and_figures(client, db, login_as, kb, role):
    login_as(role)
    english(client)
    assert 'href="/kb/proposals"' in page(client.get("/records"))
    html = squashed(client.get("/kb/proposals"))
    for label, count in (("Open", 3), ("Approved", 0), ("Rejected", 1), ("Merged", 0), ("Obsolete", 0), ("All", 4)):
        assert re.search(rf">{label} <span class=\"badge[^\"]*\">{count}</span>", html), label
    assert 'aria-current="page" href="/kb/proposals?status=open"' in html
    # Highest impact first; the rejected one is on its own tab.
    assert html.index("登录提示密码错误怎么办") < html.index("账号被冻结如何找回") < html.index("如何修改绑定手机")
    assert "天气如何" not in html
    assert "9 ↑ from 4" in html and "4.5" in html and "12.0" in html
    assert f'Update: <a href="/kb/articles/{kb.article.id}">如何找回账号</a>' in html
    assert "2026-09-01" in html
    assert "No refresh yet" in html and "consultkb kb propose" not in html
    # Trainers start a refresh here (the scheduler runs it); agents only read.
    starts = 'action="/jobs/proposal_refresh/requests"' in html
    assert starts == (role == Role.TRAINER)

    rejected = squashed(client.get("/kb/proposals?status=rejected"))
    assert "天气如何" in rejected and "登录提示密码错误怎么办" not in rejected


def test_the_list_shows_the_last_refresh_and_pages(app, client, db, login_as, kb, monkeypatch):
    db.session.add(
        ProposalRun(
            started_at=datetime(2026, 11, 21, 1, 0),
            finished_at=datetime(2026, 11, 21, 1, 2),
            status="done",
            summary={"records": 120, "groups": 7, "new": 2, "updated": 3, "open": 3},
        )
    )
    db.session.commit()
    login_as(Role.TRAINER)
    english(client)
    html = squashed(client.get("/kb/proposals"))
    assert "Last refreshed" in html and "120 resolved records, 7 groups: 2 new, 3 updated" in html
    assert "No refresh yet" not in html

    monkeypatch.setitem(app.config, "RECORDS_PER_PAGE", 2)
    first, second = squashed(client.get("/kb/proposals")), squashed(client.get("/kb/proposals?page=2"))
    assert "登录提示密码错误怎么办" in first and "如何修改绑定手机" not in first
    assert "如何修改绑定手机" in second and "登录提示密码错误怎么办" not in second
    assert 'href="/kb/proposals?page=2&amp;status=open"' in page(client.get("/kb/proposals"))
    assert "not understood" in squashed(client.get("/kb/proposals?status=lost"))


# ----- detail ------------------------------------------------------------------------------------------------------


def test_a_trainer_sees_the_draft_and_the_members_scrubbed(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    response = client.get(f"/kb/proposals/{kb.login.id}")
    html = page(response)
    assert "<h2>步骤</h2>" in html and "<strong>重置</strong>" in html
    assert "App 登录失败" in html and "登录, 密码" in html and "重新安装 App 后恢复" in html
    text = squashed(response)
    assert "9 ↑ from 4" in text and "12.0" in text
    for record in kb.records[:4]:
        assert f'href="/records/{record.number}"' in html
    assert kb.records[4].number not in html
    # As the record pages show records to trainers: no customer name, personal data masked.
    assert "张先生" not in html and "13812345670" not in html
    assert "客户A来电 [电话]" in html and "138****5670" not in html
    assert f'action="/kb/proposals/{kb.login.id}/edit"' in html and 'name="record_ids"' in html
    assert "data-subcategory-select" in html and 'value="登录提示密码错误怎么办"' in html
    assert f'<option value="{kb.phone.id}">如何修改绑定手机 (2 records)</option>' in html
    assert str(kb.update.id) not in re.findall(r'<select[^>]*name="into".*?</select>', html, re.S)[0]


def test_an_agent_reads_only_their_own_members_and_may_not_act(client, db, kb, sign_in):
    sign_in(kb.agent)
    english(client)
    html = page(client.get(f"/kb/proposals/{kb.login.id}"))
    assert "登录提示密码错误怎么办" in html
    assert kb.records[0].number in html and kb.records[1].number in html
    assert kb.records[2].number not in html and kb.records[3].number not in html
    assert "2 records you may not open are not listed." in html
    # An agent sees their own record as the record page shows it: masked, not scrubbed.
    assert "张先生来电 138****5670" in html
    assert "/edit" not in html and 'name="record_ids"' not in html and "/approve" not in html

    proposal_id = kb.login.id
    for action, data in (
        ("edit", {"title": "改标题"}),
        ("remove-members", {"record_ids": str(kb.records[0].id)}),
        ("merge", {"into": str(kb.phone.id)}),
        ("reject", {"reason": "不要"}),
        ("approve", {}),
    ):
        assert client.post(f"/kb/proposals/{proposal_id}/{action}", data=data).status_code == 403, action
    db.session.expire_all()
    assert db.session.get(Proposal, proposal_id).status == ProposalStatus.OPEN
    assert client.get("/kb/proposals/99999").status_code == 404


def test_a_closed_proposal_shows_its_outcome_without_review_forms(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    html = squashed(client.get(f"/kb/proposals/{kb.rejected.id}"))
    assert "Rejected with 5 records. Reason:" in html and "不是客服问题" in html
    assert "/edit" not in html and "/approve" not in html


# ----- editing -----------------------------------------------------------------------------------------------------


def draft_form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "登录提示密码错误",
        "answer": "1. 清除缓存\r\n2. 重新登录",
        "category": "malfunction",
        "subcategory": "login",
        "alt_questions": "App 登录失败\r\n\r\n密码错误进不去",
        "keywords": "登录\r\n缓存",
    }
    data.update(overrides)
    return data


def test_a_trainer_edits_the_draft(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    response = client.post(f"/kb/proposals/{kb.login.id}/edit", data=draft_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/kb/proposals/{kb.login.id}")
    db.session.expire_all()
    proposal = db.session.get(Proposal, kb.login.id)
    assert proposal.title == "登录提示密码错误"
    assert proposal.answer == "1. 清除缓存\n2. 重新登录"
    assert proposal.alt_questions == ["App 登录失败", "密码错误进不去"]
    assert proposal.keywords == ["登录", "缓存"]
    assert set(proposal.edited_fields) == {"title", "answer", "alt_questions", "keywords"}
    assert "Draft saved." in page(client.get(response.headers["Location"]))

    again = client.post(f"/kb/proposals/{kb.login.id}/edit", data=draft_form())
    assert "Nothing changed." in page(client.get(again.headers["Location"]))


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"title": ""}, "Title: This field is required."),
        ({"title": "客户 13812345678 登录不了"}, "Title: Remove personal data"),
        ({"keywords": "登录\r\n13812345678"}, "Keywords: Remove personal data first: '13812345678'."),
        ({"category": "weather", "subcategory": ""}, "Category: Unknown category"),
    ],
)
def test_a_refused_edit_keeps_what_was_typed_and_saves_nothing(client, db, login_as, kb, overrides, field_message):
    login_as(Role.TRAINER)
    english(client)
    response = client.post(f"/kb/proposals/{kb.login.id}/edit", data=draft_form(answer="保留的回答", **overrides))
    assert response.status_code == 422
    html = squashed(response)
    assert "Nothing was changed. Please correct the following:" in html
    assert field_message in html
    assert "保留的回答</textarea>" in page(response)
    assert "is-invalid" in page(response)
    db.session.expire_all()
    proposal = db.session.get(Proposal, kb.login.id)
    assert proposal.title == "登录提示密码错误怎么办" and proposal.edited_fields == []


# ----- members, reject, merge, approve -----------------------------------------------------------------------------


def test_removing_selected_members(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    chosen = [str(kb.records[0].id), str(kb.records[3].id)]
    response = client.post(f"/kb/proposals/{kb.login.id}/remove-members", data={"record_ids": chosen})
    assert response.status_code == 303
    db.session.expire_all()
    proposal = db.session.get(Proposal, kb.login.id)
    assert proposal.record_count == 2
    assert {member.record_id for member in proposal.members if member.removed} == {
        kb.records[0].id,
        kb.records[3].id,
    }
    html = page(client.get(response.headers["Location"]))
    assert "2 records removed." in html
    assert kb.records[0].number not in html and kb.records[1].number in html

    nothing = client.post(f"/kb/proposals/{kb.login.id}/remove-members", data={})
    assert nothing.status_code == 422 and "Select the records to remove." in page(nothing)
    stranger = client.post(f"/kb/proposals/{kb.login.id}/remove-members", data={"record_ids": str(kb.records[5].id)})
    assert stranger.status_code == 422 and "not members of this proposal" in page(stranger)


def test_rejecting_needs_a_reason(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    refused = client.post(f"/kb/proposals/{kb.phone.id}/reject", data={"reason": "  "})
    assert refused.status_code == 422 and "Say why, so the next reviewer knows." in page(refused)
    db.session.expire_all()
    assert db.session.get(Proposal, kb.phone.id).status == ProposalStatus.OPEN

    response = client.post(f"/kb/proposals/{kb.phone.id}/reject", data={"reason": "已有公告说明"})
    assert response.status_code == 303
    db.session.expire_all()
    proposal = db.session.get(Proposal, kb.phone.id)
    assert proposal.status == ProposalStatus.REJECTED and proposal.rejection_reason == "已有公告说明"
    html = squashed(client.get(response.headers["Location"]))
    assert "Proposal rejected." in html and "已有公告说明" in html


def test_merging_into_another_open_proposal(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    refused = client.post(f"/kb/proposals/{kb.phone.id}/merge", data={"into": str(kb.update.id)})
    assert refused.status_code == 422 and "Only proposals of the same kind" in page(refused)
    missing = client.post(f"/kb/proposals/{kb.phone.id}/merge", data={"into": ""})
    assert missing.status_code == 422 and "Choose the proposal to merge into." in page(missing)

    response = client.post(f"/kb/proposals/{kb.phone.id}/merge", data={"into": str(kb.login.id)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/kb/proposals/{kb.login.id}")
    db.session.expire_all()
    source, target = db.session.get(Proposal, kb.phone.id), db.session.get(Proposal, kb.login.id)
    assert source.status == ProposalStatus.MERGED and source.merged_into_id == target.id
    assert target.record_count == 6 and "如何修改绑定手机" in target.alt_questions
    html = page(client.get(response.headers["Location"]))
    assert "merged into this one" in html and kb.records[5].number in html
    merged = page(client.get(f"/kb/proposals/{kb.phone.id}"))
    assert f'href="/kb/proposals/{kb.login.id}"' in merged


def test_approving_creates_a_draft_article(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    response = client.post(f"/kb/proposals/{kb.login.id}/approve")
    assert response.status_code == 303
    article = db.session.scalar(sa.select(Article).where(Article.title == "登录提示密码错误怎么办"))
    assert article is not None and article.status == ArticleStatus.DRAFT
    assert response.headers["Location"].endswith(f"/kb/articles/{article.id}")
    assert article.alt_questions == ["App 登录失败"]
    html = page(client.get(response.headers["Location"]))
    assert "Approved: draft article" in html and "<strong>重置</strong>" in html
    db.session.expire_all()
    proposal = db.session.get(Proposal, kb.login.id)
    assert proposal.status == ProposalStatus.APPROVED and proposal.article_id == article.id
    detail = page(client.get(f"/kb/proposals/{kb.login.id}"))
    assert f'href="/kb/articles/{article.id}"' in detail and "/approve" not in detail


def test_approving_an_update_adds_a_version_to_the_article(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    version = kb.article.version
    response = client.post(f"/kb/proposals/{kb.update.id}/approve")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/kb/articles/{kb.article.id}")
    db.session.expire_all()
    article = db.session.get(Article, kb.article.id)
    assert article.version == version + 1 and "账号被冻结如何找回" in article.alt_questions
    assert "has a new version" in page(client.get(response.headers["Location"]))


@pytest.mark.parametrize(("language", "note"), [("en", "from proposal {}"), ("zh_CN", "来自提案 {}")])
def test_the_version_says_which_proposal_it_came_from_in_the_approvers_words(client, db, login_as, kb, language, note):
    login_as(Role.TRAINER)
    client.post("/language", data={"language": language})
    for proposal in (kb.login, kb.update):
        assert client.post(f"/kb/proposals/{proposal.id}/approve").status_code == 303
    db.session.expire_all()
    for proposal in (kb.login, kb.update):
        article_id = db.session.get(Proposal, proposal.id).article_id
        newest = sa.select(ArticleVersion.note).where(ArticleVersion.article_id == article_id)
        assert db.session.scalar(newest.order_by(ArticleVersion.number.desc()).limit(1)) == note.format(proposal.id)


# ----- language ----------------------------------------------------------------------------------------------------


def test_proposal_pages_in_chinese(client, db, login_as, kb):
    login_as(Role.TRAINER)
    client.post("/language", data={"language": "zh_CN"})
    listing = squashed(client.get("/kb/proposals"))
    assert "FAQ 提案" in listing and "待审核" in listing and "影响" in listing and "9 ↑ 之前 4" in listing
    assert "立即刷新提案" in listing
    assert "Impact" not in listing and "Records" not in listing
    detail = squashed(client.get(f"/kb/proposals/{kb.login.id}"))
    assert "编辑草稿" in detail and "移除所选" in detail and "拒绝" in detail and "采纳" in detail
    assert "合并到…" in detail and "提案中的记录" in detail and "已有文章解答了吗？" in detail
    assert "Remove selected" not in detail and "Edit the draft" not in detail
    refused = squashed(client.post(f"/kb/proposals/{kb.phone.id}/reject", data={"reason": ""}))
    assert "说明原因" in refused


def test_a_refused_approval_or_a_change_to_a_closed_proposal_shows_why(client, db, login_as, kb):
    reviewer = login_as(Role.TRAINER)
    english(client)
    archive_article(kb.article, by=reviewer)
    db.session.commit()
    refused = client.post(f"/kb/proposals/{kb.update.id}/approve")
    assert refused.status_code == 422
    assert "The article this proposal would update is gone or archived." in page(refused)
    db.session.expire_all()
    assert db.session.get(Proposal, kb.update.id).status == ProposalStatus.OPEN

    closed = client.post(f"/kb/proposals/{kb.rejected.id}/edit", data=draft_form())
    assert closed.status_code == 422
    assert "Only an open proposal can be changed; this one is Rejected." in page(closed)


def test_a_trainer_makes_a_proposal_an_update_of_a_similar_article_or_a_new_one(client, db, login_as, kb):
    login_as(Role.TRAINER)
    english(client)
    detail = page(client.get(f"/kb/proposals/{kb.login.id}"))
    assert "Already answered by an article?" in detail
    assert f'name="target" value="{kb.article.id}"' in detail and "如何找回账号" in detail

    for chosen in ("", "abc", "0"):
        refused = client.post(f"/kb/proposals/{kb.login.id}/target", data={"target": chosen})
        assert refused.status_code == 422 and "Choose the article that already answers it." in page(refused)
    response = client.post(f"/kb/proposals/{kb.login.id}/target", data={"target": str(kb.article.id)})
    assert response.status_code == 303
    assert "It now adds to “如何找回账号” when approved." in unescape(page(client.get(response.headers["Location"])))
    db.session.expire_all()
    proposal = db.session.get(Proposal, kb.login.id)
    assert proposal.kind == ProposalKind.UPDATE and proposal.target_article_id == kb.article.id

    update = page(client.get(f"/kb/proposals/{kb.update.id}"))
    assert "Propose a new article instead" in update
    response = client.post(f"/kb/proposals/{kb.update.id}/target", data={"target": "new"})
    assert response.status_code == 303 and "It now proposes a new article." in page(
        client.get(response.headers["Location"])
    )
    db.session.expire_all()
    assert db.session.get(Proposal, kb.update.id).kind == ProposalKind.NEW


def test_an_agent_may_not_retarget_a_proposal(client, db, kb, sign_in):
    sign_in(kb.agent)
    assert "Already answered" not in page(client.get(f"/kb/proposals/{kb.login.id}"))
    assert client.post(f"/kb/proposals/{kb.login.id}/target", data={"target": "new"}).status_code == 403
