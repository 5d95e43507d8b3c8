"""Answering from Xapian shards: a ``backend.Backend`` over a local shard folder or over
``host:port`` shards served by ``xapian-tcpsrv``, opened as one database with global
statistics.

Xapian picks a pool of passages per question (its BM25, k1 and b set to citebot's); the
pool is then scored with citebot's own formula and corpus-wide statistics (``index.pool``),
so the passages and scores the answer sees are the embedded index's wherever the pool
holds the embedded index's best. A dropped connection (an idle timeout, a restarted
server) is reopened and the question tried once more; a shard that stays down is a
ShardError naming it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import xapian

from index.backend import FloatArray, IntArray
from index.bm25 import Bm25Params
from index.errors import IndexFormatError
from index.models import Source
from index.pool import PoolView, Statistics, StoredPassage, raw_idf
from index.search_index import TEXT_VERSION
from index.shard_location import ShardAddress, shard_folders
from index.spelling import Spellings
from index.xapian_shards import (
    ARTICLE_PREFIX,
    ARTICLES_KEY,
    FORMAT_KEY,
    LAYOUT_VERSION,
    SENTENCE_FREQUENCY,
    SENTENCE_LENGTH_KEY,
    SENTENCES_KEY,
    TEXT_KEY,
    VECTORS_KEY,
    WORDS_KEY,
    ShardError,
    decode_passage,
    passage_at,
    xapian_term,
)

log = logging.getLogger(__name__)

POOL = 100
"""Passages Xapian hands over per question: five times what the answer takes by passage
score, so the sentence search over the pool and Xapian's own IDF (see the README) rarely
leave out a passage the embedded index would have used."""
REFRESH_SECONDS = 30.0
"""How often a question first checks whether a shard has committed a newer revision."""
_T = TypeVar("_T")


@dataclass
class _Shards:
    """The open shards and what a question reads from them, as of one reopen."""

    combined: xapian.Database
    parts: list[xapian.Database]
    sources: tuple[Source, ...]
    passage_counts: dict[str, int]
    words: list[str]
    has_vectors: bool
    missing: tuple[str, ...]
    passages: Statistics = field(init=False)
    sentences: Statistics = field(init=False)

    def __post_init__(self) -> None:
        self.passages = Statistics(
            self.combined.get_doccount(),
            self.combined.get_total_length(),
            lambda terms: [self.combined.get_termfreq(xapian_term(t)) for t in terms],
            self._passage_average_idf,
        )
        counts = [int(part.get_metadata(SENTENCES_KEY) or 0) for part in self.parts]
        lengths = [int(part.get_metadata(SENTENCE_LENGTH_KEY) or 0) for part in self.parts]
        self.sentences = Statistics(
            sum(counts), sum(lengths), self._sentence_frequencies, self._sentence_average_idf
        )

    @cached_property
    def spellings(self) -> Spellings:
        """As ``SearchIndex.spellings``, from the words of every shard."""
        return Spellings(self.words)

    def _sentence_frequencies(self, terms: Sequence[str]) -> list[int]:
        keys = [SENTENCE_FREQUENCY + xapian_term(term) for term in terms]
        return [sum(int(part.get_metadata(key) or 0) for part in self.parts) for key in keys]

    def _passage_average_idf(self) -> float:
        n = self.passages.count
        frequencies = [
            item.termfreq
            for item in self.combined.allterms()
            if not item.term.startswith(ARTICLE_PREFIX.encode())
        ]
        return _mean_idf(frequencies, n)

    def _sentence_average_idf(self) -> float:
        totals: dict[bytes, int] = {}
        prefix = SENTENCE_FREQUENCY.encode()
        for part in self.parts:
            for key in part.metadata_keys(prefix):
                totals[key] = totals.get(key, 0) + int(part.get_metadata(key))
        return _mean_idf(list(totals.values()), self.sentences.count)


def _mean_idf(frequencies: Sequence[int], n: int) -> float:
    return sum(raw_idf(f, n) for f in frequencies) / max(len(frequencies), 1)


class XapianIndex:
    """A ``backend.Backend`` over Xapian shards; safe to call from several threads."""

    def __init__(
        self,
        location: Path | Sequence[ShardAddress],
        *,
        timeout: float = 10.0,
        partial: bool = False,
    ) -> None:
        """``partial``: a shard that is down is left out (``missing`` names it) instead of
        failing every question, until it answers again."""
        self.location = location
        self._timeout = timeout
        self._partial = partial
        self._lock = threading.RLock()
        self._checked = time.monotonic()
        self._shards = self._open()

    # -- the Backend protocol ---------------------------------------------------------

    @property
    def passage_total(self) -> int:
        return self._shards.passages.count

    @property
    def has_vectors(self) -> bool:
        return self._shards.has_vectors

    @property
    def spellings(self) -> Spellings:
        return self._shards.spellings

    @property
    def bm25(self) -> XapianIndex:
        """The corpus-wide term facts (``backend.TermStats``) are the index's own."""
        return self

    def idf(self, term: str) -> float:
        return self._ask(lambda shards: shards.passages.idf([term])[0])

    def document_frequency(self, term: str) -> int:
        return self._ask(lambda shards: shards.passages.frequencies([term])[0])

    def known_terms(self, terms: Sequence[str]) -> tuple[IntArray, FloatArray]:
        """Ids are places in ``terms``: a question's view maps its terms the same way."""

        def look(shards: _Shards) -> tuple[IntArray, FloatArray]:
            frequencies = shards.passages.frequencies(terms)
            ids = np.array([i if f > 0 else -1 for i, f in enumerate(frequencies)], np.int64)
            return ids, np.array(shards.passages.idf(terms), np.float64)

        return self._ask(look)

    def view(self, terms: Mapping[str, int]) -> PoolView:
        def fetch(shards: _Shards) -> PoolView:
            enquire = xapian.Enquire(shards.combined)
            params = Bm25Params()
            enquire.set_weighting_scheme(xapian.BM25Weight(params.k1, 0, 1, params.b, 0))
            enquire.set_query(
                xapian.Query(xapian.Query.OP_OR, [xapian_term(term) for term in terms])
            )
            matches = enquire.get_mset(0, POOL)
            matches.fetch()
            pool = [decode_passage(item.document.get_data()) for item in matches]
            # Every statistic the view's scorers read, asked now: later reads are cached,
            # so no shard is asked outside this retried call.
            shards.passages.idf(list(terms))
            shards.sentences.idf(list(terms))
            sources = {source.doc: source for source in shards.sources}
            return PoolView(
                pool, sources, terms, shards.passages, shards.sentences, self._passage_at
            )

        self._refresh()
        return self._ask(fetch)

    def _passage_at(self, doc: str, at: int) -> StoredPassage | None:
        """A passage outside a question's pool (where a quote's speaker is named); None
        when the shards fail now, as the quote still answers without it."""
        try:
            return self._ask(lambda shards: passage_at(shards.combined, doc, at))
        except ShardError as error:
            log.warning("Quoting without the speaker's sentence: %s", error)
            return None

    # -- what the service lists -------------------------------------------------------

    @property
    def sources(self) -> tuple[Source, ...]:
        return self._shards.sources

    @property
    def missing(self) -> tuple[str, ...]:
        """The shards left out because they were down (only with ``partial``)."""
        return self._shards.missing

    def passage_count(self, doc: str) -> int:
        return self._shards.passage_counts.get(doc, 0)

    def reopen(self) -> None:
        """See what the shards committed since they were opened (after a reindex)."""
        with self._lock:
            self._shards = self._open()

    def close(self) -> None:
        with self._lock:
            for part in self._shards.parts:
                part.close()

    # -- inside -----------------------------------------------------------------------

    def _refresh(self) -> None:
        """At most every REFRESH_SECONDS: reopen when a shard has committed since."""
        if time.monotonic() - self._checked < REFRESH_SECONDS:
            return
        self._checked = time.monotonic()
        try:
            with self._lock:
                changed = self._shards.combined.reopen() or bool(self._shards.missing)
        except xapian.Error:
            changed = True  # a dropped connection
        if changed:
            self.reopen()

    def _ask(self, question: Callable[[_Shards], _T]) -> _T:
        """Ask the shards; on a dropped connection or a newer revision, reopen and ask once
        more; a shard still failing is a ShardError."""
        with self._lock:
            shards = self._shards
            try:
                return question(shards)
            except xapian.Error as error:  # a dropped connection, a newer revision, ...
                log.info("Reopening the Xapian shards (%s) and asking again.", error)
            self._shards = self._open()
            try:
                return question(self._shards)
            except xapian.Error as error:
                raise ShardError(
                    f"The search shards at {self._where()} failed twice ({error}); "
                    "check that every shard server is running."
                ) from None

    def _where(self) -> str:
        location = self.location
        return str(location) if isinstance(location, Path) else ", ".join(map(str, location))

    def _open(self) -> _Shards:
        """Connect to (or open) every shard and read what questions need of them."""
        parts, names, missing = [], [], []
        for name, connect in self._connections():
            try:
                parts.append(connect())
            except xapian.Error as error:
                down = f"The search shard {name} cannot be opened ({error})"
                if not self._partial:
                    log.warning("%s.", down)
                    raise ShardError(
                        f"{down}; start it (`citebot shards serve`) or check CITEBOT_XAPIAN."
                    ) from None
                log.warning("%s; answering from the other shards meanwhile.", down)
                missing.append(name)
                continue
            names.append(name)
        if not parts:
            raise ShardError(f"No search shard of {self._where()} can be opened.")
        combined = xapian.Database()
        for part in parts:
            combined.add_database(part)
        sources: list[Source] = []
        counts: dict[str, int] = {}
        words: list[str] = []
        for name, part in zip(names, parts, strict=True):
            _check_layout(name, part)
            for doc, entry in json.loads(part.get_metadata(ARTICLES_KEY) or b"{}").items():
                sources.append(Source(**entry["source"]))
                counts[doc] = entry["passages"]
            words.extend(json.loads(part.get_metadata(WORDS_KEY) or b"[]"))
        return _Shards(
            combined,
            parts,
            tuple(sorted(sources, key=lambda source: source.doc)),
            counts,
            words,
            all(part.get_metadata(VECTORS_KEY) == b"1" for part in parts),
            tuple(missing),
        )

    def _connections(self) -> list[tuple[str, Callable[[], xapian.Database]]]:
        location = self.location
        if isinstance(location, Path):
            folders = shard_folders(location)
            if not folders:
                raise ShardError(
                    f"{location} holds no Xapian shards; build them with `citebot shards build`."
                )
            return [(str(f), partial(xapian.Database, str(f))) for f in folders]
        wait = int(self._timeout * 1000)
        return [(str(a), partial(xapian.remote_open, a.host, a.port, wait, wait)) for a in location]


def _check_layout(name: str, part: xapian.Database) -> None:
    layout = part.get_metadata(FORMAT_KEY).decode()
    text = part.get_metadata(TEXT_KEY).decode()
    if layout != LAYOUT_VERSION or text != TEXT_VERSION:
        raise IndexFormatError(
            f"The Xapian shard {name} was written by another version of citebot "
            f"(layout {layout or 'none'}, text {text or 'none'}); rebuild it with "
            "`citebot shards build --full`."
        )
