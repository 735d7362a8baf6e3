"""Find and mask personal data (PII) in free consultation text, Chinese or English.

Consultation records are exported, searched and shown to people who must not see a customer's phone number,
e-mail address, resident ID number or bank card number. `find_pii` locates those; `mask_text` replaces each with a
partly hidden form (``138****5678``) and leaves every other character as it was.

records.identifiers adds personal names and postal addresses on top of this, for text bound for FAQ drafts.

Order, tracking, ticket and invoice numbers, product codes, dates and amounts are deliberately left alone: agents
need them to follow a case up. A masked value has ``*`` in its middle, which no pattern accepts, so it is not found
again, and `mask_text` masks until nothing is left to find: masking twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from opencc import OpenCC

__all__ = [
    "CONTEXT_CHARS",
    "MAX_PASSES",
    "PII_KINDS",
    "PiiMatch",
    "MASKED_EMAIL_RE",
    "MASKED_NUMBER_RE",
    "contains_pii",
    "find_masked",
    "find_pii",
    "luhn_valid",
    "mask_bank_card",
    "mask_email",
    "mask_id_number",
    "mask_phone",
    "mask_text",
    "masked_kind",
    "simplified",
]

PII_KINDS = ("phone", "email", "id_number", "bank_card")


@dataclass(frozen=True)
class PiiMatch:
    """One piece of personal data in a text: ``text[start:end] == value``."""

    kind: str
    start: int
    end: int
    value: str


# --- maskers -------------------------------------------------------------------------------------------------------

_NON_DIGIT_RE = re.compile(r"\D")
_SEPARATOR_RE = re.compile(r"[\s-]")
_PHONE_SHAPE_RE = re.compile(r"[0-9+().\s-]*[0-9][0-9+().\s-]*")
_DIGITS_RE = re.compile(r"[0-9]+")
_ALNUM_RE = re.compile(r"[0-9A-Za-z]+")

# E.164 country codes are prefix-free: 1 and 7 are the only one-digit codes, these the two-digit ones, the rest
# have three digits. Lets "+14155550100" keep "+1" visible without separators to tell where the code ends.
_TWO_DIGIT_COUNTRY_CODES = frozenset(
    {20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58}
    | {60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98}
)


def _mask_short(value: str) -> str:
    """Show at most half of the characters, split between both ends."""
    shown = len(value) // 2
    head = shown // 2
    tail = shown - head
    return value[:head] + "*" * (len(value) - shown) + (value[-tail:] if tail else "")


def _mask_generic(value: str) -> str:
    keep = min(3, len(value) // 4)
    if not keep:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def _keep_ends(value: str, head: int, tail: int) -> str:
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def _mask_phone_digits(digits: str) -> str:
    # 3 + 4 of an 8-digit number (a landline without its area code, a Hong Kong number) would hide one digit.
    return _keep_ends(digits, 3, 4) if len(digits) >= 10 else _mask_short(digits)


def _country_code_length(digits: str) -> int:
    if digits[:1] in ("1", "7"):
        return 1
    return 2 if len(digits) >= 2 and int(digits[:2]) in _TWO_DIGIT_COUNTRY_CODES else 3


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` → ``138****5678``; ``+86 138-1234-5678`` → ``+86 138****5678``.

    Separators are dropped; an international prefix (``+``/``00`` and the country code, or the bare ``86`` before a
    Chinese mobile number) stays visible. Numbers of fewer than 10 digits show at most half of them.
    """
    if not value:
        return value
    if not _PHONE_SHAPE_RE.fullmatch(value):
        return _mask_generic(value)
    digits = _NON_DIGIT_RE.sub("", value)
    body = value.strip().lstrip("(")
    prefix = ""
    if body.startswith(("+", "00")):
        marker = "+" if body.startswith("+") else "00"
        rest = digits if marker == "+" else digits[2:]
        code = rest[: _country_code_length(rest)]
        if len(rest) > len(code):
            prefix, digits = marker + code, rest[len(code) :]
    elif len(digits) == 13 and digits.startswith("86") and digits[2] == "1" and digits[3] in "3456789":
        prefix, digits = "86", digits[2:]
    masked = _mask_phone_digits(digits)
    return f"{prefix} {masked}" if prefix else masked


