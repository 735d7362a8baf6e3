"""Character coverage of Chinese queries (kb.coverage) and its place in the fused score."""

from __future__ import annotations

import pytest

from kb.coverage import HanGramCoverage, gram_keys, han_grams
from kb.search import Fusion, fuse


def test_grams_are_simplified_characters_and_their_neighbours():
    assert han_grams("帳號 app凍結") == {"账", "号", "账号", "冻", "结", "冻结"}
    assert han_grams("refund 123 !?") == set()


def test_an_article_covering_the_rare_characters_of_a_query_scores_higher():
    articles = [
        han_grams("信用卡临时额度怎么申请"),
        han_grams("信用卡固定额度怎么提升"),
        han_grams("信用卡年费怎么免"),
    ]
    coverage = HanGramCoverage([gram_keys(grams) for grams in articles])
    temporary, fixed, fee = coverage.scores("我想临时提高额度")
    # 额度 is in two articles and weighs less than 临时, which only the first has.
    assert temporary > fixed > fee == 0
    query = han_grams("我想临时提高额度")
    known, unseen = coverage.columns(query)
    covered, _ = coverage.columns(query & articles[0])
    expected = coverage.idf[covered].sum() / (coverage.idf[known].sum() + coverage.unseen_idf * unseen)
    assert temporary == pytest.approx(expected)
    assert unseen == len(query - articles[0] - articles[1] - articles[2])
    assert coverage.scores("credit limit") is None
    assert list(coverage.scores("天气")) == [0, 0, 0]
    assert HanGramCoverage([]).scores("额度") is None
    assert HanGramCoverage([gram_keys(set())]).scores("额度").tolist() == [0]


def test_coverage_reorders_candidates_but_never_lets_one_past_the_thresholds():
    fusion = Fusion(weight=0.0, min_similarity=0.875, bm25_floor=None, coverage_weight=0.05)
    dense = {1: 0.885, 2: 0.880, 3: 0.870}
    coverage = {1: 0.1, 2: 0.5, 3: 1.0}
    ranked = fuse({}, dense, fusion, coverage)
    assert [article for _, article in ranked] == [2, 1]  # 3 is below the vectors' threshold, however covered
    assert ranked[0][0] == pytest.approx(0.880 + 0.05 * 0.5)
    assert [article for _, article in fuse({}, dense, fusion)] == [1, 2]


def test_conditions_reorder_candidates_but_never_let_one_past_the_thresholds():
    fusion = Fusion(weight=0.0, min_similarity=0.875, bm25_floor=None, condition_bonus=0.005, condition_penalty=0.02)
    dense = {1: 0.905, 2: 0.895, 3: 0.892, 4: 0.87}
    # 1 states the other side of the query's condition, 3 the same side; 4 agrees but is below the threshold.
    agreed = {1: -1, 3: 1, 4: 1}
    ranked = fuse({}, dense, fusion, None, agreed)
    assert [article for _, article in ranked] == [3, 2, 1]
    assert ranked[0][0] == pytest.approx(0.892 + 0.005)
    assert ranked[2][0] == pytest.approx(0.905 - 0.02)
    assert [article for _, article in fuse({}, dense, fusion)] == [1, 2, 3]


def test_results_far_below_the_best_one_are_left_out():
    fusion = Fusion(weight=0.0, min_similarity=0.875, bm25_floor=None, result_margin=0.03)
    dense = {1: 0.923, 2: 0.904, 3: 0.8935, 4: 0.8925, 5: 0.88}
    assert [article for _, article in fuse({}, dense, fusion)] == [1, 2, 3]
    # Without dense scores (no model reads the query) BM25's ranking stands whole.
    assert [article for _, article in fuse({1: 3.0, 2: 1.0}, None, fusion)] == [1, 2]
