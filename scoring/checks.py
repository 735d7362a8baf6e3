"""The rubric's checks: completeness and quality of one record, in Chinese and English, without a language model.

Each check looks at a record and returns how many of its scale's points it earns and, for every point it does not,
an explanation and a concrete suggestion in both languages. The rubric (scoring/default_rubric.json, editable and
versioned) says which checks apply, their weights and which are critical.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from records.masking import find_pii, mask_text
from records.models import Record, written_at
from scoring import reading


@dataclass
class Outcome:
    points: float
    #: Why points were lost and what to do instead; empty when the record earned every point.
    explanation: dict[str, str] = field(default_factory=dict)
    suggestion: dict[str, str] = field(default_factory=dict)


def full(scale: float) -> Outcome:
    return Outcome(points=scale)


def lost(points: float, zh: str, en: str, fix_zh: str, fix_en: str) -> Outcome:
    return Outcome(points=points, explanation={"zh": zh, "en": en}, suggestion={"zh": fix_zh, "en": fix_en})


def _filled(text: str | None, minimum: int = 1) -> bool:
    return bool(text and len(text.strip()) >= minimum)


# ----- completeness ------------------------------------------------------------------------------------------------


def core_fields(record: Record, scale: float, context: dict) -> Outcome:
    missing_zh, missing_en = [], []
    for ok, zh, en in (
        (_filled(record.problem_description, 10), "问题描述", "problem description"),
        (bool(record.category and record.subcategory), "二级分类", "two-level category"),
        (_filled(record.customer_request), "客户诉求", "customer request"),
        (_filled(record.handling_steps), "处理过程", "handling steps"),
    ):
        if not ok:
            missing_zh.append(zh)
            missing_en.append(en)
    if not missing_zh:
        return full(scale)
    return lost(
        scale * (4 - len(missing_zh)) / 4,
        f"缺少：{'、'.join(missing_zh)}。",
        f"Missing: {', '.join(missing_en)}.",
        "补全模板中的这些字段：客户原话加客服总结的问题、问题类型与二级标签、客户诉求、逐步的处理过程。",
        "Fill these template fields: the problem in the customer's words plus your summary, both category levels, "
        "what the customer asked for, and the handling steps one by one.",
    )


#: Said of a record imported as it was written elsewhere, where the template would refuse it at entry.
HISTORY_NOTE = (
    "（从其他系统导入的历史记录，按原样保存；现行模板在录入时不会接受。）",
    " (Imported history, kept as it was written; today's template would not accept it at entry.)",
)


def _history(record: Record, rule: str, why_zh: str, why_en: str) -> tuple[str, str]:
    if rule in (record.template_exceptions or ()):
        return why_zh + HISTORY_NOTE[0], why_en + HISTORY_NOTE[1]
    return why_zh, why_en


def follow_up_complete(record: Record, scale: float, context: dict) -> Outcome:
    open_items = [item for item in record.follow_ups if not item.done]
    if any(_filled(item.owner) and item.due for item in open_items):
        return full(scale)
    if context.get("points_only"):
        return Outcome(0)
    if not open_items:
        why_zh = "待跟进/需转交的记录没有未完成的跟进事项。"
        why_en = "A pending or transferred record has no open follow-up."
    else:
        # Name the field and the follow-ups that fall short, and what each lacks.
        parts_zh, parts_en = [], []
        for item in open_items[:3]:
            missing = [
                (zh, en)
                for ok, zh, en in ((_filled(item.owner), "负责人", "owner"), (item.due, "截止日期", "due date"))
                if not ok
            ]
            action = mask_text((item.action or "").strip())[:30]
            parts_zh.append(f"“{action}”缺少{'、'.join(zh for zh, _en in missing)}")
            parts_en.append(f'"{action}" has no {" or ".join(en for _zh, en in missing)}')
        why_zh = f"后续跟进计划：{'；'.join(parts_zh)}。"
        why_en = f"Follow-up plan: {'; '.join(parts_en)}."
    why_zh, why_en = _history(record, "follow_ups", why_zh, why_en)
    return lost(
        0,
        why_zh,
        why_en,
        "添加跟进事项：要做什么、负责人、截止日期（例如“联系物流核实，王磊，11月25日前”）。",
        "Add a follow-up: the action, who owns it and by when (e.g. 'check with the carrier, Wang Lei, by Nov 25').",
    )


_CONFIRMATION = re.compile(
    r"客户(?:已|表示)?(?:确认|认可|同意|满意|接受)|确认无误|confirm|customer (?:agreed|accepted|is satisfied|was happy)"
    r"|satisfied with",
    re.IGNORECASE,
)


def resolution_confirmed(record: Record, scale: float, context: dict) -> Outcome:
    has_resolution = _filled(record.resolution, 2)
    confirmed = (
        record.satisfaction is not None
        or _filled(record.customer_feedback)
        or bool(_CONFIRMATION.search(f"{record.resolution or ''}\n{record.handling_steps or ''}"))
    )
    if has_resolution and confirmed:
        return full(scale)
    if not has_resolution:
        return lost(
            0,
            *_history(record, "resolution", "已解决的记录没有填写解决方案。", "A resolved record has no resolution."),
            "写明最终如何解决（做了什么、结果如何），并记录客户确认或评分。",
            "State how it was resolved (what was done, what the outcome is) and record the customer's confirmation "
            "or rating.",
        )
    return lost(
        scale / 2,
        "没有客户确认或满意度评分。",
        "No confirmation or rating from the customer.",
        "结案前向客户确认问题已解决，记录评分或“客户确认……”。",
        "Before closing, confirm with the customer that it is solved and record the rating or 'customer confirmed …'.",
    )


def complaint_emotion(record: Record, scale: float, context: dict) -> Outcome:
    if record.emotion is not None:
        return full(scale)
    return lost(
        0,
        "投诉类记录未记录客户情绪。",
        "A complaint without the customer's emotion.",
        "记录客户情绪（平静、不满、焦虑、急躁、愤怒），便于主管跟进和复盘。",
        "Record the customer's emotion (calm, dissatisfied, anxious, impatient, angry) for follow-up and review.",
    )


class Keywords:
    """Chinese words and English phrases found by substring, English words by whole word: many times faster than
    one regular expression of alternatives (bulk rescoring runs every check on every record)."""

    def __init__(self, chinese: str = "", english_words: str = "", english_phrases: tuple[str, ...] = ()):
        self.chinese = tuple(chinese.split())
        self.words = frozenset(english_words.split())
        self._word_list = tuple(self.words)
        self.phrases = english_phrases

    def find(self, text: str) -> list[str]:
        found = [word for word in self.chinese if word in text]
        lowered, words = _latin_view(text)
        if lowered:
            found.extend(phrase for phrase in self.phrases if phrase in lowered)
            found.extend(sorted(self.words.intersection(words)))
        return found

    def __contains__(self, text: str) -> bool:
        # map over the bound method runs the loop in C: several times faster than a generator expression.
        if any(map(text.__contains__, self.chinese)):
            return True
        if not _LATIN_LETTER.search(text):
            return False
        lowered = text.lower()
        if any(map(lowered.__contains__, self.phrases)):
            return True
        # Substrings first (cheap, and most texts have none of the words), whole words only to confirm.
        return any(map(lowered.__contains__, self._word_list)) and not self.words.isdisjoint(_latin_view(text)[1])


_LATIN_LETTER = re.compile(r"[A-Za-z]")
_LATIN_WORD = re.compile(r"[a-z][a-z']*")


@lru_cache(maxsize=64)
def _latin_view(text: str) -> tuple[str, frozenset[str]]:
    """The lower-cased text and its English words ("" when it has no Latin letters); several keyword sets look at
    the same text in a row, so it is worked out once."""
    if not _LATIN_LETTER.search(text):
        return "", frozenset()
    lowered = text.lower()
    return lowered, frozenset(_LATIN_WORD.findall(lowered))


# ----- quality -----------------------------------------------------------------------------------------------------

#: Kinds of concrete detail (time, reference, product, failure, amount) that make a problem description specific.
SPECIFIC_KINDS = 3


def detail_kinds(text: str) -> list[str]:
    """Which kinds of concrete detail a problem description carries: time, reference, product, failure, amount."""
    return list(reading.detail_evidence(text))


_VAGUE_PROBLEM = reading.pattern(
    r"^(?:客户)?(?:说|反映|反馈|表示)?(?:有|遇到)?(?:个|一些|点)?问题[。.!！]*$|^(?:客户)?来电咨询[。.]?$"
    r"|^customer (?:has|had|reports?) (?:an?|some) (?:issue|problem)s?\.?$|^(?:not working|issue|problem|help)\.?$",
    re.IGNORECASE,
)


def _named(evidence: dict[str, str], language: int) -> str:
    separator = "；" if language == 0 else "; "
    colon = "：" if language == 0 else ": "
    # Each value masked on its own: after "reference:" a phone number would otherwise read as an order number.
    return separator.join(
        f"{reading.DETAIL_NAMES[kind][language]}{colon}{mask_text(words)}" for kind, words in evidence.items()
    )


def specific_problem(record: Record, scale: float, context: dict) -> Outcome:
    text = (record.problem_description or "").strip()
    vague = len(text) < 6 or _VAGUE_PROBLEM.search(reading.fold(text))
    evidence = {} if vague else reading.detail_evidence(text)
    if len(evidence) >= SPECIFIC_KINDS:
        return full(scale)
    points = scale / 2 if evidence else 0
    if context.get("points_only"):
        return Outcome(points)
    # Explanations quote the record; graders and trainers see them, so personal data in the quote is masked.
    quote = mask_text(text)
    missing_zh = "、".join(zh for kind, (zh, _) in reading.DETAIL_NAMES.items() if kind not in evidence)
    missing_en = ", ".join(en for kind, (_, en) in reading.DETAIL_NAMES.items() if kind not in evidence)
    return lost(
        points,
        f"问题描述不够具体（具体信息 {len(evidence)} 类，需 {SPECIFIC_KINDS} 类"
        f"{'：' + _named(evidence, 0) if evidence else ''}；缺少{missing_zh}）：{quote[:40] or '（空）'}",
        f"The problem description is not specific ({len(evidence)} kinds of detail, {SPECIFIC_KINDS} needed"
        f"{': ' + _named(evidence, 1) if evidence else ''}; missing {missing_en}): {quote[:60] or '(empty)'}",
        "写清时间、产品或订单号、具体现象或报错原文、涉及金额，例如“11月3日起iPhone 15登录提示‘密码错误’，版本5.2.1”。",
        "Say when, which product or order, what exactly failed (quote the error) and any amount, e.g. 'since Nov 3 "
        'the iPhone 15 app says "wrong password" at login, version 5.2.1\'.',
    )


_FREE_TEXT = ("problem_description", "customer_request", "key_details", "handling_steps", "resolution")


def free_text(record: Record, context: dict) -> str:
    """The record's free-text fields in one string (kept in the context: several checks read it)."""
    text = context.get("free_text")
    if text is None or context.get("free_text_of") is not record:
        text = "\n".join(getattr(record, name) or "" for name in _FREE_TEXT)
        context["free_text"], context["free_text_of"] = text, record
    return text


