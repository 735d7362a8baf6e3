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

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, pgettext
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
from records.i18n import in_language, is_chinese
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

# Labels whose Chinese in a pack differs from the pages' (案例数, not 案例) carry the "training pack" context, written
# out at each call: pybabel reads the context only from a literal.
_TEXT_SECTIONS = (
    ("problem_description", _l("Problem description")),
    ("customer_request", _l("Customer request")),
    ("key_details", _l("Key details")),
    ("handling_steps", lazy_pgettext("training pack", "Handling steps")),
    ("resolution", _l("Resolution")),
    ("customer_feedback", _l("Customer feedback")),
)


def _satisfaction(value: int | None, chinese: bool) -> str:
    index = 0 if chinese else 1
    if value is None:
        return NOT_RATED_LABELS[index]
    labels = SATISFACTION_LABELS.get(value)
    return f"{value} · {labels[index]}" if labels else str(value)


def _minutes(duration: int | None) -> str:
    if duration is None:
        return "—"
    minutes = _("minutes")
    return f"{duration} {minutes}"


def _pack_labels() -> dict[str, str]:
    """The headings and labels of a pack in the current language; the Markdown and the HTML both show these."""
    return {
        "cases": pgettext("training pack", "Cases"),
        "teaches": _("Teaches"),
        "audience": _("Audience"),
        "exported": _("Exported"),
        "anonymised": _("All details of customers and colleagues have been replaced by placeholders."),
        "contents": _("Contents"),
        "dimensions": _("Dimensions"),
        "field": pgettext("training pack", "Field"),
        "value": _("Value"),
        "collaboration": pgettext("training pack", "Internal collaboration"),
        "follow_ups": _("Follow-up plan"),
        "commentary": _("Trainer's commentary"),
        "score_at_the_time": _("Score at the time"),
        "score": pgettext("training pack", "Score"),
        "grade": pgettext("training pack", "Grade"),
        "auto_score": _("Automatic score"),
        "rubric_version": _("rubric version"),
        "critical_failed": _("Critical criterion failed"),
        "suggestion": _("Suggestion"),
    }


def _case_view(case: TrainingCase, number: int, language: str) -> dict[str, Any]:
    """One case with every label in the export's language (called under in_language)."""
    chinese = is_chinese(language)
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
        (_("Channel"), Channel(case.channel).label(language) + bracketed(case.channel_platform or "")),
        (_("Contact time"), format_local(case.contacted_at)),
        (_("Duration"), _minutes(case.duration_minutes)),
        (_("Problem type"), taxonomy().labels(case.category, case.subcategory, language) or "—"),
        (_("Customer"), (customer.get("label") or "") + bracketed(profile)),
        (_("Emotion"), Emotion(case.emotion).label(language) if case.emotion else "—"),
        (_("Priority"), Priority(case.priority).label(language)),
        (_("Result"), Status(case.status).label(language)),
        (pgettext("training pack", "Satisfaction"), _satisfaction(case.satisfaction, chinese)),
    ]
    details = case.details or {}
    due = _("due")
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
        "sections": [(str(label), getattr(case, name)) for name, label in _TEXT_SECTIONS if getattr(case, name)],
        "collaboration": [
            " · ".join(str(item[key]) for key in ("department", "ticket_no", "note") if item.get(key))
            for item in details.get("collaboration") or []
        ],
        "follow_ups": [
            f"{item.get('action') or ''} — {item.get('owner') or ''}"
            + (f" ({due} {item['due']})" if item.get("due") else "")
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
    with in_language(language):
        return {
            "language": "zh" if is_chinese(language) else "en",
            "title": collection.title,
            "introduction": collection.introduction,
            "audience": PackAudience(collection.audience).label(language),
            "teaches": sorted(criterion_label(key, language) for key in teaches(collection)),
            "exported": format_local(utcnow()),
            "cases": [_case_view(case, number, language) for number, case in enumerate(collection.cases, start=1)],
            "font": PDF_FONT,
            "labels": _pack_labels(),
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
    label = data["labels"]
    lines = [f"# {md_escape(data['title'])}", ""]
    if data["introduction"]:
        lines += [_md_block(data["introduction"]), ""]
    lines += [
        f"- {label['cases']}: {len(data['cases'])}",
        f"- {label['teaches']}: {md_escape(', '.join(data['teaches'])) or '—'}",
        f"- {label['audience']}: {md_escape(data['audience'])}",
        f"- {label['exported']}: {data['exported']}",
        "",
        f"_{label['anonymised']}_",
        "",
    ]
    if data["cases"]:
        lines += [f"## {label['contents']}", ""]
        lines += [f"{case['number']}. {md_escape(case['title'])}" for case in data["cases"]]
        lines.append("")
    for case in data["cases"]:
        lines += _md_case(case, label)
    return "\n".join(lines).rstrip() + "\n"


def _md_case(case: dict[str, Any], label: dict[str, str]) -> list[str]:
    lines = [
        "---",
        "",
        f"## {case['number']}. {md_escape(case['title'])}",
        "",
        f"**{md_escape(case['kind'])}** · {label['dimensions']}: {md_escape(', '.join(case['dimensions'])) or '—'}",
        "",
        f"| {label['field']} | {label['value']} |",
        "|---|---|",
    ]
    lines += [f"| {_md_cell(name)} | {_md_cell(value)} |" for name, value in case["facts"]]
    lines.append("")
    for heading, text in case["sections"]:
        lines += [f"### {heading}", "", _md_block(text), ""]
    lists = ((label["collaboration"], case["collaboration"]), (label["follow_ups"], case["follow_ups"]))
    for heading, items in lists:
        if items:
            lines += [f"### {heading}", ""] + [f"- {md_escape(item)}" for item in items] + [""]
    if case["commentary"]:
        lines += [f"### {label['commentary']}", "", _md_block(case["commentary"]), ""]
    lines += [f"### {label['score_at_the_time']}", ""]
    summary = f"{label['score']}: **{_md_score(case['score'])}**"
    if case["grade_score"] is not None:
        summary += f" ({label['grade']}; {label['auto_score']} {_md_score(case['auto_score'])})"
    if case["rubric_version"] is not None:
        summary += f" · {label['rubric_version']} {case['rubric_version']}"
    lines += [summary, ""]
    if case["critical_failed"]:
        lines += [f"**{label['critical_failed']}**", ""]
    for item in case["criteria"]:
        line = f"- {md_escape(item['name'])}: {item['points']:g}/{item['scale']:g}"
        if item["lost"] and item["explanation"]:
            line += f" — {md_escape(item['explanation'])}"
        if item["lost"] and item["suggestion"]:
            line += f" ({label['suggestion']}: {md_escape(item['suggestion'])})"
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
