"""The seam between answering and retrieval: all that candidates() and answer_question()
read from an index, so the embedded numpy index and the Xapian shards are interchangeable.

A question first asks the backend for a ``View``: the passages and sentences it may quote,
numbered within the view, with BM25 scorers over them that use the *whole* corpus's
statistics. The embedded index is its own view (every passage, global numbering); the
Xapian backend fetches a pool of passages from its shards and scores that pool locally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from index.bm25 import Bm25Params
from index.models import Passage, Source
from index.spelling import Spellings

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Scorer(Protocol):
    """BM25 over a view's passages (or sentences), by their number in the view."""

    @property
    def params(self) -> Bm25Params: ...

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]: ...

    def scores(self, query: Sequence[str], passages: Sequence[int]) -> FloatArray: ...


class SentenceData(Protocol):
    """A view's sentences: term ids (as ``Backend.known_terms`` numbers them) and vectors."""

    @property
    def bm25(self) -> Scorer: ...

    @property
    def term_starts(self) -> IntArray: ...

    @property
    def term_ids(self) -> npt.NDArray[np.int32]: ...

    @property
    def vectors(self) -> npt.NDArray[np.float16] | None: ...


class View(Protocol):
    """What one question may quote: passages and sentences numbered within the view."""

    @property
    def bm25(self) -> Scorer: ...

    @property
    def sentences(self) -> SentenceData: ...

    def passage(self, number: int) -> Passage: ...

    def passage_of_sentence(self, sentence: int) -> int: ...

    def sentence_words(self, sentence: int) -> Sequence[str]:
        """The sentence's analysed terms, all of them, as stored when it was indexed."""
        ...

    def source_of(self, passage: int) -> Source: ...

    def sentence_before(self, sentence: int) -> str | None:
        """The text of the sentence before ``sentence`` in its article, across a paragraph
        break too; None at the article's head."""
        ...


class TermStats(Protocol):
    """Corpus-wide facts about one term."""

    def idf(self, term: str) -> float: ...

    def document_frequency(self, term: str) -> int: ...


class Backend(Protocol):
    """An index the answering core can answer from, wherever its passages live."""

    @property
    def passage_total(self) -> int: ...

    @property
    def has_vectors(self) -> bool: ...

    @property
    def spellings(self) -> Spellings: ...

    @property
    def bm25(self) -> TermStats: ...

    def known_terms(self, terms: Sequence[str]) -> tuple[IntArray, FloatArray]:
        """Each term's id (-1 when the corpus never saw it) and IDF (0.0 when unknown)."""
        ...

    def view(self, terms: Mapping[str, int]) -> View:
        """What a question with these known terms (term -> id) may quote."""
        ...
