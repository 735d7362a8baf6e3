"""How the text-quality checks read a record's words, in Chinese (simplified or traditional) and English.

Rules first, each returning the words that decided it, so every verdict can name them: which kinds of concrete detail
a problem description has, which clauses are judgements of the customer (outside the customer's quoted words), which
handling steps are completed concrete actions (not plans, not "handled"), and whether a resolution states an outcome
(a completed result, not a hand-over or a promise). The multilingual model (scoring/exemplars.py) is asked only where
the rules find nothing either way.

Bulk rescoring runs these on every record. Each text is folded to simplified Chinese once (`fold`, one character
for one), so the Chinese patterns are written and compiled in simplified only; what they find is cut from the original
text at the same offsets, so a verdict quotes the record in its own script. A costly pattern is searched only in
texts holding one of the words every match of it contains (`Prefilter`): most Chinese records hold none of the
English words. Results are kept per text: records written from templates repeat the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from re import _constants as _sre
from re import _parser as _sre_parser

from text.analysis import to_simplified

#: Texts whose readings are kept per process and function. Records written from the same template repeat their
#: texts; a reading costs 5-60 µs, a kept one under 1. More than the 2,400 demo records' distinct texts (what
#: bench/bench_scoring.py copies), and at some 400 bytes a text a few megabytes at most in a web worker.
CACHED_TEXTS = 4096

# ----- one script ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=CACHED_TEXTS)
def fold(text: str) -> str:
    """`text` in simplified Chinese, every character at its offset (text.analysis.to_simplified: 帳 and 賬 → 账). The
    Chinese patterns below are searched in this form."""
    # OpenCC changes no ASCII character, and str.isascii() costs nothing: most English records skip it.
    return text if text.isascii() else to_simplified(text)


def pattern(source: str, flags: int = 0) -> re.Pattern:
    """A regular expression written in simplified Chinese, to be searched in folded text (`fold`). One script keeps
    an alternation of words flat, which re searches many times faster than four spellings of it side by side."""
    return re.compile(source, flags)


def alternatives(items: tuple[str, ...]) -> str:
    return "|".join(sorted((re.escape(item) for item in items), key=len, reverse=True))


#: Characters outside ASCII that re.IGNORECASE lets match an ASCII letter (İ, ı, ſ, the Kelvin sign).
_ODD_CASES = re.compile("[\u0130\u0131\u017f\u212a]")


def lowered(text: str) -> str | None:
    """`text` lower-cased for Prefilter.may_match, or None when it holds a letter lower() does not fold as re does."""
    return None if _ODD_CASES.search(text) else text.lower()


class Prefilter:
    """A cheap necessary condition for a pattern: it cannot match unless one of the words every match of it contains
    (found in the pattern by re's own parser) occurs in the lower-cased text. Those words, as a trie of plain
    characters, are searched many times faster than a case-blind pattern of words between word boundaries. A pattern
    without such words always may match."""

    def __init__(self, expression: re.Pattern):
        try:
            needed = _needed_words(_sre_parser.parse(expression.pattern, expression.flags).data)
        except Exception:  # re's parser is private: should it change, the checks only lose the shortcut
            needed = None
        self._needed = re.compile(_any_of({word.lower() for word in needed})) if needed else None

    def may_match(self, lowered: str | None) -> bool:
        return lowered is None or self._needed is None or self._needed.search(lowered) is not None


_REPEATS = tuple(
    getattr(_sre, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(_sre, name)
)


def _needed_words(items: list) -> frozenset[str] | None:
    """Words one of which every match of the parsed `items` contains (the most selective such set), or None."""
    return _most_selective(_needed_options(items))


def _most_selective(options: list[frozenset[str]]) -> frozenset[str] | None:
    return max(options, key=lambda words: (min(map(len, words)), -len(words)), default=None)


def _needed_options(items: list) -> list[frozenset[str]]:
    """Sets of words, each such that every match of the parsed `items` contains one of its words."""
    options: list[frozenset[str]] = []
    run: list[str] = []
    for operator, argument in [*items, (None, None)]:
        if operator is _sre.LITERAL:
            run.append(chr(argument))
            continue
        if run:
            options.append(frozenset(["".join(run)]))
            run = []
        if operator is _sre.SUBPATTERN:
            options += _needed_options(argument[-1])
        elif operator is _sre.BRANCH:
            chosen: list[frozenset[str]] = []
            for alternative in argument[1]:
                own = _needed_options(alternative)
                if not own:
                    break
                # Words an earlier alternative needs already keep the union small ("rude customer" | "customer is
                # rude": the adjectives, not the adjectives for one and "customer" for the other).
                shared = [words for words in own if any(words <= earlier for earlier in chosen)]
                chosen.append(_most_selective(shared or own))
            else:
                options.append(frozenset().union(*chosen))
        elif operator in _REPEATS and argument[0] >= 1:
            options += _needed_options(argument[2])
        elif operator is _sre.IN and all(kind is _sre.LITERAL for kind, _ in argument):
            options.append(frozenset(chr(code) for _, code in argument))
    return options


def _any_of(words: set[str]) -> str:
    """A regular expression for "one of `words` occurs", as a trie: re tries one branch per character, where a flat
    alternation of fifty words tries fifty at every letter of an English text."""
    # A text holding a word holds every word inside it: only the shortest are needed.
    words = {word for word in words if not any(other != word and other in word for other in words)}
    trie: dict = {}
    for word in words:
        node = trie
        for character in word:
            node = node.setdefault(character, {})

    def branch(node: dict) -> str:
        parts = [re.escape(character) + branch(child) for character, child in sorted(node.items())]
        return parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})" if parts else ""

    return branch(trie)


# ----- quotes and clauses ------------------------------------------------------------------------------------------

#: The customer's own words in quotes are facts about what was said, however rude they are.
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|\"[^\"]*\"|‘[^’]*’|(?<![A-Za-z])'[^'\n]{3,}'(?![A-Za-z])")
_CLAUSE_BREAKS = pattern(
    r"[，,；;。!！?？\n（）()]+|\.(?!\d)|[：:](?!\d)|\s+(?:and|then|but|so|also)\s+|并且|然后|随后|同时|并(?!不|没)|再(?!次)|又(?!一)"
)


_CLAUSE_EDGES = " \t-*•·0123456789.、)）"


def unquoted(text: str) -> str:
    return _QUOTED.sub("“”", text)


def _clause_pairs(text: str) -> list[tuple[str, str]]:
    """(clause, the clause folded) of `text`: split where the folded text breaks, both cut at the same offsets."""
    folded = fold(text)
    pairs = []
    start = 0
    for end, after in [*((match.start(), match.end()) for match in _CLAUSE_BREAKS.finditer(folded)), (len(text), 0)]:
        piece = text[start:end]
        if piece.strip():
            first = start + len(piece) - len(piece.lstrip(_CLAUSE_EDGES))
            last = max(first, start + len(piece.rstrip(_CLAUSE_EDGES)))
            pairs.append((text[first:last], folded[first:last]))
        start = after
    return pairs


def clauses(text: str) -> list[str]:
    return [clause for clause, _ in _clause_pairs(text)]


# ----- specific problem: kinds of concrete detail --------------------------------------------------------------------

_CN_NUMBER = "[0-9一二两三四五六七八九十几半]"
_EN_NUMBER = r"(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|few)"
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WEEKDAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_DETAILS: dict[str, list[re.Pattern]] = {
    "time": [
        pattern(
            rf"\d{{1,2}}月(?:\d{{1,2}}[日号]?|初|中|底|份)|\d{{1,2}}[日号](?:[上下]午|晚|凌晨|早)?|\d{{4}}-\d{{2}}-\d{{2}}"
            rf"|\d{{1,2}}/\d{{1,2}}|\d{{1,2}}[:：]\d{{2}}|\d{{1,2}}点"
            rf"|{_CN_NUMBER}+\s*(?:个)?(?:天|小时|钟头|分钟|秒|周|星期|礼拜|个月)"
            r"|昨天|昨晚|今天|今早|前天|上周|本周|这周|上个?月|凌晨|上午|下午|晚上|早上|中午|周[一二三四五六日末]"
            r"|星期[一二三四五六日天]|最近|近期|刚才|刚刚"
        ),
        re.compile(
            rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}"
            rf"|\bthe \d{{1,2}}(?:st|nd|rd|th)\b"
            rf"|\b{_EN_NUMBER}\s*(?:days?|hours?|hrs?|minutes?|mins?|weeks?|months?|seconds?)\b"
            rf"|\b\d{{1,2}}(?::\d{{2}})?\s*(?:am|pm)\b"
            rf"|\b\d{{1,2}}:\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}\b"
            rf"|\b(?:yesterday|today|tonight|this morning|this afternoon|last night"
            rf"|last week|last month|this week|since {_WEEKDAYS}|last {_WEEKDAYS}|on {_WEEKDAYS}"
            r"|early \w+ber|midnight)\b",
            re.IGNORECASE,
        ),
    ],
    "reference": [
        re.compile(r"\b[A-Z]{1,4}-?\d{4,}\b|(?<![\d.])\d{8,}(?![\d.])|\bv?\d+\.\d+(?:\.\d+)+\b|\b[Vv]\d+\.\d+\b"),
        pattern(r"尾号\s*\d{3,4}|版本\s*[Vv]?\d+|[Vv]\d+(?:\.\d+)*版|编号\s*[A-Z]*\d+|ID\s*[A-Z]*\d+"),
        re.compile(
            r"\b(?:ending|version|v)\s*\d+(?:\.\d+)*\b|\b(?:order|ticket|ref|account|booking)\s+#?[A-Z]*\d{3,}",
            re.IGNORECASE,
        ),
    ],
    "product": [
        re.compile(r"\b[A-Z][A-Za-z]*[- ]?\d{1,4}[A-Za-z]{0,2}\b|\b(?:iPhone|iPad|Pad|ThinkPad|Mi Band|HP)\b"),
        re.compile(
            r"\b(?:app|apps|android|ios|iphone|ipad|website|web|mini program|desktop|laptop|tablet|phone|router|"
            r"broadband|earbuds?|headphones?|dishwasher|jacket|vacuum|air ?conditioner|ac|fridge|freezer|printer|"
            r"washing machine|washer|dryer|rice cooker|water heater|heater|kettle|coffee machine|lock|watch|band|"
            r"charger|scanner|card|subscription|membership|pass|flight|hotel|cake|food|parcel|package|invoice|"
            r"report|cart|coupon|voucher|points|loan|atm|toll tag|purifier|bluetooth|wifi|windows|chrome|"
            r"online banking|account|order|bill|plan|sofa|tv|camera|speaker|mattress)\b",
            re.IGNORECASE,
        ),
        pattern(
            r"App|APP|app|小程序|网页|官网|网站|电脑|笔记本|平板|手机|耳机|空调|冰箱|洗衣机|洗碗机|热水器|热水壶|电饭煲|咖啡机|"
            r"净化器|扫地机|机器人|路由器|光猫|宽带|打印机|门锁|手环|手表|充电器|扫码枪|收银|浏览器|网银|软件|系统|"
            r"会员|年卡|积分|套餐|话费|信用卡|银行卡|发票|报表|购物车|优惠券|机票|航班|酒店|外卖|快递|包裹|蛋糕|"
            r"羽绒服|衣服|鞋|手机壳|体检|贷款|ETC|ATM|账户|账号|订单|沙发|电视|音箱|相机|床垫"
        ),
    ],
    "failure": [
        pattern(
            r"提示|报错|错误|失败|闪退|无法|不能|打不开|卡住|卡在|卡纸|没到|未到|未收到|没收到|没有收到|扣了两|重复扣|多扣"
            r"|不了|断网|没声音|不制冷|制冷效果差|坏|破损|碎了|断了|漏|熄火|关机|蓝屏|闪烁|异响|噪音|晃动|脱落|没退|未退|没到账"
            r"|未到账|未更新|停留|没人|不亮|不充电|偏差|清零|转圈|吞卡|发错|错发|被取消|自动取消|超时|延误|迟到|显示.{0,6}(?:未|处理中|已签收)"
            r"|没抵扣|未抵扣|查不到|看不到|连不上|不抬杆|一直|还是报|校验失败|名额已满|没出钞|[“「]"
        ),
        re.compile(
            r"\b(?:error|errors|fails?|failed|failing|crash(?:es|ed)?|won't|doesn't|don't|didn't|can't|cannot|unable|"
            r"stuck|broken|broke|damaged|crushed|charged twice|twice|no sound|flickers?|jams?|jammed|off by|"
            r"reset to zero|"
            r"late|cancell?ed|missing|leaking|peeling|blue-screened|shaking|loud|not applied|not received|never got|"
            r"no update|never|wrong|down since|keeps flashing|goes out|switches itself off|not authori[sz]ed|"
            r"fully booked|no cash|kept the card|"
            r"no room|extra|nobody|still not|not (?:show|open|work|charge|sync|connect)\w*)\b|\"",
            re.IGNORECASE,
        ),
    ],
    "amount": [
        re.compile(
            r"\d(?:\.\d+)?\s*[元块]|[¥￥$€£]\s?\d|\b\d+(?:\.\d+)?\s*(?:usd|rmb|cny|yuan|dollars?)\b", re.IGNORECASE
        ),
        pattern(r"\d+%|\d+\s*[个件台次张条分]|\d+度"),
        re.compile(r"\b\d+\s*(?:%|items?|pieces?|times|glasses|rows|points|km|mbps|°c)\b", re.IGNORECASE),
    ],
}
#: The kinds of detail, in the order explanations name them.
DETAIL_NAMES = {
    "time": ("时间", "time"),
    "reference": ("单号/版本", "reference"),
    "product": ("产品", "product"),
    "failure": ("具体现象", "failure"),
    "amount": ("金额/数量", "amount"),
}
#: Each pattern with its prefilter.
_DETAIL_SEARCHES = {
    kind: [(expression, Prefilter(expression)) for expression in patterns] for kind, patterns in _DETAILS.items()
}
_VAGUE_FAILURE = pattern(r"^[^，。,.]{0,12}(?:有问题|出了点问题|出问题|有点问题|有bug|不好用|不对|有意见)[。.!！]*$")


def detail_evidence(text: str) -> dict[str, str]:
    """Kind of concrete detail → the first words of the text that show it (time, reference, product, failure,
    amount). A bare "order" without its number is no reference, a bare "there is a problem" no failure."""
    return dict(_detail_evidence(text))


@lru_cache(maxsize=CACHED_TEXTS)
def _detail_evidence(text: str) -> dict[str, str]:
    folded = fold(text)
    folded_lowered = lowered(folded)
    found: dict[str, str] = {}
    for kind, searches in _DETAIL_SEARCHES.items():
        for expression, prefilter in searches:
            match = prefilter.may_match(folded_lowered) and expression.search(folded)
            if match:
                words = text[match.start() : match.end()]
                found[kind] = words.strip() or words
                break
    if "failure" in found and _VAGUE_FAILURE.search(folded):
        del found["failure"]
    return found


# ----- objective wording ---------------------------------------------------------------------------------------------

_JUDGEMENT_ZH = pattern(
    r"烦人|很烦|太烦|真烦|烦死|无理取闹|胡搅蛮缠|素质|脑子有问题|脑子|脑残|智商|白嫖|难缠|难搞|难伺候|事多|事儿多|蛮不讲理|不讲理"
    r"|不讲道理|找茬|挑毛病|态度恶劣|态度极差|态度很差|态度差劲|不可理喻|矫情|撒谎|说谎|骗子|奇葩|听不懂人话|讹钱|讹人|有病|神经病"
    r"|神经兮兮|脾气差|脾气很差|脾气大|脾气不好|杠精|太笨|很笨|真笨|笨蛋|蠢|贪小便宜|贪心|刁钻|刁难|差评师|人品|啰嗦|装可怜|小题大做"
    r"|存心|故意|没礼貌|不礼貌|疯子|疯了|能闹|太能|薅羊毛|发泄|嚣张|就是穷|穷鬼|无理要求|古怪|老赖|泼妇|不配合|明显是|明明|纯属"
    r"|就是想|想占便宜|没素质|低素质|垃圾客户|极品|作精|戏精|玻璃心|难沟通|不好沟通|难以沟通|大妈|老头子|这人|这种人|傲慢|蛮横"
    r"|态度(?:极其|非常|十分|特别|很|太|极)(?:差|坏|恶劣|嚣张|冲)"
)
#: Always a judgement of a person, whoever the subject is.
_INSULTS_EN = (
    *"stupid idiot idiotic dumb moron nutjob crazy weirdo karen troll freeloader cheapskate deadbeat".split(),  # noqa: SIM905
    *"entitled greedy paranoid shady whiny hysterical clueless liar lying ridiculous troublemaker".split(),  # noqa: SIM905
    *"rambles nitpicking typical".split(),  # noqa: SIM905
    "nut job",
    "serial complainer",
    "high maintenance",
    "playing the victim",
    "mountain out of a molehill",
    "just venting",
    "hard time",
    "hard to deal with",
    "impossible to deal with",
    "difficult customer",
    "annoying customer",
    "rude customer",
    "pulled the same stunt",
    "doesn't listen",
    "won't admit",
    "trying to get free",
    "squeeze money",
    "bad attitude",
    "attitude problem",
    "short temper",
    "looking for trouble",
    "time waster",
    "overreacting",
    "exaggerating",
    "pain in the",
)
_INSULTS = re.compile(
    rf"\b(?:{alternatives(_INSULTS_EN)})\b|\b(?:obviously|clearly)\b(?!\s+(?:explained|stated|shows?|showed|visible))",
    re.IGNORECASE,
)
#: A judgement when said of the customer ("customer is so annoying", "very rude customer", not "the courier was rude").
_CUSTOMER_ADJECTIVES = (
    "rude impolite annoying unreasonable difficult picky slow arrogant uncooperative demanding weird hard "
    "terrible bad horrible awful aggressive pushy impossible irritating"
)
_ABOUT_CUSTOMER = re.compile(
    r"\b(?:customer|caller|client|he|she|they|guy|lady|woman|man)\s+(?:is|was|being|seems|seemed|were|are)?\s*"
    r"(?:so |very |really |too |way |a bit |quite |extremely |just )*(?:a |an )?(?:"
    + "|".join(_CUSTOMER_ADJECTIVES.split())
    + r")\b|\b(?:very |really |so |extremely )?(?:"
    + "|".join(_CUSTOMER_ADJECTIVES.split())
    + r")\s+(?:customer|caller|client)\b|\bhad a (?:terrible|bad|horrible|awful) attitude\b",
    re.IGNORECASE,
)
#: What the customer said or reported, up to the end of the clause: their words, not the agent's judgement.
_REPORTED_EN = re.compile(
    r"\b(?:says?|said|reports?|reported|claims?|claimed|complain(?:s|ed)?|thinks?|believes?|feels?|called it|"
    r"accused|mentioned|described)\b[^.;!?\n]*",
    re.IGNORECASE,
)
_REPORTED_EN_NEEDS, _INSULTS_NEEDS, _ABOUT_CUSTOMER_NEEDS = map(Prefilter, (_REPORTED_EN, _INSULTS, _ABOUT_CUSTOMER))
_REPORTED_ZH = pattern(r"客户(?:说|称|反映|反馈|表示|认为|觉得|抱怨|投诉|指责|怀疑|提到|原话)(?!话)[^，。；;！!\n]*")


def own_words(text: str) -> str:
    """`text` without what the customer said: quotes and Chinese reported speech (客户称……) removed."""
    return _own_words(text)[0]


def _own_words(text: str) -> tuple[str, str]:
    """(own words, the same folded): reported speech is found in the folded text and cut from both."""
    text = unquoted(text)
    folded = fold(text)
    kept, kept_folded, start = [], [], 0
    for match in _REPORTED_ZH.finditer(folded):
        kept.append(text[start : match.start()])
        kept_folded.append(folded[start : match.start()])
        start = match.end()
    if not kept:
        return text, folded
    return "".join(kept) + text[start:], "".join(kept_folded) + folded[start:]


def judgements(text: str) -> list[str]:
    """The words of `text` that judge the customer, outside what the customer said (quoted or reported)."""
    return list(_judgements(text))


@lru_cache(maxsize=CACHED_TEXTS)
def _judgements(text: str) -> tuple[str, ...]:
    own, folded = _own_words(text)
    found = [own[match.start() : match.end()] for match in _JUDGEMENT_ZH.finditer(folded)]
    if _LATIN.search(own):
        english = _REPORTED_EN.sub("", own) if _REPORTED_EN_NEEDS.may_match(lowered(own)) else own
        english_lowered = lowered(english)
        if _INSULTS_NEEDS.may_match(english_lowered):
            found += [match.group(0) for match in _INSULTS.finditer(english)]
        if _ABOUT_CUSTOMER_NEEDS.may_match(english_lowered):
            found += [match.group(0) for match in _ABOUT_CUSTOMER.finditer(english)]
    return tuple(dict.fromkeys(found))


# ----- concrete steps ------------------------------------------------------------------------------------------------

#: Clauses that say what will be done, not what was done.
_PLANNED_ZH = pattern(
    r"^(?:已经?|先)?(?:将|会|要|需要|需|计划|打算|准备|拟|稍后|待|等|等待|下一步|后续|明天|明日|下午|晚些|回头|尽快|预计|拟于)"
    r"|中$|^正在"
)
_PLANNED_EN = re.compile(
    r"^(?:i |we )?(?:will|'ll|shall|going to|plan|planning|intend|need|needs|to be|next step|waiting|awaiting|"
    r"pending|later|tomorrow|should|must|may|might|would|try to|to )\b|\bwill\b|\bgoing to\b",
    re.IGNORECASE,
)
#: Doing something a customer could check: verbs with their object. "Handled", "followed up", "explained",
#: "apologised" and "calmed the customer" are not concrete.
_ACTION_ZH = pattern(
    r"核实|核对|查询|查了|查看|查到|检查|检测|调取|调出|确认|引导|指导|教|让客户|帮客户|重置|重启|清除|清理|卸载|安装|联系|致电|回电|打电话"
    r"|提交|登记|退款|退了|退回|退还|补发|发了|更换|换货|升级给|升级到|升级|转交|转给|转技术|转二线|转到|发送|发给|寄出|修改|取消|恢复|申请"
    r"|开具|作废|补偿|发放|安排|派送|拦截|截图|测试|复现|同步|解冻|解锁|冻结|解绑|绑定|赔付|报销|办理|催促|预约|约到|计算|免除|释放"
    r"|附在|附上|写进|写入|加入|远程|录入|压缩|匹配|判断|补单|手工|手动|下载|开通|关闭|打开|配对|调整|更新|修复|上报|报警|记录投诉"
)
_WEAK_ZH = pattern(
    r"^(?:已经?)?(?:处理|跟进|回复|答复|解释|沟通|安抚|道歉|致歉|记录|告知|通知|说明|了解|看了|查看了一下|按流程)"
)
_ACTION_EN = re.compile(
    r"\b(?:checked|verified|confirmed|looked up|looked at|reviewed|pulled|went through|went over|guided|walked|"
    r"showed|taught|had the customer|asked the customer to|asked for|asked|reset|restarted|cleared|reinstalled|"
    r"uninstalled|installed|contacted|called|phoned|rang|emailed|e-mailed|submitted|logged the|registered|filed|"
    r"refunded|credited|resent|shipped|replaced|exchanged|escalated|transferred|passed it|forwarded|sent|mailed|"
    r"changed|updated|cancelled|canceled|restored|requested|issued|voided|arranged|booked|scheduled|set up|"
    r"reproduced|tested|synced|unlocked|froze|blocked|unbound|added|attached|recalculated|waived|reimbursed|"
    r"remoted|ran|found|opened|turned off|turned on|enabled|disabled|removed|completed|chased|got|took|"
    r"re-paired|paired|compressed|fixed|repaired|released|asked)\b",
    re.IGNORECASE,
)
_WEAK_EN = re.compile(
    r"^(?:handled|dealt with|done|followed up|following up|replied|answered|explained|apologi[sz]ed|said sorry|"
    r"calmed|noted|informed|notified|told|talked|discussed|resolved|ok|had a look|looked into)\b",
    re.IGNORECASE,
)
_LATIN = re.compile(r"[A-Za-z]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class Steps:
    """The handling steps read clause by clause."""

    done: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    vague: list[str] = field(default_factory=list)


def read_steps(text: str) -> Steps:
    done, planned, vague = _read_steps(text)
    return Steps(list(done), list(planned), list(vague))


@lru_cache(maxsize=CACHED_TEXTS)
def _read_steps(text: str) -> tuple[tuple[str, ...], ...]:
    steps = Steps()
    planning = False
    for clause, folded in _clause_pairs(text):
        chinese = bool(_HAN.search(clause))
        planned = bool((_PLANNED_ZH if chinese else _PLANNED_EN).search(folded))
        weak = bool((_WEAK_ZH if chinese else _WEAK_EN).search(folded))
        action = (_ACTION_ZH if chinese else _ACTION_EN).search(folded)
        # An English plan goes on in the bare verbs that follow it ("will contact the carrier; call back tomorrow").
        if planned or (planning and not chinese and not action):
            steps.planned.append(clause)
            planning = True
            continue
        planning = False
        if action and not weak and len(clause) >= (3 if chinese else 8):
            steps.done.append(clause)
        elif weak or action:
            steps.vague.append(clause)
    return tuple(steps.done), tuple(steps.planned), tuple(steps.vague)


# ----- resolution outcome --------------------------------------------------------------------------------------------

_RESULT_ZH = pattern(
    r"已(?:经)?(?:于.{0,8}?)?(?:为客户|给客户)?(?:按.{0,6})?(?:全额)?(?:退款|退回|退还|退|补发|换货|更换|恢复|取消|作废|开具|发送|寄出|发出|修改|办理|赔付|发放|延长"
    r"|关闭|冻结|解绑|绑定|免除|到账|签收|送达|入住|同步|开通|停止|重新开具|重置|补单|返还|返回|入库|收到|取到|安排.{0,8}房)"
    r"|成功|正常|恢复|到账|收到|签收|可以|已能|能看到|不再|完成|通过|已发出|已寄出|已退|退还|退回|返回|免除|生效|结算|无需|确认无误|客户接受"
    r"|无法|不能|不在保修|不予|不符合"
)
_NO_RESULT_ZH = pattern(
    r"^(?:已经?)?(?:处理|解决|跟进|回复|答复|解释|沟通|安抚|反馈|上报|转交|转|提交|记录|登记|告知|通知|升级|催促|联系|致歉|道歉)"
    r"|处理好|待|等|将|会|计划|跟进中|协调中|处理中|考虑|建议|需要|进一步|结果待定"
)
_RESULT_EN = re.compile(
    r"\b(?:refunded|credited|restored|replaced|shipped|delivered|exchanged|cancell?ed|voided|issued|waived|"
    r"changed|booked|synced|unbound|frozen|closed|extended|enabled|returned|reset|settled|completed|approved|"
    r"collected|arrived|received|checked in|works?|worked|working|back up|no longer|opens|arrive normally|"
    r"on its way|arrives|can log in|can add|can see|logged in|sees it|stopped|credited back|sent back|done, |"
    r"now shows|now paid|not covered|no free|can't be|cannot|can not|unable|declined|chose|emailed|sent|accepted|"
    r"successfully|updated|turned off|switched off|no further|no more)\b",
    re.IGNORECASE,
)
_NO_RESULT_EN = re.compile(
    r"^(?:handled|resolved|done|closed|fixed|ok|sorted|all sorted|following up|followed up|replied|explained|"
    r"apologi[sz]ed|informed|told|notified|passed|transferred|escalated|submitted|opened|logged|registered|"
    r"chased|contacted|agreed|talked|suggested|calmed|reported|feedback|sent to)\b|\b(?:will|waiting|awaiting|"
    r"pending|plan to|planning|needs|need to|to wait|think about|try again)\b",
    re.IGNORECASE,
)


def outcome_evidence(text: str) -> tuple[list[str], list[str]]:
    """(clauses stating a result, clauses that only hand over, promise or wait) of a resolution."""
    results, open_ends = _outcome_evidence(text)
    return list(results), list(open_ends)


@lru_cache(maxsize=CACHED_TEXTS)
def _outcome_evidence(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    results, open_ends = [], []
    for clause, folded in _clause_pairs(text):
        chinese = bool(_HAN.search(clause))
        result = (_RESULT_ZH if chinese else _RESULT_EN).search(folded)
        unresolved = (_NO_RESULT_ZH if chinese else _NO_RESULT_EN).search(folded)
        if result and not (unresolved and unresolved.start() <= result.start()):
            results.append(clause)
        elif unresolved or result:
            open_ends.append(clause)
    return tuple(results), tuple(open_ends)


def has_latin(text: str) -> bool:
    return _LATIN.search(text) is not None
