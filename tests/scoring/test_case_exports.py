"""Training packs exported as Markdown and PDF: the content in Chinese or English, and no personal data anywhere."""

from __future__ import annotations

import pytest

from scoring.cases.exporting import (
    PDF_FONT,
    export_pack,
    md_escape,
    pack_export_data,
    pack_html,
    pack_markdown,
    pdf_document,
)
from scoring.cases.operations import create_case
from scoring.cases.packs import create_collection, publish_collection
from tests.scoring.case_data import leaked, pii_records


@pytest.fixture
def pack(db, people, make_user, make_record):
    planted = pii_records(make_user, make_record)
    trainer = people["trainer"]
    cases = [
        create_case(
            planted["zh"],
            {
                "kind": "exemplary",
                "dimensions": ["empathy", "communication"],
                "title": "愤怒客户的安抚",
                "commentary": "先致歉，再复述客户A的诉求；*注意* 不要承诺时限。",
            },
            by=trainer,
        ),
        create_case(planted["transferred"], {"kind": "cautionary", "dimensions": ["problem_solving"]}, by=trainer),
        create_case(
            planted["en"],
            {"kind": "exemplary", "dimensions": ["problem_solving"], "title": "Login reset done right"},
            by=trainer,
        ),
    ]
    collection = create_collection(
        {
            "title": "高效解答 Efficient answers",
            "introduction": "本案例集示范一次解决问题。\nRead the cases in order.",
            "case_ids": [case.id for case in cases],
            "criteria": ["resolution_rate"],
        },
        by=trainer,
    )
    publish_collection(collection, by=trainer)
    db.session.commit()
    return {"collection": collection, "planted": planted}


def pdf_text(html: str) -> str:
    """The text WeasyPrint laid out on the pages, in reading order."""
    from weasyprint.formatting_structure import boxes

    parts: list[str] = []

    def walk(box) -> None:
        if isinstance(box, boxes.TextBox):
            parts.append(box.text)
        for child in getattr(box, "children", None) or []:
            walk(child)

    for page in pdf_document(html).pages:
        walk(page._page_box)
    return "".join(parts)


def test_markdown_in_chinese(db, pack):
    data = pack_export_data(pack["collection"], "zh")
    text = pack_markdown(data)
    number = pack["planted"]["zh"].customer.number
    assert leaked(text, (number,)) == []
    assert text.startswith("# 高效解答 Efficient answers\n")
    assert "- 案例数: 3" in text and "解决率" in text
    assert "## 1. 愤怒客户的安抚" in text and "## 3. Login reset done right" in text
    assert "**优秀范例** · 培训维度: 同理心, 沟通技巧" in text
    assert "| 客户 | 客户A（企业客户 · 普通客户 · 制造业） |" in text
    assert "### 培训师点评" in text and r"\*注意\*" in text  # the trainer's text is shown as written
    assert "### 后续跟进计划" in text and "[负责人]" in text
    assert "自由文本无未脱敏个人信息: 0/1" in text


def test_markdown_in_english(db, pack):
    text = pack_markdown(pack_export_data(pack["collection"], "en"))
    assert leaked(text) == []
    assert "- Cases: 3" in text and "Resolution rate" in text
    assert "**Cautionary** · Dimensions: Problem solving" in text
    assert "| Customer | Customer A (Individual · Regular) |" in text
    assert "### Trainer's commentary" in text and "### Score at the time" in text


def test_pdf_has_the_content_and_no_personal_data(db, pack):
    data = pack_export_data(pack["collection"], "zh")
    html = pack_html(data)
    assert f'font-family: "{PDF_FONT}"' in html
    assert leaked(html, (pack["planted"]["zh"].customer.number,)) == []
    content = export_pack(data, "pdf")
    assert content.startswith(b"%PDF")
    text = pdf_text(html)
    assert leaked(text, (pack["planted"]["zh"].customer.number,)) == []
    for expected in ("高效解答 Efficient answers", "愤怒客户的安抚", "Login reset done right", "客户A", "Customer A"):
        assert expected in text
    assert "培训师点评" in text and "[电话]" in text


def test_markdown_escaping():
    assert md_escape("**粗体** _x_ <b>") == r"\*\*粗体\*\* \_x\_ \<b\>"
    assert md_escape("# 标题\n- 列表\n1. 第一") == "\\# 标题\n\\- 列表\n\\1. 第一"
    assert md_escape("[姓名] 说 a|b") == r"[姓名] 说 a\|b"


def test_unknown_formats_are_refused(db, pack):
    with pytest.raises(ValueError, match="docx"):
        export_pack(pack_export_data(pack["collection"], "zh"), "docx")
