"""Grouping texts by the question they ask, without being told how many questions there are.

The method was chosen by measurement on BANKING77 with the default model (bench/eval_proposals.py; figures in the
README). Parameters were tuned on a 3,080-question sample of the *train* split and checked on all 10,003 train
questions, on class-skewed samples and on samples of 5-77 topics; the test split only reports. Measured and
rejected on the same sample: agglomerative clustering with a distance threshold (average, complete, Ward: NMI
≤ 80.7, ARI ≤ 50.8), HDBSCAN (NMI ≤ 78.3, many records left as noise), Leiden with the constant Potts model on a
k-NN or similarity-threshold graph (NMI ≤ 83.3 but ARI ≤ 58 and far more fragments).

1. Vectors are mean-centred and re-normalised (from CENTRE_FROM vectors): every support question shares a "this is
   a banking question" direction that crowds cosine similarities together; removing it spreads topics apart.
2. A k-nearest-neighbour graph (exact below HNSW_FROM vectors, faiss HNSW above: 100k vectors in about 15 s on two
   cores at 99.6 % recall, where exact search takes 60-115 s). k grows with the square root of the data size, as
   topics grow with it (fixed k over-splits the 10k set).
3. Leiden community detection (modularity with a resolution parameter) on that graph. Modularity splits any group
   larger than about 1/resolution of the data, however uniform, so no one resolution suits ten topics and a
   thousand: each of RESOLUTIONS is tried and the partition with the best silhouette kept (on a sample for large
   sets). On BANKING77 samples of 10/20/77 topics this picks the best or near-best resolution; a fixed 7 loses up
   to 12 NMI on the small ones.
4. Groups whose centres are nearly the same are merged back (average linkage over centres): real support volume is
   skewed, and a topic holding a fifth of all contacts would otherwise be cut up. On samples where three topics hold
   most records this lifts ARI from 34-37 to 45-48 and costs 0.1 NMI on the balanced sample.

Leiden runs with a fixed seed, so the same input gives the same groups.

Chinese questions (multilingual-e5-small vectors) are grouped by density instead (`group_by_density`): modularity's
silhouette-chosen resolution cut the BQ dev groups far too coarsely (63 groups for 248 questions: NMI 73.1 / ARI
21.8), and no single modularity resolution suits both small and large sets. The constant Potts model keeps a group
while its neighbour edges are denser than DENSITY_RESOLUTION, which does not depend on the data size: on the BQ dev
groups of ≥ 5 questions (1,961 questions, 248 groups) NMI 78.3 / ARI 26.5, on half of them 81.3 / 37.3, and on the
ATEC+CCKS dev groups (800, 102 groups) 77.6 / 30.5 against 75.2 / 33.2 (bench/eval_proposals.py --zh; k-means given
the true K: 76.0 / 22.0 on BQ).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Leiden (RB configuration) resolution; best of 3-10 on the train sample (NMI 83.0, ARI 59.0).
RESOLUTION = 7.0
#: Modularity splits any group larger than about 1/resolution of the data, so no single resolution suits both ten
#: topics and a thousand: each of these is tried and the partition with the best silhouette kept.
RESOLUTIONS = (0.5, 1.0, 2.0, 3.5, 5.0, 7.0, 10.0)
#: What "everything is one group" scores against the silhouettes of splits. Partitions of real multi-topic data
#: score 0.14-0.23 (BANKING77 samples); one topic split by phrasing scores about 0.07.
ONE_GROUP_SEPARATION = 0.1
#: Fewest vectors that are mean-centred before grouping.
CENTRE_FROM = 200
#: Above this many vectors the resolution is chosen on a sample of this size.
SELECTION_SAMPLE = 10_000
#: Rows the silhouette is computed on (it is quadratic).
SILHOUETTE_SAMPLE = 3000
#: Neighbours at REFERENCE_SIZE vectors; scaled by sqrt(n / REFERENCE_SIZE) and clipped to [MIN_K, MAX_K].
NEIGHBOURS = 10
REFERENCE_SIZE = 3080
MIN_K, MAX_K = 5, 20
#: Groups whose centres are at least this similar are one topic split by the resolution limit.
MERGE_SIMILARITY = 0.8
#: Above this many vectors, approximate neighbours (HNSW) instead of exact ones.
HNSW_FROM = 20_000
SEED = 0
#: Constant Potts resolution for density grouping (Chinese, e5 vectors): best of 0.05-0.4 on the BQ dev groups for
#: NMI and ARI together (0.1: 77.4 / 26.6; 0.15: 78.3 / 26.5; 0.2: 79.1 / 26.1 with more fragments).
DENSITY_RESOLUTION = 0.15


def neighbour_count(size: int) -> int:
    return int(min(MAX_K, max(MIN_K, round(NEIGHBOURS * math.sqrt(size / REFERENCE_SIZE)))))


def normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


def centred(vectors: np.ndarray) -> np.ndarray:
    return normalised(vectors - vectors.mean(axis=0, keepdims=True))


def nearest_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, similarities) of each row's k nearest other rows by inner product."""
    import faiss

    size, dimension = vectors.shape
    k = min(k, size - 1)
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    if size >= HNSW_FROM:
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 64
        index.add(data)
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(dimension)
        index.add(data)
    similarities, indices = index.search(data, k + 1)
    # Drop each row itself (normally first; with duplicates anywhere in the list).
    own = indices == np.arange(size)[:, None]
    keep = ~own
    # Rows where the row itself was not returned (many exact duplicates): drop the last neighbour instead.
    missing = keep.sum(axis=1) > k
    keep[missing, -1] = False
    return indices[keep].reshape(size, k), similarities[keep].reshape(size, k)


