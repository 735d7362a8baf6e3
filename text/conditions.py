"""What a Chinese question says of the customer's situation, where help centers answer one topic twice.

A help center splits a topic by the state it is in: changing the address before the order ships and after (下单后怎么
修改收货地址 / 已经发货了还能改地址吗), a temporary and a permanent credit limit (临时额度 / 固定额度). Sentence
models hardly read negation and such qualifiers: multilingual-e5-small puts 地址写错了 还没发货 closer to the
after-shipping article. The words that state the condition are few and unambiguous, so they are matched here: a
query stating one side of a condition is steered away from an article whose questions state the other side, and
slightly towards one whose questions state the same side (kb.search).

Only the title and other questions of an article are read for its side: its body usually covers both cases.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from text.analysis import normalise

#: What follows a bare 发 or 寄 when it means shipping (还没发 想取消, 还发不发了, 新的还没发出来), rather than 发票,
#: 发现, 发生 or 发送.
_SHIPPING_END = r"(?=$|[\s，。！？,.!?；;了呢吗啊呀吧嘛出货])"


@dataclass(frozen=True)
class Condition:
    """Two sides of one condition, each a pattern over normalised (simplified) text."""

    name: str
    first: re.Pattern[str]
    second: re.Pattern[str]


CONDITIONS = (
    Condition(
        "shipped",
        # Shipped: 已经发货了, 都发货了, 已寄出, 发货后.
        re.compile(r"(已经?|都|早就?)(发货|发出|寄出|发了|寄了)|(?<![没未不])发货了|发出去了|寄出去了|发货(之)?后"),
        # Not shipped yet: 还没发货, 未发货, 待发货, 不发货, 发货前, 还没发 想取消.
        re.compile(rf"(没有?|未|不)(发货|发出|寄出|发{_SHIPPING_END}|寄{_SHIPPING_END})|待发货|发货(之)?前"),
    ),
    Condition(
        "lasting",
        # For a while: 临时额度, 短期提额, 暂时不用, 就这一阵子; not "for now" (暂时无法) nor "at short notice"
        # (临时有事, 会议临时提前结束了).
        re.compile(r"临时(?!有事|决定|提前|改|变|通知|加班|取消)|短期|暂时(?!无法|没有|不能)|一阵子"),
        # For good: 永久提额, 长期, 固定额度 (not 固定电话).
        re.compile(r"永久|长期|固定(?!电话)"),
    ),
)


def stated(text: str) -> dict[str, bool]:
    """Per condition the text states one side of: True for the first side, False for the second. A text stating
    both sides (付款成功了订单还是待付款; 还没到就显示已送达) states neither."""
    normalised = normalise(text)
    sides: dict[str, bool] = {}
    for condition in CONDITIONS:
        first = condition.first.search(normalised) is not None
        second = condition.second.search(normalised) is not None
        if first != second:
            sides[condition.name] = first
    return sides


def stated_by_any(texts: Iterable[str]) -> dict[str, frozenset[bool]]:
    """Per condition, the sides an article's questions state (one question may state one, another the other)."""
    sides: dict[str, set[bool]] = {}
    for text in texts:
        for name, side in stated(text).items():
            sides.setdefault(name, set()).add(side)
    return {name: frozenset(found) for name, found in sides.items()}


def stated_by_most(texts: Sequence[str]) -> dict[str, bool]:
    """Per condition, the side more than half of the texts state (a group of records asking one question)."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(stated(text).items())
    return {name: side for (name, side), count in counts.items() if count > len(texts) / 2}


def agreement(query: dict[str, bool], article: dict[str, frozenset[bool]]) -> int:
    """-1 where the article's questions state only the other side of a condition the query states, else 1 where they
    state the same side, else 0."""
    verdict = 0
    for name, side in query.items():
        sides = article.get(name)
        if not sides:
            continue
        if side not in sides:
            return -1
        verdict = 1
    return verdict