def objective_wording(record: Record, scale: float, context: dict) -> Outcome:
    text = free_text(record, context)
    found = reading.judgements(text)
    if not found and (reader := context.get("reader")) is not None:
        # Judgements no list holds ("客户态度极其傲慢"): the clause most like the judgement exemplars, if clearly so.
        found = reader.judgements(text)
    if not found:
        return full(scale)
    return lost(
        0,
        f"含有对客户的主观评价：{'、'.join(found)}",
        f"Judgemental words about the customer: {', '.join(found)}",
        "只记录事实与客户原话，例如用“客户多次要求立即退款”代替“客户无理取闹”；客户的原话请加引号。",
        "Record facts and the customer's own words, e.g. 'the customer asked three times for an immediate refund' "
        "instead of 'unreasonable customer'; put the customer's own words in quotes.",
    )


def _quoted(items: list[str], language: int) -> str:
    return ("、" if language == 0 else ", ").join(f"“{item}”" if language == 0 else f'"{item}"' for item in items)


#: Share of the steps' scale for handling steps in general words only (apologised, explained, handled): supervisors
#: rank them above empty or merely planned steps and below one concrete action (bench/data/graded_records_dev*.jsonl).
VAGUE_STEPS_SHARE = 0.25


def concrete_steps(record: Record, scale: float, context: dict) -> Outcome:
    steps = reading.read_steps(record.handling_steps or "")
    if len(steps.done) < 2 and steps.vague and (reader := context.get("reader")) is not None:
        # Clauses the rules could not place: the model counts those that read like completed actions.
        steps.done.extend(reader.actions(steps.vague))
    if len(steps.done) >= 2:
        return full(scale)
    # Only general words ("apologised", "已安抚客户"): something was done, less than one concrete action.
    points = scale / 2 if steps.done else scale * VAGUE_STEPS_SHARE if steps.vague else 0
    if context.get("points_only"):
        return Outcome(points)
    why_zh = [f"具体动作 {len(steps.done)} 步（需至少 2 步）" + (f"：{_quoted(steps.done, 0)}" if steps.done else "")]
    why_en = [
        f"{len(steps.done)} concrete action(s), at least 2 needed"
        + (f": {_quoted(steps.done, 1)}" if steps.done else "")
    ]
    if steps.planned:
        why_zh.append(f"计划而未完成：{_quoted(steps.planned, 0)}")
        why_en.append(f"planned, not done: {_quoted(steps.planned, 1)}")
    vague = [clause for clause in steps.vague if clause not in steps.done]
    if vague:
        why_zh.append(f"笼统：{_quoted(vague, 0)}")
        why_en.append(f"too vague: {_quoted(vague, 1)}")
    return lost(
        points,
        mask_text("；".join(why_zh) + "。"),
        mask_text("; ".join(why_en) + "."),
        "按顺序写出已经做了的每一步：核实了什么、引导客户做了什么、联系了谁、提交了什么；计划做的写进跟进事项。",
        "List what you did step by step: what you checked, what you had the customer do, whom you contacted, what "
        "you submitted; put what is still to be done in a follow-up.",
    )


