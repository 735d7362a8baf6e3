"""kb.clustering on synthetic vectors: separated topics are found without being told how many there are."""

from __future__ import annotations

import numpy as np
import pytest

from kb import clustering


def topics(count: int, size: int, *, spread: float = 0.15, dimension: int = 32, seed: int = 0):
    """`count` topics of `size` unit vectors around random centres; returns (vectors, true labels)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((count, dimension))
    labels = np.repeat(np.arange(count), size)
    vectors = centres[labels] + spread * np.sqrt(dimension) * rng.standard_normal((len(labels), dimension)) / 4
    return clustering.normalised(vectors.astype(np.float32)), labels


def same_partition(found: np.ndarray, truth: np.ndarray) -> bool:
    pairs = {(int(a), int(b)) for a, b in zip(found, truth, strict=True)}
    return len(pairs) == len(set(found)) == len(set(truth))


@pytest.mark.parametrize(("count", "size"), [(1, 10), (3, 8), (12, 30), (40, 25)])
def test_separated_topics_are_found_without_their_number(count, size):
    vectors, truth = topics(count, size)
    assert same_partition(clustering.group(vectors, min_size=5), truth)


def test_grouping_is_deterministic():
    vectors, _ = topics(20, 15, spread=0.6, seed=3)
    assert np.array_equal(clustering.group(vectors, min_size=5), clustering.group(vectors, min_size=5))


def test_large_sets_choose_the_resolution_on_a_sample_and_use_approximate_neighbours(monkeypatch):
    monkeypatch.setattr(clustering, "SELECTION_SAMPLE", 300)
    monkeypatch.setattr(clustering, "HNSW_FROM", 500)
    vectors, truth = topics(25, 40, seed=5)
    assert same_partition(clustering.group(vectors, min_size=5), truth)


def test_a_topic_larger_than_the_resolution_allows_is_merged_back():
    # One topic holds 60 % of the data: modularity at a high resolution cuts it up; the centre merge rejoins it.
    big, _ = topics(1, 300, seed=7)
    small, small_truth = topics(8, 25, seed=8)
    vectors = np.vstack([big, small])
    truth = np.concatenate([np.full(300, -1), small_truth])
    labels = clustering.merge_close_groups(
        clustering.centred(vectors),
        clustering.leiden_groups(clustering.neighbour_graph(clustering.centred(vectors)), resolution=10.0),
    )
    assert same_partition(labels, truth)


def test_neighbours_skip_the_vector_itself_even_among_duplicates():
    vectors = clustering.normalised(np.vstack([np.ones((6, 4)), np.eye(4)]).astype(np.float32))
    indices, similarities = clustering.nearest_neighbours(vectors, 3)
    assert indices.shape == (10, 3)
    assert all(row not in indices[row] for row in range(10))
    assert np.all(similarities[:6] > 0.99)
