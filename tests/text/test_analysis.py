"""Text analysis: what the index sees of Chinese, traditional Chinese and English text."""

from __future__ import annotations

from text.analysis import edit_distance, search_analyzer, to_simplified


def terms(text: str) -> list[str]:
    return [token.text for token in search_analyzer()(text)]


def test_chinese_is_segmented_and_function_words_dropped():
    assert terms("请问怎么重置登录密码") == ["重置", "登录", "密码"]


def test_traditional_is_folded_to_common_simplified_forms():
    assert to_simplified("帳戶餘額查詢") == "账户余额查询"
    assert terms("忘記密碼") == terms("忘记密码")


def test_english_is_stemmed_and_stop_words_dropped():
    assert terms("How do I reset my passwords?") == ["reset", "password"]
    assert terms("top up") == ["top", "up"]  # kept: a banking phrase


def test_mixed_text_keeps_offsets_for_highlighting():
    tokens = [(t.text, t.startchar, t.endchar) for t in search_analyzer()("App登录失败 error 502", chars=True)]
    assert tokens == [
        ("app", 0, 3),
        ("登录", 3, 5),
        ("失败", 5, 7),
        ("error", 8, 13),
        ("502", 14, 17),
    ]


def test_edit_distance_counts_a_swap_once():
    assert edit_distance("passwrod", "password") == 1
    assert edit_distance("refnd", "refund") == 1
    assert edit_distance("refnd", "send") == 2
