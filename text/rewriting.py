"""From an agent's note to what a customer reads: FAQ questions in customer words, answers as steps.

A consultation record is written by the agent about the customer ("客户反映订单DD202607263904付款5天了还显示待发货",
"Customer asks how to recover the password on iPhone 15; last order DD202608084191"). An FAQ drafted from it needs
the question as a customer asks it, with nothing that identifies one case: no order or tracking numbers, staff ids,
company or person names, masked fragments, dates, amounts or model codes. `customer_question` removes the agent's
framing and every clause or fragment that names one case, and makes the rest a question; `is_customer_question`
checks the result. `answer_steps` turns a resolution into steps addressed to the customer and sets aside, as flags
for the editor, what was a one-off promise or compensation ("补偿10元券", "今日到账", "a $10 credit").

Rules, not a model: they are read and fixed by anyone, run in microseconds, and every removal is visible. The same
cleaning also runs before records are grouped, so an order number or a product code does not pull records together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# English verbs to their base form (cleared → clear): its tables ship in the wheel and load on first use.
import lemminflect

from text.analysis import HAN_CHARACTERS

_HAN = f"[{HAN_CHARACTERS}]"

# -- what names one case ---------------------------------------------------------------------------------------
#: Order, tracking, tax and account references; long digit runs; masked fragments; e-mail addresses; phones.
_CASE_REFERENCE = re.compile(
    r"DD\d{6,}|\b[A-Z]{2,5}\d{6,}\b|\d{7,}|[*＊•]{2,}|\[(?:姓名|地址|name|address)\]|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|\+\d[\d\s-]{6,}\d|\b\d{3,4}[\s-]\d{3,4}[\s-]?\d{3,4}\b",
    re.IGNORECASE,
)
#: Words that only appear beside a case's identity: company names and staff codes. (单号, 税号, 身份证 alone name
#: nothing: "快递单号查不到", "为啥要填身份证" are real questions; the numbers themselves are _CASE_REFERENCE.)
_CASE_WORDS = re.compile(
    r"有限公司|股份公司|集团|工号\s*[A-Z]?\d+|客服[A-Z]?\d{2,}|[A-Z]\d{2}的?客服"
    r"|\b(?:Ltd|LLC|Inc|GmbH|Co\.)\b|\bagent [A-Z]?\d{2,}\b|\bstaff id\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b\d{1,2}(?::\d{2})?\s*[ap]\.?m\.?|\d{4}年|\d{1,2}月\d{1,2}[日号](?:凌晨|早上|上午|中午|下午|晚上)?(?:\d{1,2}[:：]\d{2})?|\d{1,2}[:：]\d{2}"
    r"|\b(?:on|since|from|by|before|after|until)?\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
    r"\s+\d{1,2}(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)
#: A date with the words that lean on it (9月2日以来的2个订单 → 2个订单).
_DATED = re.compile(rf"(?:从|自)?(?:{_DATE.pattern})(?:以来的?|之前的?|以后的?|起的?|开始的?)?", re.IGNORECASE)
#: An amount, with the frame that leans on it (花349元买的 → 买的, 以199元购买 → 购买).
_AMOUNT = re.compile(
    r"(?:每笔|共|合计|花了?|以)?[¥￥$€£]?\d+(?:[.,]\d+)?\s*(?:元|块钱|块|美元|USD|RMB)"
    r"|[¥￥$€£]\d+(?:[.,]\d+)?(?:\s+worth of\b)?"
)
#: Model and version codes (K87, Note 13, iPhone 15, 5.9.2, P600) name one product, not a question.
_MODEL_CODE = re.compile(
    r"(?<![A-Za-z0-9-])(?:(?:[A-Z]+-)?[A-Za-z]*[A-Z][A-Za-z]*\d+[A-Za-z\d]*(?:-[A-Za-z\d]+)*|[A-Z]{2,}-\d+|[A-Z]{2,}(?:_[A-Z]+)+|\d+(?:\.\d+)+"
    r"|(?:iPhone|iPad|Galaxy|Note|Mate|Reno|Magic|Pixel|OnePlus|Redmi|Nova|Pura)\s?\d+(?:\.\d+)*[A-Za-z]*"
    rf"|(?<={_HAN})\s?(?!App)[A-Z][A-Za-z]*\s\d+(?:\.\d+)*[A-Za-z]*)"
    r"(?![A-Za-z0-9])"
)
#: A system's version names one device; the system may matter ("runs iOS 18.1" → "runs iOS"), but what one updated
#: to is the update ("updating to Android 14" → "updating", 升级HarmonyOS 4.2后 → 升级后).
_OS_VERSION = re.compile(
    r"(?P<update>(?:(?<=updating)|(?<=upgrading))\s+to\s+|(?<=升级)到?|(?<=更新)到?)?"
    r"(?<![A-Za-z])(?P<system>iOS|iPadOS|Android|HarmonyOS|Windows|macOS)\s?\d+(?:\.\d+)*(?![\d.])"
)
#: A preposition or article left with nothing after it once a detail went ("crashes on with 5.9.1" → "crashes").
_DANGLING = re.compile(
    r"\b(?:on|with|of|for|at|from|to|by|the|a|an"
    r"|(?<![Ll]ogged )(?<![Ss]igned )(?<![Ll]og )(?<![Ss]ign )(?<![Ll]ogging )(?<![Ss]igning )(?<![Cc]heck )in)\s+"
    r"(?=(?:and|with|on|of|for|at|in|is|was|has|have|had|from|sent|to)\b|[,;:.]|$)"
)
#: An order, tracking or ticket number (DD2026…, 1Z…, SF…, a long run of digits).
_REFERENCE = r"(?:DD\d{6,}|1Z[0-9A-Z]{10,}|[A-Z]{2,5}\d{6,}[A-Z]{0,3}|\d{7,})"
#: An identifier with the words that carry it ("订单DD2026…", "for order DD2026…", "单号SF…") goes as a whole.
_CARRIED_REFERENCE = re.compile(
    r"(?:(?:of|for|on|from|about|with)\s+)?(?:为|在|从|给|对|的)?"
    r"(?:订单号?|单号|快递单号|物流单号|运单号?|(?:the )?order(?: number)?|tracking(?: number)?|ticket)?"
    # "没收到订单DD2026…的取件码短信" → "没收到取件码短信": the 的 leaned on the number.
    rf"\s*[:：#]?\s*{_REFERENCE}(?:里|中|的(?={_HAN}))?"
    r"|工号\s*[A-Z]?\d+的?"
    r"|,?\s*card ending (?:in )?\d+|尾号\d+的?(?:卡|银行卡|信用卡)?"
    r"|\+?\d[\d\s-]*[*＊]{2,}[\d\s-]*\d*",  # a masked phone or card: 139****5678, +44 767***7980
    re.IGNORECASE,
)
_COMPANY = re.compile(
    rf"{_HAN}{{2,12}}(?:股份有限公司|有限公司|集团)|(?:抬头|开给)(?:写|是)?"
    r"|\b(?:[A-Z][a-z]+\s){1,3}(?:Inc|Ltd|LLC|Clinic|Corp|Co|GmbH|Group)\b\.?"
)
_BRACKETED = re.compile(r"[（(][^（）()]*[)）]")
#: A staff code with the 的 that leans on it: 投诉B02的客服 → 投诉客服 (the code alone going left 投诉的客服).
_ZH_STAFF_CODE = re.compile(r"(?:工号\s*)?(?<![A-Za-z0-9])[A-Z]?\d{2,}的(?=客服|坐席|工作人员|快递员|师傅)")
#: An order number after a verb that acts on the order: the number goes, the order stays (想取消订单DD2026… →
#: 想取消订单).
_ZH_ORDER_OBJECT = re.compile(
    r"(取消|修改|改|查询|查|催|拆分|合并|删除)(订单)号?\s*[:：#]?\s*(?:DD\d{6,}|[A-Z]{2,5}\d{6,})"
)
#: A bracket after an organisation's account names it: 企业账号（博学培训学校）.
_ORGANISATION_BRACKET = re.compile(r"(企业账号|企业账户|公司账号|企业|公司|单位|机构|学校)[（(][^（）()]*[)）]")
#: What is left of a bracket a comma inside it split (想取消订单DD…（平板电脑 Pad 11，2999元）).
_ZH_HALF_BRACKET = re.compile(r"[（(][^（）()]*$|^[^（）()]*[)）]")
#: An English organisation's name: capitalised words ending in a word organisations end in (BlueOak Software,
#: Westfield Dental, Summit Capital Partners, Harbor Health Clinic). In a customer's question it is "our company".
_EN_ORGANISATION = re.compile(
    r"\b(?:[A-Z][A-Za-z&'-]+\s){1,3}(?:Inc|Ltd|LLC|Corp|Co|GmbH|Group|Clinic|Software|Dental|Partners|Analytics"
    r"|Learning|Grocers|Capital|Health|Labs|Solutions|Systems|Technologies|Consulting|Logistics|Media|Studio|Studios"
    r"|Foods|Trading|Manufacturing|Holdings|Ventures|Services|Associates|Pharmacy|Hospital|School|Academy|Hotel"
    r"|Bakery|Restaurant|Cafe|Motors|Industries|Enterprises|Agency|Bank)\b\.?"
)
#: A phone or tablet one customer used ("on Pixel 8", "a new iPhone 15", "Samsung Galaxy S23"): the question is the
#: same on any device.
_EN_DEVICE_NAME = (
    r"(?:(?:Samsung\s)?Galaxy(?:\s[A-Z]?\d+[A-Za-z]*)?|iPhone(?:\s\d+[A-Za-z]*)?(?:\s(?:Pro|Max|Plus|Mini))*"
    r"|iPad(?:\s(?:Air|Pro|Mini))?(?:\s\d+)?|Pixel\s\d+[a-z]?|OnePlus\s\d+|Xiaomi\s\d+|Huawei\s[A-Z][a-z]+\s\d+)"
    r"(?![A-Za-z])"
)
_EN_DEVICE = re.compile(rf"(?:\s(?:on|with|from|using|of)\s(?:an?\s|my\s|the\s|their\s)?)?{_EN_DEVICE_NAME}")
#: The customer's own device, the object of what they do ("only uses their iPhone 15"): their phone.
_EN_OWN_DEVICE = re.compile(
    rf"(?<!\bon )(?<!\bwith )(?<!\bfrom )(?<!\busing )(?<!\bof )\b(?:their|his|her|my) {_EN_DEVICE_NAME}"
)
_EN_NEW_DEVICE = re.compile(rf"\b(a|my|the) new\s{_EN_DEVICE_NAME}")
#: Brands that only say which bank, courier or phone one customer used (用的建设银行信用卡, 圆通速递的轨迹, 在红米
#: Note 13上): an FAQ asks about the card, the parcel or the app, whoever made them.
_BRAND = re.compile(
    r"(?:在|用)?(?:(?:中国|工商|建设|农业|交通|招商|浦发|民生|兴业|中信|光大|华夏|平安|广发|邮储|邮政储蓄)银行"
    r"|顺丰(?:速运|快递)?|京东物流|(?:圆通|申通|中通|韵达|极兔)(?:速递|快递)?|德邦(?:快递|物流)?"
    r"|(?P<phone>(?<![A-Za-z])(?:小米|红米|华为|荣耀|一加|魅族|三星|苹果|OPPO|vivo|iPhone|iPad|Samsung|Huawei|Xiaomi"
    r"|Redmi|Honor|OnePlus|Pixel|Galaxy|nova)(?:\s?(?:[A-Z][a-z]*|Pro|Max|Air|Mini))*(?:\s?\d+[A-Za-z]*)?(?:手机)?"
    r"(?![A-Za-z])(?:上的?|里的?)?))"
)


def _without_brand_or_place(text: str) -> str:
    """The bank, courier or phone brand and the city and district of one case removed (_BRAND, _PLACE)."""
    return _PLACE.sub(" ", _BRAND.sub(_without_brand, text))


def _without_brand(match: re.Match) -> str:
    """A brand goes; a phone someone changed to stays as a new phone (换了华为 Mate 60后 → 换了新手机后)."""
    before = match.string[: match.start()]
    if match.group("phone") and re.search(r"换了?(?:新的?)?$|买了?(?:新的?)?$", before):
        return "新手机"
    # "客户的OPPO Reno 11升级后" is "我的手机升级后", not "我的升级后".
    return "手机" if match.group("phone") and before.endswith("的") else " "


#: A city and district one parcel is stuck in (北京市朝阳区转运中心 → 转运中心).
_PLACE = re.compile(rf"{_HAN}{{2}}[市省]{_HAN}{{2,4}}区(?:地区)?的?")

# -- the agent's framing ---------------------------------------------------------------------------------------
_ZH_PREFIX = re.compile(
    r"^(?:[（(](?:重复咨询|再次来电|二次来电|追问|回访)[)）]|客户(?:表示)?之前反映过[^：:]*[：:]|客户(?:再次|又|第\d+次)来电[：:，,]?"
    r"|(?:再次|二次)来电[：:，,]?|(?:客户)?第[二三四五六七八九十\d]+次(?:反映|来电|咨询)(?:此|这个|该|同一个?)?问题[：:，,]?)\s*"
)
_ZH_REPORTING = re.compile(
    r"^(?:该|这位)?客户(?:今天|刚才|昨天)?(?:来电|致电|在线|留言|发邮件)?"
    r"(?:反映|反馈|说|称|表示|询问|问|咨询|投诉|抱怨|来电称|来电问|来电催件)?[：:，,]?"
)
_ZH_EMOTION = re.compile(r"^(?:客户)?(?:非常|很|十分|特别|极其)?(?:不满|生气|愤怒|激动|着急|不耐烦|情绪激动|情绪很大)")
#: Clauses that only add a case's particulars (the amount, the card or app paid with, a callback number).
_ZH_DETAIL = re.compile(
    r"^(?:金额|价格|用的|使用的|付款方式|支付方式|(?:留了|留下)?(?:另一个号码|备用电话)|白天打|晚上打|联系电话"
    r"|身份证号?|证件号)"
)
#: What is left of a clause that only gave a number (客户提供的卡号62…).
_ZH_BARE_DETAIL = re.compile(
    r"^(?:我|客户)?(?:提供的|留的|预留的|的)?(?:银行)?(?:卡号|手机号码?|电话|账号|单号|订单号|快递单号|邮箱)$"
)
#: Kinds of organisation a name ends in; not a bare 公司 or 超市 (快递公司, 开小超市的 are no names).
_ZH_ORGANISATION_KINDS = (
    "股份有限公司|有限公司|集团|培训学校|学校|幼儿园|医院|诊所|药房|律师事务所|事务所|工作室|商行|门诊部"
)
#: An organisation named after 是 or 给 (应该是博学培训学校, 客户是博学培训学校的采购): the customer's own.
_ZH_ORGANISATION = re.compile(
    rf"(?:(?<=是)|(?<=给))(?!我们|我的|你们|您|不|开|在){_HAN}{{2,8}}?"
    rf"(?P<kind>{_ZH_ORGANISATION_KINDS})(?P<of>的)?"
)
#: The same in brackets of its own: （仁和诊所）.
_ZH_BRACKETED_ORGANISATION = re.compile(rf"[（(]{_HAN}{{2,12}}?(?:{_ZH_ORGANISATION_KINDS})[)）]")
#: An address records.identifiers hid ("rerouted to [address], Austin", 改派到[地址]): the sentence still asks
#: something (whether it can go elsewhere), so the placeholder becomes "another address" instead of taking the
#: whole clause with it as a case detail.
_ADDRESS_PLACEHOLDER = re.compile(r"\[address\](?:,\s*[A-Z][a-z]+(?: [A-Z][a-z]+)*){0,2}|\[地址\]")
#: The order placed on a date that went: 下的订单DD2026… → 下的订单 (the number alone goes).
_ZH_PLACED_ORDER = re.compile(r"(下|买|付款)的(订单)号?\s*[:：#]?\s*(?:DD\d{6,}|[A-Z]{2,5}\d{6,})")
#: What an agent writes when the customer asked nothing one could answer: no question is left.
_ZH_VAGUE = re.compile(
    r"^(?:没|未)(?:说清楚|说明|讲清楚)|^(?:问)?订单的事$|^(?:问题|情况)(?:没|未)说清楚$|^说不清楚"
    r"|^(?:东西|商品|产品|这个)?有(?:点|些)?问题$|^(?:咨询)?(?:相关|有关)事宜$|^已(?:处理|解决|回复|告知|答复)$"
    r"|^(?:东西|商品|产品|这个|它)?(?:用不了|不能用|没法用|不好用|坏了)$"
)
_EN_VAGUE = re.compile(
    r"^(?:(?:I )?(?:have |had )?(?:an? )?(?:issue|problem)s?|(?:I )?asked about (?:the |an? |my )?order"
    r"|it (?:doesn't|does not) work|(?:I (?:have|had) a )?question"
    r"|(?:I )?(?:called|rang|wrote|phoned|got in touch|contacted us) about (?:a|an|the|my)"
    r" (?:problem|issue|question))$",
    re.IGNORECASE,
)
#: A demand the agent reports ("要求赔偿", "要求我们解释为什么这么慢"), as the customer would ask it.
_ZH_DEMAND = (
    (re.compile(r"^要求(?:我们|你们|平台|客服)?(?:解释|说明)(?=为什么|为啥)"), ""),
    (re.compile(r"^要求(?:给|给个|一个)?说法$|^要求(?:尽快|马上|立即|立刻)?回电$"), ""),
    (re.compile(r"^要求(赔偿|退款|退货|换货|补发|补偿|退差价)$"), r"能\1吗"),
    (re.compile(r"^要求"), "想"),
)
#: What a removed detail leaves behind: "升级到版本后" (升级到5.8.3版本后), "版本根本用不了", "提示" (提示E401),
#: "最近一笔订单是" (…是DD2026…).
_ZH_REMNANTS = (
    (re.compile(r"到?版本(?=后|以后|之后)"), ""),
    (re.compile(r"^版本(?=\S)"), ""),
    (re.compile(r"^提示(?:错误码?)?$"), ""),
    # 多收了140元的服务费 without its amount: 多收了服务费.
    (re.compile(r"从(?=改|换)|(?<=一笔)的|(?<=一单)的|把(?=改|换)|(?<=[收扣付退]了)的"), ""),
    (re.compile(r"时提示(?:错误码?)?$"), "时报错"),
    (re.compile(r"提示(?:错误码?)?$"), "提示错误"),
)
_ZH_DANGLING_END = re.compile(r"(?:是|为|的是|在)$")
#: A single noun phrase naming information, not a problem (客服岗位的招聘信息, 会员的退款政策).
_ZH_ENQUIRY = re.compile(
    rf"^{_HAN}[^，,]{{0,14}}的{_HAN}{{0,4}}?(?:招聘信息|信息|政策|规则|流程|标准|条件|要求|方式|渠道|营业时间|时间|价格|费用|收费标准|范围"
    r"|安排|活动|规定|办法)$"
)
_ZH_CLAUSE = re.compile(r"[，,；;。！!]")
_ZH_QUESTION = re.compile(
    r"[？?]$|吗$|呢$|怎么|如何|为什么|为啥|能不能|可不可以|是否|多久|哪里|哪儿|什么|(?<!好)几天|怎样|咋|有没有|是不是"
    r"|要不要|会不会|多少|哪些|找谁|问谁"
)

_EN_PREFIX = re.compile(
    r"^(?:\((?:repeat contact|second contact|follow-up)\)|(?:second contact on the same issue|customer is back about"
    r" this|this was reported before and is still open|follow-up|repeat contact|again|contact #?\d+)\s*[:：–-])\s*",
    re.IGNORECASE,
)
_EN_ASKS = re.compile(r"^(?:the )?customer (?:asks|asked|is asking|wants to know|wonders)\s+(?:us\s+)?", re.IGNORECASE)
_EN_SAYS = re.compile(
    r"^(?:the )?customer (?:says|said|reports|reported|complains|complained|claims|writes|mentions)\s+(?:that\s+)?",
    re.IGNORECASE,
)
_EN_EMOTION = re.compile(r"^(?:the )?customer (?:is )?(?:very |really )?(?:angry|upset|annoyed|frustrated)\b", re.I)
_EN_THIRD_PERSON = re.compile(r"\bI (wants|needs|asks|demands|says|is|has|was)\b", re.IGNORECASE)
_EN_FIRST_PERSON = {"wants": "want", "needs": "need", "asks": "ask", "demands": "want", "says": "say", "is": "am",
                    "has": "have", "was": "was"}  # fmt: skip
#: A verb that loses its -s after "I" ("the customer suspects" → "I suspects" → "I suspect"); the irregular ones and
#: those the agent reports with are _EN_THIRD_PERSON's.
_EN_THIRD_PERSON_S = re.compile(
    r"\bI (?P<adverb>(?:always|never|still|often|also|just|usually|sometimes|only) )?(?P<verb>[a-z]{2,}s)\b"
)
#: The same verb joined to what "I" did ("I try to log in and fails"), where the word can only be a verb ("and
#: socks" stays).
_EN_JOINED_THIRD_PERSON = re.compile(r"(?P<joint>\band |, )(?P<verb>[a-z]{2,}s)\b")


def _en_base_of_third_person(word: str, *, only_verb: bool = False) -> str | None:
    """fails → fail, tries → try; None when the word is no verb's third person."""
    if word in _EN_FIRST_PERSON:
        # Joined, "has" and "was" may have another subject ("I bought a phone, has a crack").
        return None if only_verb and word in ("has", "was") else _EN_FIRST_PERSON[word]
    readings = lemminflect.getAllLemmas(word)
    if "VERB" not in readings or (only_verb and len(readings) > 1):
        return None
    base = readings["VERB"][0]
    return base if word in (f"{base}s", f"{base}es", f"{base[:-1]}ies") else None