def resolution_outcome(record: Record, scale: float, context: dict) -> Outcome:
    text = (record.resolution or "").strip()
    results, open_ends = reading.outcome_evidence(text)
    if not results and not open_ends and text and (reader := context.get("reader")) is not None:
        results = reader.outcomes(text)
    if results:
        return full(scale)
    if context.get("points_only"):
        return Outcome(0)
    quote = mask_text(text)
    pending_zh = f"；只有转交、承诺或等待：{_quoted(open_ends, 0)}" if open_ends else ""
    pending_en = f"; only a hand-over, promise or wait: {_quoted(open_ends, 1)}" if open_ends else ""
    return lost(
        0,
        mask_text(f"解决方案没有说明结果{pending_zh}：") + (quote[:40] or "（空）"),
        mask_text(f"The resolution does not state the outcome{pending_en}: ") + (quote[:60] or "(empty)"),
        "写明结果和客户可见的状态，例如“已退款59.99元，预计3个工作日到账，客户确认”。",
        "State the outcome the customer will see, e.g. 'refunded $59.99, arrives within 3 business days; customer "
        "confirmed'.",
    )


def entry_time_known(record: Record) -> bool:
    """Timeliness applies when we know when the record was written: always for records entered here, for imported
    ones only when the import gave `recorded_at` (the import time says nothing about the agent's promptness)."""
    return record.imported_at is None or record.recorded_at is not None