def mask_email(value: str | None) -> str | None:
    """``example@domain.com`` → ``exa***@domain.com``; without an ``@`` the value is masked as a plain string."""
    if not value:
        return value
    local, at, domain = value.strip().rpartition("@")
    if not at or not local or not domain:
        return _mask_generic(value)
    return f"{local[:3]}***@{domain}"


def mask_id_number(value: str | None) -> str | None:
    """Resident ID (18 or old 15 characters): ``110101199003077774`` → ``110101********7774``."""
    return _mask_first_6_last_4(value, _ALNUM_RE)


def mask_bank_card(value: str | None) -> str | None:
    """``6222 0212 3456 7890 128`` → ``622202*********0128``: first 6 and last 4 digits, grouping dropped."""
    return _mask_first_6_last_4(value, _DIGITS_RE)


def _mask_first_6_last_4(value: str | None, allowed: re.Pattern[str]) -> str | None:
    if not value:
        return value
    compact = _SEPARATOR_RE.sub("", value)
    if not allowed.fullmatch(compact):
        return _mask_generic(value)
    # Keeping 6 + 4 of a short value would show most of it.
    return _keep_ends(compact, 6, 4) if len(compact) >= 13 else _mask_short(compact)


# --- validators ----------------------------------------------------------------------------------------------------

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# First two digits of a resident ID: province-level region codes (83 = residence permits for HK/Macau/Taiwan).
_ID_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def _valid_date(year: int, month: int, day: int) -> bool:
    if not (1900 <= year <= 2099 and 1 <= month <= 12 and day >= 1):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= (29 if month == 2 and leap else _DAYS_IN_MONTH[month - 1])


