"""Chinese homophone typos are corrected; correctly typed Chinese is left exactly as typed."""

from __future__ import annotations

import pytest

from text.spelling import HomophoneCorrector

#: What a small help center's articles say (as the index's vocabulary would hold it), with words that sound like
#: common correctly typed text: 补发 (不发), 提前 (的钱), 点击 (点挤), 提示 (的是), 不能 (还能).
VOCABULARY = [
    "发票", "退款", "手机号", "绑定", "收藏夹", "填写", "差价", "降价", "快递", "补发", "提前", "点击",
    "提示", "不能", "积分", "几分", "发货", "显示", "时候", "什么", "模式",
    "视为", "号码", "款式", "价格", "被扣", "被盗", "优化",  # words that sound like function characters in a run
    "微信", "花呗",  # the help center's own terms that jieba does not know
    "否的", "提示候",  # jieba's HMM guesses at new words, as an index holds them: never a correction
]  # fmt: skip


@pytest.fixture(scope="module")
def corrector():
    return HomophoneCorrector(VOCABULARY)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("发漂税号填错了", "发票税号填错了"),
        ("怎么申请退宽", "怎么申请退款"),
        ("更换帮定的手鸡号", "更换绑定的手机号"),
        ("收仓夹在哪里", "收藏夹在哪里"),
        ("退货单号在哪里天写", "退货单号在哪里填写"),
        ("刚买就将价了能退茶价吗", "刚买就降价了能退差价吗"),
        ("快第已经发出了", "快递已经发出了"),
        ("登陆不上去了", "登录不上去了"),
    ],
)
def test_homophone_typos_are_corrected(corrector, typed, meant):
    assert corrector.correct(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "钱什么时候退回来",  # 么时 sounds like 模式, across two words
        "现在还显示待发货",
        "我这边还能改吗",  # 还 read as fu (a rare reading) sounded like 不
        "买了三天了还不发货",  # 不发 sounds like 补发, but is two common words
        "结果银行短信显示扣了两笔一样的钱",  # 的 read as di
        "我买的运动鞋穿上有点挤脚",  # 点挤 is half of 有点
        "刚到的东西就是坏的",  # 坏的 sounds like the HMM's 否的
        "下单的是M码",
        "优惠券用不了",
        # A run swallowing a particle, pronoun or preposition (是, 吗, 时, 个, 有), or part of the help center's own
        # term (微信, 花呗) that jieba splits into characters, as real customers' questions showed.
        "你们是微信官方的么",
        "还款日都是1号吗",
        "还花呗款时临时额度有期限吗",
        "能不能加个大字模式",
        "我看我都有花呗临时额度",
        "花呗扣了两次款",
        "借呗到现在还不能用",
    ],
)
def test_correctly_typed_chinese_is_left_alone(corrector, typed):
    assert corrector.correct(typed) is None