def _en_first_person(match: re.Match) -> str:
    base = _en_base_of_third_person(match["verb"])
    return f"I {match['adverb'] or ''}{base}" if base else match.group(0)


def _en_joined_first_person(match: re.Match) -> str:
    base = _en_base_of_third_person(match["verb"], only_verb=True)
    return f"{match['joint']}{base}" if base else match.group(0)


#: "I am furious: …" (the customer's mood, rewritten): the mood goes, what happened stays.
_EN_I_AM_UPSET = re.compile(
    r"^I am (?:very |really |so )?(?:furious|angry|upset|annoyed|frustrated|unhappy|outraged|livid|fed up)\b"
    # "I am furious with the agent and demand…" says with whom: the mood is the sentence's verb.
    r"(?!\s+(?:with|about|at|over|that|because|by)\b)[:,-]?\s*"
)
#: An order named by its number where it is what the sentence is about ("Can order DD2026… be delivered", "although
#: order DD2026… hasn't shipped"): the number goes, "the order" stays, or the sentence loses its subject.
_EN_ORDER_SUBJECT = re.compile(
    r"(?<![Bb]usiness )(?<![Cc]ompany )\b[Oo]rder (?:number )?(?:DD\d{6,}|[A-Z]{2,5}\d{6,})(?:\s*\([^()]*\))?"
    r"(?=\s+(?:is|was|has|hasn't|had|still|did|does|be|shows|arrived|got)\b)"
)
_EN_MONEY = r"[$€£]\d[\d,]*(?:\.\d+)?"
_EN_STAFF = r"(agent|rep|representative|advisor|adviser|operator|courier|driver|technician)"
#: Words after which an order or tracking number is what the sentence acts on or asks about ("wants order DD…
#: cancelled", "why tracking number … has shown"); after a preposition or "last" it is a detail and goes.
_EN_NAMES_THE_ORDER = (
    r"wants?|wanted|needs?|cancel(?:led)?|track|change|modify|edit|return|split|merge|delete|find|why|how|when|where"
    r"|whether|if|although|though|while|because|but|and|so|that"
)
#: What a sentence still needs once the details naming its case go: removing them whole left holes ("There is an
#: order DD2026… for $249.00 the customer did not place" read "There is for me did not place", "wants the $59.99
#: back" "want the back", "furious with agent E03" "with agent"). So a reference keeps the noun it names, an amount
#: after "of" or "for" goes with it, one the sentence is about becomes "the money", and a staff code "the agent".
_EN_HOLES = (
    (
        re.compile(
            rf"\b((?:an?|the|this|that|my|one|another)(?: single| second| new| previous| last| first| recent)?)"
            r" (order|parcel|package|shipment) (?:number |no\.? |#)?"
            rf"{_REFERENCE}(?:\s*\([^()]*\))?",
            re.I,
        ),
        r"\1 \2",
    ),
    (re.compile(rf"\b({_EN_NAMES_THE_ORDER}) [Oo]rder (?:number )?{_REFERENCE}(?:\s*\([^()]*\))?"), r"\1 the order"),
    (re.compile(rf"^[Oo]rder (?:number )?{_REFERENCE}(?:\s*\([^()]*\))?(?= [a-z])"), "The order"),
    (re.compile(rf"\b({_EN_NAMES_THE_ORDER}) [Tt]racking (?:number |no\.? )?{_REFERENCE}"), r"\1 the parcel"),
    # "asks why the parcel has shown …" is asked as "Why has the parcel shown …?"
    (
        re.compile(r"^(?:the )?customer asks why the (order|parcel) (has|is|was|hasn't|isn't|wasn't)\b", re.I),
        r"why \2 the \1",
    ),
    (re.compile(rf"\bwith {_EN_MONEY}(?= in\b)"), "with money"),
    (re.compile(rf",?\s\b(?:of|for) {_EN_MONEY}"), ""),
    # "the code never reaches +44 7032 524050": it never arrives.
    (re.compile(r"\bnever (?:reaches|gets to) \+?\d[\d\s-]{6,}\d"), "never arrives"),
    # A phone or card told by its last digits names one customer.
    (re.compile(r"\bthe one ending (?:in )?\d{2,4}\b"), "the old one"),
    (re.compile(r"(?:,?\s*\bcard)?,?\s*\bending (?:in )?\d{2,4}\b"), ""),
    (
        re.compile(
            rf"\b(the|my|our) {_EN_MONEY}(?![\d,.])(?=\s*(?:[,.;:!?)]|$)|\s(?:back|now|refunded|returned|credited"
            r"|deducted|taken|charged|paid|sent|was|is|has|had|be|been|to|from|into|in|on|for|that|which|yet|still"
            r"|today)\b)"
        ),
        r"\1 money",
    ),
    (
        re.compile(
            rf"\b(?:(?:the|an?) |(?<=\bwith )|(?<=\bto )|(?<=\bfrom )|(?<=\bby )|(?<=\bat ))"
            rf"{_EN_STAFF} [A-Z]?\d{{2,}}\b",
            re.I,
        ),
        r"the \1",
    ),
    (re.compile(rf"\b{_EN_STAFF} [A-Z]?\d{{2,}}\b", re.I), r"\1"),
)
#: What is left after a colon once its amounts went ("Only part of the money came back: paid, received").
_EN_BARE_TAIL = re.compile(r":\s*(?:(?:[a-z]+ed|paid|sent|got|spent|took|lost)(?:,\s*|\s+and\s+|$))+$")
#: A clause that starts with what the customer does, its subject left out by the agent.
_EN_NO_SUBJECT = re.compile(
    r"^(?P<adverb>(?:[Aa]lready|[Aa]lso|[Ss]till|[Nn]ow) )?(?P<verb>[Ww]ants|[Nn]eeds|[Aa]sks|[Hh]as|[Ss]ays|[Gg]ets"
    r"|[Kk]eeps|[Tt]hinks|[Ss]uspects|[Pp]refers|[Hh]opes|[Ee]xpects)\b(?! \w+ing\b)"  # "needs cancelling": the order
)


