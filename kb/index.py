"""The Whoosh (BM25) side of search: one document per public article, kept in CONSULTKB_DATA_DIR.

Whoosh writes new immutable segments and swaps its table of contents atomically, under a lock file, so any number
of processes may search while one writes. The file `state` beside the segments names the database state (kb.state
token) the index reflects; a process that finds it behind applies the difference.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight
from whoosh.query import And, Or, Query, Term
from whoosh.scoring import BM25F
from whoosh.writing import CLEAR

from text.analysis import ENGLISH_STOP_WORDS, edit_distance, latin_words, search_analyzer, spelling_analyzer
from text.spelling import HomophoneCorrector

#: How long a writer waits for another process's write to finish before giving up (seconds).
WRITE_LOCK_TIMEOUT = 60.0
#: Field weights: customers' wording counts most in the title, then in the other ways of asking, the tags and the
#: body. They are applied by repeating each field's text in one searched field: a query then scores one posting
#: list per term instead of one per term and field: four times less work (median BM25 time over 10k BANKING77
#: articles 109 ms with a field per part, 25 ms with one) at equal quality (bench/eval_search.py: 63.2 % vs 63.3 %).
FIELD_REPEATS = {"title": 4, "alt_questions": 3, "tags": 2, "body": 1}
#: Known words considered for each misspelt one before picking the closest.
SPELLING_CANDIDATES = 10
#: Snippet length in characters, and context kept around each match.
SNIPPET_CHARS = 160
SNIPPET_SURROUND = 40

_analyzer = search_analyzer()


def make_schema() -> Schema:
    return Schema(
        article_id=ID(stored=True, unique=True),
        version_id=STORED,
        external_id=STORED,
        title=STORED,
        alt_questions=STORED,
        tags=STORED,
        body=STORED,
        content=TEXT(analyzer=search_analyzer()),
        summary=STORED,
        spelling=TEXT(analyzer=spelling_analyzer(), spelling=True),
        category=ID(stored=True),
        subcategory=ID(stored=True),
        language=ID(stored=True),
    )


def weighted_content(document: dict) -> str:
    """The searched text of a document: each part repeated as often as it weighs (FIELD_REPEATS)."""
    return "\n".join(
        "\n".join([document.get(field) or ""] * repeats)
        for field, repeats in FIELD_REPEATS.items()
        if document.get(field)
    )


def query_terms(text: str) -> list[str]:
    """The analysed terms of a query, in order, without repeats."""
    return list(dict.fromkeys(token.text for token in _analyzer(text)))


class TextIndex:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._index = None
        self._searcher = None
        self._corrector: tuple[str, HomophoneCorrector] | None = None

    # -- opening ---------------------------------------------------------------------------------------------
    @contextmanager
    def _directory_lock(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "create.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @property
    def index(self):
        if self._index is None:
            with self._directory_lock():
                schema = make_schema()
                if whoosh_index.exists_in(str(self.directory)):
                    self._index = whoosh_index.open_dir(str(self.directory))
                    if set(self._index.schema.names()) != set(schema.names()):
                        # Written by an earlier release: start afresh; the next sync refills it from the database.
                        self._index = whoosh_index.create_in(str(self.directory), schema)
                        self._state_file.unlink(missing_ok=True)
                else:
                    self._index = whoosh_index.create_in(str(self.directory), schema)
        return self._index

    def searcher(self):
        """A searcher on the newest committed state (reopened only when another writer committed)."""
        if self._searcher is not None and not self._searcher.up_to_date():
            # A fresh searcher, not refresh(): Whoosh's refresh fails when the old reader saw an empty index.
            self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._searcher = self.index.searcher(weighting=BM25F())
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def _state_file(self) -> Path:
        return self.directory / "state"

    def token(self) -> str:
        try:
            return self._state_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""

    def _write_token(self, token: str) -> None:
        temporary = self._state_file.with_suffix(f".{os.getpid()}")
        temporary.write_text(token, encoding="utf-8")
        os.replace(temporary, self._state_file)

    def indexed_versions(self) -> dict[int, int]:
        """article id → live version id of every document in the index."""
        reader = self.searcher().reader()
        return {int(fields["article_id"]): fields["version_id"] for fields in reader.all_stored_fields()}

    # -- writing ---------------------------------------------------------------------------------------------
    def apply(self, documents: Iterable[dict], deleted: Iterable[int], token: str, *, clear: bool = False) -> int:
        """Add or replace `documents`, drop `deleted` article ids, then record `token`; `clear` starts afresh."""
        writer = self.index.writer(timeout=WRITE_LOCK_TIMEOUT)
        written = 0
        try:
            if not clear:
                for article_id in deleted:
                    writer.delete_by_term("article_id", str(article_id))
            for document in documents:
                fields = {**document, "content": weighted_content(document)}
                writer.update_document(**fields) if not clear else writer.add_document(**fields)
                written += 1
        except BaseException:
            writer.cancel()
            raise
        if clear:
            writer.commit(mergetype=CLEAR)
        else:
            # Whoosh keeps counting replaced and deleted documents in its term statistics until segments merge,
            # so scores would drift from a fresh rebuild; merging on each change keeps them identical.
            writer.commit(optimize=True)
        self._write_token(token)
        return written

    # -- searching -------------------------------------------------------------------------------------------
    def search(
        self, terms: list[str], *, limit: int, category: str | None = None, language: str | None = None
    ) -> list[tuple[dict, float]]:
        """(stored fields, BM25 score) of the best matches for any of `terms`."""
        if not terms:
            return []
        query = Or([Term("content", term) for term in terms])
        results = self.searcher().search(query, limit=limit, filter=self._filter(category, language))
        return [(dict(hit.fields()), hit.score) for hit in results]

    @staticmethod
    def _filter(category: str | None, language: str | None) -> Query | None:
        parts: list[Query] = []
        if category:
            parts.append(Or([Term("category", category), Term("subcategory", category)]))
        if language:
            parts.append(Term("language", language))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(parts)

    def document(self, article_id: int) -> dict | None:
        fields = self.searcher().document(article_id=str(article_id))
        return dict(fields) if fields is not None else None

    def all_documents(self) -> list[dict]:
        return [dict(fields) for fields in self.searcher().reader().all_stored_fields()]

    def chinese_corrector(self) -> HomophoneCorrector:
        """The homophone corrector over the Chinese words of what is indexed now, rebuilt when the index changed
        (SearchService builds it when it catches up, so a search never waits for it)."""
        token = self.token()
        if self._corrector is None or self._corrector[0] != token:
            words = (term.decode("utf-8") for term in self.searcher().reader().lexicon("content"))
            self._corrector = (token, HomophoneCorrector(words))
        return self._corrector[1]

    def did_you_mean(self, text: str) -> str | None:
        """The query with misspelt English words corrected from the index's vocabulary, or None."""
        reader = self.searcher().reader()
        corrector = self.searcher().corrector("spelling")
        corrected, changed = text, False
        for word, start, end in reversed(latin_words(text)):
            if len(word) < 3 or word in ENGLISH_STOP_WORDS or ("spelling", word) in reader:
                continue
            # The closest known word first (a swap of neighbours counts once), the more common one among equals.
            suggestions = corrector.suggest(word, limit=SPELLING_CANDIDATES, maxdist=2)
            if not suggestions:
                continue
            best = min(suggestions, key=lambda s: (edit_distance(word, s), -reader.doc_frequency("spelling", s), s))
            corrected = corrected[:start] + best + corrected[end:]
            changed = True
        return corrected if changed else None


def snippet(text: str, terms: list[str], *, fallback: str | None = None) -> str:
    """HTML: the passages of `text` around the query's terms, matches in <mark>; text is escaped."""
    formatter = HtmlFormatter(tagname="mark", between=" … ")
    fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND)
    found = highlight(text, frozenset(terms), _analyzer, fragmenter, formatter, top=2) if terms and text else ""
    if found:
        return found
    plain = fallback or text or ""
    return escape(plain[:SNIPPET_CHARS] + ("…" if len(plain) > SNIPPET_CHARS else ""))