def timeliness(record: Record, scale: float, context: dict) -> Outcome:
    limit = context["timeliness_limit"]
    written = written_at(record.recorded_at, record.imported_at, record.created_at)
    delay = (written or record.contacted_at) - record.contacted_at
    if delay <= limit:
        return full(scale)
    hours = delay.total_seconds() / 3600
    return lost(
        scale / 2 if delay <= timedelta(hours=24) else 0,
        f"沟通后 {hours:.1f} 小时才录入（要求 {limit.total_seconds() / 60:.0f} 分钟内）。",
        f"Entered {hours:.1f} h after the contact (required within {limit.total_seconds() / 60:.0f} minutes).",
        "沟通结束后 30 分钟内录入，细节仍清楚；来不及时先记要点再补充。",
        "Enter the record within 30 minutes while details are fresh; if busy, note the key facts first and complete "
        "later.",
    )


#: The free-text fields as the record form names them, for explanations that say where the words are.
FIELD_NAMES = {
    "problem_description": ("问题描述", "problem description"),
    "customer_request": ("客户诉求", "customer request"),
    "key_details": ("关键细节", "key details"),
    "handling_steps": ("客服响应措施", "handling steps"),
    "resolution": ("解决方案", "resolution"),
}
#: Characters quoted on each side of personal data in a free text, so the agent finds the place.
PII_CONTEXT = 8


