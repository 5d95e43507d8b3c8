"""A question's view over a pool of passages fetched from elsewhere (the Xapian shards):
BM25 over just those passages and their sentences, with the whole corpus's statistics.

Scores are citebot's own (``index.bm25``'s formula, rank-bm25's IDF with its epsilon floor),
so a pool that holds the embedded index's best passages ranks them exactly as it does.
Passages are numbered in corpus order (article name, then place in the article), so ties
go the way the embedded index sends them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from index.backend import FloatArray, IntArray
from index.bm25 import Bm25Params
from index.models import Passage, Source, Span


@dataclass(frozen=True)
class StoredPassage:
    """One passage as a shard keeps it: all a question's view needs, with no index around."""

    doc: str
    at: int
    """Its place among its article's passages."""
    text: str
    spans: tuple[Span, ...]
    terms: tuple[tuple[str, ...], ...]
    """Each sentence's analysed terms, in text order."""
    vectors: npt.NDArray[np.float16] | None = None
    """[sentences, 384] sentence vectors, or None when the index has none."""


@dataclass
class Statistics:
    """Corpus-wide BM25 statistics of one level (passages, or sentences)."""

    count: int
    total_length: int
    frequencies: Callable[[Sequence[str]], list[int]]
    """Document frequencies of terms, asked in one batch."""
    average_idf: Callable[[], float]
    """The mean raw IDF over the vocabulary: only asked for when a term's IDF is below 0."""
    params: Bm25Params = field(default_factory=Bm25Params)
    _idf: dict[str, float] = field(default_factory=dict)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """Each term's IDF as ``index.bm25`` scores with it (0.0 for an unseen term)."""
        missing = [term for term in dict.fromkeys(terms) if term not in self._idf]
        if missing:
            for term, frequency in zip(missing, self.frequencies(missing), strict=True):
                self._idf[term] = self._weight(frequency)
        return [self._idf[term] for term in terms]

    def _weight(self, frequency: int) -> float:
        if frequency <= 0:
            return 0.0
        raw = raw_idf(frequency, self.count)
        return raw if raw >= 0 else self.params.epsilon * self.average_idf()


def raw_idf(frequency: int, count: int) -> float:
    """rank-bm25's IDF, as ``index.bm25`` computes it."""
    return math.log(count - frequency + 0.5) - math.log(frequency + 0.5)


class PoolScorer:
    """BM25 over a few bags of terms, numbered 0.., with corpus-wide statistics."""

    def __init__(self, bags: Sequence[Counter[str]], statistics: Statistics) -> None:
        self._bags = bags
        self._statistics = statistics
        lengths = np.fromiter((sum(bag.values()) for bag in bags), np.float64, len(bags))
        params = statistics.params
        average = statistics.total_length / max(statistics.count, 1)
        self._norm = params.k1 * (1 - params.b + params.b * lengths / average)

    @property
    def params(self) -> Bm25Params:
        return self._statistics.params

    def scores(self, query: Sequence[str], passages: Sequence[int]) -> FloatArray:
        """The exact scores of the given bags, in their order."""
        k1_plus_1 = self.params.k1 + 1
        total = np.zeros(len(passages), np.float64)
        for term, idf in zip(query, self._statistics.idf(query), strict=True):
            if idf == 0.0:
                continue
            for slot, number in enumerate(passages):
                tf = self._bags[number][term]
                if tf:
                    total[slot] += idf * (tf * k1_plus_1 / (self._norm[number] + tf))
        return total

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best (number, score), best first, scores > 0; ties to the lower number."""
        if k <= 0 or not query:
            return []
        scores = self.scores(query, range(len(self._bags)))
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [(int(n), float(scores[n])) for n in order if scores[n] > 0]


@dataclass(frozen=True)
class PoolSentences:
    """The pool's sentences, numbered across it, as ``backend.SentenceData``."""

    bm25: PoolScorer
    term_starts: IntArray
    term_ids: npt.NDArray[np.int32]
    vectors: npt.NDArray[np.float16] | None


class PoolView:
    """A ``backend.View`` over fetched passages (put in corpus order here)."""

    def __init__(
        self,
        passages: Sequence[StoredPassage],
        sources: Mapping[str, Source],
        known: Mapping[str, int],
        passage_statistics: Statistics,
        sentence_statistics: Statistics,
        fetch: Callable[[str, int], StoredPassage | None],
    ) -> None:
        """``fetch(doc, at)``: a passage outside the pool, by its article and place."""
        self._passages = sorted(passages, key=lambda p: (p.doc, p.at))
        self._sources = sources
        self._fetch = fetch
        per_passage = [len(p.spans) for p in self._passages]
        self._passage_starts = np.zeros(len(self._passages) + 1, np.int64)
        np.cumsum(per_passage, out=self._passage_starts[1:])
        sentences = [terms for p in self._passages for terms in p.terms]
        self._sentence_terms = sentences
        bags = [Counter(term for terms in p.terms for term in terms) for p in self._passages]
        self.bm25 = PoolScorer(bags, passage_statistics)
        term_starts = np.zeros(len(sentences) + 1, np.int64)
        np.cumsum([len(terms) for terms in sentences], out=term_starts[1:])
        ids = [known.get(term, -1) for terms in sentences for term in terms]
        self.sentences = PoolSentences(
            PoolScorer([Counter(terms) for terms in sentences], sentence_statistics),
            term_starts,
            np.asarray(ids, np.int32),
            self._vectors(),
        )

    def _vectors(self) -> npt.NDArray[np.float16] | None:
        blocks = [p.vectors for p in self._passages]
        if not blocks or any(block is None for block in blocks):
            return None
        return np.concatenate([block for block in blocks if block is not None])

    @cached_property
    def _starts(self) -> list[int]:
        return self._passage_starts.tolist()

    def passage(self, number: int) -> Passage:
        stored = self._passages[number]
        return Passage(stored.doc, number, stored.text, stored.spans, self._starts[number])

    def sentence_words(self, sentence: int) -> tuple[str, ...]:
        return self._sentence_terms[sentence]

    def passage_of_sentence(self, sentence: int) -> int:
        return int(np.searchsorted(self._passage_starts, sentence, side="right")) - 1

    def source_of(self, passage: int) -> Source:
        return self._sources[self._passages[passage].doc]

    def sentence_before(self, sentence: int) -> str | None:
        number = self.passage_of_sentence(sentence)
        stored = self._passages[number]
        if sentence > self._starts[number]:
            return _sentence_text(stored, sentence - self._starts[number] - 1)
        if stored.at == 0:
            return None
        pooled = self._passages[number - 1] if number else None
        if pooled and (pooled.doc, pooled.at) == (stored.doc, stored.at - 1):
            previous: StoredPassage | None = pooled
        else:
            previous = self._fetch(stored.doc, stored.at - 1)
        return _sentence_text(previous, -1) if previous and previous.spans else None


def _sentence_text(passage: StoredPassage, sentence: int) -> str:
    start, end = passage.spans[sentence]
    return passage.text[start:end]
