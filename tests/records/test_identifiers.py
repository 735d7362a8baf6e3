"""Names and postal addresses in free text: find_identifiers, scrub_identifiers, contains_identifiers."""

import dataclasses
import random

import pytest

from records.identifiers import IdentifierMatch, contains_identifiers, find_identifiers, scrub_identifiers
from records.masking import find_pii, mask_text

# Test data with real structure: the ID has a correct MOD 11-2 check character, the cards pass Luhn.
ID_OK = "110101199003077774"
CARD = "6222021234567890128"


def found(text, known_names=()):
    return [(match.kind, match.value) for match in find_identifiers(text, known_names)]


def names(text, known_names=()):
    return [value for kind, value in found(text, known_names) if kind == "name"]


def addresses(text):
    return [value for kind, value in found(text) if kind == "address"]


# --- Chinese names ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("王先生来电咨询退款", "王先生"),
        ("李女士的订单还没到", "李女士"),
        ("请问是陈小姐吗", "陈小姐"),
        ("王太太说包裹破损", "王太太"),
        ("张老师反映课程无法播放", "张老师"),
        ("刘师傅已经上门", "刘师傅"),
        ("李阿姨不会用App", "李阿姨"),
        ("请王总确认", "王总"),
        ("赵经理同意补偿", "赵经理"),
        ("孙主任要求加急", "孙主任"),
        ("欧阳先生投诉", "欧阳先生"),
        ("诸葛女士来电", "诸葛女士"),
        ("司马经理说", "司马经理"),
        # A full name before 先生/女士/小姐 is hidden whole, not only the surname.
        ("王小明先生反映", "王小明先生"),
        ("客户李娜女士来电", "李娜女士"),
        # 感谢 ends in 谢, a surname, and 周末 starts with 周: neither is part of the name.
        ("感谢陈先生的耐心", "陈先生"),
        ("周末张女士来电", "张女士"),
        ("谢谢王先生", "王先生"),
    ],
)
def test_chinese_surname_and_honorific(text, name):
    assert names(text) == [name]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我叫王小明，想查一下订单", "王小明"),
        ("我叫张伟想问一下", "张伟"),
        ("她名叫李娜", "李娜"),
        ("姓名：张三", "张三"),
        ("姓名:王五 电话见附件", "王五"),
        ("联系人：李四", "李四"),
        ("收件人：欧阳娜娜，电话见备注", "欧阳娜娜"),
        ("收货人：黄晓明，尽快发货", "黄晓明"),
        # After a label the name is taken whatever its surname.
        ("联系人：邝志明，电话见备注", "邝志明"),
        ("客户王小明反映没收到货", "王小明"),
        ("客户张伟来电", "张伟"),
        ("客户孙丽要求退货", "孙丽"),
        ("我是张伟，想问一下退款", "张伟"),
        ("我姓王", "王"),
        ("那位姓张的客户又来电了", "张"),
        # People around the customer, by relation or by trade; a name said to be one.
        ("客户说他同学杨过用了同一张优惠券", "杨过"),
        ("客户的妻子许晴代为办理退货", "许晴"),
        ("安装师傅李卫东到了以后说管子不配套", "李卫东"),
        ("快递员孙明亮电话一直打不通", "孙明亮"),
        ("顾客说她老公叫郑浩然，货是他签收的", "郑浩然"),
        ("顾客说韩梅梅是他同事，也要开发票", "韩梅梅"),
        ("退款请打到这张卡，户名马丽。", "马丽"),
        # Traditional characters read like simplified ones.
        ("客戶陳大文來電反映充電很慢", "陳大文"),
        ("她鄰居劉子軒也買了", "劉子軒"),
        ("她表姐周雨桐帮忙下的单", "周雨桐"),
    ],
)
def test_chinese_name_after_a_cue(text, name):
    assert names(text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "客户说快递一直没到",
        "客户反馈App闪退",
        "客户要求退款",
        "客户马上要求退款",
        "客户高度评价我们的服务",
        "客户付款后没收到货",
        "我是会员",
        "我是高级会员，为什么还要运费",
        "王者荣耀充值失败",
        "高级会员",
        "周末能发货吗",
        "本周总结已发送",
        "这周总是登录失败",
        "历史老师布置的作业",
        "语文老师说",
        "快递师傅没打电话",
        "维修师傅明天上门",
        "请问您贵姓",
        "请填写姓名和电话",
        "我叫了快递",
        "客户经理会联系您",
        "项目经理在跟进",
        "客户叫车服务一直没人接单",
        "客户要求叫醒服务",
        "叫号系统故障，排队两小时",
        "客户叫我们尽快处理",
        "姓名一栏填错了，需要修改",
        "师傅说明天上门安装",
        "物业说电梯在维修",
        "司机已到楼下",
        "客户的朋友高兴地说问题解决了",
        "这是我同事推荐的产品",
        "是他朋友帮忙下的单",
        "会议在3号楼2层会议室举行",
        "仓库在A座一楼",
        "人行道上有积水，快递被弄湿了",
        "铁道部门通知列车晚点",
        "我知道3号发货",
        "客戶說快遞一直沒到",
        "客户代表表示同意",
        "他奶奶不会用手机",
    ],
)
def test_ordinary_chinese_support_language_names_nobody(text):
    assert found(text) == []


