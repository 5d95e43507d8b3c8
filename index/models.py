"""The core nouns, built once and passed along from files to rendered answers."""

from __future__ import annotations

from dataclasses import dataclass

Span = tuple[int, int]
"""A half-open character range ``[start, end)`` inside some text."""


@dataclass(frozen=True)
class Source:
    """Where a passage comes from: the article file and what it says about itself."""

    doc: str
    title: str
    outlet: str = ""
    author: str = ""
    date: str = ""
    url: str = ""


@dataclass(frozen=True)
class Document:
    """One article: its source facts and its body text (metadata lines removed)."""

    source: Source
    text: str
    fingerprint: str


@dataclass(frozen=True)
class Passage:
    """A quotable paragraph of an article; ``number`` counts passages across the index,
    ``first_sentence`` the index's sentences (that of ``sentences[0]``)."""

    doc: str
    number: int
    text: str
    sentences: tuple[Span, ...]
    first_sentence: int = 0


@dataclass(frozen=True)
class Hit:
    """A passage retrieved for a question, with its BM25 score."""

    passage: Passage
    source: Source
    score: float


@dataclass(frozen=True)
class Quote:
    """What a reader sees: the answering sentence with at most one sentence of context.

    ``answer`` is the span of the answering sentence inside ``text``; ``marks`` are the
    spans of words that matched the question, for highlighting.
    """

    text: str
    answer: Span
    marks: tuple[Span, ...]
    source: Source
    score: float
    also: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Answer:
    """The reply to one question; ``answered`` is False when the corpus holds no answer.

    ``confidence`` is the calibrated probability that the corpus answers the question
    (the decision to abstain compares it with a threshold fitted on real questions).
    """

    question: str
    quotes: tuple[Quote, ...]
    suggestions: tuple[str, ...] = ()
    confidence: float = 0.0
    notice: str = ""
    """A caveat the reply shows first, e.g. that a search shard was down."""

    @property
    def answered(self) -> bool:
        return bool(self.quotes)
