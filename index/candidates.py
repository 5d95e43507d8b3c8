"""Question -> candidate quotes and the features a learned ranker reads.

A candidate is one sentence quoted alone, with the sentence before or with the sentence
after (same paragraph), drawn from the best passages and from a sentence-level search.
Every feature is general — scores and ranks relative to the question's best, how much of
the question's weight a quote covers, proximity, semantic similarity — never a word list
or anything about particular articles, so a model fitted on one corpus carries to another.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from index.analyze import analyze
from index.backend import Backend, View
from index.models import Passage, Source

PASSAGES = 20
SENTENCES = 20
_MIN_WEIGHT = 0.05

LEXICAL_FEATURES = (
    "question_terms",
    "unseen_share",
    "passage_score_share",
    "passage_score_norm",
    "passage_rank",
    "sentence_score_share",
    "sentence_rank",
    "answer_coverage",
    "window_coverage",
    "passage_coverage",
    "coverage_gap",
    "neighbour_coverage",
    "missing_weight",
    "answer_words",
    "window_characters",
    "window_kind",
    "position",
    "novel_share",
    "proximity",
    "bigrams",
)
SEMANTIC_FEATURES = (
    *LEXICAL_FEATURES,
    "answer_cosine",
    "window_cosine",
    "passage_cosine",
    "cosine_gap",
    "cosine_rank",
)


Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Question:
    """A question's distinct analysed terms, their ids and weights (IDF; a word the
    corpus never saw weighs most), and its sentence vector if it has one."""

    text: str
    terms: tuple[str, ...]
    ids: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]
    embedding: Future[Vector] | Vector | None
    """The vector, or its computation still under way: retrieval needs no vector, so
    answering runs the model's few milliseconds beside it and waits only for cosines."""

    @property
    def vector(self) -> Vector | None:
        if isinstance(self.embedding, Future):
            return self.embedding.result()
        return self.embedding

    @property
    def known(self) -> list[str]:
        return [term for term, i in zip(self.terms, self.ids.tolist(), strict=True) if i >= 0]


@dataclass(frozen=True)
class Candidate:
    """A quote under consideration: sentences ``first``..``last`` of ``passage`` (index
    numbering), answering with sentence ``answer``."""

    passage: Passage
    source: Source
    answer: int
    first: int
    last: int

    @property
    def text(self) -> str:
        start = self.passage.sentences[self.first - self.passage.first_sentence][0]
        end = self.passage.sentences[self.last - self.passage.first_sentence][1]
        return self.passage.text[start:end]

    @property
    def answer_span(self) -> tuple[int, int]:
        """The answering sentence's span inside ``text``."""
        spans = self.passage.sentences
        base = spans[self.first - self.passage.first_sentence][0]
        start, end = spans[self.answer - self.passage.first_sentence]
        return start - base, end - base


def read_question(index: Backend, text: str, embedding: Future[Vector] | Vector | None) -> Question:
    """Analyse a question once for retrieval and features."""
    terms = tuple(dict.fromkeys(analyze(text)))
    ids, idf = index.known_terms(terms)
    unseen = math.log((index.passage_total + 0.5) / 0.5)
    pairs = zip(ids.tolist(), idf.tolist(), strict=True)
    weights = np.array([max(w, _MIN_WEIGHT) if i >= 0 else unseen for i, w in pairs], np.float64)
    return Question(text, terms, ids, weights, embedding)


def candidates(backend: Backend, question: Question) -> tuple[Candidates, np.ndarray]:
    """Every candidate quote for the question with its feature row (SEMANTIC_FEATURES order;
    the semantic columns are 0 when the index or question has no vectors)."""
    known = question.known
    if not known:
        return _NONE, np.zeros((0, len(SEMANTIC_FEATURES)))
    index = backend.view(_known_ids(question))
    passage_hits = index.bm25.top(known, PASSAGES)
    sentence_hits = index.sentences.bm25.top(known, SENTENCES)
    numbers = list(
        dict.fromkeys(
            [n for n, _ in passage_hits] + [index.passage_of_sentence(s) for s, _ in sentence_hits]
        )
    )
    if not numbers:
        return _NONE, np.zeros((0, len(SEMANTIC_FEATURES)))
    passages = [index.passage(n) for n in numbers]
    return _features(index, question, passages, passage_hits, sentence_hits)


def _known_ids(question: Question) -> Mapping[str, int]:
    return {t: i for t, i in zip(question.terms, question.ids.tolist(), strict=True) if i >= 0}


