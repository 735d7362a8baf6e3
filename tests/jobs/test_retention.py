"""Retention: policies per category, archive or delete, legal holds, dry runs, every store a deletion reaches,
batches that survive interruption, audit entries, and archived records being read-only and out of the way."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest
import sqlalchemy as sa

from jobs import erasure
from jobs.models import Report, ReportKind, ReportStatus
from jobs.retention import RetentionConfigError, load_policies, records_due_for_retention, run_retention
from kb.models import ArticleRecordLink, Proposal, ProposalMember, ProposalStatus, SearchSession
from kb.operations import link_reuse, link_source_records
from kb.proposal_engine import load_evidence, refresh_proposals
from kb.proposal_notes import status_note_text
from records.db import db as database
from records.enums import Role
from records.models import AuditLog, Customer, FollowUp, Record, record_links
from records.operations import RecordFilters, clear_legal_hold, list_records, set_legal_hold, update_record
from scoring.calibration import create_session
from scoring.engine import rescore_all
from scoring.grading import dispute_grade, grade_record, resolve_dispute
from scoring.models import CalibrationSession, Dispute, Grade, RecordScore
from tests.scoring.helpers import full_points
from text.embeddings import store_vectors, text_hash
from text.models import EmbeddingCache

#: The moment the tests run retention at: records of 2023 are more than two years old, those of 2026 are not.
NOW = datetime(2026, 11, 22, 4, 0)
ARCHIVE_ALL = {"default": {"years": 2, "action": "archive"}}
DELETE_LOGISTICS = {"default": {"years": 2, "action": "archive"}, "物流": {"years": 2, "action": "delete"}}
PARCEL = [
    "客户{m}月{d}日下单的包裹已经{k}天没有物流更新，快递单号查不到物流信息",
    "包裹{k}天没有物流更新了，客户{m}月{d}日下的单，快递单号查询不到信息",
    "客户反映快递单号查不到物流信息，{m}月{d}日下单后{k}天没有更新",
]
PARCEL_RESOLUTION = "联系快递公司核实，包裹已重新派送，预计明天送达。"


@pytest.fixture
def add(make_record, people):
    """A record contacted at `contacted` (local time); `resolved_at` (UTC) is what the test says, not 'now'."""
    phones = iter(range(13900000000, 13900099999))

    def factory(contacted: str = "2023-03-01 10:00", *, resolved_at: datetime | None = None, own_customer=True, **kw):
        if own_customer and "customer" not in kw:
            kw["customer"] = {"name": "匿名客户", "phone": str(next(phones))}
        record = make_record(agent=kw.pop("agent", people["agent"]), contacted_at=contacted, **kw)
        database.session.execute(sa.update(Record).where(Record.id == record.id).values(resolved_at=resolved_at))
        database.session.commit()
        database.session.refresh(record)
        return record

    return factory


def exists(model, *conditions) -> bool:
    return database.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) > 0


def audit_entries(action: str) -> list[AuditLog]:
    return database.session.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


# ----- policies ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"default": {"years": 2, "action": "shred"}}, "action must be one of archive, delete, not 'shred'"),
        ({"default": {"years": -1, "action": "archive"}}, "years must be at least 1, not -1"),
        ({"default": {"years": "2", "action": "archive"}}, "years must be a whole number of years"),
        ({"物流": {"years": 3}}, "action must be one of archive, delete, not None"),
        ({"物流": {"years": 3, "action": "delete", "keep": True}}, "unknown keys keep"),
        ({"物流": 3}, "must be a mapping"),
        ({"物流": {"years": 3, "action": "delete"}, "logistics": {"years": 5, "action": "delete"}}, "twice"),
        (["default"], "RETENTION_POLICIES must be a mapping"),
    ],
)
def test_bad_policies_are_refused_with_a_clear_message(db, raw, message):
    with pytest.raises(RetentionConfigError, match=message):
        load_policies(raw)


def test_categories_are_named_by_code_or_label_and_unknown_ones_are_warned_about(db):
    policies = load_policies(
        {"账单疑问": {"years": 7, "action": "delete"}, "Logistics": {"years": 3, "action": "archive"}}
    )
    assert policies.default.as_dict() == {"years": 2, "action": "archive"}
    assert {code: policy.years for code, policy in policies.categories.items()} == {"billing": 7, "logistics": 3}
    assert policies.warnings == []

    unknown = load_policies({"old_category": {"years": 4, "action": "delete"}})
    assert "old_category" in unknown.categories
    assert "taxonomy does not know" in unknown.warnings[0]
    result = run_retention(NOW, dry_run=True, policies={"old_category": {"years": 4, "action": "delete"}})
    assert result["warnings"] == unknown.warnings


# ----- which records, and what happens to them -----------------------------------------------------------------------


def test_each_category_follows_its_policy(db, add):
    policies = {
        "default": {"years": 2, "action": "archive"},
        "账单疑问": {"years": 5, "action": "delete"},
        "物流": {"years": 1, "action": "delete"},
    }
    login_2023 = add("2023-03-01 10:00")  # malfunction: default, 2 years → archived
    login_2025 = add("2025-06-01 10:00")  # default, not yet 2 years old
    billing_2023 = add("2023-03-01 10:00", category="账单疑问", subcategory=None)  # 5 years: kept
    billing_2020 = add("2020-03-01 10:00", category="账单疑问", subcategory=None)  # deleted
    parcel_2025 = add("2025-06-01 10:00", category="物流", subcategory=None)  # 1 year: deleted

    # A deleted record's object cannot be read afterwards: keep the ids.
    ids = {
        "login_2023": login_2023.id,
        "login_2025": login_2025.id,
        "billing_2023": billing_2023.id,
        "billing_2020": billing_2020.id,
        "parcel_2025": parcel_2025.id,
    }
    due = records_due_for_retention(NOW, load_policies(policies))
    assert [(item.id, item.action) for item in due] == [
        (login_2023.id, "archive"),
        (billing_2020.id, "delete"),
        (parcel_2025.id, "delete"),
    ]

    result = run_retention(NOW, policies=policies)
    assert result["counts"] == {
        "billing": {"archive": 0, "delete": 1},
        "logistics": {"archive": 0, "delete": 1},
        "malfunction": {"archive": 1, "delete": 0},
    }
    assert result["archived_ids"] == [login_2023.id]
    assert sorted(result["deleted_ids"]) == sorted([ids["billing_2020"], ids["parcel_2025"]])
    assert result["errors"] == 0
    database.session.expire_all()
    assert database.session.get(Record, ids["login_2023"]).archived_at is not None
    assert database.session.get(Record, ids["login_2025"]).archived_at is None
    assert database.session.get(Record, ids["billing_2023"]).archived_at is None
    assert not exists(Record, Record.id.in_([ids["billing_2020"], ids["parcel_2025"]]))


def test_an_archived_record_is_deleted_later_when_its_policy_deletes(db, add):
    record_id = add("2022-03-01 10:00").id
    run_retention(NOW, policies=ARCHIVE_ALL)
    assert run_retention(NOW, policies=ARCHIVE_ALL)["archived"] == 0  # archived once only
    result = run_retention(NOW, policies={"default": {"years": 4, "action": "delete"}})
    assert result["deleted_ids"] == [record_id]


def test_age_counts_from_the_resolution_when_that_is_later(db, add):
    resolved_late = add("2023-03-01 10:00", resolved_at=datetime(2025, 6, 1))
    resolved_early = add("2023-03-01 10:00", resolved_at=datetime(2023, 3, 2))
    due = {item.id for item in records_due_for_retention(NOW, load_policies(ARCHIVE_ALL))}
    assert due == {resolved_early.id}
    assert resolved_late.id not in due


def test_legal_hold_and_an_open_grade_dispute_exempt_a_record(db, add, people):
    held = add("2022-01-10 10:00")
    disputed = add("2022-01-10 10:00")
    plain_id = add("2022-01-10 10:00").id
    set_legal_hold(held, "客户提起仲裁 ZC-2022-17", by=people["supervisor"])
    grade = grade_record(disputed, full_points(disputed), None, by=people["supervisor"])
    dispute_grade(grade, "评分没有考虑系统故障", by=people["agent"])
    database.session.commit()

    result = run_retention(NOW, policies={"default": {"years": 2, "action": "delete"}})
    assert result["deleted_ids"] == [plain_id]
    assert database.session.get(Record, held.id) is not None
    assert database.session.get(Record, disputed.id) is not None

    clear_legal_hold(held, by=people["admin"])
    database.session.commit()
    held_id = held.id
    assert run_retention(NOW, policies={"default": {"years": 2, "action": "delete"}})["deleted_ids"] == [held_id]


def test_a_dry_run_reports_and_writes_nothing(db, add):
    archived = add("2023-01-10 10:00")
    deleted = add("2023-01-10 10:00", category="物流", subcategory=None)
    audit_before = database.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))

    result = run_retention(NOW, dry_run=True, policies=DELETE_LOGISTICS)

    assert result["dry_run"] is True
    assert (result["archived_ids"], result["deleted_ids"]) == ([archived.id], [deleted.id])
    database.session.expire_all()
    assert database.session.get(Record, archived.id).archived_at is None
    assert database.session.get(Record, deleted.id) is not None
    assert database.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audit_before


def test_runs_and_each_record_are_audit_logged_without_personal_data(db, add, people):
    archived = add("2023-01-10 10:00", customer={"name": "赵六", "phone": "13711112222"})
    deleted = add(
        "2023-01-10 10:00", category="物流", subcategory=None, customer={"name": "钱七", "phone": "13622223333"}
    )
    deleted_number = deleted.number
    run_retention(NOW, policies=DELETE_LOGISTICS, by=people["admin"])

    [run] = audit_entries("retention.run")
    assert run.actor == people["admin"].username
    assert run.details["archived"] == 1 and run.details["deleted"] == 1 and run.details["errors"] == 0
    assert run.details["counts"] == {
        "logistics": {"archive": 0, "delete": 1},
        "malfunction": {"archive": 1, "delete": 0},
    }
    [archive_entry] = audit_entries("record.retention_archive")
    assert (archive_entry.object_type, archive_entry.object_id) == ("record", archived.number)
    [delete_entry] = audit_entries("record.retention_delete")
    assert (delete_entry.object_type, delete_entry.object_id) == ("record", deleted_number)
    assert delete_entry.details == {"category": "logistics", "years": 2}
    text = json.dumps([run.details, archive_entry.details, delete_entry.details], ensure_ascii=False)
    assert "钱七" not in text and "1362222" not in text


def test_a_rerun_finds_nothing_left_to_do(db, add):
    add("2023-01-10 10:00")
    add("2023-01-10 10:00", category="物流", subcategory=None)
    first = run_retention(NOW, policies=DELETE_LOGISTICS)
    second = run_retention(NOW, policies=DELETE_LOGISTICS)
    assert (first["archived"], first["deleted"]) == (1, 1)
    assert (second["archived"], second["deleted"], second["counts"]) == (0, 0, {})
    assert len(audit_entries("retention.run")) == 2
    assert len(audit_entries("record.retention_delete")) == 1


# ----- a deletion reaches every store -------------------------------------------------------------------------------


def parcel_text(index: int) -> str:
    return PARCEL[index % 3].format(m=index % 12 + 1, d=index % 27 + 1, k=index % 5 + 2)


def draft_phrasings(proposal: Proposal) -> set[str]:
    return {proposal.title, *proposal.alt_questions}


def all_record_ids(value) -> set[int]:
    if isinstance(value, dict):
        own = {value["record_id"]} if "record_id" in value else set()
        return own.union(*(all_record_ids(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(all_record_ids(item) for item in value)) if value else set()
    return set()


def test_deletion_reaches_every_store(db, add, people, make_article):
    agent, supervisor, admin, trainer = people["agent"], people["supervisor"], people["admin"], people["trainer"]
    # Seven records asking the same question: three of 2023 are deleted, four of 2026 stay.
    recent = [
        add(
            f"2026-11-{index + 1:02d} 10:00",
            category="物流",
            subcategory=None,
            problem_description=parcel_text(index),
            resolution=PARCEL_RESOLUTION,
        )
        for index in range(4)
    ]
    shared = recent[0].customer
    gone = add(
        "2023-03-01 10:00",
        category="物流",
        subcategory=None,
        problem_description=parcel_text(4),
        resolution=PARCEL_RESOLUTION,
        customer={"name": "王五", "phone": "13511112222", "email": "wangwu@example.com"},
        source="zendesk",
        external_id="ZD-4711",
        follow_ups=[{"action": "回访确认包裹已送达", "owner": "物流组", "due": "2023-03-05"}],
        related=[recent[1].number],
    )
    gone_shared_customer = add(
        "2023-03-02 10:00",
        category="物流",
        subcategory=None,
        problem_description=parcel_text(5),
        resolution=PARCEL_RESOLUTION,
        own_customer=False,
        customer={"name": shared.name, "phone": shared.phone},
    )
    gone_twin = add(
        "2023-03-03 10:00",
        category="物流",
        subcategory=None,
        problem_description=parcel_text(6),
        resolution=PARCEL_RESOLUTION,
    )
    # A live record asking in exactly the deleted one's words: the cached vector of those words stays.
    live_twin = add(
        "2026-11-10 10:00",
        category="物流",
        subcategory=None,
        problem_description=parcel_text(6),
        resolution="已为客户改派顺丰，次日送达。",
    )
    article = make_article()
    # A deleted record worded exactly as an article's title: the article's vector of that text stays.
    gone_article_twin = add(
        "2023-03-04 10:00", category="物流", subcategory=None, problem_description=article.title, customer_request=None
    )
    deleted = [gone, gone_shared_customer, gone_twin, gone_article_twin]
    deleted_ids = {record.id for record in deleted}
    assert shared.id == gone_shared_customer.customer_id

    # Scores, grades and a resolved dispute, a calibration sample.
    grade = grade_record(gone, full_points(gone), "完整", by=supervisor)
    resolve_dispute(dispute_grade(grade, "不同意", by=agent), "upheld", "维持原评分", by=supervisor)
    calibration = create_session("三月校准", [gone.id, recent[1].id], [supervisor.id, admin.id], by=admin)
    grade_record(gone, full_points(gone), None, by=supervisor, calibration=calibration)
    # Article links, a help-center visit, a legal hold once set and lifted (its reason names the customer).
    link_source_records(article, [gone], by=trainer)
    link_reuse(article, gone, by=agent)
    database.session.add(SearchSession(id="visit-gone", record_id=gone.id))
    set_legal_hold(gone, "王五 投诉仲裁，已结案", by=supervisor)
    clear_legal_hold(gone, by=supervisor)
    database.session.commit()

    # FAQ proposal drafted from all the parcel records; cached vectors of their question texts.
    refresh_proposals(now=NOW)
    database.session.commit()
    [proposal] = database.session.scalars(sa.select(Proposal).where(Proposal.status == ProposalStatus.OPEN)).all()
    problems = {item.record_id: item.asked for item in load_evidence()}  # drafts quote the asked question
    questions = {item.record_id: item.question for item in load_evidence()}
    exclusive = {problems[record.id] for record in (gone, gone_shared_customer)}
    assert draft_phrasings(proposal) & exclusive, "the draft should quote a record about to be deleted"
    answer_before, count_before = proposal.answer, proposal.record_count
    # A phrasing a live record shares with a deleted one is not the deleted record's alone: it stays.
    shared_phrasing = problems[gone_twin.id]
    assert shared_phrasing == problems[live_twin.id]
    if shared_phrasing not in proposal.alt_questions:
        proposal.alt_questions = [*proposal.alt_questions, shared_phrasing]
    vector = np.ones(4, dtype=np.float32) / 2
    texts = [*questions.values(), article.title]
    database.session.commit()  # on SQLite vectors are stored only while no transaction holds the write lock
    assert store_vectors("test-model", {text_hash(text): vector for text in texts})
    # A stored report quoting examples of deleted and kept records, at any depth.
    report = Report(
        kind=ReportKind.WEEKLY,
        period="2023-W09",
        starts_at=datetime(2023, 2, 26, 16),
        ends_at=datetime(2023, 3, 5, 16),
        status=ReportStatus.READY,
        figures={
            "count": 9,
            "examples": [{"record_id": gone.id, "number": gone.number, "text": "王五"}, {"record_id": recent[0].id}],
            "top_problems": [{"category": "logistics", "examples": [{"record_id": gone_twin.id}]}],
            "worst": {"record_id": gone_shared_customer.id, "score": 12},
        },
    )
    database.session.add(report)
    database.session.commit()
    for record in deleted:
        assert exists(RecordScore, RecordScore.record_id == record.id)
    # The deleted records' objects cannot be read afterwards.
    gone_id, gone_customer_id, gone_shared_id = gone.id, gone.customer_id, gone_shared_customer.id
    gone_twin_id = gone_twin.id
    article_title = article.title
    numbers = [record.number for record in deleted]

    result = run_retention(NOW, policies=DELETE_LOGISTICS)
    assert set(result["deleted_ids"]) == deleted_ids and result["errors"] == 0
    database.session.expire_all()

    # The rows and everything hanging off them.
    assert not exists(Record, Record.id.in_(deleted_ids))
    assert not exists(FollowUp, FollowUp.record_id.in_(deleted_ids))
    assert not database.session.execute(
        sa.select(record_links).where(
            sa.or_(record_links.c.record_id.in_(deleted_ids), record_links.c.related_id.in_(deleted_ids))
        )
    ).all()
    assert not exists(RecordScore, RecordScore.record_id.in_(deleted_ids))
    assert not exists(Grade, Grade.record_id.in_(deleted_ids))
    assert not exists(Dispute)
    assert database.session.get(CalibrationSession, calibration.id).record_ids == [recent[1].id]
    assert not exists(ArticleRecordLink, ArticleRecordLink.record_id.in_(deleted_ids))
    # The help-center visit that ended in the deleted record's contact request goes with it.
    assert database.session.get(SearchSession, "visit-gone") is None
    # The customer with no record left is gone; the one with a live record stays.
    assert database.session.get(Customer, gone_customer_id) is None
    assert database.session.get(Customer, shared.id) is not None

    # Proposal: members removed, their exclusive phrasings out of the draft, the shared answer kept.
    proposal = database.session.get(Proposal, proposal.id)
    assert not exists(ProposalMember, ProposalMember.record_id.in_(deleted_ids))
    assert not draft_phrasings(proposal) & exclusive
    assert shared_phrasing in proposal.alt_questions
    assert proposal.answer == answer_before
    remaining = database.session.scalar(
        sa.select(sa.func.count()).select_from(ProposalMember).where(ProposalMember.proposal_id == proposal.id)
    )
    assert proposal.record_count == remaining < count_before
    assert "retention" in status_note_text(proposal.status_note)

    # Vectors: the deleted records' are gone unless a live record or an article has the same text.
    cached = set(database.session.scalars(sa.select(EmbeddingCache.text_hash)))
    assert text_hash(questions[gone_id]) not in cached
    assert text_hash(questions[gone_shared_id]) not in cached
    assert text_hash(questions[gone_twin_id]) in cached  # live_twin asks the same
    assert text_hash(article_title) in cached  # the article's title, which the deleted record asked word for word
    assert text_hash(questions[live_twin.id]) in cached and text_hash(questions[recent[0].id]) in cached

    # Reports keep their figures but no example of a deleted record.
    figures = database.session.get(Report, report.id).figures
    assert all_record_ids(figures) == {recent[0].id}
    assert figures["count"] == 9 and "王五" not in json.dumps(figures, ensure_ascii=False)

    # Audit: entries about the deleted records remain, without what identifies the person.
    entries = database.session.scalars(sa.select(AuditLog).where(AuditLog.object_id.in_(numbers))).all()
    assert {entry.action for entry in entries} >= {"record.create", "record.legal_hold", "record.retention_delete"}
    dumped = json.dumps([entry.details for entry in entries], ensure_ascii=False)
    assert "ZD-4711" not in dumped and "王五" not in dumped and "visit-gone" not in dumped


def test_a_draft_taken_from_a_deleted_record_falls_back_to_what_the_other_members_offer(db, add):
    gone = add(
        "2023-03-01 10:00",
        category="物流",
        subcategory=None,
        problem_description="包裹三天没有物流更新",
        resolution="1. 联系快递公司核实\n2. 包裹已重新派送",
    )
    live = add(
        "2026-11-01 10:00",
        category="物流",
        subcategory=None,
        problem_description="快递单号查不到物流信息",
        resolution="已为客户改派顺丰，次日送达。",
    )
    proposal = Proposal(
        title="包裹三天没有物流更新",
        answer="1. 联系快递公司核实\n2. 包裹已重新派送",
        alt_questions=["快递单号查不到物流信息"],
        variations=[{"text": "已为客户改派顺丰，次日送达。", "count": 1}],
        keywords=["物流", "快递"],
        record_count=2,
        members=[ProposalMember(record_id=gone.id, rank=0), ProposalMember(record_id=live.id, rank=1)],
    )
    database.session.add(proposal)
    database.session.commit()

    run_retention(NOW, policies=DELETE_LOGISTICS)
    database.session.expire_all()
    proposal = database.session.get(Proposal, proposal.id)
    assert (proposal.title, proposal.alt_questions) == ("快递单号查不到物流信息", [])
    assert (proposal.answer, proposal.variations) == ("已为客户改派顺丰，次日送达。", [])
    assert proposal.keywords == ["物流", "快递"] and proposal.record_count == 1


def test_training_cases_outlive_the_deleted_record(db, add, people):
    cases = pytest.importorskip("scoring.cases.operations")
    if "training_cases" not in sa.inspect(database.engine).get_table_names():
        pytest.skip("the case library's tables are not migrated yet")
    from scoring.cases.models import TrainingCase

    record = add("2023-03-01 10:00", category="物流", subcategory=None)
    curator = people["admin"] if cases.can_curate(people["admin"]) else people["trainer"]
    dimension = next(iter(cases.dimension_keys()))
    case = cases.create_case(record, {"kind": "exemplary", "dimensions": [dimension]}, by=curator)
    database.session.commit()

    run_retention(NOW, policies=DELETE_LOGISTICS)
    database.session.expire_all()
    kept = database.session.get(TrainingCase, case.id)
    assert kept is not None and kept.source_record_id is None


# ----- batches ------------------------------------------------------------------------------------------------------


def test_an_interrupted_run_leaves_whole_batches_and_the_next_run_finishes(db, add, monkeypatch):
    records = [
        add(f"2023-01-{day:02d} 10:00", category="物流", subcategory=None, problem_description=parcel_text(day))
        for day in range(1, 6)
    ]
    ids = [record.id for record in records]
    report = Report(
        kind=ReportKind.MONTHLY,
        period="2023-01",
        starts_at=datetime(2022, 12, 31, 16),
        ends_at=datetime(2023, 1, 31, 16),
        status=ReportStatus.READY,
        figures={"examples": [{"record_id": record_id} for record_id in ids]},
    )
    database.session.add(report)
    database.session.commit()
    real = erasure.scrub_audit_details
    calls = []

    def dies_in_the_second_batch(object_type, numbers):
        calls.extend([numbers] if object_type == "record" else [])
        if len(calls) == 2 and object_type == "record":
            # After the second batch already rewrote the report and its drafts: all of that must roll back.
            raise KeyboardInterrupt
        return real(object_type, numbers)

    monkeypatch.setattr(erasure, "scrub_audit_details", dies_in_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run_retention(NOW, policies=DELETE_LOGISTICS, batch_size=2)
    database.session.expire_all()

    left = set(database.session.scalars(sa.select(Record.id).where(Record.id.in_(ids))))
    assert left == set(ids[2:])
    assert all_record_ids(database.session.get(Report, report.id).figures) == set(ids[2:])
    assert exists(RecordScore, RecordScore.record_id.in_(ids[2:]))
    assert len(audit_entries("record.retention_delete")) == 2
    assert audit_entries("retention.run") == []

    monkeypatch.setattr(erasure, "scrub_audit_details", real)
    result = run_retention(NOW, policies=DELETE_LOGISTICS, batch_size=2)
    assert sorted(result["deleted_ids"]) == ids[2:] and result["batches"] == 2
    database.session.expire_all()
    assert not exists(Record, Record.id.in_(ids))
    assert all_record_ids(database.session.get(Report, report.id).figures) == set()
    assert len(audit_entries("record.retention_delete")) == 5


def test_a_record_that_cannot_be_handled_is_reported_and_the_rest_proceed(db, add, monkeypatch):
    records = [add(f"2023-01-{day:02d} 10:00", category="物流", subcategory=None) for day in range(1, 5)]
    stuck_id = records[1].id
    others = [record.id for record in records if record.id != stuck_id]
    real = erasure.prune_calibrations

    def refuses_one(ids):
        if stuck_id in ids:
            raise RuntimeError("calibration table locked")
        return real(ids)

    monkeypatch.setattr(erasure, "prune_calibrations", refuses_one)
    result = run_retention(NOW, policies=DELETE_LOGISTICS, batch_size=3)

    assert sorted(result["deleted_ids"]) == others
    assert result["errors_detail"] == [
        {"record_id": stuck_id, "action": "delete", "error": "RuntimeError: calibration table locked"}
    ]
    database.session.expire_all()
    assert database.session.get(Record, stuck_id) is not None
    [run] = audit_entries("retention.run")
    assert run.details["errors"] == 1 and run.details["deleted"] == 3


# ----- archived records ---------------------------------------------------------------------------------------------


@pytest.fixture
def archived(db, add):
    record = add("2023-01-10 10:00", problem_description="客户 2023 年反映登录 App 提示密码错误，归档测试")
    run_retention(NOW, policies=ARCHIVE_ALL)
    database.session.expire_all()
    return database.session.get(Record, record.id)


def test_archived_records_are_read_only(archived, people, client, token_for):
    from records.operations import RecordArchived

    with pytest.raises(RecordArchived, match="archived .* read-only"):
        update_record(archived, {"priority": "high"}, by=people["agent"])
    database.session.rollback()

    headers = token_for(people["agent"])
    response = client.patch(f"/api/v1/records/{archived.number}", json={"priority": "high"}, headers=headers)
    assert response.status_code == 403
    assert "read-only" in response.json["message"]
    response = client.post(
        f"/api/v1/records/{archived.number}/follow-ups",
        json={"action": "回访", "owner": "物流组", "due": "2026-12-01"},
        headers=headers,
    )
    assert response.status_code == 403
    database.session.expire_all()
    assert database.session.get(Record, archived.id).priority.value == "medium"
    assert database.session.get(Record, archived.id).follow_ups == []


def test_archived_records_leave_lists_searches_proposals_and_rescoring(archived, add, people, client, token_for):
    live = add("2026-11-01 10:00", problem_description="客户反映登录 App 提示密码错误，新记录")
    for role in ("agent", "supervisor", "admin"):
        items, _ = list_records(people[role], RecordFilters(q="密码错误"))
        assert [record.id for record in items] == [live.id]
    items, _ = list_records(people["supervisor"], RecordFilters(q="密码错误", archived=True))
    assert [record.id for record in items] == [archived.id]

    response = client.get("/api/v1/records?archived=true", headers=token_for(people["admin"]))
    assert [item["number"] for item in response.json["items"]] == [archived.number]
    assert client.get("/api/v1/records?archived=true", headers=token_for(people["agent"])).status_code == 403
    response = client.get("/api/v1/records?q=密码错误", headers=token_for(people["supervisor"]))
    assert [item["number"] for item in response.json["items"]] == [live.number]

    assert [item.record_id for item in load_evidence()] == [live.id]

    score_before = database.session.get(RecordScore, archived.id).computed_at
    database.session.commit()  # rescoring writes in sessions of its own
    assert rescore_all(workers=1) == 1
    database.session.expire_all()
    assert database.session.get(RecordScore, archived.id).computed_at == score_before


def test_archived_record_pages(archived, people, client, login_as):
    login_as(Role.SUPERVISOR, team="客服A组")
    page = client.get(f"/records/{archived.number}").get_data(as_text=True)
    assert "Archived on" in page or "按保存期限策略归档" in page
    assert f"/records/{archived.number}/edit" not in page
    response = client.get(f"/records/{archived.number}/edit")
    assert response.status_code == 302 and response.location.endswith(f"/records/{archived.number}")
    assert "只读" in client.get(response.location).get_data(as_text=True)

    listing = client.get("/records").get_data(as_text=True)
    assert archived.number not in listing
    listing = client.get("/records?archived=1").get_data(as_text=True)
    assert archived.number in listing


# ----- legal hold: API and page --------------------------------------------------------------------------------------


def test_legal_hold_api_by_role(db, add, people, make_user, client, token_for):
    record = add("2023-01-10 10:00")
    url = f"/api/v1/records/{record.number}/legal-hold"
    body = {"reason": "客户仲裁 ZC-17"}
    assert client.post(url, json=body, headers=token_for(people["agent"])).status_code == 403
    assert client.post(url, json=body, headers=token_for(people["trainer"])).status_code == 403
    assert client.post(url, json=body, headers=token_for(people["other_supervisor"])).status_code == 403
    response = client.post(url, json={"reason": "  "}, headers=token_for(people["supervisor"]))
    assert response.status_code == 422 and "reason" in response.json["errors"]["json"]
    assert client.post(url, json={}, headers=token_for(people["supervisor"])).status_code == 422
    database.session.expire_all()
    assert database.session.get(Record, record.id).legal_hold is False

    response = client.post(url, json=body, headers=token_for(people["supervisor"]))
    assert response.status_code == 200
    assert response.json == {
        "number": record.number,
        "legal_hold": True,
        "legal_hold_reason": "客户仲裁 ZC-17",
        "archived_at": None,
    }
    assert run_retention(NOW, policies=ARCHIVE_ALL)["archived"] == 0

    assert client.delete(url, headers=token_for(people["agent"])).status_code == 403
    response = client.delete(url, headers=token_for(people["admin"]))
    assert response.status_code == 200 and response.json["legal_hold"] is False
    holds = database.session.scalars(
        sa.select(AuditLog.action)
        .where(AuditLog.object_id == record.number, AuditLog.action.like("record.legal_hold%"))
        .order_by(AuditLog.id)
    )
    assert list(holds) == ["record.legal_hold", "record.legal_hold_clear"]
    assert run_retention(NOW, policies=ARCHIVE_ALL)["archived_ids"] == [record.id]


def test_legal_hold_button_on_the_record_page(db, add, people, client, login_as):
    record = add("2023-01-10 10:00")
    login_as(Role.AGENT, team="客服A组")
    page = client.get(f"/records/{record.number}")
    assert page.status_code == 403  # someone else's record
    assert client.post(f"/records/{record.number}/legal-hold", data={"reason": "x"}).status_code == 403

    supervisor = login_as(Role.SUPERVISOR, team="客服A组")
    page = client.get(f"/records/{record.number}").get_data(as_text=True)
    assert f"/records/{record.number}/legal-hold" in page

    response = client.post(f"/records/{record.number}/legal-hold", data={"reason": ""})
    assert response.status_code == 302
    database.session.expire_all()
    assert database.session.get(Record, record.id).legal_hold is False

    response = client.post(f"/records/{record.number}/legal-hold", data={"reason": "客户投诉升级，仲裁中"})
    assert response.status_code == 302
    database.session.expire_all()
    held = database.session.get(Record, record.id)
    assert held.legal_hold and held.legal_hold_reason == "客户投诉升级，仲裁中"
    page = client.get(f"/records/{record.number}").get_data(as_text=True)
    assert "客户投诉升级，仲裁中" in page and f"/records/{record.number}/legal-hold/clear" in page

    assert client.post(f"/records/{record.number}/legal-hold/clear").status_code == 302
    database.session.expire_all()
    assert database.session.get(Record, record.id).legal_hold is False
    assert audit_entries("record.legal_hold_clear")[0].actor == supervisor.username


# ----- command line -------------------------------------------------------------------------------------------------


def test_cli_dry_run_json_and_a_real_run(app, db, add, monkeypatch):
    archived = add("2023-01-10 10:00")
    deleted = add("2023-01-10 10:00", category="物流", subcategory=None)
    monkeypatch.setitem(app.config, "RETENTION_POLICIES", DELETE_LOGISTICS)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["jobs", "retention", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["dry_run"] is True
    assert (output["archived_ids"], output["deleted_ids"]) == ([archived.id], [deleted.id])
    assert database.session.get(Record, deleted.id) is not None
    database.session.commit()  # the run is recorded in a session of its own: ours must not hold SQLite's write lock

    result = runner.invoke(args=["jobs", "retention"])
    assert result.exit_code == 0, result.output
    assert "logistics: 0 archived, 1 deleted" in result.output
    assert "1 archived, 1 deleted, 1 customers without records left deleted." in result.output
    assert audit_entries("retention.run")[0].actor == "cli"
    database.session.commit()

    monkeypatch.setitem(app.config, "RETENTION_POLICIES", {"default": {"years": 0, "action": "delete"}})
    result = runner.invoke(args=["jobs", "retention"])
    assert result.exit_code == 2
    assert "years must be at least 1" in result.output
