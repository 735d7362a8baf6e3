"""Conditions a Chinese question states (text.conditions): shipped or not yet, for a while or for good."""

from __future__ import annotations

import pytest

from text.conditions import agreement, stated, stated_by_any


@pytest.mark.parametrize(
    ("text", "sides"),
    [
        ("地址写错了 还没发货", {"shipped": False}),
        ("刚买的还没发 想取消退钱", {"shipped": False}),
        ("显示待发货好几天了", {"shipped": False}),
        ("到底还发不发了", {"shipped": False}),
        ("新的那件还没发出来，能催一下吗", {"shipped": False}),
        ("发货前可以改规格吗", {"shipped": False}),
        ("都发货了 地址还能改不", {"shipped": True}),
        ("包裹已經寄出了，想改送到公司", {"shipped": True}),  # traditional
        ("发货后还能取消吗", {"shipped": True}),
        ("短期提额", {"lasting": True}),
        ("信用卡臨時額度怎麼申請", {"lasting": True}),
        ("信用卡額度太低，要怎麼申請永久調高", {"lasting": False}),
        ("信用卡固定额度怎么提升", {"lasting": False}),
    ],
)
def test_the_side_a_question_states(text, sides):
    assert stated(text) == sides


@pytest.mark.parametrize(
    "text",
    [
        "买东西没发票",  # 发票: an invoice, not shipping
        "没发现有这笔扣款",
        "从来没发生过这种事",
        "验证码一直没发送过来",
        "固定电话怎么改号",
        "暂时无法登录",  # for now, not for a while
        "会议临时提前结束了，想改签",  # at short notice
        "临时有事去不了了",
        "付款后订单不见了",
        "外卖还没发货就显示已经发货了",  # both sides: neither
        "",
        "refund not shipped",
    ],
)
def test_words_that_only_look_like_a_condition_state_none(text):
    assert stated(text) == {}


def test_an_article_states_what_any_of_its_questions_states():
    article = stated_by_any(["下单后怎么修改收货地址", "地址填错了怎么办", "还没发货能改地址吗"])
    assert article == {"shipped": frozenset({False})}
    assert stated_by_any(["已经发货了还能改地址吗", "还没发货能改地址吗"]) == {"shipped": frozenset({True, False})}
    assert stated_by_any(["怎么申请退款"]) == {}


def test_agreement_is_the_same_side_the_other_side_or_nothing_said():
    not_yet = {"shipped": frozenset({False})}
    both = {"shipped": frozenset({True, False})}
    assert agreement({"shipped": False}, not_yet) == 1
    assert agreement({"shipped": True}, not_yet) == -1
    assert agreement({"shipped": True}, both) == 1
    assert agreement({"shipped": True}, {}) == 0
    assert agreement({}, not_yet) == 0
    # One condition on the other side outweighs another on the same side.
    article = {"shipped": frozenset({False}), "lasting": frozenset({True})}
    assert agreement({"lasting": True, "shipped": True}, article) == -1