# --- English names ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mr Smith called about his order", "Mr Smith"),
        ("Mrs. Jones wants a refund", "Mrs. Jones"),
        ("Spoke to Ms Lee today", "Ms Lee"),
        ("Miss Taylor asked again", "Miss Taylor"),
        ("Dr. Watson's parcel is late", "Dr. Watson"),
        ("Mx Rivera would like a call back", "Mx Rivera"),
        ("Mr John Smith called", "Mr John Smith"),
        ("Ms O'Brien says the courier left it outside", "Ms O'Brien"),
        # A title followed by an ordinary word stops before it.
        ("Dear Mr Smith Please call back", "Mr Smith"),
        ("My name is John Smith and I need help", "John Smith"),
        ("my name is john smith", "john smith"),
        ("Hi, this is Sarah Connor from Leeds", "Sarah Connor"),
        ("This is Tom, calling about my order", "Tom"),
        ("Name: Sarah Connor", "Sarah Connor"),
        ("Customer name: Maria Garcia; phone to follow", "Maria Garcia"),
        ("I'm Sarah Connor and my card was charged twice", "Sarah Connor"),
        ("I am Peter Parker, a long-time customer", "Peter Parker"),
        ("Dear Sarah, thanks for waiting", "Sarah"),
        ("The parcel never came. Regards, Sarah", "Sarah"),
        ("Please help. Thanks, Bob", "Bob"),
        ("Please call me. Best, Alice", "Alice"),
        ("See you. Cheers,\nTom", "Tom"),
        ("Refund please.\nKind regards,\nJane Doe", "Jane Doe"),
        ("姓名：John Smith", "John Smith"),
        ("Name: 王小明", "王小明"),
        # Set off by a comma or parentheses after the word that introduces them.
        ("The caller (Kevin O'Neill) said the parcel was damaged", "Kevin O'Neill"),
        ("Her husband (Greg McAllister) will pick it up", "Greg McAllister"),
        ("The cardholder, Ahmed Al-Farsi, disputes the charge", "Ahmed Al-Farsi"),
        ("Spoke to her neighbour, Mary-Kate Dawson, who took it in", "Mary-Kate Dawson"),
        ("Customer's brother-in-law, Sean O'Malley, collected the TV", "Sean O'Malley"),
        ("Her stepson Liam Hart opened the account", "Liam Hart"),
        ("Caller was Priya Ramanathan, asking about the invoice", "Priya Ramanathan"),
    ],
)
def test_english_names(text, name):
    assert names(text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "I'm not able to log in",
        "I'm trying to reset my password",
        "I'm Sorry to bother you",
        "I'm Still waiting for my card",
        "I'm Afraid the app crashed",
        "I'm Happy with the service",
        "I am Unable to pay",
        "This is URGENT, please help",
        "my name is spelled wrong on the card",
        "Name: please see above",
        "Thanks, The Support Team",
        "Regards, Customer Service",
        "I bought it at Best Buy",
        "Thanks in advance",
        "Hi there, my card is blocked",
        "The caller (angry) said the parcel was late",
        "Her husband, who called earlier, wants a refund",
        "The customer (VIP) asked for priority support",
        "The cardholder, however, denied the charge",
        "The caller was Very Upset about the delay",
        "The customer is happy with the refund",
        "Caller was Angry and rude",
    ],
)
def test_ordinary_english_support_language_names_nobody(text):
    assert found(text) == []


