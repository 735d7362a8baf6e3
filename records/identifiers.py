"""Personal names and postal addresses in free text, for drafts that must not identify anyone.

FAQ drafts are written from customer records, so on top of the numbers records.masking finds they must lose every
personal name and postal address. `scrub_identifiers` replaces them with a placeholder (``[姓名]``, ``[address]``)
on top of `mask_text`: what it returns can go into a published FAQ draft.

There is no model here: names and addresses are found by what surrounds them (an honorific, "my name is", a road
and house number, an "地址：" label) and by the names the caller already knows. The rules prefer hiding a few
ordinary words to leaving a customer's name in a published article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from records.masking import CONTEXT_CHARS, MAX_PASSES, find_masked, find_pii, mask_text, simplified

IDENTIFIER_KINDS = ("name", "address")
#: Replacement per kind: (Chinese text, any other text).
IDENTIFIER_PLACEHOLDERS = {"name": ("[姓名]", "[name]"), "address": ("[地址]", "[address]")}


@dataclass(frozen=True)
class IdentifierMatch:
    """A personal name or postal address in a text: ``text[start:end] == value``."""

    kind: str
    start: int
    end: int
    value: str


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NOT_HAN = "\x00-\u33ff\u4dc0-\u4dff\ua000-\uf8ff\ufb00-\U0010ffff"
_HAN_RE = re.compile(f"[{_HAN}]")
_LATIN = "A-Za-zÀ-ÖØ-öø-ÿ"
_LATIN_LETTER_RE = re.compile(f"[{_LATIN}]")
# Word boundaries for Latin script. Not \b: Han characters are word characters too, and "客户说this is" or
# "寄到42 Baker Street" must still find the English next to them.
_LATIN_BOUNDARY_BEFORE = f"(?<![{_LATIN}0-9_])"
_LATIN_BOUNDARY_AFTER = f"(?![{_LATIN}0-9_])"
_PLACEHOLDER_RE = re.compile("|".join(re.escape(p) for pair in IDENTIFIER_PLACEHOLDERS.values() for p in pair))


def _word_set(words: str) -> frozenset[str]:
    """Word lists written as one string read better than hundreds of quoted items."""
    return frozenset(words.split())


def _han_except(chars: str) -> str:
    """A character class of Han characters other than chars."""
    return f"[^{chars}{_NOT_HAN}]"


# --- Chinese names ---

# The most frequent single-character surnames (about 150, roughly the top of the national ranking) and the compound
# ones. Rarer surnames are left out on purpose: most of them are also everyday words (单 解 查 商 费 路 车 全).
_SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚"
    "沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫阎段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
    "汤康易乔赖文施洪辛柴牛温芦季俞章鲁葛伍申尤毕聂柯焦左齐殷邢颜倪庞安岳欧关凌童樊祝包苗耿梅盛甘舒"
)
_COMPOUND_SURNAMES = _word_set(
    "欧阳 司马 诸葛 上官 东方 皇甫 令狐 慕容 尉迟 长孙 夏侯 公孙 宇文 司徒 西门 南宫 独孤 端木 轩辕 呼延 "
    "万俟 闻人 澹台 钟离 申屠 太史"
)
# Surname characters that also end everyday words: 感谢 + 王先生 does not introduce a Mr 谢, nor 历史老师 a 史.
_WORD_ENDINGS_BEFORE_SURNAME = {
    "谢": "感多致答酬鸣谢",
    "于": "由对关等属位至终过善基免处",
    "余": "其多剩业盈结",
    "方": "对双官我你贵买卖甲乙警校厂商地平处药配",
    "高": "提最增升拔",
    "金": "现押资定订租奖佣黄基美退",
    "石": "宝钻岩矿",
    "白": "明空坦表黑苍",
    "史": "历",
    "文": "语中英日德法韩俄原全公课正条本短长论",
    "常": "正异非经平日寻反照",
    "万": "一十百千几上数亿",
    "向": "方转面导指意动走倾一",
    "关": "相有海机开无",
    "安": "平公治晚保早问",
    "包": "红钱背打礼面书",
    "付": "支对交预应垫已待",
    "易": "容交贸简轻",
    "齐": "整备看",
    "钟": "分秒时闹",
    "程": "流过工课行全进日远旅疗章规",
    "章": "文印公规盖",
    "季": "四旺淡换",
    "温": "气体水高低恒保室",
    "周": "本上下每一两三四这近",
    "任": "信责担主专现前继放上就",
    "成": "完造变达促组形构赞合",
    "马": "人兵上下立骑斑",
}
_SURNAME = (
    "(?:"
    + "|".join(sorted(_COMPOUND_SURNAMES))
    + "".join(f"|(?<![{before}]){surname}" for surname, before in _WORD_ENDINGS_BEFORE_SURNAME.items())
    + f"|[{''.join(c for c in _SINGLE_SURNAMES if c not in _WORD_ENDINGS_BEFORE_SURNAME)}])"
)
_SURNAME_START = f"(?=[{_SINGLE_SURNAMES}{''.join(s[0] for s in _COMPOUND_SURNAMES)}])"
_SINGLE_SURNAME_SET = frozenset(_SINGLE_SURNAMES)
_ZH_HONORIFICS = ("先生", "女士", "小姐", "太太", "老师", "师傅", "阿姨", "经理", "主任", "总")
# Function words and common word endings, which a given name practically never contains. They keep 周末张女士 from
# becoming one name and stop a cue word from swallowing the verb after a one-character given name.
_NOT_IN_GIVEN_NAME = (
    "的了是在和与及跟给找叫向对请让被把说问位个们这那有没不也都就还又很再该将从到由为以之其或等各每某此您你我他"
    "她它吗呢吧啊哦嗯呀已号额户员称想要能会谢后里款费单件货次过着得地末时"
)
_GIVEN = _han_except(_NOT_IN_GIVEN_NAME)
# 总 is also "always/total": 本周总结, 周总计, 这周总是 are not a Manager 周.
_NOT_AFTER_ZONG = "结计额数部共体是会要能有在之量价值算账觉得归"
_ZH_HONORIFIC_RE = re.compile(
    _SURNAME_START
    + _SURNAME
    + f"(?:{_GIVEN}{{1,2}}(?:先生|女士|小姐)|先生|女士|小姐|太太|老师|师傅|阿姨|经理|主任|总(?![{_NOT_AFTER_ZONG}]))"
)
# 我姓王, 那位姓张的客户; not 贵姓 (a question), 百家姓, 姓名, 姓氏.
_ZH_SURNAME_ONLY_RE = re.compile(f"(?<![贵百同])姓[ \\t]*(?P<name>{_SURNAME})(?![名氏])")
# People around the customer, named in a record as often as the customer: 他朋友李四, 她老公王强也来过电话.
# The people who come to the door or to the phone for them count the same: 安装师傅李卫东, 快递员孙明亮.
_ZH_RELATIONS = (
    "男朋友|女朋友|朋友|同事|老公|老婆|丈夫|妻子|爱人|儿子|女儿|父亲|母亲|爸爸|妈妈|哥哥|姐姐|弟弟|妹妹|邻居|室友|"
    "家人|亲戚|同学|领导|男友|女友|对象|未婚夫|未婚妻|孩子|外甥|侄子|侄女|孙女|舅舅|叔叔|姑姑|岳父|岳母|公公|婆婆|"
    "表哥|表姐|表弟|表妹|堂哥|堂姐|堂弟|堂妹|嫂子|姐夫|妹夫|小姨|姨妈|舅妈|婶婶|伯伯|外婆|外公|奶奶|爷爷|姥姥|姥爷|"
    "老伴|前妻|前夫|女婿|儿媳|媳妇|"
    "闺蜜|合伙人|助理|秘书|代理人|经办人|委托人|师傅|快递员|快递小哥|配送员|骑手|外卖员|司机|工程师|维修工|维修员|"
    "安装工|技术员|店员|店长|导购|业务员|销售员|房东|租客|物业"
)
_RELATION_FIRST_CHARS = "".join(sorted({word[0] for word in _ZH_RELATIONS.split("|")}))
# After a label (姓名：, "Name:") comes a name whatever its surname; after 我叫 or "my name is" a name whatever comes
# next; after a weak cue (客户, 我是) a name only when it ends cleanly, since 客户高度评价 names nobody.
_NAME_CUE_RE = re.compile(
    f"(?=[我名客联收寄持户顾用本姓叫开{_RELATION_FIRST_CHARS}MmNnFfCcAaRr])"
    "(?:(?P<label>(?:(?:客户|联系人|收件人|收货人|寄件人|持卡人|户主)?姓名|联系人|收件人|收货人|寄件人|持卡人|户名)"
    f"[ \\t]*[:：]|(?i:{_LATIN_BOUNDARY_BEFORE}(?:(?:full|customer|contact|account[ \\t]+holder)[ \\t]+)?name"
    f"[ \\t]*[:：]|{_LATIN_BOUNDARY_BEFORE}(?:contact|recipient|attn|attention|customer|cardholder)[ \\t]*[:：]))"
    f"|(?P<spoken>我叫|名叫|(?i:{_LATIN_BOUNDARY_BEFORE}my[ \\t]+(?:full[ \\t]+)?name[ \\t]*(?:is|'s|’s))))[ \\t]*"
    "|(?P<relation>" + _ZH_RELATIONS + ")[ \\t]*"
    "|(?P<weak>客户|顾客|用户|我是|本人|收件人|收货人|联系人|持卡人|户名|开户名|姓名|叫)[ \\t]*"
)
# What may follow a name after a weak cue: a reporting verb, a particle, an honorific (客户王小明反映, 我是张伟，).
_AFTER_NAME = (
    *_ZH_HONORIFICS,
    *"的说讲称想在已又也对向和与及于是",
    *_word_set(
        "表示 反映 反馈 来电 致电 来信 留言 投诉 咨询 询问 要求 希望 需要 认为 觉得 提出 提到 提供 确认 同意 回复 打来 "
        "打电话 联系 本人 今天 昨天 刚才 上午 下午 晚上 之前 多次 再次 一直 手机 电话 您好 你好"
    ),
)
# Everyday words that start with a surname character and would pass for a name after 客户 or 我是.
_NOT_NAMES = _word_set(
    "方面 方便 方式 方法 方案 方向 马上 付款 付费 付钱 付出 高度 高兴 高级 高端 高速 关于 关注 关心 关闭 关键 关系 "
    "关机 尚未 包裹 包装 包括 包邮 余额 余下 余款 金额 金卡 金牌 金属 明天 时间 时候 常常 常见 常规 常用 曾经 于是 "
    "安装 安排 安全 安卓 安心 程序 程度 许多 许可 许久 严重 严格 周末 周一 周二 周三 周四 周五 周六 周日 周到 周围 "
    "周期 周边 万一 万能 向来 向往 白天 白色 何时 何况 何必 温度 温馨 康复 施工 毕竟 毕业 凌晨 季度 季节 王者 华为 "
    "房东 黄金 黄色 钱包 钱款 申请 申诉 申报 尤其 易用 齐全 江湖 石头 叶子 任何 任务 任意 董事 史上 陆续 陈述 陈列 "
    "张贴 胡乱 胡说 郑重 谢谢 谢绝 唐突 韩国 韩版 杜绝 范围 夏天 夏季 毛病 毛巾 段落 雷同 龙头 黎明 顾问 顾客 武器 "
    "戴着 莫名 汤圆 辛苦 牛奶 章程 焦急 焦虑 左右 左边 颜色 庞大 欧洲 欧元 童装 祝福 祝贺 舒服 舒适 甘心 林子 孙子 "
    "罗列 苏醒 丁点 姜汁 文件 文字 文章"
)


def _chinese_name_end(
    text: str, start: int, *, strong: bool, any_surname: bool = False, relaxed: bool = False
) -> int | None:
    """End of a surname-led name of two to four Han characters at start, or None.

    strong: the name may run into the next word (a cue said a name follows); any_surname: the first character is
    taken for a surname even when it is not a common one (after a label such as 联系人：); relaxed: a given name may
    hold characters that are mostly function words elsewhere (杨过, 马可), after a cue that names a person for sure.
    """
    if text[start : start + 2] in _COMPOUND_SURNAMES:
        surname_end = start + 2
    elif text[start : start + 1] in _SINGLE_SURNAME_SET or (any_surname and _is_given_name_char(text, start)):
        surname_end = start + 1
    else:
        return None
    allowed = _is_relaxed_given_name_char if relaxed else _is_given_name_char
    fallback = None
    for end in (surname_end + 2, surname_end + 1):
        if end > len(text) or not all(allowed(text, i) for i in range(surname_end, end)):
            continue
        name = text[start:end]
        if any(name[i : i + 2] in _NOT_NAMES for i in range(len(name) - 1)):
            continue
        if end == len(text) or not _HAN_RE.match(text[end]) or text.startswith(_AFTER_NAME, end):
            return end
        if strong and fallback is None:
            # 许晴代为办理, 杨过用了: a particle after the third character makes that character a verb, so the name
            # is the two before it; any other running-on text keeps the longer name (李卫东到了).
            if end == surname_end + 2 and end < len(text) and text[end] in _VERB_PARTICLES:
                continue
            fallback = end
    return fallback


#: Characters that follow a verb (代为, 用了, 拿着): the character before them is no part of a name.
_VERB_PARTICLES = "了着为"
# Characters that never belong to a given name, even after a cue that says a name follows.
_NEVER_IN_GIVEN_NAME = "的了是在和与及跟给把被说问也都就还又很再吗呢吧啊们这那我你他她它您个"


def _is_given_name_char(text: str, index: int) -> bool:
    return bool(_HAN_RE.match(text, index)) and text[index] not in _NOT_IN_GIVEN_NAME


def _is_relaxed_given_name_char(text: str, index: int) -> bool:
    return bool(_HAN_RE.match(text, index)) and text[index] not in _NEVER_IN_GIVEN_NAME


# --- English names ---

# Ends in a lowercase letter: "This is URGENT" introduces nobody.
_CAPITALISED = f"[A-ZÀ-ÖØ-Þ][{_LATIN}'’-]*[a-zß-öø-ÿ]"
_ANY_CASE_WORD = f"[{_LATIN}][{_LATIN}'’-]*[{_LATIN}]"
_CAPITALISED_NAME = f"{_CAPITALISED}(?:[ \\t]+{_CAPITALISED}){{0,2}}"
_WORD_RE = re.compile(_ANY_CASE_WORD)
_TITLES = "Mr|Mrs|Ms|Miss|Dr|Mx|Mister|Madam|Mme|Prof"
# Capitalised words that follow "I'm", "this is", a title or a sign-off without being a name ("I'm Sorry",
# "Regards, The Support Team"), and lowercase words that follow "my name is" ("my name is spelled wrong").
_NOT_NAME_WORDS = _word_set(
    """sorry not unable trying having still afraid happy glad calling writing looking here so very just really also
    currently now back going getting sure fine good great well okay ok in on at from with the a an and or but your my
    our their this that it its interested confused frustrated disappointed concerned wondering hoping waiting planning
    using ready able done new unhappy upset annoyed tired pretty quite totally absolutely definitely probably always
    never already again please thanks thank regards hi hello hey dear yes no customer customers client agent agents
    team support service services manager staff sir madam mr mrs ms miss dr mx there everyone all guys bye anyway
    advance you much lot about of for to by is was are were be been will would can could should must might may do does
    did have has had let get got need needed want wanted like one two some any every each only even unknown none
    spelled misspelled wrong incorrect correct different missing listed shown printed written same changed as under
    above below attached given called call named yesterday today tomorrow monday tuesday wednesday thursday friday
    saturday sunday moving travelling abroad stuck locked out over off up down american british english
    canadian australian chinese indian buy if when what why how who where which because since after before then
    than sent mobile phone email account order card"""
)
_TITLE_NAME_RE = re.compile(f"(?<![{_LATIN}])(?:{_TITLES})\\.?[ \\t]+(?P<name>{_CAPITALISED_NAME})")
_INTRODUCTION_RE = re.compile(
    "(?=[TtIiDdHh])"
    f"(?i:{_LATIN_BOUNDARY_BEFORE}this[ \\t]+is)[ \\t]+(?P<name>{_CAPITALISED_NAME})"
    f"(?=[ \\t]+(?:from|here|speaking|calling){_LATIN_BOUNDARY_AFTER}|[ \\t]*,)"
    f"|{_LATIN_BOUNDARY_BEFORE}[Ii](?:'|’)?m[ \\t]+(?P<name2>{_CAPITALISED_NAME})"
    f"|{_LATIN_BOUNDARY_BEFORE}[Ii][ \\t]+am[ \\t]+(?P<name3>{_CAPITALISED_NAME})"
    f"|{_LATIN_BOUNDARY_BEFORE}(?:Dear|Hi|Hello|Hey)[ \\t]+(?P<name4>{_CAPITALISED_NAME})[ \\t]*(?=[,!:\\n]|$)"
)
# A sign-off counts only at the end of a line, where a signature stands. "Best" and "Cheers" need a comma or a line
# break after them: "I bought it at Best Buy" is no signature.
_SIGN_OFF_RE = re.compile(
    "(?=[BbKkWwMmRrTtSsYyCc])"
    f"(?:(?i:{_LATIN_BOUNDARY_BEFORE}(?:(?:best|kind|warm|warmest|many)[ \\t]+(?:regards|wishes|thanks)|regards"
    "|thanks(?:[ \\t]+again|[ \\t]+in[ \\t]+advance)?|thank[ \\t]+you|sincerely"
    "|yours[ \\t]+(?:sincerely|truly|faithfully)))[ \\t]*[,.!–—-]?\\s*"
    f"|(?i:{_LATIN_BOUNDARY_BEFORE}(?:best|cheers))(?:[ \\t]*[,.!–—-]\\s*|[ \\t]*\\n\\s*))"
    f"(?P<name>{_CAPITALISED_NAME})[ \\t]*[.!]?[ \\t]*(?=\\n|$)"
)
# Third parties and customers named after a cue: "his friend Peter Parker", "a man named Tom Lee", "customer John
# Smith says". The cue is matched in any case, the name must be capitalised. After "customer" (or client, caller) one
# capitalised word may be a product ("customer Apple ID"), so a single word counts only before a reporting verb.
_EN_RELATIONS = (
    "friend|husband|wife|partner|son|daughter|mother|father|mum|mom|dad|brother|sister|colleague|neighbou?r|boss"
    "|flatmate|roommate|boyfriend|girlfriend|relative|cousin|uncle|aunt|landlord|tenant|assistant|grandson|"
    "granddaughter|grandmother|grandfather|nephew|niece|fianc[ée]e?"
)
# "her husband Greg", "her husband, Greg", "the caller (Kevin O'Neill)": the name may be set off by a comma or
# parentheses.
_NAME_APPOSITION = "(?:[ \t]*[,(（][ \t]*|[ \t]+)"
_EN_CUE_NAME_RE = re.compile(
    "(?=[HhMmTtOoYyAaSsNnCcPpWwGgLlRr])"
    f"(?:(?i:{_LATIN_BOUNDARY_BEFORE}(?:(?:his|her|my|their|our|your|the|a|customer's|client's)[ \t]+)"
    f"(?:(?:best|old|close|late|ex)[ \t-]+)?(?:step-?|half-|great-)?(?:{_EN_RELATIONS})(?:s|-in-law|s-in-law)?"
    f"|{_LATIN_BOUNDARY_BEFORE}named"
    f"|{_LATIN_BOUNDARY_BEFORE}(?:someone|somebody|person|man|woman|guy|lady|gentleman)[ \t]+called)"
    f"{_NAME_APPOSITION}(?P<name>{_CAPITALISED_NAME})"
    f"|(?i:{_LATIN_BOUNDARY_BEFORE}(?:customer|client|caller|cardholder|account[ \t]+holder|recipient|sender)"
    "(?:[ \t]+(?:was|is|being))?)"
    f"{_NAME_APPOSITION}(?P<name2>{_CAPITALISED}(?:[ \t]+{_CAPITALISED}){{1,2}}"
    f"|{_CAPITALISED}(?=[ \t]*,|[ \t]+(?i:says|said"
    "|called|calls|asked|asks|wants|wanted|reported|reports|complained|complains|writes|wrote|mentioned|needs"
    f"|is|was|has|had){_LATIN_BOUNDARY_AFTER})))"
)
_LEADING_NAME_RE = re.compile(f"{_ANY_CASE_WORD}(?:[ \\t]+{_ANY_CASE_WORD}){{0,2}}")


def _name_words_end(text: str, start: int, end: int) -> int | None:
    """End of the leading words of text[start:end] that can be a name; None when the first one cannot."""
    name_end = None
    for word in _WORD_RE.finditer(text, start, end):
        value = word.group()
        if value.casefold() in _NOT_NAME_WORDS:
            break
        if value.endswith(("'s", "’s")):
            # A possessive ends the name and stays outside it: "[name]'s parcel".
            return word.end() - 2
        name_end = word.end()
    return name_end


# A name said to be someone's relation or colleague: 韩梅梅是他同事, 李强是我朋友.
_RELATION_AFTER_RE = re.compile(f"是(?:他|她|我|您|客户|顾客)?的?(?:{_ZH_RELATIONS})")


def _names_before_relation(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for cue in _RELATION_AFTER_RE.finditer(text):
        for start in range(max(0, cue.start() - 4), cue.start() - 1):
            if _chinese_name_end(text, start, strong=True) == cue.start():
                spans.append((start, cue.start(), "name"))
                break
    return spans


def _cue_name_spans(text: str) -> list[tuple[int, int, str]]:
    spans = _names_before_relation(text) if "是" in text else []
    for cue in _NAME_CUE_RE.finditer(text):
        position = cue.end()
        if cue.group("weak"):
            end = _chinese_name_end(text, position, strong=False)
        elif cue.group("relation"):
            # 儿子王小虎帮忙: after a relative or friend a common surname starts a name even without a clean end.
            end = _chinese_name_end(text, position, strong=True, relaxed=True)
        elif _HAN_RE.match(text, position):
            end = _chinese_name_end(text, position, strong=True, any_surname=bool(cue.group("label")))
        else:
            words = _LEADING_NAME_RE.match(text, position)
            end = _name_words_end(text, position, words.end()) if words else None
        if end:
            spans.append((position, end, "name"))
    return spans


def _english_name_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in _TITLE_NAME_RE.finditer(text):
        end = _name_words_end(text, match.start("name"), match.end("name"))
        if end:
            spans.append((match.start(), end, "name"))
    for regex in (_INTRODUCTION_RE, _SIGN_OFF_RE, _EN_CUE_NAME_RE):
        for match in regex.finditer(text):
            group = match.lastgroup or "name"
            end = _name_words_end(text, match.start(group), match.end(group))
            if end:
                spans.append((match.start(group), end, "name"))
    return spans


# --- names the caller knows ---

# Given names that are also everyday words match only when capitalised, or "I will call" loses a word to a Will.
_WORDS_THAT_ARE_NAMES = _word_set(
    """will bill mark grace hope joy may june april august rich chase faith summer rose sue pat art ray jack frank
    amber ruby dawn eve penny sandy holly lily iris ivy rob drew don dean miles page hunter carter mason cooper max
    sky river autumn honey angel crystal storm"""
)


def _latin_word_pattern(word: str) -> str:
    if word.casefold() in _WORDS_THAT_ARE_NAMES or word.casefold() in _NOT_NAME_WORDS:
        return re.escape(word[0].upper()) + "(?i:" + re.escape(word[1:]) + ")"
    return "(?i:" + re.escape(word) + ")"


@lru_cache(maxsize=4096)
def _known_name_regex(name: str) -> re.Pattern[str] | None:
    """One regex for a known name and the forms it takes in a conversation."""
    words = name.split()
    compact = "".join(words)
    if len(compact) < 2:
        return None
    if _HAN_RE.search(compact):
        forms = {compact}
        if 2 <= len(compact) <= 4 and all(_HAN_RE.match(char) for char in compact) and compact[0] not in "小老阿":
            surname_length = 2 if compact[:2] in _COMPOUND_SURNAMES and len(compact) > 2 else 1
            surname, given = compact[:surname_length], compact[surname_length:]
            forms.update(surname + honorific for honorific in _ZH_HONORIFICS)
            forms.update(("老" + surname, "小" + surname))
            if len(given) >= 2:
                forms.add(given)
        patterns = [re.escape(form) for form in sorted(forms, key=len, reverse=True)]
        return re.compile("|".join(p + f"(?![{_NOT_AFTER_ZONG}])" if p.endswith("总") else p for p in patterns))
    full = "(?i:" + "[ \\t]+".join(re.escape(word) for word in words) + ")"
    named = [word for word in (words[0], words[-1]) if len(word) >= 2]
    forms = [full]
    if named:
        forms.append(f"(?i:{_TITLES})\\.?[ \\t]+(?i:{'|'.join(re.escape(word) for word in named)})")
    if len(words[0]) >= 2:
        forms.append(_latin_word_pattern(words[0]))
    return re.compile(_LATIN_BOUNDARY_BEFORE + "(?:" + "|".join(forms) + ")" + _LATIN_BOUNDARY_AFTER)


def _known_name_spans(text: str, known_names: tuple[str, ...]) -> list[tuple[int, int, str]]:
    spans = []
    for name in known_names:
        regex = _known_name_regex(name)
        if regex is not None:
            spans.extend((match.start(), match.end(), "name") for match in regex.finditer(text))
    return spans


# --- Chinese addresses ---

# An address is found by its core, a road and house number (建国路88号) or a housing estate with a building or room
# (阳光小区3栋), and then extended to the left over the place names before it (北京市朝阳区). Extending in Python
# over a bounded number of characters keeps the scan linear; a regex with optional province, city and district
# parts backtracks through every combination of them at every position.
_ZH_NUMBER = "(?:[0-9０-９]+|[一二三四五六七八九十百千零〇两]+)"
_ZH_ESTATE = "(?:小区|花园|公寓|大厦|大楼|家园|新村|社区|苑|公馆|山庄|宿舍)"
# 2号楼1单元301室, 3栋2-301, B座12层, 1单元301.
_ZH_UNIT_PARTS = (
    f"(?:[-—\\s]?(?:{_ZH_NUMBER}|[A-Za-z])(?:号楼|号院|栋|幢|座|单元|层|楼|室|号|户|房|门|组))+"
    "(?:[-—]?[0-9]{1,4}(?:-[0-9]{1,4})*(?![0-9*]))?"
)
# Characters that end the words before a place name (寄到, 住在, 位于, 客户) and the parts of a house number: a
# place name never contains them, so an address starts after them and not with the verb.
_NOT_IN_PLACE_NAME = "到在至往寄送是的了址住从于自为我你他她您们这那要想请说已被把给去来搬改填写留问映称户不与及或号室"
_PLACE_NAME_CHAR_RE = re.compile(_han_except(_NOT_IN_PLACE_NAME))
# Verbs whose last character can start a place name: 改成成都市 is 成都市, 改成深圳市 is 深圳市.
_VERBS_BEFORE_PLACE = _word_set("改成 变成 换成 写成 填成 弄成 当成")
_MAX_PLACE_PREFIX = 30
_ZH_ROAD_CORE_RE = re.compile(
    f"(?P<road>大道|路|街|道|巷|弄|胡同){_ZH_NUMBER}(?:[-之]{_ZH_NUMBER})?号院?"
    f"(?:{_PLACE_NAME_CHAR_RE.pattern}{{1,12}}?{_ZH_ESTATE})?(?:{_ZH_UNIT_PARTS})?"
)
_ZH_ESTATE_CORE_RE = re.compile(_ZH_ESTATE + _ZH_UNIT_PARTS)
# A building with a flat or a stairway unit in it is a home address without an estate's name: 西园三区312号楼
# 1502室, 7栋2单元1101, 5幢2-301. A building alone or with a floor (3号楼2层, A座一楼) is not: offices and
# warehouses have them too.
_ZH_BUILDING_CORE_RE = re.compile(
    f"(?<![0-9A-Za-z])(?:[0-9]{{1,4}}|[A-Za-z]|[一二三四五六七八九十]+)(?:号楼|栋|幢|座)"
    f"(?:[-—\\s]?{_ZH_NUMBER}(?:层|楼))?[-—\\s]?"
    f"(?:{_ZH_NUMBER}(?:单元|室|户|房)(?:[-—]?[0-9]{{1,4}}室?)?|[0-9]{{1,4}}(?:-[0-9]{{1,4}})+|[0-9]{{3,4}})(?![0-9层楼])"
)
# Without a province, city, district or town before it, "道" is too often the end of a word: 我知道3号发货 has no
# address. Hong Kong's roads are 道 (弥敦道688号) and seldom follow a district written with 区, so a 道 counts
# unless the character before it makes such a word.
_ZH_ADMIN_UNIT_RE = re.compile("[省市区县镇乡州盟旗]")
_WORD_BEFORE_DAO = "知频味渠通轨赛车跑难报说顺称霸公人门坑管隧航古打微铁弯一半个要正邪孝王剑茶"
_ZH_ADDRESS_LABEL_RE = re.compile(
    "(?=[收寄送邮联家详现新旧公单配通居户地住])"
    "(?:(?:收货|收件|寄件|送货|邮寄|联系|家庭|详细|现|新|旧|公司|单位|配送|通讯|通信|居住|户籍)地址"
    "|(?<![箱件站页络接PpIC\\[])地址|住址)[ \\t]*(?:是|为)?[ \\t]*[:：][ \\t]*"
)
_ZH_CLAUSE_END_RE = re.compile("[。，；;！!？?\n]")
# No address runs longer; the cap also keeps a text full of labels and no punctuation from being scanned quadratically.
_MAX_LABELLED_ADDRESS = 120


def _place_start(text: str, end: int) -> int:
    """Start of the run of place-name characters that ends at end."""
    start = end
    while start > max(0, end - _MAX_PLACE_PREFIX) and _PLACE_NAME_CHAR_RE.match(text, start - 1):
        start -= 1
    while 0 < start < end and text[start - 1 : start + 1] in _VERBS_BEFORE_PLACE:
        start += 1
    return start


def _chinese_address_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for core in _ZH_ROAD_CORE_RE.finditer(text):
        start = _place_start(text, core.start())
        if start == core.start():
            continue  # a road needs a name
        if (
            core.group("road") == "道"
            and text[core.start() - 1] in _WORD_BEFORE_DAO
            and not _ZH_ADMIN_UNIT_RE.search(text, start, core.start())
        ):
            continue
        spans.append((start, core.end(), "address"))
    for core in _ZH_ESTATE_CORE_RE.finditer(text):
        start = _place_start(text, core.start())
        if start < core.start():
            spans.append((start, core.end(), "address"))
    for core in _ZH_BUILDING_CORE_RE.finditer(text):
        spans.append((_place_start(text, core.start()), core.end(), "address"))
    for label in _ZH_ADDRESS_LABEL_RE.finditer(text):
        limit = label.end() + _MAX_LABELLED_ADDRESS
        end = _ZH_CLAUSE_END_RE.search(text, label.end(), limit)
        spans.append((label.end(), end.start() if end else min(limit, len(text)), "address"))
    return spans


# --- English addresses ---

# Only an abbreviation takes the dot after it; after "Street" it ends the sentence.
_STREET_TYPE = (
    f"(?:(?:St|Rd|Ave|Blvd|Ln|Dr|Ct|Pl|Sq|Hwy|Pkwy|Cir){_LATIN_BOUNDARY_AFTER}\\.?"
    "|(?:Street|Road|Avenue|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Crescent|Close|Square|Highway|Parkway|"
    "Circle|Trail|Row|Mews|Walk|Gardens|Grove|street|road|avenue|boulevard|lane|drive|court|terrace|crescent|highway)"
    f"{_LATIN_BOUNDARY_AFTER})"
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|"
    "OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
# Royal Mail's shape: the inward code never uses C I K M O V, which keeps most product codes out.
_UK_POSTCODE = (
    "(?:GIR[ \\t]?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKMNPR-Y]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    "[ \\t]?[0-9][ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])"
)
_EN_STREET_ADDRESS_RE = re.compile(
    "(?=[FAUS0-9])(?:(?:Flat|Apt|Apartment|Unit|Suite)\\.?[ \\t]*\\d+[A-Za-z]?,?[ \\t]+)?"
    "(?<![A-Za-z0-9_.,/-])\\d{1,5}[A-Za-z]?(?:[-/]\\d{1,5}[A-Za-z]?)?,?[ \\t]+"
    "(?:(?:[A-Z][A-Za-z'’-]*\\.?|\\d+(?:st|nd|rd|th))[ \\t]+){1,4}"
    f"{_STREET_TYPE}(?:[ \\t]+(?:NE|NW|SE|SW|N|S|E|W){_LATIN_BOUNDARY_AFTER}\\.?)?"
    "(?:,?[ \\t]*(?:(?:Apt|Apartment|Suite|Ste|Unit|Flat|Room|Rm|Floor|Fl)\\.?[ \\t]*#?|#)[ \\t]*[A-Za-z0-9-]+)?"
    "(?:,?[ \\t]+(?:[A-Z][A-Za-z'’.-]*(?:[ \\t]+[A-Z][A-Za-z'’.-]*){0,2}[ \\t]*,?[ \\t]*)?"
    f"(?:(?:{_US_STATES})[ \\t]+\\d{{5}}(?:-\\d{{4}})?{_LATIN_BOUNDARY_AFTER}|{_UK_POSTCODE}))?"
)
# On its own a postcode needs its space and must not end in GB or TB: "MacBook M1 8GB" is no address.
_UK_POSTCODE_RE = re.compile(
    "(?<![A-Za-z0-9])(?:GIR 0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKMNPR-Y]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    " [0-9](?!GB|TB|PB)[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])"
)
_EN_ADDRESS_LABEL_RE = re.compile(f"(?=[Aa])(?i:{_LATIN_BOUNDARY_BEFORE}address)[ \\t]*(?:is[ \\t]*)?[:：][ \\t]*")
# "E-mail address:" and "IP address:" label something else, which find_pii deals with if it is personal.
_NOT_POSTAL_BEFORE_RE = re.compile("(?i:(?:e-?mail|ip|web|mac|wallet|url|reply-to)[ \\t]*)$")
_EN_CLAUSE_END_RE = re.compile("[\n;!?。；！？，]|\\.(?=\\s|$)")
_ABBREVIATION_BEFORE_DOT_RE = re.compile(
    "(?<![A-Za-z])(?:St|Rd|Ave|Apt|No|Dr|Ln|Ct|Pl|Blvd|Hwy|Mt|Ste|Fl|Sq|Cres|Jr|Sr|[A-Z])$"
)


def _english_address_spans(text: str) -> list[tuple[int, int, str]]:
    spans = [(match.start(), match.end(), "address") for match in _EN_STREET_ADDRESS_RE.finditer(text)]
    spans.extend((match.start(), match.end(), "address") for match in _UK_POSTCODE_RE.finditer(text))
    for label in _EN_ADDRESS_LABEL_RE.finditer(text):
        if _NOT_POSTAL_BEFORE_RE.search(text, max(0, label.start() - 12), label.start()):
            continue
        limit = label.end() + _MAX_LABELLED_ADDRESS
        end = _EN_CLAUSE_END_RE.search(text, label.end(), limit)
        # "12 Main St. Springfield" goes on after the abbreviation's dot.
        while end and end.group() == "." and _ABBREVIATION_BEFORE_DOT_RE.search(text, label.end(), end.start()):
            end = _EN_CLAUSE_END_RE.search(text, end.end(), limit)
        spans.append((label.end(), end.start() if end else min(limit, len(text)), "address"))
    return spans


# --- finding and replacing ---


def _merge_spans(text: str, spans: list[tuple[int, int, str]]) -> list[IdentifierMatch]:
    """Overlapping spans become one, so that no piece of either is left; the longer span names the kind."""
    trimmed = sorted(filter(None, (_trim_span(text, span) for span in spans)), key=_leftmost_longest)
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in trimmed:
        if merged and start < merged[-1][1]:
            previous_start, previous_end, previous_kind = merged[-1]
            longer = kind if end - start > previous_end - previous_start else previous_kind
            merged[-1] = (previous_start, max(previous_end, end), longer)
        else:
            merged.append((start, end, kind))
    return [IdentifierMatch(kind, start, end, text[start:end]) for start, end, kind in merged]


def _leftmost_longest(span: tuple[int, int, str]) -> tuple[int, int]:
    return span[0], -span[1]


def _trim_span(text: str, span: tuple[int, int, str]) -> tuple[int, int, str] | None:
    """The span without surrounding white space; None when nothing but placeholders and punctuation is left."""
    start, end, kind = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not _PLACEHOLDER_RE.sub("", text[start:end]).strip(" \t\r\n,.:;，。：；、-"):
        return None
    return start, end, kind


#: What separates a team or desk written before a person's name in a display name: "客服A组-王芳", "Support · Kim".
_NAME_PREFIX_SEPARATOR_RE = re.compile(r"\s*[-－—–·・|]\s*")


def _known_names_tuple(known_names: Iterable[str] | None) -> tuple[str, ...]:
    """The names as given, and the person's own name after a team written before it (texts say 王芳, not
    客服A组-王芳)."""
    given = (known_names,) if isinstance(known_names, str) else (known_names or ())
    names: list[str] = []
    for name in given:
        if not isinstance(name, str):
            continue
        names.append(name)
        tail = _NAME_PREFIX_SEPARATOR_RE.split(name.strip())[-1]
        # Only a person's name: Han characters or several words ("sys-admin" leaves the word "admin" alone).
        if tail != name.strip() and len(tail) >= 2 and (_HAN_RE.search(tail) or " " in tail):
            names.append(tail)
    return tuple(names)


def find_identifiers(text: str | None, known_names: Iterable[str] = ()) -> list[IdentifierMatch]:
    """Spans of personal names and postal addresses (kind "name" or "address"), in order, not overlapping.

    known_names (customer names, agent display names) are found as written and in the forms people use for them:
    王先生 and 小明 for 王小明, "Mr Smith" and "John" for "John Smith".
    """
    if not text:
        return []
    # The rules are written in simplified characters and read a simplified copy (陳先生, 彌敦道688號, 鄰居);
    # what they find is cut from the text as written.
    scan = simplified(text)
    spans = _known_name_spans(scan, tuple(simplified(name) for name in _known_names_tuple(known_names)))
    spans.extend(_cue_name_spans(scan))
    if _HAN_RE.search(scan):
        spans.extend((m.start(), m.end(), "name") for m in _ZH_HONORIFIC_RE.finditer(scan))
        spans.extend((m.start("name"), m.end("name"), "name") for m in _ZH_SURNAME_ONLY_RE.finditer(scan))
        spans.extend(_chinese_address_spans(scan))
    spans.extend(_english_name_spans(scan))
    spans.extend(_english_address_spans(scan))
    return _merge_spans(text, spans)


def _is_chinese_context(text: str, match: IdentifierMatch) -> bool:
    """Whether the match is Han, or Han characters outnumber Latin letters around it."""
    if _HAN_RE.search(match.value):
        return True
    around = text[max(0, match.start - CONTEXT_CHARS) : match.start] + " " + text[match.end : match.end + CONTEXT_CHARS]
    return len(_HAN_RE.findall(around)) > len(_LATIN_LETTER_RE.findall(around))


def _replace_identifiers(text: str, matches: list[IdentifierMatch]) -> str:
    parts: list[str] = []
    position = 0
    for match in matches:
        chinese, other = IDENTIFIER_PLACEHOLDERS[match.kind]
        parts.append(text[position : match.start])
        parts.append(chinese if _is_chinese_context(text, match) else other)
        position = match.end
    parts.append(text[position:])
    return "".join(parts)


def scrub_identifiers(text: str | None, known_names: Iterable[str] = ()) -> str | None:
    """mask_text(text) plus every name and address replaced by a placeholder ([姓名]/[name], [地址]/[address])."""
    if not text:
        return text
    names = _known_names_tuple(known_names)
    # A placeholder changes what surrounds its neighbours (a number glued to a name no longer looks like part of a
    # code), so mask and replace until neither finds anything: that makes scrubbing twice change nothing.
    for _ in range(MAX_PASSES):
        text = mask_text(text) or ""
        matches = find_identifiers(text, names)
        if not matches:
            break
        text = _replace_identifiers(text, matches)
    return text


def contains_identifiers(text: str | None, known_names: Iterable[str] = (), *, masked_values: bool = False) -> bool:
    """True when find_pii or find_identifiers finds anything.

    masked_values: values masked earlier (139****5678, exa***@x.com) count too. Staff read masked text every day; a
    text bound for customers (an FAQ title or answer) has no use for the fragment of someone's number.
    """
    return bool(find_pii(text) or find_identifiers(text, known_names) or (masked_values and find_masked(text)))
