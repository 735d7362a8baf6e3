import dataclasses
import random

import pytest

from records.masking import (
    PiiMatch,
    contains_pii,
    find_pii,
    mask_bank_card,
    mask_email,
    mask_id_number,
    mask_phone,
    mask_text,
)

# Test data with real structure: the ID has a correct MOD 11-2 check character, the cards pass Luhn.
ID_OK = "110101199003077774"
ID_BAD_CHECKSUM = "110101199003077777"
CARD = "6222021234567890128"
CARD_13 = "1234567890128"

CHINESE_RECORD = (
    f"客户张先生，手机13812345678，邮箱zhang.san@example.com，身份证{ID_OK}，银行卡{CARD}，订单号 202405201234567890。"
)

MASKERS = {"phone": mask_phone, "email": mask_email, "id_number": mask_id_number, "bank_card": mask_bank_card}


def kinds_and_values(text):
    return [(match.kind, match.value) for match in find_pii(text)]


def assert_only_matches_changed(text, masked):
    """Everything outside the PII spans is byte-identical, in order."""
    position = 0
    rest = masked
    for match in find_pii(text):
        between = text[position : match.start]
        assert rest.startswith(between)
        rest = rest[len(between) :]
        replacement = MASKERS[match.kind](match.value)
        assert rest.startswith(replacement)
        rest = rest[len(replacement) :]
        position = match.end
    assert rest == text[position:]


# --- mask_phone ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138-1234-5678", "+86 138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("(+86)13812345678", "+86 138****5678"),
        ("0086 138 1234 5678", "0086 138****5678"),
        ("8613812345678", "86 138****5678"),
        ("010-12345678", "010****5678"),
        ("0755-1234567", "075****4567"),
        ("+1 415 555 0100", "+1 415***0100"),
        ("+14155550100", "+1 415***0100"),
        ("+44 20 7946 0958", "+44 207***0958"),
        ("12345678", "12****78"),  # 3 + 4 of 8 digits would hide one
        ("123456789", "12*****89"),
        ("1234567", "1****67"),
        ("123456", "1***56"),
        ("12", "*2"),
        ("1", "*"),
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


@pytest.mark.parametrize("digits", ["1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789"])
def test_mask_phone_short_numbers_show_at_most_half(digits):
    masked = mask_phone(digits)
    assert len(masked) == len(digits)
    assert sum(char.isdigit() for char in masked) <= len(digits) // 2


@pytest.mark.parametrize("value", [None, ""])
def test_mask_phone_passes_empty_through(value):
    assert mask_phone(value) == value


def test_mask_phone_without_digits_hides_everything():
    assert mask_phone("abc") == "***"


# --- mask_email ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example@domain.com", "exa***@domain.com"),
        ("zhang.san@example.com", "zha***@example.com"),
        ("abc@qq.com", "abc***@qq.com"),
        ("ab@x.com", "ab***@x.com"),
        ("a@b.cn", "a***@b.cn"),
        ("exa***@domain.com", "exa***@domain.com"),
    ],
)
def test_mask_email(value, expected):
    assert mask_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("not-an-email", "not******ail"), ("@domain.com", "@d*******om"), ("abc", "***")],
)
def test_mask_email_without_local_part_and_domain_masks_like_a_string(value, expected):
    assert mask_email(value) == expected


@pytest.mark.parametrize("value", [None, ""])
def test_mask_email_passes_empty_through(value):
    assert mask_email(value) == value


# --- mask_id_number / mask_bank_card ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ID_OK, "110101********7774"),
        ("11010519491231002X", "110105********002X"),
        ("110101900307123", "110101*****7123"),
        ("110101 19900307 7774", "110101********7774"),
        ("12345", "1***5"),
    ],
)
def test_mask_id_number(value, expected):
    assert mask_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (CARD, "622202*********0128"),
        ("6222 0212 3456 7890 128", "622202*********0128"),
        ("6222-0212-3456-7890-128", "622202*********0128"),
        ("4111 1111 1111 1111", "411111******1111"),
        (CARD_13, "123456***0128"),
        ("1234", "1**4"),
    ],
)
def test_mask_bank_card(value, expected):
    assert mask_bank_card(value) == expected