# --- names the caller knows -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王小明说订单没到", ["王小明"]),
        ("王先生说订单没到", ["王先生"]),
        ("王女士说订单没到", ["王女士"]),
        ("王小姐说订单没到", ["王小姐"]),
        ("请王总确认", ["王总"]),
        ("小明说订单没到", ["小明"]),
        ("老王和小王都知道", ["老王", "小王"]),
        # 总结 is a summary, not Manager 王.
        ("王总结了一下", []),
    ],
)
def test_known_chinese_name_and_its_forms(text, expected):
    assert names(text, ["王小明"]) == expected


def test_known_chinese_name_with_a_compound_surname():
    assert names("欧阳女士和娜娜都来过电话", ["欧阳娜娜"]) == ["欧阳女士", "娜娜"]


def test_a_one_character_given_name_is_not_searched_alone():
    # 伟 alone would hide the character in every 伟大.
    assert names("伟大的产品，张女士很满意", ["张伟"]) == ["张女士"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("John Smith called", ["John Smith"]),
        ("JOHN SMITH called", ["JOHN SMITH"]),
        ("john  smith called", ["john  smith"]),
        ("Mr Smith called", ["Mr Smith"]),
        ("mr. smith called", ["mr. smith"]),
        ("John called twice", ["John"]),
        ("john called twice", ["john"]),
        ("客户John来电", ["John"]),
        # Smith alone is not searched: Smith Street, the Smiths.
        ("Smith Street branch", []),
        ("Johnson called", []),
    ],
)
def test_known_english_name_and_its_forms(text, expected):
    assert names(text, ["John Smith"]) == expected


def test_known_given_name_that_is_a_word_must_be_capitalised():
    assert names("I will call. Will called back.", ["Will Turner"]) == ["Will"]


@pytest.mark.parametrize("known", [["王"], ["J"], [""], [" "], [None], [42]])
def test_known_names_too_short_or_not_text_are_ignored(known):
    assert found("王者荣耀 J 42", known) == []


def test_known_names_may_be_any_iterable_or_a_single_string():
    text = "王小明说小明的订单"
    expected = "[姓名]说[姓名]的订单"
    assert scrub_identifiers(text, (name for name in ["王小明"])) == expected
    assert scrub_identifiers(text, "王小明") == expected
    assert scrub_identifiers(text, {"王小明"}) == expected


def test_agent_display_names_with_punctuation_are_matched_literally():
    assert names("Handled by A.J. (Team B) and Kim", ["A.J. (Team B)"]) == ["A.J. (Team B)"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王芳（工号A01）已联系仓库", "[姓名]（工号A01）已联系仓库"),
        ("客服A组-王芳已联系仓库", "[姓名]已联系仓库"),
        ("Emily Carter called back", "[name] called back"),
    ],
)
def test_staff_display_names_led_by_their_team_find_the_person(text, expected):
    # "客服A组-王芳": many desks put the team before the name; the text names the person alone.
    assert scrub_identifiers(text, ["客服A组-王芳", "English Support - Emily Carter", "sys-admin"]) == expected


def test_a_hyphenated_username_is_not_cut_into_a_word():
    assert scrub_identifiers("the admin reset it", ["sys-admin"]) == "the admin reset it"


