"""Case library pages: the library and its search, suggestions, making a case (with its anonymised preview),
editing and deleting it; training packs: the form, publishing, reading and marking read, assigning, exports, an
agent's training and the recommendations; in English and Chinese."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from records.enums import Role
from scoring.cases.models import CaseCollection, CollectionAssignment, CollectionReading, PackStatus, TrainingCase
from scoring.cases.operations import create_case
from scoring.cases.packs import create_collection, publish_collection
from scoring.cases.training import assign_collection
from tests.scoring.case_data import leaked, pii_records


def page(response) -> str:
    return response.get_data(as_text=True)


def squashed(response) -> str:
    return re.sub(r"\s+", " ", unescape(page(response)))


def english(client) -> None:
    client.post("/language", data={"language": "en"})


def chinese(client) -> None:
    client.post("/language", data={"language": "zh_CN"})


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def people(make_user):
    return {
        "agent": make_user(Role.AGENT, team="客服A组"),
        "other_agent": make_user(Role.AGENT, team="客服B组"),
        "supervisor": make_user(Role.SUPERVISOR, team="客服A组"),
        "trainer": make_user(Role.TRAINER),
    }


@pytest.fixture
def library(db, people, make_user, make_record):
    planted = pii_records(make_user, make_record)
    trainer = people["trainer"]
    calm = create_case(
        planted["zh"],
        {"kind": "exemplary", "dimensions": ["empathy"], "title": "愤怒客户的安抚", "commentary": "先致歉再核实。"},
        by=trainer,
    )
    slow = create_case(
        planted["transferred"],
        {"kind": "cautionary", "dimensions": ["problem_solving"], "title": "反复转交"},
        by=trainer,
    )
    pack = create_collection(
        {"title": "高效解答", "introduction": "一次解决问题。", "case_ids": [calm.id, slow.id]}, by=trainer
    )
    db.session.commit()
    return {"planted": planted, "calm": calm, "slow": slow, "pack": pack}


# ----- the library -------------------------------------------------------------------------------------------------


def test_the_library_lists_and_searches_cases(client, db, people, library, sign_in):
    sign_in(people["trainer"])
    english(client)
    html = squashed(client.get("/cases"))
    assert 'href="/cases"' in html and ">Case library</a>" in html
    assert "2 cases" in html and "愤怒客户的安抚" in html and "反复转交" in html
    assert "Exemplary" in html and "Cautionary" in html and "Empathy" in html
    assert 'href="/cases/new"' in html and 'href="/cases/suggestions"' in html
    found = squashed(client.get("/cases?q=转交&kind=cautionary"))
    assert "1 case" in found and "反复转交" in found and "愤怒客户的安抚" not in found
    odd = squashed(client.get("/cases?kind=perfect&dimension=charm&page=0"))
    assert "Some filters were not understood" in odd and "2 cases" in odd


def test_supervisors_browse_and_agents_are_kept_out(client, db, people, library, sign_in):
    sign_in(people["supervisor"])
    english(client)
    html = squashed(client.get("/cases"))
    assert "愤怒客户的安抚" in html and 'href="/cases/new"' not in html
    detail = squashed(client.get(f"/cases/{library['calm'].id}"))
    assert "先致歉再核实。" in detail and ">Edit</a>" not in detail
    assert client.get("/cases/suggestions").status_code == 403
    sign_in(people["agent"])
    assert client.get("/cases").status_code == 403
    assert client.get(f"/cases/{library['calm'].id}").status_code == 403
    assert 'href="/training"' in page(client.get("/records"))


def test_a_case_page_shows_the_anonymised_consultation_and_its_scores(client, db, people, library, sign_in):
    sign_in(people["trainer"])
    english(client)
    response = client.get(f"/cases/{library['calm'].id}")
    html = squashed(response)
    assert leaked(page(response), (library["planted"]["zh"].customer.number,)) == []
    assert "客户A" in html and "[电话]" in html and "[地址]" in html
    assert "Trainer's commentary" in html and "先致歉再核实。" in html
    assert "Score at the time" in html and "No unmasked personal data in free text" in html
    assert f'href="/records/{library["planted"]["zh"].number}"' in html
    assert "高效解答" in html  # the packs it is in


# ----- suggestions and making a case -------------------------------------------------------------------------------


def test_suggestions_link_to_a_prefilled_new_case(client, db, people, make_record, sign_in):
    record = make_record(agent=people["agent"], emotion="angry", satisfaction=5)
    sign_in(people["trainer"])
    english(client)
    html = squashed(client.get("/cases/suggestions?kind=angry_resolved&period=2026-11"))
    assert "Upset customers, satisfied in the end" in html and record.number in html
    link = re.search(
        r'href="(/cases/new\?[^"]+)"', page(client.get("/cases/suggestions?kind=angry_resolved&period=2026-11"))
    )
    assert link is not None
    form = squashed(client.get(unescape(link[1])))
    assert "What the case will hold" in form
    assert 'value="exemplary" id="f-kind-exemplary" checked' in form
    assert re.search(r'value="empathy"\s+id="f-dimension-empathy" checked', form)
    bad = squashed(client.get("/cases/suggestions?kind=best&period=nonsense"))
    assert "Unknown list best" in bad and "Could not read the period nonsense" in bad


def test_making_a_case_from_a_record(client, db, people, library, sign_in):
    record = library["planted"]["en"]
    sign_in(people["trainer"])
    english(client)
    preview = client.get(f"/cases/new?record={record.number}")
    assert preview.status_code == 200
    assert leaked(page(preview)) == [] and "Customer A" in page(preview)
    response = client.post(
        "/cases/new",
        data={
            "record": record.number,
            "kind": "exemplary",
            "dimensions": ["problem_solving", "communication"],
            "title": "",
            "commentary": "Customer A was calmed before the steps.",
        },
    )
    assert response.status_code == 303
    case = db.session.scalar(sa.select(TrainingCase).where(TrainingCase.source_record_id == record.id))
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.dimensions == ["problem_solving", "communication"]
    assert case.title.startswith("Customer A (") and leaked(case.title) == []
    assert "saved" in squashed(client.get(response.headers["Location"]))


def test_a_refused_case_shows_why_keeps_what_was_typed_and_saves_nothing(client, db, people, library, sign_in):
    record = library["planted"]["en"]
    sign_in(people["trainer"])
    before = count(db, TrainingCase)
    response = client.post(
        "/cases/new", data={"record": record.number, "kind": "", "title": "好标题", "commentary": "李娜做得好"}
    )
    assert response.status_code == 422
    html = squashed(response)
    assert "未保存任何内容" in html
    assert "请说明是优秀范例还是警示案例。" in html and "请至少选择一个培训维度。" in html
    assert "请先删除个人信息（姓名、电话、地址、证件或银行卡号）：李娜。" in html
    assert 'value="好标题"' in html
    missing = client.post("/cases/new", data={"record": "R209901010001", "kind": "exemplary"})
    assert missing.status_code == 422 and "没有记录 R209901010001" in squashed(missing)
    assert count(db, TrainingCase) == before


def test_editing_and_deleting_a_case(client, db, people, library, sign_in):
    sign_in(people["trainer"])
    english(client)
    case = library["calm"]
    form = squashed(client.get(f"/cases/{case.id}/edit"))
    assert 'value="愤怒客户的安抚"' in form and "Problem description" in form
    data = {
        "title": "安抚的范例",
        "kind": "exemplary",
        "dimensions": ["empathy"],
        "commentary": "",
        "problem_description": case.problem_description,
        "resolution": "王先生满意",
    }
    refused = client.post(f"/cases/{case.id}/edit", data=data)
    assert refused.status_code == 422 and "王先生" in squashed(refused)
    data["resolution"] = case.resolution
    saved = client.post(f"/cases/{case.id}/edit", data=data)
    assert saved.status_code == 303
    db.session.refresh(case)
    assert case.title == "安抚的范例" and case.commentary is None
    assert client.post(f"/cases/{case.id}/delete").status_code == 303
    assert db.session.get(TrainingCase, case.id) is None
    publish_collection(library["pack"], by=people["trainer"])
    db.session.commit()
    in_pack = client.post(f"/cases/{library['slow'].id}/delete", follow_redirects=True)
    assert db.session.get(TrainingCase, library["slow"].id) is not None
    assert "The case is in published packs: 高效解答. Remove it from them first." in squashed(in_pack)


# ----- packs -------------------------------------------------------------------------------------------------------


def test_making_and_ordering_a_pack(client, db, people, library, sign_in):
    sign_in(people["trainer"])
    english(client)
    calm, slow = library["calm"], library["slow"]
    form = squashed(client.get(f"/collections/new?case={slow.id}"))
    assert "New training pack" in form and f'name="case_ids" value="{slow.id}"' in form
    response = client.post(
        "/collections/new",
        data={
            "title": "沟通基本功",
            "introduction": "按顺序阅读。",
            "audience": "everyone",
            "criteria": ["satisfaction_attitude"],
            "case_ids": [str(slow.id)],
            "add": [str(calm.id)],
        },
    )
    assert response.status_code == 303
    pack = db.session.scalar(sa.select(CaseCollection).where(CaseCollection.title == "沟通基本功"))
    assert [case.id for case in pack.cases] == [slow.id, calm.id]
    reorder = client.post(
        f"/collections/{pack.id}/edit",
        data={
            "title": "沟通基本功",
            "audience": "everyone",
            "criteria": ["satisfaction_attitude"],
            "case_ids": [str(slow.id), str(calm.id)],
            f"position-{slow.id}": "2",
            f"position-{calm.id}": "1",
        },
    )
    assert reorder.status_code == 303
    db.session.expire_all()
    pack = db.session.get(CaseCollection, pack.id)
    assert [case.id for case in pack.cases] == [calm.id, slow.id] and pack.introduction is None
    refused = client.post(f"/collections/{pack.id}/edit", data={"title": "", "audience": "everyone"})
    assert refused.status_code == 422 and "A training pack needs a title." in squashed(refused)


def test_publishing_reading_and_marking_read(client, db, people, library, sign_in):
    pack = library["pack"]
    sign_in(people["trainer"])
    english(client)
    draft = squashed(client.get(f"/collections/{pack.id}"))
    assert "Draft" in draft and "Publish" in draft
    assert client.post(f"/collections/{pack.id}/publish").status_code == 303
    assert db.session.get(CaseCollection, pack.id).status == PackStatus.PUBLISHED
    assign_collection(pack, [people["agent"]], by=people["trainer"])
    db.session.commit()

    sign_in(people["agent"])
    english(client)
    training = squashed(client.get("/training"))
    assert "高效解答" in training and "New" in training
    response = client.get(f"/collections/{pack.id}")
    html = squashed(response)
    assert leaked(page(response), (library["planted"]["zh"].customer.number,)) == []
    assert html.index("愤怒客户的安抚") < html.index("反复转交")
    assert "I have read this pack" in html and "Open in the library" not in html
    assert count(db, CollectionReading) == 1
    assert client.post(f"/collections/{pack.id}/complete").status_code == 303
    assert "You marked this pack as read" in squashed(client.get(f"/collections/{pack.id}"))
    assert "Read" in squashed(client.get("/training"))

    sign_in(people["other_agent"])
    assert client.get(f"/collections/{pack.id}").status_code == 403


def test_a_supervisor_assigns_their_team_and_sees_who_read(client, db, people, library, sign_in):
    pack = library["pack"]
    publish_collection(pack, by=people["trainer"])
    db.session.commit()
    sign_in(people["supervisor"])
    english(client)
    html = squashed(client.get(f"/collections/{pack.id}"))
    assert "Assign to agents" in html and people["agent"].username in html
    assert people["other_agent"].username not in html
    refused = client.post(f"/collections/{pack.id}/assign", data={"agents": [str(people["other_agent"].id)]})
    assert refused.status_code == 422 and "agents of your team only" in squashed(refused)
    bad_date = client.post(f"/collections/{pack.id}/assign", data={"agents": [str(people["agent"].id)], "due": "soon"})
    assert bad_date.status_code == 422
    assert count(db, CollectionAssignment) == 0
    done = client.post(
        f"/collections/{pack.id}/assign",
        data={"agents": [str(people["agent"].id)], "due": "2026-12-01", "criterion": "resolution_rate"},
    )
    assert done.status_code == 303
    progress = squashed(client.get(f"/collections/{pack.id}"))
    assert "Who was assigned and who read it" in progress and "2026-12-01" in progress and "Resolution rate" in progress
    assert client.post(f"/collections/{pack.id}/unassign/{people['agent'].id}").status_code == 303
    assert count(db, CollectionAssignment) == 0


def test_exports_download_without_personal_data(client, db, people, library, sign_in):
    pack = library["pack"]
    sign_in(people["trainer"])
    markdown = client.get(f"/collections/{pack.id}/export?format=markdown&language=zh")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert "# 高效解答" in page(markdown) and leaked(page(markdown), (library["planted"]["zh"].customer.number,)) == []
    pdf = client.get(f"/collections/{pack.id}/export?format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/collections/{pack.id}/export?format=docx").status_code == 400


def test_recommendations_page_offers_the_pack_and_assigns_it(client, db, people, library, make_record, sign_in):
    pack = library["pack"]
    publish_collection(pack, by=people["trainer"])
    slow = people["agent"]
    for _ in range(5):
        make_record(
            agent=slow,
            status="transferred",
            resolution=None,
            satisfaction=None,
            follow_ups=[{"action": "回电", "owner": "赵敏", "due": "2026-11-10"}],
            collaboration=[{"department": "财务部"}],
        )
        make_record(agent=library["planted"]["agent"])
    sign_in(people["supervisor"])
    english(client)
    html = squashed(client.get("/training/recommendations?period=2026-11"))
    assert slow.username in html and "Resolution rate" in html and "高效解答" in html
    response = client.post(
        f"/collections/{pack.id}/assign",
        data={"agents": [str(slow.id)], "criterion": "resolution_rate", "next": "recommendations"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/training/recommendations")
    assignment = db.session.scalar(sa.select(CollectionAssignment))
    assert assignment.agent_id == slow.id and assignment.criterion == "resolution_rate"
    sign_in(people["agent"])
    assert client.get("/training/recommendations").status_code == 403


# ----- language ----------------------------------------------------------------------------------------------------


def test_case_pages_in_chinese(client, db, people, library, sign_in):
    sign_in(people["trainer"])
    chinese(client)
    html = squashed(client.get("/cases"))
    assert ">案例库</a>" in html and "优秀范例" in html and "警示案例" in html and "同理心" in html
    assert "培训案例集" in squashed(client.get("/collections"))
    detail = squashed(client.get(f"/cases/{library['calm'].id}"))
    assert "培训师点评" in detail and "当时评分" in detail
    sign_in(people["agent"])
    chinese(client)
    assert ">培训</a>" in page(client.get("/records")) and "我的培训" in squashed(client.get("/training"))