@pytest.mark.parametrize("masker", [mask_id_number, mask_bank_card])
@pytest.mark.parametrize("value", [None, ""])
def test_id_and_card_maskers_pass_empty_through(masker, value):
    assert masker(value) == value


@pytest.mark.parametrize("digits", [CARD_13, "411111111111111", "4111111111111111", CARD])
def test_mask_bank_card_hides_exactly_the_middle(digits):
    masked = mask_bank_card(digits)
    assert masked == digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


# --- find_pii --------------------------------------------------------------------------------------------------------


def test_find_pii_in_chinese_record():
    matches = find_pii(CHINESE_RECORD)
    assert [(m.kind, m.value) for m in matches] == [
        ("phone", "13812345678"),
        ("email", "zhang.san@example.com"),
        ("id_number", ID_OK),
        ("bank_card", CARD),
    ]
    for match in matches:
        assert CHINESE_RECORD[match.start : match.end] == match.value


def test_find_pii_in_english_record():
    text = (
        "Please call +1 415 555 0100 or +44 20 7946 0958, email john.doe@example.org; "
        "card 4111 1111 1111 1111 (order #DD20240520001)."
    )
    assert kinds_and_values(text) == [
        ("phone", "+1 415 555 0100"),
        ("phone", "+44 20 7946 0958"),
        ("email", "john.doe@example.org"),
        ("bank_card", "4111 1111 1111 1111"),
    ]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("手机13812345678。", "13812345678"),
        ("电话：138 1234 5678，谢谢", "138 1234 5678"),
        ("电话 138-1234-5678", "138-1234-5678"),
        ("联系方式+86 138-1234-5678", "+86 138-1234-5678"),
        ("联系方式+8613812345678", "+8613812345678"),
        ("联系方式 8613812345678", "8613812345678"),
        ("联系方式(+86)13812345678", "(+86)13812345678"),
        ("座机010-12345678转8001", "010-12345678"),
        ("座机 0755-1234567", "0755-1234567"),
        ("座机 (021)87654321", "(021)87654321"),
        ("call +1 (415) 555-0100 today", "+1 (415) 555-0100"),
        ("call +14155550100 today", "+14155550100"),
        ("mobile +44 7566 073908, evenings", "+44 7566 073908"),
        ("In order to reach me, 13812345678", "13812345678"),
        # Landlines grouped after the area code, as people say them.
        ("座机 0755 8888 1234，找何先生", "0755 8888 1234"),
        ("办公室010-8888-1234转602", "010-8888-1234"),
        ("回电 (021) 6888 1234", "(021) 6888 1234"),
        ("打到(0571)8765 4321没人接", "(0571)8765 4321"),
        # Taiwan mobiles, and numbers without a shape of their own after a word that says they are a phone, in
        # simplified or traditional characters.
        ("手機 0912-345-678，", "0912-345-678"),
        ("香港電話 2345 6789。", "2345 6789"),
        ("手机：9123 4567", "9123 4567"),
        ("call me on 6123 4567 after six", "6123 4567"),
        ("Tel: (852) 2345 6789", "(852) 2345 6789"),
    ],
)
def test_find_pii_phone_forms(text, phone):
    assert kinds_and_values(text) == [("phone", phone)]