def pii_places(record: Record, label: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field, kind, the words around it) of each piece of personal data in the record's free text. The piece
    itself is replaced by `label[kind]` (e.g. "[手机号]"): a masked form would look as harmless as the page shows the
    text, and the explanation must not carry the data (training cases keep explanations)."""
    places = []
    for name in _FREE_TEXT:
        text = getattr(record, name) or ""
        for match in find_pii(text):
            places.append((name, match.kind, f"{_lead_in(text, match.start)}[{label[match.kind]}]"))
    return places


_CUT = re.compile(r"^\S*?[\s,，。;；:：、]+")
#: Digits (a part of another number is still personal data) and capitalised words (names: "Mr Smith").
_DIGITS = re.compile(r"[0-9*]+|\b[A-Z][\w'-]*")


def _lead_in(text: str, start: int) -> str:
    """The words just before position `start`: whole words only (a cut name or number could name someone), without
    digits or capitalised words; enough to find the place, nothing that names anyone."""
    window = text[max(0, start - PII_CONTEXT) : start]
    if start > PII_CONTEXT:
        window = _CUT.sub("", window, count=1) if _CUT.search(window) else window[len(window) // 2 :]
    return " ".join(_DIGITS.sub("", window.replace("\n", " ")).split()).strip(" (（,，")


def no_unmasked_pii(record: Record, scale: float, context: dict) -> Outcome:
    kinds = sorted({match.kind for match in find_pii(free_text(record, context))})
    if not kinds:
        return full(scale)
    if context.get("points_only"):
        return Outcome(0)
    names_zh = {"phone": "手机号", "email": "邮箱", "id_number": "身份证号", "bank_card": "银行卡号"}
    names_en = {
        "phone": "phone number",
        "email": "e-mail address",
        "id_number": "ID number",
        "bank_card": "card number",
    }
    # Name the field and quote the words around each piece (masked as pages show it), so it can be found and fixed.
    zh_places = pii_places(record, names_zh)[:3]
    en_places = pii_places(record, names_en)[:3]
    where_zh = "；".join(f"{FIELD_NAMES[field][0]}：“{words}”" for field, _kind, words in zh_places)
    where_en = "; ".join(f'{FIELD_NAMES[field][1]}: "{words}"' for field, _kind, words in en_places)
    return lost(
        0,
        f"自由文本中有未脱敏的{'、'.join(names_zh[kind] for kind in kinds)}：{where_zh}。",
        f"Unmasked {', '.join(names_en[kind] for kind in kinds)} in free text: {where_en}.",
        "联系方式填在客户信息栏；正文中只写脱敏形式（如138****5678）或不写。",
        "Put contact details in the customer fields; in free text write only a masked form (138****5678) or none.",
    )


def related_when_transferred(record: Record, scale: float, context: dict) -> Outcome:
    if record.related or record.collaboration:
        return full(scale)
    return lost(
        0,
        "转交的记录没有关联工单或内部协作记录。",
        "A transferred record with no related ticket or collaboration entry.",
        "关联接手部门的工单，或在内部协作中写明转交给谁、为什么、何时回复。",
        "Link the receiving team's ticket, or note in collaboration whom it went to, why and when they will reply.",
    )


def follow_up_dates(record: Record, scale: float, context: dict) -> Outcome:
    today = context["today"]
    open_items = [item for item in record.follow_ups if not item.done]
    undated = [item for item in open_items if item.due is None]
    overdue = [item for item in open_items if item.due is not None and item.due < today]
    if open_items and not undated and not overdue:
        return full(scale)
    if not open_items:
        return lost(
            0,
            "没有未完成的跟进事项。",
            "No open follow-up.",
            "为待办事项设置负责人和期限。",
            "Give the pending action an owner and a due date.",
        )
    parts_zh, parts_en = [], []
    if undated:
        parts_zh.append(f"{len(undated)} 项未设期限")
        parts_en.append(f"{len(undated)} without a due date")
    if overdue:
        parts_zh.append(f"{len(overdue)} 项已逾期（最早 {min(item.due for item in overdue):%m-%d}）")
        parts_en.append(f"{len(overdue)} overdue (earliest {min(item.due for item in overdue):%b %d})")
    return lost(
        0,
        "跟进事项：" + "，".join(parts_zh) + "。",
        "Follow-ups: " + ", ".join(parts_en) + ".",
        "给每个跟进事项设定期限；逾期的先完成或与客户重新约定时间并更新期限。",
        "Give every follow-up a due date; finish overdue ones or agree a new date with the customer and update it.",
    )


CHECKS: dict[str, Callable[[Record, float, dict], Outcome]] = {
    "core_fields": core_fields,
    "follow_up_complete": follow_up_complete,
    "resolution_confirmed": resolution_confirmed,
    "complaint_emotion": complaint_emotion,
    "specific_problem": specific_problem,
    "objective_wording": objective_wording,
    "concrete_steps": concrete_steps,
    "resolution_outcome": resolution_outcome,
    "timeliness": timeliness,
    "no_unmasked_pii": no_unmasked_pii,
    "related_when_transferred": related_when_transferred,
    "follow_up_dates": follow_up_dates,
}


#: Checks that apply only when the record says something: timeliness needs to know when the record was written.
APPLIES_WHEN: dict[str, Callable[[Record], bool]] = {"timeliness": entry_time_known}


def applicability_key(record: Record) -> tuple:
    """What `applies` reads of a record: records alike in these have the same criteria applying (bulk scoring
    works the criteria out once per combination)."""
    return (record.status, record.channel, record.category, record.subcategory, entry_time_known(record))


def applies(criterion: dict, record: Record) -> bool:
    condition = APPLIES_WHEN.get(criterion["key"])
    if condition is not None and not condition(record):
        return False
    statuses = criterion.get("statuses")
    # Statuses are StrEnums: they compare equal to their values.
    if statuses and record.status not in statuses:
        return False
    channels = criterion.get("channels")
    if channels and record.channel.value not in channels:
        return False
    categories = criterion.get("categories")
    return not (categories and record.category not in categories and record.subcategory != "complaint")


def now_context(timeliness_minutes: int, now: datetime, *, points_only: bool = False, reader=None) -> dict:
    """What the checks share for one scoring pass. `points_only`: bulk scoring stores points, and explanations are
    made again when shown, so checks may skip the costly parts of an explanation (masking the quoted text).
    `reader`: the multilingual model's reader (scoring.exemplars.model_reader), asked where the rules find nothing."""
    return {
        "reader": reader,
        "timeliness_minutes": timeliness_minutes,
        "timeliness_limit": timedelta(minutes=timeliness_minutes),
        "now": now,
        "today": now.date(),
        "points_only": points_only,
    }