# --- Chinese addresses ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("寄到北京市朝阳区建国路88号2号楼1单元301室的订单没收到", "北京市朝阳区建国路88号2号楼1单元301室"),
        ("改派到上海市浦东新区张江路123号", "上海市浦东新区张江路123号"),
        ("住在广东省深圳市南山区科技园南路69号", "广东省深圳市南山区科技园南路69号"),
        ("发往杭州市西湖区文三路186号，谢谢", "杭州市西湖区文三路186号"),
        ("位于朝阳区建国路八十八号", "朝阳区建国路八十八号"),
        ("寄到建国路88号", "建国路88号"),
        ("地址在北京路步行街12号", "北京路步行街12号"),
        ("住在阳光小区3栋2单元501室", "阳光小区3栋2单元501室"),
        ("送到国贸大厦12层", "国贸大厦12层"),
        ("送到朝阳区阳光花园3号楼1单元301", "朝阳区阳光花园3号楼1单元301"),
        ("改成成都市武侯区长安南路45号", "成都市武侯区长安南路45号"),
        ("改成深圳市南山区人民南路129号", "深圳市南山区人民南路129号"),
        ("苏州市工业园区星湖街158号", "苏州市工业园区星湖街158号"),
        # 道 is a road only after a city or district: see the negative case 我知道3号发货.
        ("寄到广州市天河区天河道5号", "广州市天河区天河道5号"),
        # A Hong Kong road is a 道 without a district before it; traditional characters count.
        ("香港地址九龍旺角彌敦道688號，謝謝", "九龍旺角彌敦道688號"),
        ("台北市信義區松仁路100號12樓", "台北市信義區松仁路100號12樓"),
        # A building with a flat in it is a home, even without the estate's name.
        ("客户住望京西园三区312号楼1502室，电梯坏了", "望京西园三区312号楼1502室"),
        ("家在7栋2单元1101，快递放门口", "7栋2单元1101"),
    ],
)
def test_chinese_postal_address(text, address):
    assert addresses(text) == [address]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("地址：北京朝阳某某胡同口，周一送", "北京朝阳某某胡同口"),
        ("收货地址：广东深圳南山科技园！谢谢", "广东深圳南山科技园"),
        ("住址:杭州西湖边上\n电话见备注", "杭州西湖边上"),
        ("新地址是：成都高新区天府软件园；尽快", "成都高新区天府软件园"),
        ("客户称收货地址：上海浦东张江镇？", "上海浦东张江镇"),
    ],
)
def test_chinese_address_after_a_label_runs_to_the_end_of_the_clause(text, address):
    assert addresses(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "退货地址在哪里",
        "请提供收货地址",
        "请提供收货地址：",
        "我知道3号发货",
        "频道5号开播",
        "订单号 202405201234，3号发货",
        "5月3号到货",
        "邮箱地址：请看备注",
        "IP地址：未知",
        "3号楼的快递柜坏了",
    ],
)
def test_ordinary_chinese_text_has_no_address(text):
    assert addresses(text) == []


# --- English addresses ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("I live at 42 Baker Street now", "42 Baker Street"),
        ("Send it to 221B Baker Street, London NW1 6XE please", "221B Baker Street, London NW1 6XE"),
        (
            "from 1600 Pennsylvania Avenue NW, Washington, DC 20500.",
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
        ),
        ("ship to 12 Main St, Apt 4B, Springfield, IL 62704 asap", "12 Main St, Apt 4B, Springfield, IL 62704"),
        ("deliver to Flat 3, 12 High Road, Manchester M1 1AE today", "Flat 3, 12 High Road, Manchester M1 1AE"),
        ("at 350 5th Avenue, New York, NY 10118", "350 5th Avenue, New York, NY 10118"),
        ("moved to 7 Oak Lane", "7 Oak Lane"),
        ("left at 19 Mill Lane instead", "19 Mill Lane"),
        ("on 3 Acacia Crescent", "3 Acacia Crescent"),
        ("at 88 Old Kent Rd.", "88 Old Kent Rd."),
        ("寄到42 Baker Street，谢谢", "42 Baker Street"),
        # UK postcodes identify a handful of houses even on their own.
        ("postcode SW1A 1AA", "SW1A 1AA"),
        ("near M1 1AE", "M1 1AE"),
        ("Address: Rose Cottage, Little Snoring, Norfolk. Please hurry", "Rose Cottage, Little Snoring, Norfolk"),
        ("Shipping address: 12 Main St. Springfield; phone later", "12 Main St. Springfield"),
    ],
)
def test_english_postal_address(text, address):
    assert addresses(text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "my address has changed",
        "please update my address",
        "What is your address?",
        "order number 2023",
        "it took 3 days",
        "Version 2 Street view is broken",
        "I have 2 Apple Watches",
        "MacBook Air M1 8GB",
        "E-mail address: see the ticket",
        "the IP address: unknown",
    ],
)
def test_ordinary_english_text_has_no_address(text):
    assert addresses(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "退货地址在哪里",
        "请提供收货地址",
        "my address has changed",
        "update my address",
        "order number 2023",
        "3 days",
        "Version 2 Street view",
        "王者荣耀",
        "高级会员",
        "周末",
        "I'm not able to",
        "I'm trying to",
        "客户说",
        "客户反馈",
        "客户要求",
        "我是会员",
    ],
)
def test_ordinary_support_language_is_left_alone(text):
    assert find_identifiers(text) == []
    assert scrub_identifiers(text) == text
    assert contains_identifiers(text) is False