def _id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of an 18-character resident ID."""
    return _ID_CHECK_CHARS[sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _is_id18(value: str) -> bool:
    # Decision: the birth date (YYYYMMDD at 7-14, 19xx/20xx, real calendar day) must always be valid; beyond that
    # EITHER the MOD 11-2 checksum OR a known province code suffices. A mistyped ID (bad checksum) still identifies
    # a person and must be masked, and a correct checksum covers region codes missing from the list. A random
    # 18-digit number passes with a probability of about 2e-4.
    if not _valid_date(int(value[6:10]), int(value[10:12]), int(value[12:14])):
        return False
    return int(value[:2]) in _ID_PROVINCES or _id_check_char(value[:17]) == value[17].upper()


def _is_id15(value: str) -> bool:
    """Pre-2000 15-digit ID: region, YYMMDD (19YY), 3-digit sequence; it has no checksum."""
    return int(value[:2]) in _ID_PROVINCES and _valid_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_valid(digits: str) -> bool:
    total = sum(map(int, digits[-1::-2])) + sum(_LUHN_DOUBLED[int(char)] for char in digits[-2::-2])
    return total % 10 == 0


def _looks_like_timestamp(digits: str) -> bool:
    """Order and serial numbers often start with YYYYMMDDhhmm; one in ten of them passes Luhn by chance."""
    return (
        len(digits) >= 12
        and _valid_date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        and int(digits[8:10]) < 24
        and int(digits[10:12]) < 60
    )


def _is_bank_card(digits: str) -> bool:
    """Whether a run of digits is taken for a payment card: any 13 to 19 digits, except serials that start with a
    date and time.

    Decision: the Luhn check does not decide. A card number mistyped by one digit (or a card whose number an agent
    copied wrongly) identifies its holder as well as a correct one does, and 9 in 10 of them fail Luhn. Order,
    tracking and ticket numbers stay readable by their context instead (`_is_reference`: a keyword before them, or
    letters joined to them) and by the timestamp rule: no card issuer number starts with 19 or 20 followed by a
    month, day, hour and minute (Mastercard's 2-series is 2221-2720).
    """
    return 13 <= len(digits) <= 19 and not _looks_like_timestamp(digits)


def luhn_valid(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812) of a card number; informative only, it does not decide what is masked."""
    return digits.isdigit() and _luhn_valid(digits)


# --- detection -----------------------------------------------------------------------------------------------------

_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def simplified(text: str) -> str:
    """text with traditional characters as simplified ones, every character at its offset.

    Hong Kong and Taiwan customers write 電話, 陳先生, 彌敦道688號: the cue words, surnames and address words of the
    rules are written once, in simplified characters, and the rules read this copy; what they find is cut from the
    text as written.
    """
    if not _HAN_RE.search(text):
        return text
    converted = _t2s().convert(text)
    if len(converted) != len(text):
        # Phrase conversions can change the length; converting one character at a time never does.
        converted = "".join(_t2s().convert(char) or char for char in text)
    return converted


# PII must not touch a letter, digit, "_" or "@": digits inside longer codes (SF1234567890123, DD20240520001) are
# not PII, and "@" starts an e-mail domain. "*" is allowed next to PII (**13812345678** in Markdown), which is safe
# because masked values keep "*" inside them. Each pattern opens with a lookahead for its possible first characters
# only so that `re` can skip ahead to them; that makes the scan several times faster.
_START = r"(?<![A-Za-z0-9_@])"
_END = r"(?![A-Za-z0-9_])"

# Every phone, ID and card has 8+ digits with at most two separator characters between neighbours; most text has
# none, and one search is cheaper than the five number patterns.
_NUMBER_HINT_RE = re.compile(r"\d(?:[ ().-]{0,2}\d){7}")
_EMAIL_RE = re.compile(
    r"(?=[A-Za-z0-9_%+-])(?<![A-Za-z0-9._%+@-])[A-Za-z0-9_%+-][A-Za-z0-9._%+-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
# Chinese mobile, optionally +86 / 0086 / (+86) / 86 and split as 138 1234 5678 or 138-1234-5678.
_MOBILE_RE = re.compile(
    r"(?=[+0(81])(?<![A-Za-z0-9_+])(?:(?:\+|00)86[ -]?|\(\+?86\)[ -]?|86-?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _END
)
# Chinese landline: area code (010, 02x, or four digits) set off by "-", " " or parentheses, then the 7-8 digit
# number in one run or grouped as people say it (0755 8888 1234, 010-8888-1234, (021) 6888 1234, (0571)8765 4321).
_LANDLINE_RE = re.compile(
    r"(?=[(0])"
    + _START
    + r"(?:\(0(?:[12]\d|[3-9]\d{2})\)[ -]?|0(?:[12]\d|[3-9]\d{2})[ -])(?:\d{7,8}|\d{3,4}[ -]\d{4})"
    + _END
)
# Taiwan mobiles as written there: 0912-345-678, 0912 345 678, 0912345678.
_TAIWAN_MOBILE_RE = re.compile(r"(?=0)" + _START + r"09\d{2}(?:[ -]?\d{3}){2}" + _END)
# A number right after a word that says it is a phone (电话 2345 6789, 手机：9123 4567, "call me on 6123 4567"):
# local numbers of Hong Kong, Macau, Singapore or anywhere else have no shape of their own, but the cue says what
# they are. The number may be grouped any way; 7 to 15 digits. The cue words are simplified: the rules read
# `simplified` text, so 電話 and 手機 count too.
_PHONE_CUE_RE = re.compile(
    r"(?=[电手座固联回致宅办TtPpMmCcWw])"
    r"(?:电话|手机|座机|固话|联系方式|回电|致电|宅电|办公电话|"
    r"(?i:(?<![A-Za-z])(?:tel|phone|mobile|cell|whatsapp|call(?:[ \t]+(?:me|him|her|us|them|back))?)(?![A-Za-z])))"
    r"(?:[ \t:：#＃.（）]|号码|号|是|为|(?i:no|number|is|on|at|nr)(?![A-Za-z])){0,6}?"
    r"(?P<number>(?<![A-Za-z0-9_])\+?\(?\d[\d ().-]{5,22}\d)" + _END
)
_DATE_SHAPE_RE = re.compile(r"(?:19|20)\d{2}[-./ ]\d{1,2}[-./ ]\d{1,2}")
# Company hotlines (400-820-8820, 800 810 8888) are public numbers, not a person's.
_HOTLINE_DIGITS_RE = re.compile(r"(?:400|800)\d{7}")
# International: "+" and country code, then groups (+1 415 555 0100, +44 20 7946 0958, +1 (415) 555-0100,
# UK mobiles as +44 7566 073908) or one run of digits. +86 mobiles are left to _MOBILE_RE.
_INTL_RE = re.compile(
    r"(?=\+)"
    + _START
    + r"\+(?!86[ -]?1[3-9])(?:[1-9]\d{7,14}|[1-9]\d{0,2}(?:[ ]?\(0\)\d{1,4}|[ -]\(?\d{1,4}\)?)?(?:[ -]\d{2,6}){1,4})"
    + _END
)
# The same after "00" instead of "+" (0044 7700 900123); the country code must be followed by a separator, so a long
# run of digits that happens to start with 00 is left to the other rules. 0086 mobiles are left to _MOBILE_RE.
_INTL_00_RE = re.compile(
    r"(?=0)" + _START + r"00(?!86[ -]?1[3-9])[1-9]\d{0,2}(?:[ -]\(?\d{1,4}\)?)?(?:[ -]\d{2,6}){1,4}" + _END
)
# United Kingdom, written nationally: mobiles 07xxx xxxxxx in any grouping (07700 900123, 07700 900 123,
# 07700900123) and geographic numbers with their separators (020 7946 0958, 0161 496 0000). 10 or 11 digits.
_UK_NATIONAL_RE = re.compile(
    r"(?=0)" + _START + r"0(?:7\d{3}[ -]?\d{3}[ -]?\d{3}|[12]\d{1,3}[ -]\d{3,4}[ -]?\d{3,4})" + _END
)
# North America, written nationally: (415) 555-0100, 415-555-0100, 415.555.0100. Toll-free and Chinese service
# hotlines of the same shape (800-…, 400-820-8820) are a company's public number, not a person's, and stay.
_NANP_RE = re.compile(
    r"(?=[(2-9])(?<![A-Za-z0-9_@.-])(?:\([2-9]\d{2}\)[ ]?|(?!400|8(?:00|33|44|55|66|77|88))[2-9]\d{2}([ .-]))"
    r"[2-9]\d{2}[ .-]\d{4}(?![A-Za-z0-9_]|[.-]\d)"
)
_DIGIT_RUN_RE = re.compile(r"(?=\d)" + _START + r"(?:\d{17}[Xx]|\d{13,19})" + _END)
# IDs as some people write them, grouped by region, birth date and sequence (440524 18800101 0014) or in fours.
_GROUPED_ID_RE = re.compile(
    r"(?=\d)" + _START + r"(?:\d{6}[ -]?\d{4}[ -]?\d{4}[ -]?\d{3}[\dXx]|\d{4}(?:[ -]\d{4}){3}[ -]\d[\dXx])" + _END
)
# Cards as printed: 4-digit groups (6222 0212 3456 7890 123, any mix of spaces and hyphens as people type them) or
# American Express's 4-6-5 (3782 822463 10005).
_GROUPED_CARD_RE = re.compile(
    r"(?=\d)" + _START + r"(?:\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?|\d{4}[ -]\d{6}[ -]\d{4,5})" + _END
)

# A number right after an order/tracking/ticket/invoice keyword (with only "No.", "#", "号码", ":" and the like in
# between) is a reference the agent needs, whatever it looks like.
_FILLER = r"(?:[\s:：#＃.()（）-]|no|nr|num(?:ber)?|id|code|is|号码?|编号|是|为)*$"
_REFERENCE_BEFORE_RE = re.compile(
    r"(?:订单|单号|运单|快递单|物流单|工单|发票|流水号|交易号|退款单|售后单|受理号|合同号|"
    r"(?<![A-Za-z])(?:order|tracking|ticket|invoice|waybill|shipment|transaction|txn|ref(?:erence)?)s?)" + _FILLER,
    re.IGNORECASE,
)
# Old 15-digit IDs are too easily confused with other numbers to find without being told what they are.
_ID_LABEL_BEFORE_RE = re.compile(
    r"(?:身份证|证件|(?<![A-Za-z])(?:id|identity)(?:\s*card)?)(?:[\s:：#＃.()（）-]|no|nr|num(?:ber)?|号码?|是|为)*$",
    re.IGNORECASE,
)
# Part of a code joined by "-", "_" or "/" to letters: JS-20240520-001, ABC/13812345678.
_CODE_BEFORE_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*[-_/](?:\d+[-_/])*$")
_CODE_AFTER_RE = re.compile(r"(?:[-_/]\d+)*[-_/]\d*[A-Za-z]")
# Decimals and amounts: 13812345678.50元, ¥6222021234567890128.
_AMOUNT_BEFORE_RE = re.compile(r"(?:\d\.|[¥￥$]\s*)$")
_AMOUNT_AFTER_RE = re.compile(r"\.\d|\s*(?:元|块|圆|rmb|cny|usd)", re.IGNORECASE)
CONTEXT_CHARS = 24

# When candidates start at the same place the longest wins; on equal length, the lower rank.
_RANK = {"email": 0, "phone": 1, "id_number": 2, "bank_card": 3}


def _is_reference(text: str, start: int, end: int) -> bool:
    """Whether the digits at text[start:end] are an order number, part of a code, or an amount — not PII."""
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    return bool(
        _REFERENCE_BEFORE_RE.search(before)
        or _CODE_BEFORE_RE.search(before)
        or _CODE_AFTER_RE.match(after)
        or _AMOUNT_BEFORE_RE.search(before)
        or _AMOUNT_AFTER_RE.match(after)
    )


def _id_labelled(text: str, start: int) -> bool:
    return bool(_ID_LABEL_BEFORE_RE.search(text[max(0, start - CONTEXT_CHARS) : start]))


def _is_id_at(text: str, start: int, value: str) -> bool:
    """An 18-character resident ID by its birth date and region or checksum, or any 18 characters after an ID label:
    one mistyped ID digit (a wrong date, say) does not stop the rest from identifying its holder."""
    return len(value) == 18 and (_is_id18(value) or _id_labelled(text, start))


def _classify_digit_run(text: str, start: int, end: int) -> str | None:
    run = text[start:end]
    if _is_id_at(text, start, run):
        return "id_number"
    if len(run) == 15 and _is_id15(run) and _id_labelled(text, start):
        return "id_number"
    if run.isdigit() and _is_bank_card(run):
        return "bank_card"
    return None


def _find_numbers(text: str) -> list[tuple[int, int, str]]:
    candidates = [(m.start(), m.end(), "phone") for regex in (_MOBILE_RE, _LANDLINE_RE) for m in regex.finditer(text)]
    for m in _INTL_RE.finditer(text):
        if 8 <= len(_NON_DIGIT_RE.sub("", m.group())) <= 15:
            candidates.append((m.start(), m.end(), "phone"))
    for m in _INTL_00_RE.finditer(text):
        if 10 <= len(_NON_DIGIT_RE.sub("", m.group())) <= 17:
            candidates.append((m.start(), m.end(), "phone"))
    for regex in (_UK_NATIONAL_RE, _NANP_RE):
        candidates.extend((m.start(), m.end(), "phone") for m in regex.finditer(text))
    for m in _DIGIT_RUN_RE.finditer(text):
        kind = _classify_digit_run(text, m.start(), m.end())
        if kind:
            candidates.append((m.start(), m.end(), kind))
    for m in _GROUPED_CARD_RE.finditer(text):
        if _is_bank_card(_NON_DIGIT_RE.sub("", m.group())):
            candidates.append((m.start(), m.end(), "bank_card"))
    for m in _GROUPED_ID_RE.finditer(text):
        compact = _SEPARATOR_RE.sub("", m.group())
        if compact != m.group() and _is_id_at(text, m.start(), compact):
            candidates.append((m.start(), m.end(), "id_number"))
    candidates.extend((m.start(), m.end(), "phone") for m in _TAIWAN_MOBILE_RE.finditer(text))
    for m in _PHONE_CUE_RE.finditer(text):
        number = m.group("number")
        digits = _NON_DIGIT_RE.sub("", number)
        if 7 <= len(digits) <= 15 and not _DATE_SHAPE_RE.fullmatch(number) and not _HOTLINE_DIGITS_RE.fullmatch(digits):
            candidates.append((m.start("number"), m.end("number"), "phone"))
    return candidates


def find_pii(text: str | None) -> list[PiiMatch]:
    """All phone numbers, e-mail addresses, resident IDs and bank cards in text, in order, not overlapping."""
    if not text:
        return []
    candidates: list[tuple[int, int, str]] = []
    if "@" in text:
        candidates.extend((m.start(), m.end(), "email") for m in _EMAIL_RE.finditer(text))
    # Cue and context words are matched in simplified characters (訂單 is 订单); values are cut from the text.
    scan = simplified(text) if _NUMBER_HINT_RE.search(text) else None
    if scan is not None:
        candidates.extend(_find_numbers(scan))
    candidates.sort(key=lambda c: (c[0], c[0] - c[1], _RANK[c[2]]))
    found: list[PiiMatch] = []
    taken_until = 0
    for start, end, kind in candidates:
        # Context is checked per candidate, so a shorter candidate at the same place can still be taken.
        if start < taken_until or (kind != "email" and _is_reference(scan or text, start, end)):
            continue
        found.append(PiiMatch(kind, start, end, text[start:end]))
        taken_until = end
    return found


def contains_pii(text: str | None) -> bool:
    return bool(find_pii(text))


# Values masked earlier (138****5678, +86 138****5678, 110101********7774, exa***@domain.com). They are safe for
# staff, but a text bound for customers or trainers has no use for a fragment of someone's number: drafts refuse
# them and trainer views replace them. Markdown's **bold** has no digit next to its stars, so it is no masked value.
MASKED_NUMBER_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:\+\d{1,3}[ -]?)?(?:\d[\d -]*\*{2,}[\d*]*\d*|\*{2,}[\d*]*\d)(?![A-Za-z0-9])"
)
MASKED_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]*\*+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}")


