"""Training packs as files: Markdown (for wikis and chat tools) and PDF (to print or hand out), in Chinese or English.

Both are written from the pack's cases, which hold only scrubbed texts (scoring.cases.anonymising), so an export
carries no personal data. The PDF is the Markdown's content laid out by WeasyPrint from an HTML template
(templates/pack.html) in the "WenQuanYi Zen Hei" font, which has the Chinese glyphs. Rendering a PDF takes a moment:
callers end their database transaction first (`pack_export_data` reads everything needed).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from records.enums import (
    NOT_RATED_LABELS,
    SATISFACTION_LABELS,
    Channel,
    CustomerTier,
    CustomerType,
    Emotion,
    Priority,
    Status,
)
from records.operations import taxonomy
from records.timeutil import format_local, utcnow
from scoring.cases.dimensions import criterion_label, dimension_label
from scoring.cases.models import CaseCollection, CaseKind, PackAudience, TrainingCase
from scoring.cases.packs import teaches

EXPORT_FORMATS = ("markdown", "pdf")
MEDIA_TYPES = {"markdown": "text/markdown; charset=utf-8", "pdf": "application/pdf"}
EXTENSIONS = {"markdown": "md", "pdf": "pdf"}
#: The font named in the PDF's CSS; installed with the fonts-wqy-zenhei package, it covers Chinese and Latin.
PDF_FONT = "WenQuanYi Zen Hei"
TEMPLATES = Path(__file__).with_name("templates")

_ZH = {
    "Training pack": "培训案例集",
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
    "Page": "页",
    "All details of customers and colleagues have been replaced by placeholders.": (
        "客户及同事的个人信息均已替换为占位符。"
    ),
}
_TEXT_SECTIONS = (
    ("problem_description", "Problem description"),
    ("customer_request", "Customer request"),
    ("key_details", "Key details"),
    ("handling_steps", "Handling steps"),
    ("resolution", "Resolution"),
    ("customer_feedback", "Customer feedback"),
)


def _chinese(language: str) -> bool:
    return (language or "").lower().startswith("zh")


def _translator(language: str):
    chinese = _chinese(language)

    def t(text: str) -> str:
        return _ZH.get(text, text) if chinese else text

    return t


def _satisfaction(value: int | None, chinese: bool) -> str:
    index = 0 if chinese else 1
    if value is None:
        return NOT_RATED_LABELS[index]
    labels = SATISFACTION_LABELS.get(value)
    return f"{value} · {labels[index]}" if labels else str(value)


def _case_view(case: TrainingCase, number: int, language: str) -> dict[str, Any]:
    """One case with every label in the export's language."""
    t = _translator(language)
    chinese = _chinese(language)
    customer = case.customer or {}
    customer_parts = [
        CustomerType(customer["customer_type"]).label(language) if customer.get("customer_type") else "",
        CustomerTier(customer["tier"]).label(language) if customer.get("tier") else "",
        customer.get("industry") or "",
    ]

    def bracketed(text: str) -> str:
        return (f"（{text}）" if chinese else f" ({text})") if text else ""

    profile = " · ".join(part for part in customer_parts if part)
    facts = [
        (t("Channel"), Channel(case.channel).label(language) + bracketed(case.channel_platform or "")),
        (t("Contact time"), format_local(case.contacted_at)),
        (t("Duration"), f"{case.duration_minutes} {t('minutes')}" if case.duration_minutes is not None else "—"),
        (t("Problem type"), taxonomy().labels(case.category, case.subcategory, language) or "—"),
        (t("Customer"), (customer.get("label") or "") + bracketed(profile)),
        (t("Emotion"), Emotion(case.emotion).label(language) if case.emotion else "—"),
        (t("Priority"), Priority(case.priority).label(language)),
        (t("Result"), Status(case.status).label(language)),
        (t("Satisfaction"), _satisfaction(case.satisfaction, chinese)),
    ]
    details = case.details or {}
    text_key = "zh" if chinese else "en"
    criteria = [
        {
            "name": (item.get("name") or {}).get(text_key, item["key"]),
            "points": item.get("points"),
            "scale": item.get("scale"),
            "lost": item.get("points") is not None and item["points"] < item["scale"],
            "explanation": (item.get("explanation") or {}).get(text_key),
            "suggestion": (item.get("suggestion") or {}).get(text_key),
        }
        for item in case.criteria or []
    ]
    return {
        "number": number,
        "title": case.title,
        "kind": CaseKind(case.kind).label(language),
        "exemplary": case.kind == CaseKind.EXEMPLARY,
        "dimensions": [dimension_label(key, language) for key in case.dimensions or []],
        "facts": facts,
        "sections": [(t(label), getattr(case, name)) for name, label in _TEXT_SECTIONS if getattr(case, name)],
        "collaboration": [
            " · ".join(str(item[key]) for key in ("department", "ticket_no", "note") if item.get(key))
            for item in details.get("collaboration") or []
        ],
        "follow_ups": [
            f"{item.get('action') or ''} — {item.get('owner') or ''}"
            + (f" ({t('due')} {item['due']})" if item.get("due") else "")
            for item in details.get("follow_ups") or []
        ],
        "commentary": case.commentary,
        "score": case.score,
        "auto_score": case.auto_score,
        "grade_score": case.grade_score,
        "critical_failed": case.critical_failed,
        "rubric_version": case.rubric_version,
        "criteria": criteria,
    }