# --- placeholders -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "known", "expected"),
    [
        ("王先生来电", (), "[姓名]来电"),
        ("Mr Smith called", (), "[name] called"),
        ("寄到北京市朝阳区建国路88号", (), "寄到[地址]"),
        ("Send it to 42 Baker Street today", (), "Send it to [address] today"),
        # A Latin-script value in Chinese text gets the Chinese placeholder, and the other way round.
        ("联系人：John Smith，电话见备注", (), "联系人：[姓名]，电话见备注"),
        ("客户John Smith来电", ["John Smith"], "客户[姓名]来电"),
        ("寄到42 Baker Street，谢谢", (), "寄到[地址]，谢谢"),
        ("Please ship to 北京市朝阳区建国路88号 today", (), "Please ship to [地址] today"),
        ("Mr. Wang Wei (王伟先生) asked us to ship it", (), "[name] ([姓名]) asked us to ship it"),
    ],
)
def test_placeholder_follows_the_script_around_the_value(text, known, expected):
    assert scrub_identifiers(text, known) == expected


# --- scrub_identifiers, contains_identifiers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"手机13812345678，邮箱zhang.san@example.com，身份证{ID_OK}，银行卡{CARD}，订单号 202405201234567890。",
        "Please call +1 415 555 0100, email john.doe@example.org; card 4111 1111 1111 1111 (order #DD20240520001).",
    ],
)
def test_scrub_masks_pii_exactly_like_mask_text(text):
    assert find_identifiers(text) == []
    assert scrub_identifiers(text) == mask_text(text) != text


@pytest.mark.parametrize("text", [None, ""])
def test_empty_input_passes_through(text):
    assert find_identifiers(text) == []
    assert scrub_identifiers(text) == text
    assert scrub_identifiers(text, ["王小明"]) == text
    assert contains_identifiers(text) is False


@pytest.mark.parametrize(
    ("text", "known", "expected"),
    [
        ("手机13812345678", (), True),
        ("王先生来电", (), True),
        ("送到42 Baker Street", (), True),
        ("小明来电", ["王小明"], True),
        ("小明来电", (), False),
        ("客户反馈App闪退，已升级到6.0版本", (), False),
        ("No personal data here, just order 2023 and 3 days.", (), False),
    ],
)
def test_contains_identifiers(text, known, expected):
    assert contains_identifiers(text, known) is expected


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01王先生\x7f",
        "\ud800 lone surrogate, Mr Smith",
        "🙂🙂 emoji 王先生🙂 at 42 Baker Street🙂",
        "[姓名][name][地址][address]",
        "]]][[[地址：][姓名：]",
        "地址：",
        "Regards,",
        "Mr.",
        "姓",
        "\n\n\t ",
        "ＡＢＣ１２３ 全角 ｍｙ ｎａｍｅ ｉｓ",
    ],
)
def test_odd_input_never_raises_and_scrubs_to_a_fixed_point(text):
    scrubbed = scrub_identifiers(text)
    assert scrub_identifiers(scrubbed) == scrubbed
    assert find_identifiers(scrubbed) == []


def test_matches_are_ordered_non_overlapping_and_frozen():
    text = "王先生住在北京市朝阳区建国路88号，Mr Smith lives at 42 Baker Street."
    matches = find_identifiers(text)
    assert [(m.kind, m.value) for m in matches] == [
        ("name", "王先生"),
        ("address", "北京市朝阳区建国路88号"),
        ("name", "Mr Smith"),
        ("address", "42 Baker Street"),
    ]
    for match in matches:
        assert text[match.start : match.end] == match.value
    assert all(left.end <= right.start for left, right in zip(matches, matches[1:], strict=False))
    assert matches[0] == IdentifierMatch("name", 0, 3, "王先生")
    with pytest.raises(dataclasses.FrozenInstanceError):
        matches[0].value = "x"


def test_a_name_inside_an_address_is_hidden_with_the_address():
    # 建国 is the given name of a known 李建国 and part of 建国路: the longer span wins and nothing is left over.
    assert scrub_identifiers("寄到北京市朝阳区建国路88号", ["李建国"]) == "寄到[地址]"


# --- realistic records ------------------------------------------------------------------------------------------------