def neighbour_graph(vectors: np.ndarray, k: int | None = None):
    """The undirected k-nearest-neighbour graph, weighted by similarity (igraph.Graph, weights in "weight")."""
    import igraph

    size = len(vectors)
    indices, similarities = nearest_neighbours(vectors, k or neighbour_count(size))
    sources = np.repeat(np.arange(size), indices.shape[1])
    targets = indices.ravel()
    weights = np.clip(similarities.ravel(), 1e-6, None)
    valid = targets >= 0
    sources, targets, weights = sources[valid], targets[valid], weights[valid]
    low, high = np.minimum(sources, targets), np.maximum(sources, targets)
    # One undirected edge per pair (both directions report the same similarity).
    pairs = low.astype(np.int64) * size + high
    unique_pairs, first = np.unique(pairs, return_index=True)
    edges = np.stack([unique_pairs // size, unique_pairs % size], axis=1)
    graph = igraph.Graph(n=size, edges=edges)
    graph.es["weight"] = weights[first].tolist()
    return graph


def leiden_groups(graph, resolution: float = RESOLUTION) -> np.ndarray:
    """A group label per vertex: Leiden on modularity with `resolution`."""
    import leidenalg

    partition = leidenalg.find_partition(
        graph,
        leidenalg.RBConfigurationVertexPartition,
        weights="weight",
        resolution_parameter=resolution,
        seed=SEED,
    )
    return np.asarray(partition.membership, dtype=np.int64)


def merge_close_groups(vectors: np.ndarray, labels: np.ndarray, threshold: float = MERGE_SIMILARITY) -> np.ndarray:
    """Relabel so that groups whose centres are at least `threshold` similar (average linkage) become one."""
    groups = np.unique(labels)
    if len(groups) < 2:
        return labels
    centres = group_centres(vectors, labels, groups)
    from sklearn.cluster import AgglomerativeClustering

    merged = AgglomerativeClustering(
        n_clusters=None, distance_threshold=1.0 - threshold, metric="cosine", linkage="average"
    ).fit_predict(centres)
    lookup = np.zeros(groups.max() + 1, dtype=np.int64)
    lookup[groups] = merged
    return lookup[labels]


def group_centres(vectors: np.ndarray, labels: np.ndarray, groups: Sequence[int] | np.ndarray) -> np.ndarray:
    """Unit-length mean vector of each group, in the order of `groups`."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    centres = np.zeros((len(groups), vectors.shape[1]), dtype=np.float64)
    for position, group in enumerate(groups):
        start, end = np.searchsorted(sorted_labels, [group, group + 1])
        centres[position] = vectors[order[start:end]].mean(axis=0)
    return normalised(centres)


def separation(vectors: np.ndarray, labels: np.ndarray, min_size: int) -> float:
    """Mean cosine silhouette of the rows in groups of at least `min_size`, on a fixed sample of SILHOUETTE_SAMPLE
    rows; rows left in smaller groups count as -1 (they would become no proposal at all)."""
    from sklearn.metrics import silhouette_samples

    rows = np.arange(len(vectors))
    if len(rows) > SILHOUETTE_SAMPLE:
        rows = np.sort(np.random.default_rng(SEED).choice(rows, SILHOUETTE_SAMPLE, replace=False))
    sizes = np.bincount(labels)
    kept = rows[sizes[labels[rows]] >= min_size]
    if len(np.unique(labels[kept])) < 2:
        # One group has no silhouette. Holding everything, it scores ONE_GROUP_SEPARATION: a split must separate
        # better than that to count as two questions rather than one asked in two ways.
        return ONE_GROUP_SEPARATION if len(kept) == len(rows) else -(len(rows) - len(kept)) / len(rows)
    scores = silhouette_samples(vectors[kept], labels[kept], metric="cosine")
    return float((scores.sum() - (len(rows) - len(kept))) / len(rows))


def best_resolution(space: np.ndarray, graph, min_size: int) -> tuple[float, np.ndarray]:
    """The candidate resolution whose partition separates best (silhouette), and that partition."""
    best = (RESOLUTION, None)
    best_score = -np.inf
    # Nearest the tuned resolution first, so a tie keeps the tuned one.
    for resolution in sorted(RESOLUTIONS, key=lambda value: abs(value - RESOLUTION)):
        labels = merge_close_groups(space, leiden_groups(graph, resolution))
        score = separation(space, labels, min_size)
        if score > best_score + 1e-9:
            best, best_score = (resolution, labels), score
    return best


def group(vectors: np.ndarray, min_size: int = 1) -> np.ndarray:
    """Group labels for unit vectors: centring, neighbour graph, Leiden at the candidate resolution that separates
    the groups best (silhouette), merge of near-identical groups.

    Above SELECTION_SAMPLE vectors the resolution is chosen on a random sample of that size and applied to the
    whole set once: modularity's resolution acts on shares of the data, which a random sample keeps, and seven
    Leiden runs over 100k records would cost more than encoding them.
    """
    if len(vectors) < 3:
        return np.zeros(len(vectors), dtype=np.int64)
    # The mean of a few records is their topics themselves, not a direction all support questions share.
    space = centred(vectors) if len(vectors) >= CENTRE_FROM else normalised(vectors)
    if len(space) <= SELECTION_SAMPLE:
        return best_resolution(space, neighbour_graph(space), min_size)[1]
    rows = np.sort(np.random.default_rng(SEED).choice(len(space), SELECTION_SAMPLE, replace=False))
    sample = space[rows]
    resolution, _ = best_resolution(sample, neighbour_graph(sample), max(2, round(min_size * len(rows) / len(space))))
    return merge_close_groups(space, leiden_groups(neighbour_graph(space), resolution))


def group_by_density(vectors: np.ndarray, resolution: float = DENSITY_RESOLUTION) -> np.ndarray:
    """Group labels for unit vectors by the constant Potts model on the neighbour graph, then the merge of
    near-identical groups. The vectors are always mean-centred: e5 gives every pair of customer questions a cosine
    near 0.85, so even a few records share a direction that would join them all (ATEC, 87 questions of 12 groups:
    one group uncentred, NMI 77.8 centred)."""
    import leidenalg

    if len(vectors) < 3:
        return np.zeros(len(vectors), dtype=np.int64)
    space = centred(vectors)
    partition = leidenalg.find_partition(
        neighbour_graph(space),
        leidenalg.CPMVertexPartition,
        weights="weight",
        resolution_parameter=resolution,
        seed=SEED,
    )
    return merge_close_groups(space, np.asarray(partition.membership, dtype=np.int64))