def pack_export_data(collection: CaseCollection, language: str) -> dict[str, Any]:
    """Everything an export shows, read from the database now, in the export's language."""
    t = _translator(language)
    return {
        "language": "zh" if _chinese(language) else "en",
        "t": t,
        "title": collection.title,
        "introduction": collection.introduction,
        "audience": PackAudience(collection.audience).label(language),
        "teaches": sorted(criterion_label(key, language) for key in teaches(collection)),
        "exported": format_local(utcnow()),
        "cases": [_case_view(case, number, language) for number, case in enumerate(collection.cases, start=1)],
        "font": PDF_FONT,
    }


# ----- Markdown ----------------------------------------------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_<>|])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#>+-]|\d+[.)])", re.MULTILINE)


def md_escape(text: str | None) -> str:
    """Text shown as written in Markdown: emphasis, code, HTML and list or heading markers taken literally.

    Brackets stay as they are: the placeholders ([姓名]) are not links without a following "(url)".
    """
    escaped = _INLINE_SPECIAL.sub(r"\\\1", text or "")
    return _LINE_START_SPECIAL.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _md_cell(text: str) -> str:
    return md_escape(" ".join(text.split())) or "—"


def _md_block(text: str | None) -> str:
    # Two spaces before a newline keep the record's line breaks as line breaks.
    return "  \n".join(md_escape(line) for line in (text or "").strip().splitlines())


def _md_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def pack_markdown(data: dict[str, Any]) -> str:
    t = data["t"]
    lines = [f"# {md_escape(data['title'])}", ""]
    if data["introduction"]:
        lines += [_md_block(data["introduction"]), ""]
    lines += [
        f"- {t('Cases')}: {len(data['cases'])}",
        f"- {t('Teaches')}: {md_escape(', '.join(data['teaches'])) or '—'}",
        f"- {t('Audience')}: {md_escape(data['audience'])}",
        f"- {t('Exported')}: {data['exported']}",
        "",
        f"_{t('All details of customers and colleagues have been replaced by placeholders.')}_",
        "",
    ]
    if data["cases"]:
        lines += [f"## {t('Contents')}", ""]
        lines += [f"{case['number']}. {md_escape(case['title'])}" for case in data["cases"]]
        lines.append("")
    for case in data["cases"]:
        lines += _md_case(case, t)
    return "\n".join(lines).rstrip() + "\n"


def _md_case(case: dict[str, Any], t) -> list[str]:
    lines = [
        "---",
        "",
        f"## {case['number']}. {md_escape(case['title'])}",
        "",
        f"**{md_escape(case['kind'])}** · {t('Dimensions')}: {md_escape(', '.join(case['dimensions'])) or '—'}",
        "",
        f"| {t('Field')} | {t('Value')} |",
        "|---|---|",
    ]
    lines += [f"| {_md_cell(label)} | {_md_cell(value)} |" for label, value in case["facts"]]
    lines.append("")
    for label, text in case["sections"]:
        lines += [f"### {label}", "", _md_block(text), ""]
    lists = ((t("Internal collaboration"), case["collaboration"]), (t("Follow-up plan"), case["follow_ups"]))
    for label, items in lists:
        if items:
            lines += [f"### {label}", ""] + [f"- {md_escape(item)}" for item in items] + [""]
    if case["commentary"]:
        heading = t("Trainer's commentary")
        lines += [f"### {heading}", "", _md_block(case["commentary"]), ""]
    lines += [f"### {t('Score at the time')}", ""]
    summary = f"{t('Score')}: **{_md_score(case['score'])}**"
    if case["grade_score"] is not None:
        summary += f" ({t('Grade')}; {t('Automatic score')} {_md_score(case['auto_score'])})"
    if case["rubric_version"] is not None:
        summary += f" · {t('rubric version')} {case['rubric_version']}"
    lines += [summary, ""]
    if case["critical_failed"]:
        lines += [f"**{t('Critical criterion failed')}**", ""]
    for item in case["criteria"]:
        line = f"- {md_escape(item['name'])}: {item['points']:g}/{item['scale']:g}"
        if item["lost"] and item["explanation"]:
            line += f" — {md_escape(item['explanation'])}"
        if item["lost"] and item["suggestion"]:
            line += f" ({t('Suggestion')}: {md_escape(item['suggestion'])})"
        lines.append(line)
    lines.append("")
    return lines


# ----- PDF ---------------------------------------------------------------------------------------------------------

_environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def pack_html(data: dict[str, Any]) -> str:
    """The HTML the PDF is laid out from."""
    return _environment.get_template("pack.html").render(**data)


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict:
    # The template references nothing outside itself; refuse anything else rather than fetch it.
    raise ValueError(f"Training pack exports load no resources ({url}).")


def pdf_document(html: str) -> Any:
    """The laid-out WeasyPrint document of the HTML (pages of boxes; `.write_pdf()` makes the file)."""
    with warnings.catch_warnings():
        # WeasyPrint warns on import when the system lacks libharfbuzz-subset; it still renders (embedding whole
        # fonts instead of subsets), so the warning is about the machine, not about this export.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetching).render()


def html_to_pdf(html: str) -> bytes:
    return pdf_document(html).write_pdf()


def export_pack(data: dict[str, Any], format: str) -> bytes:
    """The pack as a file of the format ("markdown" or "pdf")."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {format!r}; allowed: {', '.join(EXPORT_FORMATS)}.")
    if format == "markdown":
        return pack_markdown(data).encode("utf-8")
    return html_to_pdf(pack_html(data))


def export_filename(collection: CaseCollection, format: str) -> str:
    """ASCII-safe: pack-12.md; the title goes into Content-Disposition's filename* by the caller."""
    return f"training-pack-{collection.id}.{EXTENSIONS[format]}"
