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


#: The labels of a pack export in English and the Chinese each had before they were translated where written.
PACK_LABELS = {
    "Cases": "案例数",
    "Teaches": "培训要点",
    "Exported": "导出时间",
    "Audience": "阅读对象",
    "Contents": "目录",
    "Channel": "沟通渠道",
    "Contact time": "沟通时间",
    "Duration": "沟通时长",
    "minutes": "分钟",
    "Problem type": "问题类型",
    "Customer": "客户",
    "Emotion": "客户情绪",
    "Priority": "优先级",
    "Result": "处理结果",
    "Satisfaction": "客户满意度",
    "Problem description": "问题描述",
    "Customer request": "客户诉求",
    "Key details": "关键细节",
    "Handling steps": "处理过程",
    "Resolution": "解决方案",
    "Customer feedback": "客户反馈",
    "Internal collaboration": "内部协作",
    "Follow-up plan": "后续跟进计划",
    "due": "截止",
    "Trainer's commentary": "培训师点评",
    "Score at the time": "当时评分",
    "Score": "得分",
    "Grade": "主管评分",
    "Automatic score": "自动评分",
    "rubric version": "评分标准版本",
    "Critical criterion failed": "关键项不合格",
    "Suggestion": "建议",
    "Dimensions": "培训维度",
    "Field": "项目",
    "Value": "内容",
    "All details of customers and colleagues have been replaced by placeholders.": (
        "客户及同事的个人信息均已替换为占位符。"
    ),
}


def pack_label_fragments(label) -> list[str]:
    """Where each label stands in the Markdown and the HTML of `pack` with a graded, scored first case."""
    return [
        f"- {label('Cases')}: 3",
        f"- {label('Teaches')}: ",
        f"- {label('Audience')}: ",
        f"- {label('Exported')}: ",
        f"_{label('All details of customers and colleagues have been replaced by placeholders.')}_",
        f"## {label('Contents')}",
        f"· {label('Dimensions')}: ",
        f"| {label('Field')} | {label('Value')} |",
        *(
            f"| {label(name)} |"
            for name in (
                "Channel",
                "Contact time",
                "Problem type",
                "Customer",
                "Emotion",
                "Priority",
                "Result",
                "Satisfaction",
            )
        ),
        f"| {label('Duration')} | 12 {label('minutes')} |",
        *(
            f"### {label(name)}\n"
            for name in (
                "Problem description",
                "Customer request",
                "Key details",
                "Handling steps",
                "Resolution",
                "Customer feedback",
                "Internal collaboration",
                "Follow-up plan",
                "Trainer's commentary",
                "Score at the time",
            )
        ),
        f"({label('due')} 2026-11-05)",
        f"{label('Score')}: **90.0** ({label('Grade')}; {label('Automatic score')} 72.0) · {label('rubric version')} 1",
        f"**{label('Critical criterion failed')}**",
        f"({label('Suggestion')}: ",
    ], [f"<dt>{label(name)}</dt>" for name in ("Cases", "Teaches", "Audience", "Exported")] + [
        f'<p class="note">{label("All details of customers and colleagues have been replaced by placeholders.")}</p>',
        f"<h3>{label('Contents')}</h3>",
        f'<span class="dims">{label("Dimensions")}: ',
        f"<th>{label('Duration')}</th><td>12 {label('minutes')}</td>",
        *(
            f"<h3>{label(name)}</h3>"
            for name in ("Handling steps", "Internal collaboration", "Follow-up plan", "Trainer&#39;s commentary")
        ),
        f"{label('Score')}: <strong>90.0</strong>",
        f"({label('Grade')}; {label('Automatic score')} 72.0)",
        f"· {label('rubric version')} 1",
        f'<strong class="lost">{label("Critical criterion failed")}</strong>',
        f"({label('Suggestion')}: ",
    ]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_labels_keep_their_wording(db, pack, language):
    case = pack["collection"].cases[0]
    case.duration_minutes = 12
    case.score, case.auto_score, case.grade_score, case.rubric_version = 90.0, 72.0, 90.0, 1
    case.critical_failed = True
    case.criteria = [
        {
            "key": "empathy",
            "name": {"zh": "同理心", "en": "Empathy"},
            "points": 0,
            "scale": 5,
            "explanation": {"zh": "未致歉", "en": "No apology"},
            "suggestion": {"zh": "先致歉", "en": "Apologise first"},
        }
    ]
    data = pack_export_data(pack["collection"], language)
    if language == "zh":
        markdown, html = pack_label_fragments(lambda text: PACK_LABELS[text.replace("&#39;", "'")])
    else:
        markdown, html = pack_label_fragments(lambda text: text)
    text, page = pack_markdown(data), " ".join(pack_html(data).split())
    assert [fragment for fragment in markdown if fragment not in text] == []
    assert [fragment for fragment in html if fragment not in page] == []


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