def masked_kind(value: str) -> str:
    """What a masked number was, by its length: the maskers keep the length of IDs and cards (110101********7774)
    and show phones as 3 + 4 digits around the hidden ones."""
    length = len(re.sub(r"[^0-9*]", "", value.split(" ")[-1]))
    if length in (15, 18):
        return "id_number"
    if 13 <= length <= 19:
        return "bank_card"
    return "phone"


def find_masked(text: str | None) -> list[PiiMatch]:
    """Values in text that were masked before (kinds as find_pii's), in order, not overlapping."""
    if not text or "*" not in text:
        return []
    found = [PiiMatch(masked_kind(m.group()), m.start(), m.end(), m.group()) for m in MASKED_NUMBER_RE.finditer(text)]
    if "@" in text:
        found += [PiiMatch("email", m.start(), m.end(), m.group()) for m in MASKED_EMAIL_RE.finditer(text)]
    found.sort(key=lambda match: match.start)
    kept: list[PiiMatch] = []
    for match in found:
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


MAX_PASSES = 8
_MASKERS: dict[str, Callable[[str], str | None]] = {
    "phone": mask_phone,
    "email": mask_email,
    "id_number": mask_id_number,
    "bank_card": mask_bank_card,
}


def _mask_matches(text: str, matches: list[PiiMatch]) -> str:
    parts: list[str] = []
    position = 0
    for match in matches:
        parts.append(text[position : match.start])
        parts.append(_MASKERS[match.kind](match.value) or "")
        position = match.end
    parts.append(text[position:])
    return "".join(parts)


def mask_text(text: str | None) -> str | None:
    """text with every `find_pii` match masked; all other characters are kept as they are."""
    if not text:
        return text
    # Masking one value can change the context of a neighbour (a phone glued by "-" to an e-mail address that
    # ended in letters no longer looks like part of a code), so mask until nothing more is found: that makes
    # mask_text idempotent. Every pass adds "*" and ordinary text needs one pass plus the check.
    for _ in range(MAX_PASSES):
        matches = find_pii(text)
        if not matches:
            break
        text = _mask_matches(text, matches)
    return text
