"""Anonymising a record's texts for trainers: the case library's snapshots and every record view of a trainer.

Trainers are promised no customer identity: they read every record, and cases made from them are teaching material
that agents read for years, long after the record was edited or deleted by retention, so nothing they see may
identify the customer, third parties named in the text, or the people who handled the record. records.identifiers
finds names and postal addresses and records.masking finds phones, e-mails, ID and card numbers; here every one of
them is *replaced* by a placeholder rather than masked (a masked phone still shows 7 of its digits, which a training
hand-out has no use for). The customer becomes "客户A" / "Customer A", so a case still reads as a conversation; their
company "A公司" / "Company A". Names of the agent and of colleagues become "[姓名]" / "[name]", follow-up owners
"[负责人]". Values that were already masked in the record (138****5678) are replaced too, as are international numbers
in any grouping and the customer's own phone and e-mail however the text writes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from records.customers import ANONYMOUS_NAME
from records.db import db
from records.identifiers import find_identifiers
from records.masking import MASKED_EMAIL_RE, MASKED_NUMBER_RE, MAX_PASSES, find_pii, masked_kind
from records.models import Record, User

#: Placeholders as (Chinese text, any other text); which one is used depends on the script around the value.
PLACEHOLDERS = {
    "customer": ("客户A", "Customer A"),
    "company": ("A公司", "Company A"),
    "customer_number": ("[客户编号]", "[customer no.]"),
    "name": ("[姓名]", "[name]"),
    "owner": ("[负责人]", "[owner]"),
    "address": ("[地址]", "[address]"),
    "phone": ("[电话]", "[phone]"),
    "email": ("[邮箱]", "[e-mail]"),
    "id_number": ("[证件号]", "[ID number]"),
    "bank_card": ("[银行卡号]", "[card number]"),
}
_PLACEHOLDER_TEXTS = {text for pair in PLACEHOLDERS.values() for text in pair}

_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# Display names often carry the team or role before the person: 客服A组-王芳, 培训师·马静, "Support - Emily Carter".
_DISPLAY_NAME_PREFIX_RE = re.compile(r"^.*[-－—–·•_:：|/／]\s*")


def name_variants(name: str) -> list[str]:
    """A display name and the person's name inside it (王芳 of 客服A组-王芳): text names the person, not the label."""
    variants = [name]
    person = _DISPLAY_NAME_PREFIX_RE.sub("", name).strip()
    if person != name and _usable_name(person):
        variants.append(person)
    return variants


#: What follows a surname when a customer is named politely instead of by name (王先生, 李女士, 赵总).
HONORIFICS = ("先生", "女士", "小姐", "太太", "老师", "师傅", "阿姨", "经理", "主任", "总")


def _surname_before_honorific(name: str) -> str | None:
    """The surname of a name like 张先生 or 欧阳女士, None for a full name."""
    for honorific in HONORIFICS:
        surname = name[: -len(honorific)]
        if name.endswith(honorific) and 1 <= len(surname) <= 2 and _HAN_RE.fullmatch(surname[-1]):
            return surname
    return None


# International numbers in any grouping (+44 7566 073908, +1 (415) 555-0100): records.masking recognises the
# common groupings only, and a training hand-out can afford to hide a number too many.
_INTERNATIONAL_RE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,6}\)?){1,6}(?!\d)")
_NON_DIGIT_RE = re.compile(r"\D")
#: The customer's phone is recognised by its last digits, with anything before them that looks like part of it.
PHONE_TAIL_DIGITS = 8


def _phone_regex(phone: str | None) -> re.Pattern[str] | None:
    digits = _NON_DIGIT_RE.sub("", phone or "")
    if len(digits) < PHONE_TAIL_DIGITS:
        return None
    tail = r"[ ().-]?".join(digits[-PHONE_TAIL_DIGITS:])
    return re.compile(r"(?<![\w])[+(]?(?:\d[ ().-]?){0,8}" + tail + r"(?!\d)")


def _email_regex(email: str | None) -> re.Pattern[str] | None:
    return re.compile(re.escape(email.strip()), re.IGNORECASE) if email and "@" in email else None


#: Shortest known name looked for in text; a one-character "name" would hit ordinary words.
MIN_NAME_LENGTH = 2


_LATIN_WORD_RE = re.compile("[A-Za-zÀ-ÖØ-öø-ÿ]+")