def _en_with_subject(match: re.Match) -> str:
    verb = match["verb"].lower()
    return f"I {(match['adverb'] or '').lower()}{_EN_FIRST_PERSON.get(verb, verb[:-1])}"


#: "The customer asks us to X": a request of us ("Can you delete the account…?").
_EN_ASKS_US_TO = re.compile(r"^(?:the )?customer (?:asks|asked|is asking) us to\s+", re.I)
#: "The customer" as the agent writes of the asker; "customer contacts" and "customer service" are things.
_EN_CUSTOMER = re.compile(
    r"\b(?:the )?customer\b(?!\s(?:contacts?|service|support|data|list|records?|accounts?|details|reviews))", re.I
)
_EN_I_AS_OBJECT = re.compile(
    r"\b(on|to|for|with|at|from|by|told|gave|asked|called|sent|charged|[a-z]+s(?= I (?:out|off|in|up|back)\b)) I\b"
)
_EN_CLAUSE = re.compile(r"\s*[;；]\s*|(?<=[.!?])(?<![ap]\.m\.)(?<!e\.g\.)(?<!i\.e\.)\s+")
_EN_QUESTION_WORD = re.compile(
    r"^(?:how|why|when|what|where|which|who|whether|if|can|could|is|are|do|does|will)\b", re.I
)