def _features(
    index: View,
    question: Question,
    passages: Sequence[Passage],
    passage_hits: Sequence[tuple[int, float]],
    sentence_hits: Sequence[tuple[int, float]],
) -> tuple[Candidates, np.ndarray]:
    """Features of every candidate, computed per sentence once (as arrays) and combined
    per window, in SEMANTIC_FEATURES order."""
    known = question.known
    table = _SentenceTable(index, question, passages)
    weights, total = table.weights, table.total_weight
    passage_scores = index.bm25.scores(known, [p.number for p in passages])
    best_passage = passage_hits[0][1] if passage_hits else max(float(passage_scores.max()), 1e-9)
    most = float(weights.sum()) * (index.bm25.params.k1 + 1)
    firsts = table.passage_starts[:-1]
    passage_cover = np.logical_or.reduceat(table.matched, firsts) @ weights / total
    sentence_scores = index.sentences.bm25.scores(known, table.ids)
    best_sentence = sentence_hits[0][1] if sentence_hits else 1.0
    cover = table.matched @ weights / total
    first, last, answer, kind, alone = _windows(table.passage_starts).T
    owner = table.owner[answer]
    neighbour = np.where(first != answer, first, last)
    in_window = table.matched[first] | table.matched[last]
    missing = np.where(in_window, 0.0, weights[None, :]).max(axis=1, initial=0.0)
    characters = table.spans[last, 1] - table.spans[first, 0]
    count = len(answer)
    cosines = table.cosines  # last: it may wait for the question's vector
    best_cosine = float(cosines.max()) if table.has_cosines else 0.0
    columns = [
        np.full(count, float(len(question.terms))),
        np.full(count, 1 - float(weights.sum()) / total),
        (passage_scores / best_passage)[owner],
        (passage_scores / most if most > 0 else passage_scores * 0)[owner],
        np.log1p(_ranks(passage_scores))[owner],
        (sentence_scores / max(best_sentence, 1e-9))[answer],
        np.log1p(_ranks(sentence_scores))[answer],
        cover[answer],
        in_window @ weights / total,
        passage_cover[owner],
        cover.max() - cover[answer],
        np.where(kind > 0, cover[neighbour], 0.0),
        missing / max(float(question.weights.max()), 1e-9),
        np.log1p(table.lengths)[answer],
        np.log1p(characters),
        kind,
        answer - table.passage_starts[owner],
        (table.novel / np.maximum(table.lengths, 1))[answer],
        table.proximity[answer],
        table.bigrams[answer],
        cosines[answer],
        (cosines[first] + cosines[last]) / 2,
        np.maximum.reduceat(cosines, firsts)[owner],
        best_cosine - cosines[answer],
        np.log1p(_ranks(cosines) if table.has_cosines else cosines)[answer],
    ]
    sources = [index.source_of(p.number) for p in passages]
    ids = np.asarray(table.ids, np.int64)
    found = Candidates(passages, sources, ids[first], ids[last], ids[answer], owner, alone, index)
    return found, np.column_stack(columns).astype(np.float64)


class Candidates(Sequence[Candidate]):
    """A question's candidate quotes, made into Candidate objects only when looked at
    (a question has hundreds; an answer quotes a few)."""

    def __init__(
        self,
        passages: Sequence[Passage],
        sources: Sequence[Source],
        first: np.ndarray,
        last: np.ndarray,
        answer: np.ndarray,
        owner: np.ndarray,
        alone: np.ndarray,
        view: View | None = None,
    ) -> None:
        self._passages = passages
        self._view = view
        self._sources = sources
        self._first, self._last, self._answer = first, last, answer
        self._owner = owner
        self._alone = alone

    def __len__(self) -> int:
        return len(self._owner)

    def terms(self, number: int) -> tuple[str, ...]:
        """The analysed terms of candidate ``number``'s sentences in order, as indexed."""
        assert self._view is not None, "only a question's candidates have terms"
        sentences = range(int(self._first[number]), int(self._last[number]) + 1)
        return tuple(term for s in sentences for term in self._view.sentence_words(s))

    @property
    def answers(self) -> np.ndarray:
        """Each candidate's answer sentence (index numbering)."""
        return self._answer

    def sentence_before(self, number: int) -> str | None:
        """The sentence before candidate ``number``'s first in its article, or None."""
        assert self._view is not None, "only a question's candidates have neighbours"
        return self._view.sentence_before(int(self._first[number]))

    def alone(self, number: int) -> int:
        """The number of the candidate quoting candidate ``number``'s answer sentence alone."""
        return int(self._alone[number])

    def __getitem__(self, number: int) -> Candidate:  # type: ignore[override]
        owner = int(self._owner[number])
        return Candidate(
            self._passages[owner],
            self._sources[owner],
            int(self._answer[number]),
            int(self._first[number]),
            int(self._last[number]),
        )


_EMPTY = np.zeros(0, np.int64)
_NONE = Candidates((), (), _EMPTY, _EMPTY, _EMPTY, _EMPTY, _EMPTY)