def test_find_pii_several_phones_separated_by_slash_or_comma():
    assert kinds_and_values("13812345678/13987654321,13700001111") == [
        ("phone", "13812345678"),
        ("phone", "13987654321"),
        ("phone", "13700001111"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证{ID_OK}", [("id_number", ID_OK)]),
        ("身份证11010519491231002X", [("id_number", "11010519491231002X")]),
        ("证件 11010519491231002x", [("id_number", "11010519491231002x")]),
        # A mistyped check character still identifies a person: the valid birth date and region keep it an ID.
        (f"证件号{ID_BAD_CHECKSUM}", [("id_number", ID_BAD_CHECKSUM)]),
        ("身份证号：110101900307123", [("id_number", "110101900307123")]),
        # Old 15-digit IDs are only recognised when labelled as an ID; unlabelled, the digits are still masked, as
        # a card number (any 13 to 19 digits).
        ("编号 110101900307123", [("bank_card", "110101900307123")]),
        # Month 13: not a birth date, so not an ID; 18 digits are masked as a card number all the same.
        ("110101199013077774", [("bank_card", "110101199013077774")]),
        # Grouped by region, birth date and sequence, or in fours.
        ("身份证 110105 19491231 002X 已核验", [("id_number", "110105 19491231 002X")]),
        ("ID 1101 0519 4912 3100 2X", [("id_number", "1101 0519 4912 3100 2X")]),
        # After an ID label 18 characters are an ID even with a date no one was born on (a mistyped digit).
        ("身份证号码：440524 18800101 0014", [("id_number", "440524 18800101 0014")]),
    ],
)
def test_find_pii_id_numbers(text, expected):
    assert kinds_and_values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"卡号{CARD}", [("bank_card", CARD)]),
        ("卡号 6222 0212 3456 7890 128", [("bank_card", "6222 0212 3456 7890 128")]),
        ("卡号 6222-0212-3456-7890-128", [("bank_card", "6222-0212-3456-7890-128")]),
        (f"card {CARD_13}", [("bank_card", CARD_13)]),
        # Failing the Luhn check (a mistyped card) does not make a card number safe to show.
        ("卡号6222021234567890127", [("bank_card", "6222021234567890127")]),
        ("6222 0212-3456 7890 128", [("bank_card", "6222 0212-3456 7890 128")]),
        ("Amex 3782 822463 10005", [("bank_card", "3782 822463 10005")]),
    ],
)
def test_find_pii_bank_cards_with_or_without_luhn(text, expected):
    assert kinds_and_values(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号 202405201234567890",
        f"订单号：{CARD}",
        f"Order No. {CARD_13}",
        f"order number: {CARD}",
        "order #DD20240520001",
        "order #13812345678",
        f"tracking number {CARD_13}",
        "运单号 SF1234567890123",
        "快递单号：13812345678",
        "工单 13812345678",
        "ticket #13812345678",
        "Ticket ID: 13812345678",
        f"Invoice {CARD}",
        f"发票号码：{ID_OK}",
        f"SF{CARD}",
        "DD13812345678",
        "JS-20240520-001",
        "JS-13812345678-001",
        "13812345678-AB",
        "13812345678/SF01",
        "user_13812345678",
        f"ref-{CARD}",
        "2024-05-20 14:30",
        "2024/05/20 14:30:00",
        "金额1234.56元",
        "退款13812345678.50元",
        f"¥{CARD}",
        f"{CARD}元",
        # Serial numbers that start with a date and time are kept even when Luhn-valid by chance.
        "202405201234567896",
        # A phone cue before a date, a hotline, a version or a last-four is no phone.
        "客户电话 2024-06-03 打来",
        "phone: 2024.06.03",
        "客服电话400-820-8820",
        "拨打客服电话 400 820 8820",
        "手机 5.2.1 版本，手机尾号 5678",
        "电话费 128 元",
        "",
    ],
)
def test_references_codes_dates_and_amounts_are_not_pii(text):
    assert find_pii(text) == []
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text",
    ["手机 13812345678", f"卡号 {CARD}", f"card {CARD_13}", "call 13812345678", "202405201234567896 and 13812345678"],
)
def test_the_same_numbers_without_a_reference_keyword_are_pii(text):
    assert contains_pii(text)