# (record text, known names, values that must not survive scrubbing)
RECORDS = [
    (
        "王先生(13812345678)反映寄到北京市朝阳区建国路88号2号楼1单元301室的订单没收到",
        (),
        ["王先生", "13812345678", "建国路88号", "301室"],
    ),
    (
        "Hi, this is Sarah Connor from 42 Baker Street, London NW1 6XE, my card 4111 1111 1111 1111 was charged "
        "twice. Regards, Sarah",
        (),
        ["Sarah", "Connor", "42 Baker Street", "NW1 6XE", "4111 1111 1111 1111"],
    ),
    (
        "客户李娜女士来电，称收货地址：上海市浦东新区张江路123号5栋602室，快递员一直打不通她的电话139 8765 4321。",
        (),
        ["李娜", "张江路123号", "602室", "139 8765 4321"],
    ),
    (
        f"我叫王小明，身份证{ID_OK}，想把退款打到银行卡{CARD}。",
        (),
        ["王小明", ID_OK, CARD],
    ),
    (
        "收件人：欧阳娜娜；联系电话：+86 138-1234-5678；地址：广东省深圳市南山区科技园南路69号",
        (),
        ["欧阳娜娜", "138-1234-5678", "科技园南路69号"],
    ),
    (
        "My name is John Smith and my email is john.smith@example.com. Please update my address to 1600 "
        "Pennsylvania Avenue NW, Washington, DC 20500.",
        (),
        ["John", "Smith", "john.smith@example.com", "1600 Pennsylvania", "20500"],
    ),
    (
        "Customer Mrs. Emily Watson called from +44 20 7946 0958 about parcel delivery to Flat 3, 12 High Road, "
        "Manchester M1 1AE.",
        (),
        ["Emily", "Watson", "7946 0958", "12 High Road", "M1 1AE"],
    ),
    (
        "客户张伟来电，住在阳光小区3栋2单元501室，要求周末送货上门。",
        (),
        ["张伟", "阳光小区3栋"],
    ),
    (
        "Dear Mr Patel,\nyour replacement will be sent to 221B Baker Street, London NW1 6XE.\nKind regards,\n"
        "Oliver Taylor",
        (),
        ["Patel", "221B Baker Street", "NW1 6XE", "Oliver", "Taylor"],
    ),
    (
        "联系人：赵敏 电话：010-12345678 住址：杭州市西湖区文三路186号",
        (),
        ["赵敏", "010-12345678", "文三路186号"],
    ),
    (
        "我姓陈，地址是成都市武侯区长安南路45号，邮箱chen@qq.com",
        (),
        ["姓陈", "长安南路45号", "chen@qq.com"],
    ),
    (
        "I'm Priya Sharma, my card 5500 0000 0000 0004 was declined at the store. Thanks, Priya",
        (),
        ["Priya", "Sharma", "5500 0000 0000 0004"],
    ),
    (
        "收货人：黄晓明，改成送到南京市鼓楼区中山路144号国贸大厦12层",
        (),
        ["黄晓明", "中山路144号", "国贸大厦12层"],
    ),
    (
        "Hello, this is Tom Baker from 350 5th Avenue, New York, NY 10118. Call me on +1 415 555 0100.",
        (),
        ["Tom Baker", "350 5th Avenue", "10118", "+1 415 555 0100"],
    ),
    (
        "刘经理说客户孙丽要求退货，寄回地址：武汉市洪山区珞喻路134号。",
        (),
        ["刘经理", "孙丽", "珞喻路134号"],
    ),
    (
        "Customer name: Maria Garcia; shipping address: 8 Maple Avenue, Springfield, IL 62704; phone +1 (415) 555-0100",
        (),
        ["Maria", "Garcia", "8 Maple Avenue", "62704", "555-0100"],
    ),
    (
        "请王总确认：客户诸葛亮先生的订单DD202405201234已发往西安市雁塔区人民南路178号",
        (),
        ["王总", "诸葛亮", "人民南路178号"],
    ),
    (
        "Ms O'Brien says the courier left the parcel at 19 Mill Lane instead. Cheers,\nAoife",
        (),
        ["O'Brien", "19 Mill Lane", "Aoife"],
    ),
    (
        "姓名：吴晓东\n电话：13700001111\n地址：苏州市工业园区星湖街158号",
        (),
        ["吴晓东", "13700001111", "星湖街158号"],
    ),
    (
        "Mr. Wang Wei (王伟先生) asked us to ship to 上海市浦东新区张江路30号, email wang.wei@example.cn",
        (),
        ["Wang Wei", "王伟", "张江路30号", "wang.wei@example.cn"],
    ),
    # Names without a cue are only found because the caller knows them.
    (
        "邹思远反映App闪退，思远说已经重装过；客服小美已回电。",
        ("邹思远", "小美"),
        ["邹思远", "思远", "小美"],
    ),
    (
        "Lucas called twice about the refund; agent Priya Patel promised a call back to lucas today.",
        ("Lucas Hughes", "Priya Patel"),
        ["Lucas", "lucas", "Priya", "Patel"],
    ),
]