#: Longest question kept: a title a customer reads at a glance.
QUESTION_CHARS = 60


def _drop_case_details(text: str) -> str:
    """Brackets naming a case, carried identifiers, company names, dates, amounts and model codes removed."""
    text = _ORGANISATION_BRACKET.sub(r"\1", _ZH_ORDER_OBJECT.sub(r"\1\2", text))
    text = _ZH_PLACED_ORDER.sub(r"\1的\2", text)
    text = _ZH_ORGANISATION.sub(_our_organisation, _ZH_BRACKETED_ORGANISATION.sub("", text))
    text = _ZH_STAFF_CODE.sub("", text)
    text = _BRACKETED.sub(lambda m: "" if _names_a_case(m.group()) or re.search(r"\d", m.group()) else m.group(), text)
    text = _OS_VERSION.sub(_without_os_version, text)
    for pattern in (_CARRIED_REFERENCE, _COMPANY, _DATED, _AMOUNT, _MODEL_CODE):
        text = pattern.sub(" ", text)
    return text


def _our_organisation(match: re.Match) -> str:
    """客户是康宁医疗器械有限公司的采购 → 客户是我们公司的采购; 应该是博学培训学校 → 应该是 (a clause that then
    dangles)."""
    if not match["of"]:
        return ""
    return "我们公司的" if match["kind"].endswith("公司") or match["kind"] == "集团" else "我们单位的"


def _without_os_version(match: re.Match) -> str:
    """The system without its version; what one updated to goes whole ("after updating, the app …")."""
    if match["update"] is None:
        return match["system"]
    return ", " if "to" in match["update"] else ""


def _names_a_case(text: str, names: Sequence[str] = ()) -> bool:
    return bool(
        _CASE_REFERENCE.search(text) or _CASE_WORDS.search(text) or any(name and name in text for name in names)
    )


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    # Emptied brackets first: "updating to (E401)" leaves "to" dangling only once they are gone.
    text = re.sub(r"\s*[（(]\s*[)）]", "", text)
    for _ in range(2):
        text = _DANGLING.sub("", text)
    # At the very end only what cannot be a particle ("updating to" lost its version; "won't power on" stays).
    text = re.sub(r"\s\b(?:to|of|from|by|the|a|an)$", "", text.rstrip())
    text = re.sub(rf"(?<={_HAN})\s+|\s+(?={_HAN})", "", text)
    text = re.sub(r"\s+([,.;:?!，。；：？！])", r"\1", text)
    text = re.sub(r"([，,；;])\1+", r"\1", text)
    return text.strip(" ，,；;：:、-—")


def without_case_details(text: str) -> str:
    """The text with the agent's framing and what identifies the case (order, tracking and account numbers, masked
    fragments, company names) removed and nothing else changed: what records are grouped by. Amounts, dates and
    wording stay: "a $1 charge" is a question of its own (BANKING77 proposals lost 0.5 NMI without them)."""
    text = " ".join((text or "").split())
    text = _ZH_PREFIX.sub("", _EN_PREFIX.sub("", text))
    text = _BRACKETED.sub(lambda m: "" if _names_a_case(m.group()) else m.group(), text)
    for pattern in (_CARRIED_REFERENCE, _COMPANY):
        text = pattern.sub(" ", text)
    return " ".join(text.split())


