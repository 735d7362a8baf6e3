"""Training cases: anonymised snapshots of records with the scores at the time, who may make and read them, editing,
deleting and searching the library."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from jobs.erasure import RunMemo, erase_records
from jobs.erasure_requests import erase_record
from records.access import PermissionDenied
from records.operations import update_record
from records.schemas import RecordUpdateSchema
from scoring.cases.anonymising import Anonymiser, identifying_data
from scoring.cases.models import CaseKind, TrainingCase
from scoring.cases.operations import (
    CaseFilters,
    case_for,
    create_case,
    delete_case,
    list_cases,
    update_case,
)
from scoring.cases.packs import create_collection, publish_collection
from scoring.cases.presenting import case_dict
from scoring.models import Grade, RecordScore
from scoring.operations import record_score
from tests.scoring.case_data import as_text, leaked, pii_records


@pytest.fixture
def planted(make_user, make_record):
    return pii_records(make_user, make_record)


def make(record, user, **values) -> TrainingCase:
    values = {"kind": "exemplary", "dimensions": ["communication"], **values}
    return create_case(record, values, by=user)


# ----- anonymisation -----------------------------------------------------------------------------------------------


def test_a_case_holds_no_personal_data_of_the_record(db, people, planted):
    zh = planted["zh"]
    case = make(zh, people["trainer"], commentary="客户A情绪激动，客服先致歉再核实。")
    db.session.commit()
    shown = as_text(case_dict(case))
    assert leaked(shown, (zh.customer.number,)) == []
    assert case.customer["label"] == "客户A"
    assert "客户A" in case.problem_description and "客户A" in case.resolution
    assert "[电话]" in case.problem_description and "[邮箱]" in case.problem_description
    assert "[证件号]" in case.problem_description and "[银行卡号]" in case.problem_description
    assert "[地址]" in case.problem_description
    assert "A公司" in as_text(case.details["collaboration"])
    assert "[客户编号]" in case.key_details
    # What agents need to learn from stays: the product, version, order and ticket numbers.
    assert "5.2.1" in case.problem_description and "DD20261101001" in case.key_details
    assert "JS-20261102-001" in case.handling_steps


def test_the_agent_colleagues_and_follow_up_owners_are_not_named(db, people, planted):
    case = make(planted["transferred"], people["trainer"], kind="cautionary", dimensions=["problem_solving"])
    shown = as_text(case_dict(case))
    assert leaked(shown) == []
    assert case.details["follow_ups"][0]["owner"] == "[负责人]"
    assert case.details["follow_ups"][0]["due"] == "2026-11-05"


def test_an_english_case_uses_english_placeholders(db, people, planted):
    case = make(planted["en"], people["trainer"])
    shown = as_text(case_dict(case))
    assert leaked(shown) == []
    assert case.customer["label"] == "Customer A"
    assert "[e-mail]" in case.problem_description and "[phone]" in case.problem_description
    assert "[address]" in case.problem_description
    assert "Customer A" in case.resolution
    # A UK mobile in an unusual grouping, and the customer's own number written the national way.
    assert case.key_details == "Call back on [phone], or at home on [phone]. Order DD202611010042."


def test_scrubbing_is_stable_and_keeps_ordinary_text():
    anonymiser = Anonymiser(customer_name="王小明", other_names=("李娜",))
    text = "王先生说订单DD20240520001没到，李娜已催促仓库；客户很着急。"
    once = anonymiser.text(text)
    assert once == "客户A说订单DD20240520001没到，[姓名]已催促仓库；客户很着急。"
    assert anonymiser.text(once) == once
    assert anonymiser.text("无个人信息的普通描述。") == "无个人信息的普通描述。"


def test_display_names_with_a_team_label_are_found_by_the_persons_name():
    anonymiser = Anonymiser(customer_name="张三", other_names=("客服A组-王芳", "培训师·马静"))
    assert anonymiser.text("王芳已回电，马静复核，张三说好。") == "[姓名]已回电，[姓名]复核，客户A说好。"
    assert identifying_data("请学习王芳的做法", ["客服A组-王芳"]) == ["王芳"]


def test_a_customer_known_by_surname_and_honorific_only():
    anonymiser = Anonymiser(customer_name="张先生", other_names=("李娜",))
    text = "张先生来电，李先生是他同事。先生您好，张总说李娜在忙。"
    assert anonymiser.text(text) == "客户A来电，[姓名]是他同事。先生您好，客户A说[姓名]在忙。"


def test_an_anonymous_customer_leaves_names_to_the_rules():
    anonymiser = Anonymiser(customer_name="匿名客户", other_names=("李娜",))
    assert anonymiser.text("王先生说找李娜") == "[姓名]说找[姓名]"


def test_identifying_data_ignores_placeholders_but_finds_names_and_numbers():
    assert identifying_data("客户A与[姓名]通话，[电话]已脱敏。") == []
    assert identifying_data("王先生说 13812345678") == ["13812345678", "王先生"]
    assert identifying_data("已脱敏 138****5678") == ["138****5678"]
    assert identifying_data("call +44 7566 073908") == ["+44 7566 073908"]


def test_the_scores_at_the_time_are_kept_and_scrubbed(db, people, planted):
    zh = planted["zh"]
    stored = record_score(zh)
    db.session.add(
        Grade(record_id=zh.id, grader_id=people["admin"].id, rubric_id=stored.rubric_id, points={}, score=77.5)
    )
    db.session.commit()
    case = make(zh, people["trainer"])
    assert case.auto_score == stored.score
    assert case.grade_score == 77.5 and case.score == 77.5
    assert case.rubric_version == 1
    keys = {item["key"] for item in case.criteria}
    assert {"core_fields", "no_unmasked_pii"} <= keys
    pii = next(item for item in case.criteria if item["key"] == "no_unmasked_pii")
    assert pii["points"] == 0 and pii["explanation"]["zh"]
    assert leaked(as_text(case.criteria)) == []


def test_the_case_survives_edits_and_retention_of_its_record(db, people, planted):
    zh = planted["zh"]
    case = make(zh, people["trainer"])
    db.session.commit()
    before = case.problem_description
    update_record(zh, RecordUpdateSchema().load({"problem_description": "改写后的描述"}), by=people["admin"])
    db.session.commit()
    db.session.refresh(case)
    assert case.problem_description == before
    # Retention's erasure keeps the anonymised snapshot.
    erase_records([zh.id], [zh.number], RunMemo())
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(TrainingCase, case.id)
    assert case is not None and case.source_record_id is None
    assert case.problem_description == before
    assert case_dict(case)["source_deleted"] is True
    assert db.session.get(RecordScore, zh.id) is None


def test_an_administrator_deleting_the_record_erases_its_cases(db, people, planted):
    zh = planted["zh"]
    case_id = make(zh, people["trainer"]).id
    db.session.commit()
    erase_record(zh, by=people["admin"])
    db.session.commit()
    assert db.session.get(TrainingCase, case_id) is None


# ----- making, editing, deleting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_only_trainers_and_administrators_make_cases(db, people, record, role):
    with pytest.raises(PermissionDenied):
        make(record, people[role])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingCase)) == 0


def test_the_admin_makes_cases_too_and_a_title_is_made_when_none_is_given(db, people, make_record):
    short = make(make_record(agent=people["agent"]), people["admin"])
    assert short.title == "客户自11月1日起登录App提示“密码错误”，已确认密码无误，版本 5.2.1。"
    assert short.created_by_id == people["admin"].id
    problem = "客户反映：" + "订单状态一直显示待发货，" * 8 + "\n第二行"
    long = make(make_record(agent=people["agent"], problem_description=problem), people["admin"])
    assert long.title == problem[:59] + "…" and len(long.title) == 60


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": None}, "kind"),
        ({"dimensions": []}, "dimensions"),
        ({"dimensions": ["charm"]}, "dimensions"),
        ({"commentary": "客服李娜处理得好"}, "commentary"),
        ({"title": "王先生的投诉"}, "title"),
        ({"commentary": "回电 13812345678"}, "commentary"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(db, people, planted, values, field):
    with pytest.raises(ValidationError) as error:
        make(planted["zh"], people["trainer"], **values)
    assert field in error.value.messages
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingCase)) == 0


def test_personal_data_messages_say_what_was_found(db, people, planted):
    with pytest.raises(ValidationError) as error:
        make(planted["zh"], people["trainer"], commentary="请学习李娜的做法")
    assert "李娜" in error.value.messages["commentary"][0]


def test_editing_checks_every_text_again(db, people, planted):
    case = make(planted["zh"], people["trainer"])
    changed = update_case(
        case,
        {"title": "先致歉再核实", "kind": CaseKind.CAUTIONARY, "dimensions": ["empathy", "communication"]},
        by=people["trainer"],
    )
    assert changed == ["title", "kind", "dimensions"]
    assert update_case(case, {"title": "先致歉再核实"}, by=people["trainer"]) == []
    for field, text in (("resolution", "王先生满意"), ("commentary", "联系 wang.xm@example.com")):
        with pytest.raises(ValidationError) as error:
            update_case(case, {field: text}, by=people["trainer"])
        assert field in error.value.messages
    with pytest.raises(ValidationError):
        update_case(case, {"problem_description": "  "}, by=people["trainer"])
    with pytest.raises(PermissionDenied):
        update_case(case, {"title": "x"}, by=people["supervisor"])
    assert case.title == "先致歉再核实"


def test_a_case_in_a_published_pack_is_not_deleted(db, people, record):
    trainer = people["trainer"]
    case = make(record, trainer)
    pack = create_collection({"title": "高效解答", "case_ids": [case.id]}, by=trainer)
    publish_collection(pack, by=trainer)
    with pytest.raises(ValidationError) as error:
        delete_case(case, by=trainer)
    assert "高效解答" in error.value.messages["case"][0]
    draft = make(record, trainer)
    delete_case(draft, by=trainer)
    db.session.commit()
    assert db.session.get(TrainingCase, draft.id) is None


# ----- the library -------------------------------------------------------------------------------------------------


def test_the_library_is_searched_by_words_kind_and_dimension(db, people, make_record):
    trainer = people["trainer"]
    login = make(
        make_record(agent=people["agent"]), trainer, title="登录故障的标准处理", dimensions=["problem_solving"]
    )
    invoice = make(
        make_record(
            agent=people["agent"],
            problem_description="客户要求重开发票，抬头写错。",
            category="账单疑问",
            subcategory=None,
        ),
        trainer,
        kind="cautionary",
        title="发票处理",
        commentary="没有核实抬头就承诺 50% 退款",
        dimensions=["compliance", "communication"],
    )
    db.session.commit()

    def found(**filters) -> list[int]:
        items, total = list_cases(CaseFilters(**filters))
        assert total == len(items)
        return [case.id for case in items]

    assert found() == [invoice.id, login.id]
    assert found(q="发票") == [invoice.id]
    assert found(q="密码错误") == [login.id]  # in the snapshot's problem description
    assert found(q="50%") == [invoice.id]  # LIKE wildcards are taken literally
    assert found(q="5%") == []
    assert found(q="登录 标准") == [login.id]
    assert found(q="密码错误 发票") == []
    assert found(kind=CaseKind.CAUTIONARY) == [invoice.id]
    assert found(dimension="communication") == [invoice.id]
    assert found(dimension="problem_solving") == [login.id]


def test_supervisors_read_the_library_and_agents_do_not(db, people, record):
    case = make(record, people["trainer"])
    assert case_for(people["supervisor"], case.id) is case
    with pytest.raises(PermissionDenied):
        case_for(people["agent"], case.id)


def test_agents_reading_a_case_do_not_see_where_it_came_from(db, people, record):
    case = make(record, people["trainer"])
    assert case_dict(case, viewer=people["trainer"])["source_record"] == record.number
    shown = case_dict(case, viewer=people["agent"])
    assert shown["source_record"] is None and shown["created_by"] is None


def test_making_a_case_is_audit_logged(db, people, record):
    from records.models import AuditLog

    case = make(record, people["trainer"])
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "case.create"))
    assert entry.object_id == str(case.id) and entry.details["record"] == record.number


def test_dimensions_come_from_the_configured_file(app, db, people, record, tmp_path, monkeypatch):
    import json

    from scoring.cases.dimensions import dimension_keys

    path = tmp_path / "dimensions.json"
    path.write_text(
        json.dumps(
            [{"key": "efficiency", "zh": "高效解答", "en": "Efficient answers", "criteria": ["resolution_rate"]}]
        ),
        encoding="utf-8",
    )
    monkeypatch.setitem(app.config, "CASE_DIMENSIONS_FILE", str(path))
    assert dimension_keys() == ["efficiency"]
    case = make(record, people["trainer"], dimensions=["efficiency"])
    assert case.dimensions == ["efficiency"]
    with pytest.raises(ValidationError):
        make(record, people["trainer"], dimensions=["communication"])
    for entries, message in (
        ([{"key": "x", "zh": "x", "en": "x", "criteria": ["charm"]}], "unknown criteria"),
        ([{"key": "沟通", "zh": "x", "en": "x"}], "lowercase letters"),
        ([{"key": "x", "zh": "x"}], "English"),
        ([], "non-empty"),
    ):
        bad = tmp_path / f"bad{len(message)}.json"
        bad.write_text(json.dumps(entries), encoding="utf-8")
        monkeypatch.setitem(app.config, "CASE_DIMENSIONS_FILE", str(bad))
        with pytest.raises(ValueError, match=message):
            dimension_keys()
    monkeypatch.setitem(app.config, "CASE_DIMENSIONS_FILE", str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="Cannot read"):
        dimension_keys()
