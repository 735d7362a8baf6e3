"""Demo help-centre articles (`consultkb kb seed-demo`): one per demo topic and language.

They are written from the phrase tables the demo records come from (demo.phrases), so the help centre
answers what the demo records are about: the title is the customer's question (questions.json, per topic), the
alternative questions are the topic's own problem phrasings turned into a customer's words, the body numbers the
handling steps agents take and lists the usual outcomes. Where a record names an order number, an amount or a date,
an article speaks generally; every text is still run through records.masking, so no personal data can slip in.

The articles go through kb.importing.import_articles like any imported article: published directly by "import",
except the few left in the review workflow (UNPUBLISHED) so the trainer pages have something to review.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from demo import phrases as ph
from demo.phrases import read_table_file
from kb.importing import ArticleImportReport, import_articles
from kb.models import Article, ArticleStatus
from records.db import db
from records.masking import mask_text
from records.operations import taxonomy

#: A regex replacement: a template string or a function of the match.
Replacement = str | Callable[[re.Match[str]], str]

#: Demo articles left out of the help centre, so the trainer pages show a draft and a review queue.
UNPUBLISHED: dict[tuple[str, str], ArticleStatus] = {
    ("suggestion", "zh"): ArticleStatus.IN_REVIEW,
    ("data_sync", "en"): ArticleStatus.IN_REVIEW,
    ("other", "zh"): ArticleStatus.DRAFT,
}
#: Other ways of asking per article: enough for search to match varied wording, few enough to read at a glance.
MAX_ALT_QUESTIONS = 5

#: The slots that hold an amount of money.
_MONEY = r"\{(?:price|amount|refund|diff|plan_price)\}"
#: Records name a concrete order, parcel, amount or date; an article speaks generally. These rewrite a template
#: before the slots left are filled from GENERAL_SLOTS: a bracketed slot goes, a labelled number loses its label.
GENERAL_WORDING: dict[str, tuple[tuple[str, Replacement], ...]] = {
    "zh": (
        (r"[（(][^（）()]*\{\w+\}[^（）()]*[）)]", ""),
        (r"第\{times\}次", "多次"),
        (r"\{count\}多", "几百"),
        (
            r"[，,](?:商品是\{product\}|抬头写?\{invoice_title\}|应该是\{invoice_title\}|最[近后]一笔订单是.*?\{order\})",
            "",
        ),
        (r"[，,](?:用的)?\{device\}(?:[，,](?:App)?(?:版本)?\{(?:version|os)\})*(?=[，。]|$)", ""),
        (r"[，,]\s*(?:金额|订单号?|快递单号|单号|税号|固件版本|版本)[:：]?\{\w+\}(?=[，。；]|$)", ""),
        (r"\{carrier\}单号\{tracking\}", "快递"),
        (r"新抬头\{invoice_title\}", "新抬头"),
        (r"(设备|机型)\{device\}", r"\1"),
        (r"到\{version\}版本", "到新版本"),
        (r"(?:工号)?\{other_code\}的客服|客服\{other_code\}|\{other_code\}", "客服"),
        (r"\{city\}地区", "{city}"),
        (r"完成\{feature\}", "完成操作"),
        (r"(退还|退回)\{diff\}", r"\1差价"),
        (r"已退" + _MONEY, "已退款"),
        (
            r"(退款|退回|退还|扣款|扣了两次|降价了|多了|便宜|买贵了|多收了|第一笔|一笔|费用|余额)" + _MONEY + "的?",
            r"\1",
        ),
        (r"以" + _MONEY, ""),
        (r"[，,]" + _MONEY + "的", "，"),
    ),
    "en": (
        (r"\s*\([^()]*\{\w+\}[^()]*\)", ""),
        (r"\? Amount " + _MONEY + r", paid with \{pay_method\}\.?$", "?"),
        (r"\s+(?:on|by|since|of|for|at|from)\s+\{(?:purchase_date|promised_date|since|sign_time)\}", ""),
        (r"\s+(?:of|for|by)\s+" + _MONEY, ""),
        (r"\b(charged|paid|is|a) " + _MONEY + r" (twice|for|more|cheaper|')", r"\1 \2"),
        (r"\bthe first " + _MONEY, "the first payment"),
        (r"\ba \{diff\} voucher", "a voucher for the difference"),
        (r"[.;,:] (?:last )?(?:[Oo]rder|[Tt]racking|tax ID) \{(?:order|tracking|tax_id)\}(?: on \{\w+\})?\.?$", ""),
        (r"(?:\{carrier\} )?\b[Tt]racking(?: number)? \{tracking\}", "the tracking"),
        (r"(?:\{carrier\} )?\b[Pp]arcel \{tracking\}", "the parcel"),
        (r"\bthe \{carrier\} parcel", "the parcel"),
        (r"\b(an|[Ss]uspicious|[Bb]usiness|single|one) order \{order\}", r"\1 order"),
        (r"\b[Oo]rder \{order\}", "the order"),
        (r"(?:device )?\{device\}, \{os\}, (?:app )?\{version\}", "the device model, OS and app version"),
        (r"; (?:\{device\}(?:, )?)?(?:(?:app |version |firmware )?\{(?:version|os)\})*(?=\.?$)", ""),
        (r"\ba (new )?\{device\}", r"a \1phone"),
        (r"\ba \{version\} ", "a "),
        (r"\{count\}\+|about \{count\}", "{count}"),
        (r"\btwo \{product\}", "two of the item"),
        (r"\b(?:a|the) \{(product|plan)\}", r"the {\1}"),
        (r"[;,] should be \{invoice_title\}| made out to \{invoice_title\}", ""),
        (r"reissued to \{invoice_title\}", "reissued to the right company name"),
        (r"^\{invoice_title\} wants the \{times\} orders", "We want our orders"),
        (r"\b[Cc]hat agent \{other_code\}", "The chat agent"),
        (r"\b[Aa]gent \{other_code\}", "the agent"),
    ),
}
GENERAL_SLOTS: dict[str, dict[str, str]] = {
    "zh": {
        "order": "", "order2": "", "tracking": "", "carrier": "快递", "city": "当地", "product": "商品",
        "days": "几", "times": "几", "minutes": "几十", "count": "几百", "since": "前几天", "purchase_date": "前几天",
        "promised_date": "约定日期", "plan": "会员", "plan_price": "", "device": "手机", "os": "", "version": "",
        "pay_method": "支付账户", "variant": "其他规格", "price": "", "amount": "", "refund": "", "diff": "",
        "feature": "使用这个功能", "error": "", "last4": "", "invoice_title": "公司", "tax_id": "",
        "new_address": "新地址", "other_code": "", "export_format": "表格", "ip_city": "外地", "sign_time": "深夜",
        "nth": "",
    },
    "en": {
        "order": "the order", "order2": "another order", "tracking": "the parcel", "carrier": "the carrier",
        "city": "my city", "product": "item", "days": "several", "times": "several", "minutes": "many",
        "count": "hundreds of", "since": "a few days ago", "purchase_date": "a few days ago",
        "promised_date": "the promised date", "plan": "membership", "plan_price": "", "device": "my phone",
        "os": "the OS", "version": "the new version", "pay_method": "the card", "variant": "another size or colour",
        "price": "", "amount": "", "refund": "", "diff": "the difference", "feature": "use a feature",
        "error": "an error", "last4": "", "invoice_title": "our company", "tax_id": "", "new_address": "a new address",
        "other_code": "the agent", "export_format": "a spreadsheet", "ip_city": "another city", "sign_time": "night",
        "nth": "third",
    },
}  # fmt: skip
#: Slots whose general wording reads badly in a question: a problem phrasing still holding one after
#: GENERAL_WORDING is not offered as an alternative question.
SPECIFIC_SLOTS = frozenset(
    {"last4", "tax_id", "error", "nth", "os", "promised_date", "price", "amount", "refund", "diff", "plan_price"}
)

_SLOT = re.compile(r"\{(\w+)\}")
_CASE_MARK = re.compile(r"^!?(?:\[[\w,]+\])?")
_CLEANUP: dict[str, tuple[tuple[str, Replacement], ...]] = {
    "zh": (
        (r"\s+", ""),
        (r"([，,、：:])[，,、]+", r"\1"),
        (r"([，,（(])的", r"\1"),
        (r"^[，,；;、]+|[，,；;、]+$", ""),
    ),
    "en": (
        (r"\b(the|my) (the|my)\b", r"\2"),
        (r"\b([Aa]) (?=[aeiou])", r"\1n "),
        (r"\s+([,;:.?)])", r"\1"),
        (r"\s{2,}", " "),
        (r"^[\s,;:]+|[\s,;:]+$", ""),
    ),
}
#: How an agent writes the customer's problem down, and how the customer asks it.
_CUSTOMER_VOICE: dict[str, tuple[tuple[str, Replacement], ...]] = {
    "zh": (
        (r"^客户的", "我的"),
        (r"^客户企业", "我们公司"),
        (r"^客户是", "我是"),
        (r"^客户(?:来电)?(?:反映|说|询问|咨询|问|称|抱怨|表示|催件)?[：:，,]?", ""),
        (r"客户", "我"),
        (r"(?<!其)他(?!们)", "我"),
    ),
    "en": (
        (r"^Customer (?:says|reports|asks about) ", ""),
        (r"^Customer asks (?=how|why|where|when|what|whether)", ""),
        (r"^Customer asks us to\b", "Please"),
        (r"^(?:Customer's|[Tt]he customer's)\b", "my"),
        (r"\b[Tt]he customer's\b", "my"),
        (r"\btheir \{device\}|\btheir my phone", "my phone"),
        (r"\b(suit|not) them\b", r"\1 me"),
        (r"\bthemselves\b", "myself"),
        (r"\btheir\b", "my"),
        (r"\b([Tt])hey\b", lambda m: "We" if m.group(1) == "T" else "we"),
        (r"^Customer is\b", "I am"),
        (r"^Customer has\b", "I have"),
        (r"^Already has\b", "I already have"),
        (r"^(Want|Get|Suggest|Need)s\b", lambda m: "I " + m.group(1).lower()),
        (r"([;-]) wants\b", r"\1 I want"),
        (
            r"\b(?:[Cc]ustomer|the customer) (?=was\b|did\b|never\b|only\b|cannot\b|\w+ed\b|paid\b|bought\b|forgot\b)",
            "I ",
        ),
        (r"\b(?:[Cc]ustomer|the customer) (?!was\b|has\b|is\b)(\w+?)s\b", r"I \1"),
        (r"\bthe customer\b", "me"),
    ),
}
#: Steps are written to the customer reading the article.
_READER = {"zh": ((r"客户(身份|订阅记录|信用等级|需求|使用场景|账号|原问题)", r"您的\1"), (r"客户", "您")), "en": ()}


def _rewrite(text: str, rules: tuple[tuple[str, Replacement], ...]) -> str:
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    return text


def _general(template: str, lang: str, *, strict: bool = False) -> str | None:
    """A phrase-table template in general words: no order numbers, amounts or dates, no personal data.

    Strict: None when a slot that only makes sense with its value is left (SPECIFIC_SLOTS).
    """
    text = _rewrite(_CASE_MARK.sub("", template, count=1), GENERAL_WORDING[lang])
    if strict and SPECIFIC_SLOTS & set(_SLOT.findall(text)):
        return None
    text = _SLOT.sub(lambda match: GENERAL_SLOTS[lang].get(match.group(1), ""), text)
    text = mask_text(_rewrite(text, _CLEANUP[lang])) or ""
    return text[:1].upper() + text[1:]


def _customer_question(template: str, lang: str) -> str | None:
    """A problem phrasing as the customer would type it, or None when it would not read as one."""
    if template.startswith("!") or re.search(r"\}[A-Za-z0-9]", template):
        return None  # the angry wording, or "{times}0 units": a slot inside a word
    text = _general(template, lang, strict=True)
    if text is None:
        return None
    text = _rewrite(text, _CUSTOMER_VOICE[lang])
    if lang == "en":
        head, i, rest = text.partition("I ")
        if i:  # the customer speaks: "I only use", not "I only uses"
            text = head + i + re.sub(r"\b(want|ask|need|say|see|use|feel|suspect)s\b", r"\1", rest)
        if re.search(r"\bcustomer\b", text, re.IGNORECASE):
            return None
    text = _rewrite(text, _CLEANUP[lang]).rstrip("。.")
    return text[:1].upper() + text[1:]


def _alt_questions(topic: dict[str, Any], lang: str, title: str) -> list[str]:
    questions = [_customer_question(template, lang) for template in topic[lang]["problem"]]
    return list(dict.fromkeys(q for q in questions if q and q != title))[:MAX_ALT_QUESTIONS]


def _steps(topic: dict[str, Any], lang: str) -> list[str]:
    variants = topic[lang]["steps"]
    # The variant for every case of the topic if there is one, else the first (the commonest case).
    chosen = next((steps for steps in variants if not _CASE_MARK.match(steps[0]).group()), variants[0])
    return list(dict.fromkeys(_rewrite(_general(step, lang) or "", _READER[lang]) for step in chosen))


def _outcomes(topic: dict[str, Any], lang: str) -> list[str]:
    return list(dict.fromkeys(_general(text, lang) or "" for text in topic[lang]["resolution"]))


_HEADINGS = {
    "zh": ("我们会这样处理", "常见处理结果", "如果问题仍未解决，请联系客服，并提供订单号，我们会接着处理。"),
    "en": (
        "How we solved it for other customers",
        "Usual outcomes",
        "Still stuck? Contact support with your order number and we will pick it up from here.",
    ),
}


def _body(steps: list[str], outcomes: list[str], lang: str) -> str:
    """Markdown; the summary is not repeated here, the article page shows it above the body."""
    steps_heading, outcomes_heading, closing = _HEADINGS[lang]
    end = "。" if lang == "zh" else "."
    lines = [f"## {steps_heading}", ""]
    lines += [f"{number}. {step}{end}" for number, step in enumerate(steps, start=1)]
    lines += ["", f"## {outcomes_heading}", ""]
    lines += [f"- {outcome.rstrip('。.')}{end}" for outcome in outcomes]
    lines += ["", closing]
    return "\n".join(lines)


def _tags(topic: dict[str, Any], lang: str) -> list[str]:
    labels = taxonomy().labels(topic["category"], topic["subcategory"], lang).split(" / ")
    return list(dict.fromkeys(label for label in labels if label))


def demo_articles() -> list[dict[str, Any]]:
    """The import lines of every demo article, in topic order, Chinese first."""
    # topic -> language -> (title as the customer asks it, one-sentence summary).
    questions = read_table_file("questions.json")
    articles = []
    for key, topic in ph.TOPICS.items():
        for lang in (lang for lang in ("zh", "en") if lang in topic):
            title, summary = questions[key][lang]
            articles.append(
                {
                    "external_id": f"demo-{key}-{lang}",
                    "title": title,
                    "summary": summary,
                    "body": _body(_steps(topic, lang), _outcomes(topic, lang), lang),
                    "alt_questions": _alt_questions(topic, lang, title),
                    "category": topic["category"],
                    "subcategory": topic["subcategory"],
                    "tags": _tags(topic, lang),
                    "language": lang,
                    "status": UNPUBLISHED.get((key, lang), ArticleStatus.PUBLISHED).value,
                }
            )
    return articles


@dataclass(frozen=True)
class DemoSeedResult:
    report: ArticleImportReport
    #: Demo articles that were already in the database and were left as they are.
    existing: int


def seed_demo_articles() -> DemoSeedResult:
    """Import the demo articles the database does not have yet (by external_id) and commit. A rejection names
    the article by `external_id`.

    Articles already there are left as they are, so a trainer's edits survive the next `make run`; a second run
    creates nothing.
    """
    wanted = demo_articles()
    existing = set(
        db.session.scalars(
            sa.select(Article.external_id).where(Article.external_id.in_([a["external_id"] for a in wanted]))
        )
    )
    missing = [article for article in wanted if article["external_id"] not in existing]
    report = import_articles(enumerate(missing, start=1))
    for problem in report.rejected:
        problem["external_id"] = missing[problem["line"] - 1]["external_id"]
    return DemoSeedResult(report=report, existing=len(existing))