def is_chinese_text(text: str) -> bool:
    """Whether a text reads as Chinese: at least as many Han characters as Latin words (one e-mail address or
    product name in a Chinese sentence does not make it English)."""
    return len(_HAN_RE.findall(text)) >= max(1, len(_LATIN_WORD_RE.findall(text)))


def _replace_spans(text: str, spans: list[tuple[int, int, str]], chinese: bool) -> str:
    """Replace non-overlapping (start, end, kind) spans, leftmost first, by their placeholders."""
    parts: list[str] = []
    position = 0
    for start, end, kind in sorted(spans):
        if start < position:
            continue
        parts.append(text[position:start])
        parts.append(PLACEHOLDERS[kind][0 if chinese else 1])
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _usable_name(name: str | None) -> str | None:
    name = (name or "").strip()
    if len(name) < MIN_NAME_LENGTH or name == ANONYMOUS_NAME or "*" in name:
        return None
    return name


@dataclass
class Anonymiser:
    """Scrubs the texts of one record: knows its customer, and the names of the people around it."""

    customer_name: str | None = None
    company: str | None = None
    customer_number: str | None = None
    #: The customer's own phone and e-mail, found however the text writes them (0044 7566-073908, upper case).
    customer_phone: str | None = None
    customer_email: str | None = None
    #: Agents, colleagues, follow-up owners: anyone named in the text who is not the customer.
    other_names: tuple[str, ...] = ()
    _customer_tokens: tuple[str, ...] = field(init=False, default=())
    _literals: dict[str, str] = field(init=False, default_factory=dict)
    _literal_re: re.Pattern[str] | None = field(init=False, default=None)
    _known_customer: str | None = field(init=False, default=None)
    _contact_res: tuple[tuple[re.Pattern[str], str], ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        self.customer_name = _usable_name(self.customer_name)
        self.company = _usable_name(self.company)
        self.other_names = tuple(
            dict.fromkeys(
                variant
                for name in map(_usable_name, self.other_names)
                if name
                for variant in name_variants(name)
                if variant != self.customer_name
            )
        )
        self._customer_tokens = self._tokens(self.customer_name) if self.customer_name else ()
        # "张先生" as the customer's name: the honorific rule of records.identifiers finds it in text already, while
        # as a known name it would also make every bare "先生" a name. The surname is what marks the customer.
        self._known_customer = self.customer_name
        surname = _surname_before_honorific(self.customer_name or "")
        if surname:
            self._customer_tokens = (surname,)
            self._known_customer = None
        # The company and the customer number are replaced as written; names are found with their other forms
        # (王先生, 小明, Mr Smith) by records.identifiers.
        self._literals = {
            value.casefold(): kind
            for value, kind in ((self.customer_number, "customer_number"), (self.company, "company"))
            if value
        }
        contacts = ((_phone_regex(self.customer_phone), "phone"), (_email_regex(self.customer_email), "email"))
        self._contact_res = tuple((regex, kind) for regex, kind in contacts if regex is not None)
        if self._literals:
            ordered = sorted(self._literals, key=len, reverse=True)
            self._literal_re = re.compile("|".join(re.escape(value) for value in ordered), re.IGNORECASE)

    @staticmethod
    def _tokens(name: str) -> tuple[str, ...]:
        """What identifies the customer inside a name found in text: surname or given name (Chinese), words (Latin)."""
        compact = "".join(name.split())
        if _HAN_RE.search(compact):
            if not 2 <= len(compact) <= 4:
                return (compact,)
            surname_length = 2 if len(compact) == 4 else 1
            return tuple(part for part in (compact[:surname_length], compact[surname_length:]) if part)
        return tuple(word.casefold() for word in name.split() if len(word) >= MIN_NAME_LENGTH)

    def _is_customer(self, value: str) -> bool:
        """Whether a name found in text is a form of the customer's (王先生 or 小明 for 王小明, Mr Smith)."""
        if not self._customer_tokens:
            return False
        if any(other in value for other in self.other_names):
            return False
        if _HAN_RE.search(value):
            return any(token in value for token in self._customer_tokens)
        words = {word.casefold().strip(".,'’") for word in value.split()}
        return any(token in words for token in self._customer_tokens)

    def _names(self) -> tuple[str, ...]:
        return tuple(name for name in (self._known_customer, *self.other_names) if name)

    def text(self, value: str | None) -> str | None:
        """The text with every identifying value replaced by its placeholder; scrubbing twice changes nothing."""
        if not value:
            return value
        text = value
        chinese = is_chinese_text(text)
        if self._literal_re is not None:
            literals = self._literal_re.finditer(text)
            spans = [(m.start(), m.end(), self._literals[m.group().casefold()]) for m in literals]
            text = _replace_spans(text, spans, chinese)
        names = self._names()
        # A placeholder changes what surrounds its neighbours (a number glued to a name no longer looks like part of
        # a code), so repeat until nothing is found, as records.identifiers.scrub_identifiers does.
        for _ in range(MAX_PASSES):
            spans = [(match.start, match.end, match.kind) for match in find_pii(text)]
            spans += [(m.start(), m.end(), masked_kind(m.group())) for m in MASKED_NUMBER_RE.finditer(text)]
            spans += [(m.start(), m.end(), "email") for m in MASKED_EMAIL_RE.finditer(text)]
            spans += [
                (m.start(), m.end(), "phone")
                for m in _INTERNATIONAL_RE.finditer(text)
                if 8 <= len(_NON_DIGIT_RE.sub("", m.group())) <= 15
            ]
            for regex, kind in self._contact_res:
                spans += [(m.start(), m.end(), kind) for m in regex.finditer(text)]
            if not spans:
                spans = [
                    (match.start, match.end, self._identifier_kind(match.kind, match.value))
                    for match in find_identifiers(text, names)
                    if match.value not in _PLACEHOLDER_TEXTS
                ]
            if not spans:
                break
            text = _replace_spans(text, spans, chinese)
        return text

    def _identifier_kind(self, kind: str, value: str) -> str:
        if kind == "address":
            return "address"
        return "customer" if self._is_customer(value) else "name"

    def owner(self, value: str | None, chinese: bool) -> str | None:
        """A follow-up owner (负责人) is a person's name; only that there was one matters for teaching."""
        return PLACEHOLDERS["owner"][0 if chinese else 1] if value else value


def staff_names(session: Any = None) -> tuple[str, ...]:
    """Display names of everyone with an account: any of them may be named in a record's text."""
    session = session or db.session
    return tuple(name for name in session.scalars(sa.select(User.display_name)) if name)


_STAFF_NAMES_KEY = "consultkb.staff_names"


def session_staff_names() -> tuple[str, ...]:
    """staff_names() read once per database session (a request, a job): a trainer's list of 50 records or an export
    of thousands scrubs every record against the same names. A flush that adds or changes a user drops the copy."""
    info = db.session.info
    if _STAFF_NAMES_KEY not in info:
        info[_STAFF_NAMES_KEY] = staff_names()
    return info[_STAFF_NAMES_KEY]


@sa.event.listens_for(Session, "after_flush")
def _forget_staff_names(session: Session, _context: Any) -> None:
    if _STAFF_NAMES_KEY in session.info and any(
        isinstance(item, User) for item in (*session.new, *session.dirty, *session.deleted)
    ):
        del session.info[_STAFF_NAMES_KEY]


def trainer_anonymiser(record: Record) -> Anonymiser:
    """What a trainer's view of a record is scrubbed with: the record's people and every staff member's name."""
    return anonymiser_for(record, staff=session_staff_names())


def anonymiser_for(record: Record, *, staff: Iterable[str] = ()) -> Anonymiser:
    customer = record.customer
    others = [record.agent.display_name, *(f.owner for f in record.follow_ups), *staff]
    return Anonymiser(
        customer_phone=customer.phone,
        customer_email=customer.email,
        customer_name=customer.name,
        company=customer.company,
        customer_number=customer.number,
        other_names=tuple(others),
    )


def identifying_data(text: str | None, names: Iterable[str] = ()) -> list[str]:
    """What in a trainer's text identifies someone (phones, e-mails, IDs, cards, names, addresses), as found.

    Placeholders ("客户A", "[姓名]") are not identifying.
    """
    if not text:
        return []
    found = [match.value for match in find_pii(text)]
    found += [m.group() for m in MASKED_NUMBER_RE.finditer(text)]
    found += [m.group() for m in MASKED_EMAIL_RE.finditer(text)]
    found += [m.group() for m in _INTERNATIONAL_RE.finditer(text) if 8 <= len(_NON_DIGIT_RE.sub("", m.group())) <= 15]
    usable = tuple(variant for name in map(_usable_name, names) if name for variant in name_variants(name))
    found += [match.value for match in find_identifiers(text, usable) if match.value not in _PLACEHOLDER_TEXTS]
    return list(dict.fromkeys(found))