@pytest.mark.parametrize(("text", "known", "planted"), RECORDS)
def test_scrubbed_record_keeps_no_planted_value(text, known, planted):
    scrubbed = scrub_identifiers(text, known)
    for value in planted:
        assert value in text
        assert value not in scrubbed, scrubbed
    assert find_pii(scrubbed) == []
    assert find_identifiers(scrubbed, known) == []
    assert contains_identifiers(scrubbed, known) is False


@pytest.mark.parametrize(("text", "known", "planted"), RECORDS)
def test_scrubbing_is_idempotent(text, known, planted):
    scrubbed = scrub_identifiers(text, known)
    assert scrub_identifiers(scrubbed, known) == scrubbed


def test_scrubbing_keeps_the_rest_of_the_record():
    assert scrub_identifiers(RECORDS[0][0]) == "[姓名](138****5678)反映寄到[地址]的订单没收到"
    assert scrub_identifiers(RECORDS[1][0]) == (
        "Hi, this is [name] from [address], my card 411111******1111 was charged twice. Regards, [name]"
    )


def test_scrubbing_is_idempotent_on_random_mixtures():
    pieces = [
        "王", "先生", "王先生", "客户", "我叫", "姓名：", "地址：", "北京市", "朝阳区", "建国路", "88号", "2号楼",
        "301室", "小区", "3栋", "Mr ", "Smith", "John", " ", ",", "，", "。", "\n", "Regards, ", "Sarah", "42 ",
        "Baker Street", "NW1 6XE", "13812345678", "4111 1111 1111 1111", "a@b.com", "[姓名]", "[name]", "[地址]",
        "[address]", "我是", "this is ", "I'm ", "from ", "address: ", "Apt 5", "-", "*", "道", "知道", "3", "总",
        "my name is ", "[", "]", "收件人：", "欧阳", "改成", "成都市",
    ]  # fmt: skip
    rng = random.Random(20240520)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        known = rng.choice([(), ("王小明",), ("John Smith", "Sarah Connor")])
        scrubbed = scrub_identifiers(text, known)
        assert scrub_identifiers(scrubbed, known) == scrubbed, text
        assert find_pii(scrubbed) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "地址：" * 40000,
        "address: " * 20000,
        "路1号" * 40000,
        "Mr " + "Abc " * 30000,
        "小区1栋" * 30000,
        "王先生住在北京市朝阳区建国路88号，Mr Smith lives at 42 Baker Street. " * 2000,
    ],
)
def test_long_repetitive_text_is_scrubbed(text):
    # A pattern that rescans to the end of the text from every match would make this take minutes (speed itself
    # is not asserted here; tests are not timed).
    scrubbed = scrub_identifiers(text, ["王小明", "John Smith"])
    assert scrubbed == scrub_identifiers(scrubbed, ["王小明", "John Smith"])
    assert "Baker Street" not in scrubbed and "建国路88号" not in scrubbed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("his friend Peter Parker called", "his friend [name] called"),
        ("Customer John Smith says it crashes", "Customer [name] says it crashes"),
        ("Customer John says hi", "Customer [name] says hi"),
        ("a woman called Mary Jones phoned", "a woman called [name] phoned"),
        ("My colleague, Anna Bell, helped", "My colleague, [name], helped"),
        ("他朋友李四也遇到", "他朋友[姓名]也遇到"),
        ("客户王先生的儿子王小虎帮忙操作", "客户[姓名]的儿子[姓名]帮忙操作"),
        ("广州市天河区 收件人 吴晓东", "广州市天河区 收件人 [姓名]"),
    ],
)
def test_third_parties_named_after_a_cue_are_found(text, expected):
    assert scrub_identifiers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "customer Apple ID locked",
        "the customer Service team",
        "Customer Support called",
        "his friend said hello",
        "朋友圈打不开",
        "同事们都可以",
        "儿子高兴坏了",
        "领导马上回复",
        "她朋友刚才来过",
    ],
)
def test_cue_words_without_a_name_change_nothing(text):
    assert scrub_identifiers(text) == text
