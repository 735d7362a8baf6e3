"""Agent notes become customer questions and customer-facing steps; nothing naming one case survives."""

from __future__ import annotations

import pytest

from text.rewriting import answer_steps, customer_question, is_customer_question

CASES = [
    # (record text as an agent wrote it, words that must go, words that must stay)
    ("客户反映订单DD202608205222付款5天了还显示“待发货”，页面写的48小时内发货", ["DD2026", "客户"], ["待发货"]),
    (
        "客户企业（康宁医疗器械有限公司）需要把7月20日以来的2个订单合并开一张发票",
        ["康宁", "有限公司", "7月20日"],
        ["发票"],
    ),
    ("客户非常愤怒，要求投诉工号A05的客服，对方态度很差", ["A05", "愤怒"], ["投诉"]),
    ("客户说验证码发到 +44 767***7980 收不到", ["***", "7980"], ["验证码"]),
    ("（重复咨询）客户问怎么设置自动回复，用的iPhone 15", ["重复咨询", "iPhone 15"], ["自动回复"]),
    (
        "客户咨询取消订单DD202608077080后退款多久能到，金额889元，用的工商银行储蓄卡",
        ["889", "工商银行", "DD"],
        ["退款多久"],
    ),
    ("客户称快递单号SF4575309636603一直卡在转运中心，觉得客服在推脱", ["SF4575309636603"], ["转运中心"]),
    (
        "Customer asks how to recover the password on iPhone 15; last order DD202608084191.",
        ["DD2026", "iPhone", "Customer"],
        ["recover the password"],
    ),
    ("Cancellation of DD202607300078 has been 'under review' for days.", ["DD2026"], ["under review"]),
    ("Can the monthly Plus plan fee ($7.99) be invoiced to Harbor Health Clinic?", ["$7.99", "Harbor"], ["invoiced"]),
]


@pytest.mark.parametrize(("note", "gone", "kept"), CASES)
def test_a_note_becomes_a_customer_question_naming_no_case(note, gone, kept):
    question = customer_question(note, "zh" if any("\u4e00" <= c <= "\u9fff" for c in note) else "en")
    assert question, note
    for word in gone:
        assert word not in question, (word, question)
    for word in kept:
        assert word in question, (word, question)
    assert question.endswith(("？", "?")) or question[0].isupper()


def test_a_chinese_statement_becomes_a_question():
    assert (
        customer_question("客户说支付时页面卡住，点了两次，结果扣了2笔钱", "zh")
        == "支付时页面卡住，点了两次，结果扣了2笔钱，怎么办？"
    )
    assert customer_question("客户问发票怎么开", "zh") == "发票怎么开？"


def test_only_clean_questions_may_be_published():
    assert is_customer_question("发票怎么开？")
    assert not is_customer_question("客户问发票怎么开")
    assert not is_customer_question("订单DD202608205222怎么还没发货？")
    assert not is_customer_question("手机139****5678收不到验证码？")
    assert not is_customer_question("康宁医疗器械有限公司要开专票")
    assert not is_customer_question("")


def test_one_off_promises_and_compensation_are_flagged_not_copied():
    steps, flags = answer_steps("财务已加急处理，退款今日到账，客户确认收到", "zh")
    assert steps == [] and flags == ["财务已加急处理", "退款今日到账"]
    steps, flags = answer_steps("已联系快递公司核实，包裹重新派送，并补偿10元券", "zh")
    assert steps == ["联系快递公司核实", "包裹重新派送"] and flags == ["并补偿10元券"]


def test_an_answer_is_addressed_to_the_customer_as_steps():
    steps, flags = answer_steps("1. 指导客户卸载重装\n2. 清除缓存后客户登录成功", "zh")
    assert steps == ["卸载重装", "清除缓存后您登录成功"] and flags == []
    steps, flags = answer_steps("Reinstalled the app; cleared the cache. Customer confirmed. A $10 credit given.", "en")
    assert steps == ["Reinstalled the app", "Cleared the cache"]
    assert flags == ["A $10 credit given"]