def test_order_number_next_to_pii_only_pii_is_masked():
    text = "订单号：202405201234567890，手机13812345678，工单 JS-20240520-001"
    assert mask_text(text) == "订单号：202405201234567890，手机138****5678，工单 JS-20240520-001"


def test_already_masked_values_are_not_found():
    assert find_pii("138****5678 +86 138****5678 exa***@domain.com 110101********7774 622202*********0128") == []


def test_pii_set_off_by_markdown_stars_is_found():
    assert mask_text("**13812345678** **zhang@x.com**") == "**138****5678** **zha***@x.com**"


def test_email_containing_digits_wins_over_the_phone_inside_it():
    assert kinds_and_values("QQ邮箱 13812345678@qq.com") == [("email", "13812345678@qq.com")]


@pytest.mark.parametrize("text", [None, "", "没有任何敏感信息", "No personal data here, just 2024-05-20."])
def test_find_pii_without_pii(text):
    assert find_pii(text) == []
    assert contains_pii(text) is False


def test_pii_match_is_frozen():
    match = find_pii("手机13812345678")[0]
    assert match == PiiMatch("phone", 2, 13, "13812345678")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.value = "x"


# --- mask_text -------------------------------------------------------------------------------------------------------


def test_mask_text_chinese_record():
    assert mask_text(CHINESE_RECORD) == (
        "客户张先生，手机138****5678，邮箱zha***@example.com，身份证110101********7774，"
        "银行卡622202*********0128，订单号 202405201234567890。"
    )


def test_mask_text_english_record():
    text = "Reach me at +1 415 555 0100 or jane@example.com. Ticket #13812345678, paid 1234.56 USD on 2024-05-20 14:30."
    assert mask_text(text) == (
        "Reach me at +1 415***0100 or jan***@example.com. Ticket #13812345678, paid 1234.56 USD on 2024-05-20 14:30."
    )


@pytest.mark.parametrize("text", [None, ""])
def test_mask_text_passes_empty_through(text):
    assert mask_text(text) == text


RECORDS = [
    CHINESE_RECORD,
    "Please call +1 415 555 0100 or +44 20 7946 0958, email john.doe@example.org; card 4111 1111 1111 1111.",
    "电话 +86 138-1234-5678 / (+86)13812345678 / 8613812345678 / 0086 138 1234 5678，座机010-12345678",
    "卡号 6222 0212 3456 7890 128，证件 11010519491231002X，身份证号：110101900307123",
    "订单号 202405201234567890 order #DD20240520001 Order No. 1234567890128 SF1234567890123",
]


@pytest.mark.parametrize("text", RECORDS)
def test_mask_text_is_idempotent_and_changes_only_pii(text):
    masked = mask_text(text)
    assert masked != text or not find_pii(text)
    assert mask_text(masked) == masked
    assert find_pii(masked) == []
    assert_only_matches_changed(text, masked)


def test_mask_text_is_idempotent_when_masking_exposes_another_value():
    # "5678@qq.com" loses to the earlier phone number on the first pass and is an address of its own on the second.
    masked = mask_text("138 1234 5678@qq.com")
    assert masked == "138****567***@qq.com"
    assert mask_text(masked) == masked


def test_mask_text_is_idempotent_on_random_mixtures():
    pieces = [
        "13812345678", "+86 ", "138 1234 5678", "138-1234-5678", CARD, "6222 0212 3456 7890 128", ID_OK,
        ID_BAD_CHECKSUM, "a.b@example.com", "x@y.cn", "@", " ", "-", "/", ".", "订单号", "工单", "手机", "AB", "0",
        "1", "2024-05-20", "010-12345678", "+1 415 555 0100", "+44 20 7946 0958", "*", "元", "¥", "(", ")", "#",
        "No.", "order ", CARD_13, "身份证", "110101900307123", "，", "_", "X", "@qq.com",
    ]  # fmt: skip
    rng = random.Random(20240520)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        masked = mask_text(text)
        assert mask_text(masked) == masked, text