_NAMED_CUSTOMER = re.compile(r"^\[(姓名|name)\](?:\s*(?:of|from|at|，|,)?\s*\[(?:address|地址)\])?")


def without_references(text: str) -> str:
    """The text without order, tracking and account numbers, long digit runs, masked fragments and e-mail addresses,
    and the words that carry them ("订单号DD2026…", "单号SF…"); nothing else changes. What a customer pastes into a
    search names their case, not their question: the Chinese FAQ dev queries with an order number pasted in find
    the right article first 88.3 % of the time instead of 93.8 %, and 93.8 % again without it."""
    text = _CARRIED_REFERENCE.sub(" ", text or "")
    return " ".join(_CASE_REFERENCE.sub(" ", text).split())


def customer_question(
    text: str, language: str = "zh", names: Iterable[str] = (), companies: Iterable[str] = (), *, whole: bool = False
) -> str:
    """The question a record asks, in the customer's words and free of what names the case; "" if none is left.
    `companies`: the customer's company names, which become the asker's own ("invoiced to BlueOak Software" →
    "invoiced to our company")."""
    names = tuple(name for name in names if name and len(name.strip()) >= 2)
    text = " ".join((text or "").split())
    if not text:
        return ""
    chinese = language == "zh" or bool(re.search(_HAN, text))
    for company in sorted({c.strip() for c in companies if c and len(c.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(company), "我们公司" if chinese else "our company", text, flags=re.IGNORECASE)
    # "企业（数智云软件有限公司）需要…" says no more with "（我们公司）".
    text = re.sub(r"\s?[（(](?:我们公司|our company)[)）]", "", text, flags=re.IGNORECASE)
    # A customer named in the note is the customer: "[name] of [address] says the refund …" asks what
    # "Customer says the refund …" asks (the placeholder would make the clause name a case).
    text = _NAMED_CUSTOMER.sub(lambda match: "客户" if match.group(1) == "姓名" else "Customer", text)
    text = _ADDRESS_PLACEHOLDER.sub(
        lambda match: "另一个地址" if match.group() == "[地址]" else "another address", text
    )
    if chinese:
        return _chinese_question(text, names, whole=whole)
    return _english_question(text, names, whole=whole)


def asked_in(text: str, language: str | None = None, names: Iterable[str] = (), companies: Iterable[str] = ()) -> str:
    """What an agent's note asks, to search the knowledge base with (agent assist): the note read as
    `customer_question` reads it, without the agent's framing and the case's particulars, but whole (not clipped to a
    title) and with nothing added ("怎么办"); "" when it asks nothing. Framing, order numbers and brands pull a
    note's vector away from the articles: on the Chinese FAQ dev sets' queries written as agents write them
    ("客户反映…，订单号DD2026…", bench/eval_search_zh.py), search finds the right article first for 77.9 / 79.0 % of
    the notes as written and 93.3 / 91.5 % of what they ask (93.8 / 92.5 % for the customers' own words).
    `language`: the note's, or read from it (Chinese if it holds a Han character)."""
    language = language or ("zh" if re.search(_HAN, text or "") else "en")
    return customer_question(text, language, names, companies, whole=True)


#: How long it has been and how often it was tried, in one case (已经2天没有新的轨迹, 拖了8天, 试了3次): the count
#: goes. A policy's figure stays (7天无理由退货, 3-5个工作日), as nothing marks it as elapsed.
_ZH_COUNTS = (
    (re.compile(r"(已经|都|拖了|等了|过了|超过)\d+(?:个)?(天|小时|周|星期|个月)"), r"\1好几\2"),
    (re.compile(r"(?<![\d-])\d+(?:个)?(天|小时|周|星期|个月)(了|还|都|仍)"), r"好几\1\2"),
    (re.compile(r"这是第\d+次"), "这已经是好几次"),
    (re.compile(r"已经第\d+次"), "已经好几次"),
    (re.compile(r"第\d+次"), "再次"),
    (re.compile(r"(试了|打了|问了|申请了|发了|重装了|换了|催了|联系了)\d+(次|遍)"), r"\1好几\2"),
    (re.compile(r"((?:已经?|都)?(?:尝试|重试|试|催|打|问|联系|申请|反馈|投诉|来电|咨询)了?)\d+(次|遍)"), r"\1好几\2"),
    (re.compile(r"[（(]\d+次[）)]"), ""),
)


def _chinese_question(text: str, names: Sequence[str], *, whole: bool = False) -> str:
    text = _ZH_PREFIX.sub("", text)
    for pattern, replacement in () if whole else _ZH_COUNTS:  # agent assist searches the note as written
        text = pattern.sub(replacement, text)
    kept: list[str] = []
    for clause in _ZH_CLAUSE.split(text):
        typed = clause.strip()
        clause = _tidy(_ZH_HALF_BRACKET.sub("", _drop_case_details(_without_brand_or_place(typed))))
        # The customer's mood goes; what they were anxious to do stays when it says something ("客户着急改规格" →
        # "改规格"; "客户着急送人" says no more than the rest of the note).
        moodless = _ZH_EMOTION.sub("", clause).lstrip("，,、 ")
        if moodless != clause and len(re.findall(_HAN, moodless)) < 3:
            continue
        clause = moodless
        if len(re.findall(_HAN, clause)) < 2 or _names_a_case(clause, names):
            continue
        clause = _ZH_REPORTING.sub("", clause.replace("客户的", "我的", 1) if clause.startswith("客户的") else clause)
        # The reporting verb goes, not the word it starts: 说话不耐烦, 问题没解决, 称呼 stay.
        clause = re.sub(r"^(?:他|她|对方|称(?!呼|号)|说(?!话|明)|表示|反映|问(?!题|卷)|的|上的)(?=\S)", "", clause)
        if _ZH_DETAIL.match(clause) or _ZH_BARE_DETAIL.match(clause):
            continue
        clause = re.sub(r"^是(?=我们|\S{2,}的)", "我是", clause)  # 客户是X公司的管理员 → 我是…的管理员
        if clause != _tidy(typed):
            for pattern, replacement in _ZH_REMNANTS:
                clause = pattern.sub(replacement, clause)
            if _ZH_DANGLING_END.search(clause):
                continue
        if _ZH_VAGUE.search(clause):
            continue
        for pattern, replacement in _ZH_DEMAND:
            if pattern.search(clause):
                clause = pattern.sub(replacement, clause)
                break
        # A place or version whose name went leaves its frame: "在荣耀 Magic6上用" → "用", "版本5.8.3" → "".
        clause = re.sub(r"(?:在|于)(?:上|里|中)(?=\S)|[，,]?(?:版本|型号|错误码)$", "", clause)
        # The agent's 他/她 is the customer: 驿站找不到他的包裹 → 驿站找不到我的包裹.
        clause = re.sub(r"(?<!其)[他她](?=的|买|下单|付)", "我", clause.replace("客户的", "我的"))
        # Customers' contacts and data are a merchant's things: 导入客户通讯录 stays.
        clause = re.sub(r"客户(?!通讯录|资料|信息|列表|名单|数据|管理|经理|服务)", "我", clause)
        if len(re.findall(_HAN, clause)) >= 2 and not _ZH_EMOTION.match(clause):
            kept.append(clause)
        if not whole and sum(map(len, kept)) >= QUESTION_CHARS * 2 // 3:
            break
    if whole:
        return _tidy("，".join(kept))
    question = _tidy("，".join(kept))[:QUESTION_CHARS].rstrip("，,")
    if not question:
        return ""
    question = question.rstrip("？?。.！!")
    if _ZH_QUESTION.search(question):
        return f"{question}？"
    # An enquiry about a thing asks nothing to be fixed: 客服岗位的招聘信息 → 想了解客服岗位的招聘信息.
    if _ZH_ENQUIRY.match(question):
        return f"想了解{question}"
    return f"{question}，怎么办？"


#: How long and how often, in one case ("for 9 days", "tried 3 times", "7 days later"): the question is the same
#: however many, so the count goes ("for several days", "tried several times").
_EN_COUNTS = (
    (re.compile(r"\bsince \d+ (days?|hours?|weeks?|months?) ago\b", re.I), r"for several \1"),
    (re.compile(r"\b\d+ (day|hour|week|minute|month)s? (later|ago)\b", re.I), r"several \1s \2"),
    (re.compile(r"\b(for|after|over) \d+ (day|hour|week|minute|month)s?\b", re.I), r"\1 several \2s"),
    (re.compile(r"\b\d+ (times)\b", re.I), r"several \1"),
    (re.compile(r"\bfor the \d+(?:st|nd|rd|th) time\b", re.I), "again"),
    (re.compile(r"\b(?:(?:about|around|over) )?(?:\d{2,}\+?|\d+\+) (orders|units|items|parcels)\b", re.I), r"many \1"),
)


def _english_question(text: str, names: Sequence[str], *, whole: bool = False) -> str:
    text = _EN_PREFIX.sub("", text)
    for pattern, replacement in () if whole else _EN_COUNTS:  # agent assist searches the note as written
        text = pattern.sub(replacement, text)
    text = _EN_ORGANISATION.sub("our company", text)
    # A device someone switched to stays a new phone ("switching to a new Pixel 8" → "to a new phone").
    text = _EN_NEW_DEVICE.sub(r"\1 new phone", text)
    text = _EN_OWN_DEVICE.sub("my phone", text)
    text = _EN_DEVICE.sub("", text)
    text = re.sub(r"(^|[.;!?]\s+)our company", lambda match: match.group(1) + "Our company", text)
    kept: list[str] = []
    asked = False
    for clause in _EN_CLAUSE.split(text):
        clause = _EN_ORDER_SUBJECT.sub("the order", clause.strip())
        for pattern, replacement in _EN_HOLES:
            clause = pattern.sub(replacement, clause)
        clause = re.sub(
            r"\b([Bb]usiness|[Cc]ompany) order (?:number )?(?:DD\d{6,}|[A-Z]{2,5}\d{6,})", r"\1 order", clause
        )
        written = clause.rstrip(" .")
        clause = _tidy(_drop_case_details(clause.rstrip(".")))
        # "Since updating to 5.8.2 the customer cannot…" lost its version: "Since updating, the customer cannot…".
        clause = re.sub(r"\b(updating|upgrading) to (?=the\b)", r"\1, ", clause)
        if not clause or _EN_EMOTION.match(clause) or _names_a_case(clause, names):
            continue
        if kept and kept[-1].endswith("?"):
            break  # the question was asked; what follows is the case's particulars
        if _EN_ASKS_US_TO.match(clause):
            clause, asked = _EN_ASKS_US_TO.sub("can you ", clause), True
        elif _EN_ASKS.match(clause):
            clause, asked = _EN_ASKS.sub("", clause), True
            if clause.lower().startswith("about ") and not _EN_VAGUE.match(f"asked {clause}".strip(" ?.!")):
                # "Customer asked about support jobs" asks for information: "I would like to know about …".
                clause, asked = f"I would like to know {clause}", False
        # Either may stand first: "Customer says this was reported before: …", "Contact #2 - customer says …".
        for _ in range(2):
            clause = _EN_PREFIX.sub("", _EN_SAYS.sub("", clause))
        # A date or amount that went leaves its preposition ("charged on Aug 24"); one the note ended with is a
        # particle ("won't power on", "auto-renew was on").
        trailing = re.search(r"\b(?:on|since|from|for|of)\s*$", clause)
        if trailing and not written.endswith(trailing.group().strip()):
            clause = clause[: trailing.start()].strip()
        clause = re.sub(r"\bthe customer's\b|\bcustomer's\b", "my", clause, flags=re.I)
        clause = _EN_CUSTOMER.sub("I", clause)
        # The agent's shorthand drops the subject ("…; wants size M", "Already has the same one at home").
        clause = _EN_NO_SUBJECT.sub(_en_with_subject, clause)
        clause = _EN_THIRD_PERSON.sub(lambda match: "I " + _EN_FIRST_PERSON[match.group(1).lower()], clause)
        clause = _EN_I_AS_OBJECT.sub(lambda match: f"{match.group(1)} me", clause)
        clause = re.sub(r"\bI (doesn't|does not)\b", "I don't", clause)
        clause = re.sub(r"\bI ([a-z]+ing)\b", r"I am \1", clause)
        # Grammar is for the reader of a draft; agent assist only searches (and a web worker keeps lemminflect's
        # 34 MB of tables unloaded).
        if not whole:
            clause = _EN_THIRD_PERSON_S.sub(_en_first_person, clause)
        clause = _EN_I_AM_UPSET.sub("", clause)
        if clause.startswith("I ") and not whole:
            clause = _EN_JOINED_THIRD_PERSON.sub(_en_joined_first_person, clause)
            clause = re.sub(
                r"\band has (been|not|never|lost|had|got|made|paid|sent|spent|[a-z]+ed)\b", r"and have \1", clause
            )
        clause = _EN_BARE_TAIL.sub("", clause)
        if len(clause.split()) >= 3:
            kept.append(clause)
        if not whole and sum(map(len, kept)) >= QUESTION_CHARS * 2:
            break
    kept = [clause for clause in kept if not _EN_VAGUE.match(clause.strip(" ?.!"))]
    if not kept:
        return ""
    if whole:
        return "; ".join(kept)
    question = "; ".join(kept).replace("?;", ";")
    question = _capital(question)
    # "a P600 air purifier" lost its model code: "an air purifier".
    question = re.sub(r"\b([Aa]) (?=(?:[aeiAEI]|[oO](?!ne))[A-Za-z])", r"\1n ", question)
    question = question.rstrip("?.! ")
    return f"{question}?" if asked or _EN_QUESTION_WORD.match(question) or text.rstrip().endswith("?") else question


def is_customer_question(text: str, names: Iterable[str] = ()) -> bool:
    """A drafted title or alternative question may be published: something is asked, and nothing names a case."""
    names = tuple(names)
    if not text or not text.strip() or _names_a_case(text, names) or "客户" in text:
        return False
    if _EN_CUSTOMER.search(text) or _DATE.search(text) or _AMOUNT.search(text):
        return False
    return not re.search(r"\d{4,}", text)


# -- answers ---------------------------------------------------------------------------------------------------
#: One-off promises and compensation: for the editor to decide on, never copied into an answer for everyone.
_ZH_ONE_OFF = re.compile(
    r"补偿|赔偿|赔付|优惠券|代金券|无门槛|现金券|红包|积分补偿|特批|特殊处理|免单|免费升级|额外|加急|今[日天]到账|明[日天]"
    r"|预计.*(?:送达|到账|发出)|今[天日].*(?:送达|寄出|发出|派送)",
)
_EN_ONE_OFF = re.compile(
    r"credit|voucher|coupon|compensat|goodwill|free (?:upgrade|month)|waive|expedit"
    r"|advance replacement|today|tomorrow|as an exception|one-off",
    re.IGNORECASE,
)
#: The customer's reaction is the record's outcome, not a step.
_ZH_CONFIRMATION = re.compile(
    r"^(?:客户|对方)?(?:已)?(?:确认|表示|满意|接受|认可|同意|收到|按步骤操作成功|操作成功|无异议|无其他问题|没有其他问题)"
)
_EN_CONFIRMATION = re.compile(
    r"^(?:the )?customer (?:is |was )?(?:confirmed|satisfied|accepted|agreed|signed in|happy|pleased|looks forward"
    r"|followed it|checked and confirmed|paid|will not|won't|wouldn't|refuses|refused|rejected|declined|disputes"
    r"|will neither|cannot|can't|had not|did not|didn't|disappointed|unhappy|.*\bsuccessfully$)"
    r"|^(?:done|handled|answered|resolved|sorted|told (?:the )?customer|issue solved|(?:\w+ )?successful(?:ly)?)$",
    re.I,
)
#: The customer's choice, which the next step depends on ("Customer chose to cancel; refunded in full").
_EN_CHOICE = re.compile(r"^(?:the )?customer (?:chose|preferred|opted) (?:for )?(?P<wish>.+)$", re.I)
#: How the case ended, said after what was done ("reference provided and customer confirmed receipt", "turned off
#: auto-renew with guidance and confirmed").
_EN_ENDED = re.compile(r",? (?:and|;) (?:(?:the )?customer |you )?(?:confirmed|accepted|agreed)\b.*$", re.I)
#: An amount with the words that lean on it ("Refund of $89.99", "refunded $19.00", "$89.99 refunded").
_EN_AMOUNT = re.compile(r"\s*\b(?:of|for)\s+[$€£]\d+(?:[.,]\d+)?|[$€£]\d+(?:[.,]\d+)?\s*")
#: What the record says was done, turned into what a customer reading the answer can expect or do: the agent's
#: action (已取消订单并全额退款) is offered (可为您取消订单并全额退款), guidance the customer followed becomes theirs
#: to follow, a result (新货已发出) what will happen (新货会发出), and "after X it worked" what X brings.
#: In English the same: a step told in the past tense ("Reinstalled the app and cleared the cache") is what the
#: next customer does (Reinstall the app and clear the cache) where a customer does it on their own device or
#: account, and what we offer (We can send the guide) where support does it. Verbs in neither list stay as written.
_EN_CUSTOMER_VERB_TEXT = """
reinstall install uninstall clear restart reboot update upgrade log sign turn switch enable disable toggle reset change
enter re-enter follow use try retry tap open close allow grant select choose add remove link unlink relink re-link
pair unpair scan download upload pay attach fill refresh verify set
"""
_EN_SUPPORT_VERB_TEXT = """
send resend re-send issue refund explain escalate arrange cancel process ship dispatch credit review show give provide
offer book contact call raise forward unlock restore reactivate reopen replace exchange recalculate adjust correct
extend void reissue merge combine generate email e-mail text activate approve
"""
_EN_CUSTOMER_VERBS = frozenset(_EN_CUSTOMER_VERB_TEXT.split())
_EN_SUPPORT_VERBS = frozenset(_EN_SUPPORT_VERB_TEXT.split())
#: What follows a verb at the start of a step and not an adjective ("Cleared the cache", "Paid with another method",
#: "Logged in"; not "Linked phone number changed").
_EN_AFTER_A_VERB_TEXT = """
the a an your my our their his her its it them him you this that these those one all both each every some any
with via by in on at to for from out up off down back over through again and as
"""
_EN_AFTER_A_VERB = frozenset(_EN_AFTER_A_VERB_TEXT.split())
#: "Walked the customer through resetting the password": the guidance is what the next customer follows.
_EN_GUIDED = re.compile(
    r"^(?:guided|walked|helped|talked|coached|instructed|showed|taught|advised|asked|told|reminded)"
    r" (?:you|the (?:admin|user|account owner)|them)(?: through| to| how to| on how to| that)? (?P<action>.+)$",
    re.I,
)
#: How the customer was helped, which the step no longer needs once it is addressed to them.
_EN_AS_GUIDED = re.compile(
    r",?\s+(?:with (?:our |the agent's |your )?(?:guidance|help)|as (?:guided|instructed|advised))\b"
)


def _en_base(word: str) -> str | None:
    """The base form of a verb in the past tense or the past participle (cleared → clear, sent → send, reset →
    reset), or None when the word is neither (clearing, refund, order)."""
    lower = word.lower()
    base = lemminflect.getLemma(lower, upos="VERB")[0]
    past = lemminflect.getInflection(base, tag="VBD") + lemminflect.getInflection(base, tag="VBN")
    return base if lower in past else None


def _en_present(clause: str, verbs: frozenset[str]) -> str | None:
    """The clause with its leading verb and the verbs joined to it ("and cleared", ", updated") in the base form,
    when the leading verb is one of these; else None."""
    first, _, rest = clause.partition(" ")
    if first.endswith(","):  # "refunded, no need to return the item"
        first, rest = first[:-1], f", {rest}"
    base = _en_base(first)
    if base is None or base not in verbs:
        return None
    following = rest.split(" ", 1)[0].lower()
    if following and following not in _EN_AFTER_A_VERB and not following[:1].isdigit() and following[:1] != ",":
        return None  # a participle before its noun: "Linked phone number changed", "Cleared cache"

    def joined(match: re.Match) -> str:
        following = _en_base(match["verb"])
        known = following in _EN_CUSTOMER_VERBS or following in _EN_SUPPORT_VERBS
        return f"{match['joint']}{following}" if known and following != match["verb"].lower() else match[0]

    rest = re.sub(
        r"(?P<joint>(?:,| and|, and|, then| then) )(?P<verb>[A-Za-z-]+ed|sent|reset|set|paid)\b", joined, rest
    )
    return f"{base} {rest}".replace(" , ", ", ").strip()


def _en_customer_step(clause: str) -> str:
    """An English resolution clause as a step for the customer ("Cleared the cache" → "Clear the cache", "Sent the
    guide" → "We can send the guide", "You reinstalled the app" → "Reinstall the app"), or as it was."""
    if match := _EN_GUIDED.match(clause):
        clause = match["action"]
        clause = re.sub(r"^(\w+)ing\b", lambda m: _en_gerund_base(m[0]), clause)
        return _capital(_EN_AS_GUIDED.sub("", clause))
    you_did = re.match(r"^you (?P<action>.+)$", clause, re.I)
    if you_did:
        # What this customer did is what the next one is asked to do ("You sent the photos" → "Send the photos").
        present = _en_present(you_did["action"], _EN_CUSTOMER_VERBS | _EN_SUPPORT_VERBS)
        if not present:
            return clause
        return _capital(_EN_AS_GUIDED.sub("", re.sub(r"\bthemselves\b", "yourself", present)))
    if present := _en_present(clause, _EN_CUSTOMER_VERBS):
        return _capital(_EN_AS_GUIDED.sub("", present))
    if present := _en_present(clause, _EN_SUPPORT_VERBS):
        return f"We can {present}"
    return clause


def _en_gerund_base(word: str) -> str:
    """resetting → reset, clearing → clear: the base form of a verb's -ing form where it is known."""
    readings = lemminflect.getAllLemmas(word.lower())
    return readings["VERB"][0] if "VERB" in readings else word


def _capital(text: str) -> str:
    # iPad, iOS and eBay keep their lower-case first letter.
    return text if re.match(r"[a-z][A-Z]", text) else text[:1].upper() + text[1:]


_ZH_DONE = re.compile(
    r"(?:问题|工单)(?:已经?)?(?:解决|处理完毕|处理好)|^已?处理(?:客户|您)?(?:的)?原问题"
    r"|^(?:已经?)?(?:处理|解答|告知|回复|答复)(?:完毕|完成|好了)?$"
)
_ZH_CHOICE = re.compile(r"^(?:客户|您)(?:选择|要求|希望|想要?|决定|改为)(?P<wish>.+)$")
_ZH_UNWILLING = re.compile(r"^(?:客户|您)不(?P<wish>[愿想].+)$")
_ZH_GUIDED = re.compile(r"^(?:已经?)?(?:指导|引导|协助)(?:客户|您)(?P<action>.+)$")
_ZH_ADVISED = re.compile(r"^(?:已经?)?(?:建议|请|提醒)(?:客户|您)(?P<action>.+)$")
_ZH_TOLD = re.compile(r"^(?:已经?)?(?:告知|通知)(?:客户|您)?(?P<action>.+)$")
_ZH_FIXED = re.compile(r"(?:已经?|会)(?:在新版本)?(?:发布)?(?:热)?修复|修复.*(?:版本|上线)")
_ZH_DONE_FOR = re.compile(r"^(?:已经?(?:为|帮|给)?|为|帮|给)(?:客户|您)?(?P<action>.+)$")
_ZH_AGENT_ACTION = re.compile(
    r"^(?:向(?:客户|您))?(?:发送|提供|说明|解释|补发|安排|开通|解除|重新发送|重新处理|远程协助|核实|联系|登记|调取|恢复)"
)
_ZH_TOLD_BY_AGENT = re.compile(r"^(?:向(?:客户|您))?(?:解释|说明)(?P<what>.+)$")
#: After 已, a state rather than something done (已超过价格保护期, 该型号已缺货, 包裹已派送中): kept as it is.
_ZH_STATE = re.compile(r"^(?:超过|过了|过期|缺货|是|被|在|满|到期|无|不|没|未|派送中|处理中)")
#: 客户 before what belongs to the customer (客户设备系统版本过低) rather than before what the customer did.
_ZH_CUSTOMERS_NOUN = re.compile(
    r"^(?:客户|您)的?(?:设备|账号|账户|手机|订单|数据|地址|信息|资料|银行卡|包裹|商品|电脑|邮箱|系统)"
)
_ZH_CUSTOMERS_THING = re.compile(r"^(?:客户|您)的?(?P<thing>[^已，,]{1,6}?)已经?(?P<action>.+)$")
#: What the customer did (客户修改密码并开启两步验证) is what the next customer is asked to do, unless it is the
#: outcome (客户已成功登录, 客户已找到).
_ZH_CUSTOMER_DID = re.compile(r"^(?:客户|您)(?:已经?)?(?P<action>.+)$")
_ZH_CUSTOMER_OUTCOME = re.compile(r"^(?:成功|找到|收到|满意|认可|接受|无异议|能|可以|可正常|不|没|未|无)")
_ZH_RESULT = re.compile(r"^(?P<subject>[^已客您]{1,10}?)已经?(?P<action>.+)$")
_ZH_WORKED_AFTER = re.compile(
    r"^(?:客户|您)?(?P<done>.+)后(?:客户|您)?(?P<what>[^后]*?)(?P<result>成功|恢复正常|正常|恢复)$"
)
_ZH_SUCCEEDED_AFTER = re.compile(r"^(?:客户|您)?(?P<done>.+)后(?:客户|您)?(?:已经?)?成功(?P<what>[^后]+)$")
_ZH_WORKED_BY = re.compile(r"^(?:客户|您)?(?P<done>(?:使用|通过|重新|更换|改用|按照?|在).+?)(?:成功|完成)$")


def _zh_worked(clause: str) -> str:
    """ "After X it worked" as what X brings (清除缓存后客户登录成功 → 清除缓存后即可登录), else ""."""
    if match := _ZH_SUCCEEDED_AFTER.match(clause):
        return f"{match['done']}后即可{match['what']}"
    if match := _ZH_WORKED_AFTER.match(clause):
        done, what, result = match["done"], match["what"], match["result"]
        if result == "成功":
            return f"{done}后即可{what}"
        what = "" if what == "恢复" else what
        return f"{done}后，{what}即可恢复正常" if what else f"{done}后即可恢复正常"
    return ""


def _zh_customer_step(clause: str) -> tuple[str, bool]:
    """(a resolution clause as a step for the customer, whether it is a condition the next step depends on)."""
    if _ZH_DONE.search(clause):
        return "", False
    if match := _ZH_CHOICE.match(clause):
        return f"如需{match['wish']}", True
    if match := _ZH_UNWILLING.match(clause):
        return f"如不{match['wish']}", True
    if _ZH_FIXED.search(clause):
        return "此问题已在新版本修复，请更新到最新版本", False
    if match := _ZH_GUIDED.match(clause):
        return f"可按指引{_zh_worked(match['action']) or match['action']}", False
    if match := _ZH_ADVISED.match(clause):
        return f"建议您{match['action']}", False
    if match := _ZH_TOLD.match(clause):
        return f"可告知您{match['action']}", False
    if worked := _zh_worked(clause):
        return worked, False
    if match := _ZH_WORKED_BY.match(clause):
        return f"可{match['done']}", False
    if (
        clause.startswith(("已", "为客户", "帮客户", "给客户", "为您", "帮您"))
        and (match := _ZH_DONE_FOR.match(clause))
        and not _ZH_STATE.match(match["action"])
    ):
        action = re.sub(r"给(?:客户|您)$", "", match["action"])
        return (f"可{action}" if action.startswith("按") else f"可为您{action}"), False
    if match := _ZH_TOLD_BY_AGENT.match(clause):
        return f"可为您说明{match['what']}", False
    if _ZH_AGENT_ACTION.match(clause):
        return f"可为您{clause}", False
    if match := _ZH_CUSTOMERS_THING.match(clause):
        return f"您的{match['thing']}会{match['action']}", False
    if _ZH_CUSTOMERS_NOUN.match(clause):
        return clause, False
    if match := _ZH_CUSTOMER_DID.match(clause):
        # Only what the customer was still to do: 客户已丢弃外包装 is how this case stood, not advice.
        did = (
            clause.startswith(("客户已", "您已"))
            or _ZH_CUSTOMER_OUTCOME.match(match["action"])
            or re.search(r"没|未|不了", match["action"])  # what went wrong for them ("客户换了手机后数据没同步")
        )
        return ("" if did else f"请{match['action']}"), False
    if (match := _ZH_RESULT.match(clause)) and not _ZH_STATE.match(match["action"]):
        return f"{match['subject']}会{match['action']}", False
    return clause, False


# A resolution written as numbered steps or lines keeps them apart.
_STEP_LINE = re.compile(r"\r?\n+|\s(?=\d+[.)、．](?!\d)\s*\S)")
_STEP_NUMBER = re.compile(r"^\s*(?:\d+[.)、．]|[(（]\d+[)）]|[-*•·]|第[一二三四五六七八九十]+步[,，:：]?)\s*")


def answer_steps(resolution: str, language: str = "zh") -> tuple[list[str], list[str]]:
    """(steps addressed to the customer, one-off promises or compensation set aside for the editor)."""
    steps: list[str] = []
    flags: list[str] = []
    chinese = language == "zh" or bool(re.search(_HAN, resolution or ""))
    clauses = [
        clause
        for line in _STEP_LINE.split(resolution or "")
        for clause in (_ZH_CLAUSE if chinese else _EN_CLAUSE).split(_STEP_NUMBER.sub("", " ".join(line.split())))
    ]
    condition = ""
    for clause in clauses:
        clause = _STEP_NUMBER.sub("", clause.strip()).rstrip(".")
        if not clause:
            continue
        if (_ZH_ONE_OFF if chinese else _EN_ONE_OFF).search(clause):
            flags.append(clause)
            continue
        if (_ZH_CONFIRMATION if chinese else _EN_CONFIRMATION).match(clause) or _names_a_case(clause):
            continue
        if chinese:
            # Where and with which courier or bank this case went is not the next customer's (包裹已在上海市浦东
            # 新区网点找到 → 包裹已在网点找到; 纸质版顺丰寄出 → 纸质版寄出).
            clause, conditional = _zh_customer_step(_tidy(_without_brand_or_place(clause)))
            clause = _tidy(_drop_case_details(clause.replace("客户的", "您的").replace("客户", "您")))
            if conditional:
                condition = clause
                continue
            if len(re.findall(_HAN, clause.replace("可为您", ""))) < 3:
                continue  # little but an amount or a date was said ("已退349元", "金额259元")
            if condition:
                clause, condition = f"{condition}，{clause}", ""
        else:
            clause = _EN_AMOUNT.sub(" ", _EN_ENDED.sub("", clause)).strip()
            if match := _EN_CHOICE.match(clause):
                condition = f"If you prefer {match['wish']}"
                continue
            if len(clause.split()) < 2 and not condition:
                continue  # little but an amount was said ("$89.99 refunded")
            clause = re.sub(r"\bthe customer's\b|\bcustomer's\b", "your", clause, flags=re.I)
            clause = _EN_ORGANISATION.sub("your company", clause)
            clause = _en_customer_step(re.sub(r"\b(?:the )?customer\b", "you", clause, flags=re.I))
            if condition:
                clause, condition = f"{condition}: {clause[:1].lower()}{clause[1:]}", ""
            clause = _tidy(_drop_case_details(_capital(clause)))
        if len(clause) >= 2 and clause not in steps:
            steps.append(clause)
    if condition:
        # The customer's choice that nothing after it answered ("客户选择退款" and then only a flagged promise).
        steps.append(f"{condition}，可联系客服办理" if chinese else f"{condition}, contact us")
    return steps, flags