class _SentenceTable:
    """The sentences of the candidate passages, in order, with what each holds of the
    question: a sentences x known-question-terms match matrix and per-sentence measures."""

    def __init__(self, index: View, question: Question, passages: Sequence[Passage]) -> None:
        counts = np.array([len(p.sentences) for p in passages], np.int64)
        self.passage_starts = np.zeros(len(passages) + 1, np.int64)
        np.cumsum(counts, out=self.passage_starts[1:])
        self.owner = np.repeat(np.arange(len(passages)), counts)
        self.ids = [s for p in passages for s in range(p.first_sentence, _end(p))]
        self.spans = np.array([span for p in passages for span in p.sentences], np.int64)
        known = question.ids >= 0
        self.weights = question.weights[known]
        self.total_weight = float(question.weights.sum())
        table = index.sentences
        numbers = np.asarray(self.ids, np.int64)
        self.lengths = table.term_starts[numbers + 1] - table.term_starts[numbers]
        tokens = np.concatenate(  # a passage's sentences are consecutive: one slice each
            [
                table.term_ids[table.term_starts[p.first_sentence] : table.term_starts[_end(p)]]
                for p in passages
            ]
        ).astype(np.int64)
        token_owner = np.repeat(np.arange(len(self.ids)), self.lengths)
        column = _columns(tokens, question.ids[known])
        hit = column >= 0
        self.matched = np.zeros((len(self.ids), int(known.sum())), bool)
        self.matched[token_owner[hit], column[hit]] = True
        self.novel = self.lengths - np.bincount(token_owner[hit], minlength=len(self.ids))
        starts = np.zeros(len(self.ids) + 1, np.int64)
        np.cumsum(self.lengths, out=starts[1:])
        self.proximity = _proximity(column, token_owner, starts, len(self.ids))
        place = np.flatnonzero(known)[np.maximum(column, 0)]
        follows = (
            hit[:-1]
            & hit[1:]
            & (token_owner[:-1] == token_owner[1:])
            & (place[1:] == place[:-1] + 1)
        )
        self.bigrams = np.bincount(token_owner[:-1][follows], minlength=len(self.ids)).astype(
            np.float64
        )
        self._vectors = index.sentences.vectors
        self._question = question

    @cached_property
    def has_cosines(self) -> bool:
        return self._vectors is not None and self._question.vector is not None

    @cached_property
    def cosines(self) -> np.ndarray:
        """Question-sentence cosines (0 without vectors); the first look waits for the
        question's vector, so every lexical measure is computed before it."""
        vector = self._question.vector
        if self._vectors is None or vector is None:
            return np.zeros(len(self.ids), np.float64)
        picked = np.asarray(self._vectors[self.ids], np.float32)
        return (picked @ vector).astype(np.float64)


def _columns(tokens: np.ndarray, known_ids: np.ndarray) -> np.ndarray:
    """For each token, the column of the question term it is, or -1."""
    if not len(known_ids):
        return np.full(len(tokens), -1, np.int64)
    order = np.argsort(known_ids)
    ordered = known_ids[order]
    at = np.minimum(np.searchsorted(ordered, tokens), len(ordered) - 1)
    return np.where(ordered[at] == tokens, order[at], -1)


def _windows(passage_starts: np.ndarray) -> np.ndarray:
    """(first, last, answer, kind, alone) rows over the sentence table: each sentence alone
    (kind 0), with the one before (1) and with the one after (2), within its passage;
    ``alone`` is the row of the same answer sentence quoted alone."""
    rows: list[tuple[int, int, int, int, int]] = []
    for a, b in zip(passage_starts[:-1].tolist(), passage_starts[1:].tolist(), strict=True):
        for answer in range(a, b):
            alone = len(rows)
            rows.append((answer, answer, answer, 0, alone))
            if answer > a:
                rows.append((answer - 1, answer, answer, 1, alone))
            if answer + 1 < b:
                rows.append((answer, answer + 1, answer, 2, alone))
    return np.array(rows, np.int64).reshape(-1, 5)


def _end(passage: Passage) -> int:
    return passage.first_sentence + len(passage.sentences)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """0 for the best score, 1 for the next, ...; ties share the better rank."""
    order = np.sort(scores)[::-1]
    return np.searchsorted(-order, -scores, side="left").astype(np.float64)


def _proximity(column: np.ndarray, owner: np.ndarray, starts: np.ndarray, count: int) -> np.ndarray:
    """How tightly each sentence's matched question terms sit: distinct matched terms over
    the stretch from the first first-occurrence to the last (1 when adjacent); the plain
    count when fewer than two terms match."""
    out = np.zeros(count, np.float64)
    hit = np.flatnonzero(column >= 0)
    if not len(hit):
        return out
    _, first = np.unique(owner[hit] * (int(column.max()) + 1) + column[hit], return_index=True)
    token = hit[first]
    sentence = owner[token]
    place = token - starts[sentence]
    distinct = np.bincount(sentence, minlength=count)
    low = np.full(count, np.iinfo(np.int64).max)
    high = np.full(count, -1)
    np.minimum.at(low, sentence, place)
    np.maximum.at(high, sentence, place)
    return np.where(distinct >= 2, distinct / np.maximum(high - low + 1, 1), distinct).astype(
        np.float64
    )
