"""Question -> Answer: gather candidate quotes, order them with the learned ranker, decide
with a calibrated confidence whether the corpus answers at all, then quote the best
distinct ones, grouping outlets that report the same thing."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.analyze import analyze, is_number, normalize, spans_of_terms
from index.backend import Backend
from index.candidates import (
    SEMANTIC_FEATURES,
    Candidate,
    Candidates,
    Question,
    candidates,
    read_question,
)
from index.embed import load_embedder
from index.errors import QuestionError
from index.learned import Model, load_model, load_second_look, signals
from index.models import Answer, Quote, Source
from index.reader import CloseReading, load_reader

log = logging.getLogger(__name__)

MAX_QUESTION_CHARACTERS = 500
_TAG = re.compile(r"<[^<>\n]{1,100}>")
"""Markup that is not words: HTML tags, chat mentions such as <@123>, <https://…> links."""
_CONTEXT_MARGIN = 0.5
"""A neighbouring sentence is quoted only when the ranker scores the pair this much above
the answer sentence alone. Chosen on squad-wiki-train's held-out articles: the median
quote is under 250 characters from 0.45 on, and 0.5 is as right there at 233 (290 at
0.25, which is 0.7 points of top-1 better with the reader, 0.8 without)."""
_FURTHER_QUOTE_COVERAGE = 0.5
"""A quote after the first must cover at least this share of the question weight that the
first covers: fewer of the question's words, and it answers something else."""
_PRONOUN_SPEAKER = re.compile(
    r"\b(?:he|she|they)\s+(?:said|says|added|told|wrote|asked)\b"
    r"|\b(?:said|says|added|asked)\s+(?:he|she|they)\b",
    re.IGNORECASE,
)
"""A sentence naming its speaker only by a pronoun ("…," he said): news paragraphs are
often one quotation long, so the name is in the sentence before, across the break."""
_SAME_CLAIM = 0.5
"""Share of shared terms, beyond the question's, above which two quotes say the same thing."""
_MIN_SHARED_CLAIM_TERMS = 3


@dataclass(frozen=True)
class _Ranked:
    candidate: Candidate
    score: float
    terms: tuple[str, ...]
    claim: frozenset[str]
    speaker: str
    """The sentence before, quoted first when this one names its speaker by a pronoun."""


def answer_question(index: Backend, question: str, limit: int = 9) -> Answer:
    """The best quotes answering ``question`` from ``index``; none when it holds no answer.

    Raises QuestionError for an empty or overlong question.
    """
    question = clean_question(question)
    asked = _read(index, question)
    found, rows = candidates(index, asked)
    if not found:
        return Answer(question, (), _suggestions(index, question))
    model = load_model(semantic=asked.vector is not None)
    scores = model.scores(rows)
    reader = load_reader() if model.semantic else None
    reading = CloseReading(reader, question, found, scores) if reader else None
    confidence = _confidence(model, rows, scores, reading)
    if confidence < model.confidence.threshold:
        return Answer(question, (), _suggestions(index, question), confidence)
    if reading:
        scores = reading.rescored()
    coverage = rows[:, SEMANTIC_FEATURES.index("window_coverage")]
    quotes = _grouped(index, found, scores, coverage, asked, limit)
    return Answer(question, quotes, (), confidence)


def _confidence(
    model: Model, rows: np.ndarray, scores: np.ndarray, reading: CloseReading | None
) -> float:
    """How sure citebot is that the corpus answers, on the scale of the first confidence's
    threshold: a close call is decided again with the reader (``SecondLook``)."""
    first = model.confidence.of(signals(rows, scores, model.semantic))
    if reading is None:
        return round(first, 4)
    decided = load_second_look().decided(
        first, model.confidence.threshold, lambda: float(reading.logits().max())
    )
    return round(decided, 4)


def candidate_quotes(index: Backend, question: str) -> Sequence[Candidate]:
    """Every quote the ranker chooses from, for measuring its ceiling (``citebot eval``)."""
    return candidates(index, _read(index, clean_question(question)))[0]


def clean_question(question: str) -> str:
    """The question with markup removed; QuestionError when empty or overlong."""
    question = " ".join(_TAG.sub(" ", question).split())
    if not question:
        raise QuestionError(
            "Ask a question about the articles, e.g. “how many troops went to Romania?”"
        )
    if len(question) > MAX_QUESTION_CHARACTERS:
        raise QuestionError(
            f"That question has {len(question):,} characters; please ask in at most "
            f"{MAX_QUESTION_CHARACTERS}."
        )
    return question


def _read(index: Backend, question: str) -> Question:
    """The analysed question, embedded when the index has sentence vectors to compare."""
    embedder = load_embedder() if index.has_vectors else None
    return read_question(index, question, embedder.embed_soon(question) if embedder else None)


def _grouped(
    index: Backend,
    found: Candidates,
    scores: np.ndarray,
    coverage: np.ndarray,
    asked: Question,
    limit: int,
) -> tuple[Quote, ...]:
    """Distinct quotes, best first: a quote overlapping one already taken from the same
    passage is skipped, and one making the same claim from another article becomes an
    "also reported by" source of the first."""
    kept: list[_Ranked] = []
    also: list[list[Source]] = []
    order = np.argsort(-scores, kind="stable").tolist()
    least = _FURTHER_QUOTE_COVERAGE * float(coverage[order[0]])
    question_terms = frozenset(asked.terms)
    weight = _IdfWeight(index)
    for number in order:
        if len(kept) >= limit:
            break
        if coverage[number] < least:
            continue
        alone = found.alone(number)
        if scores[number] - scores[alone] <= _CONTEXT_MARGIN and _closes_quotations(
            found[alone].text
        ):
            number = alone
        score = float(scores[number])
        candidate = found[number]
        if any(_overlaps(candidate, other) for other in kept):
            continue
        terms = found.terms(number)
        claim = frozenset(terms) - question_terms
        same = next(
            (n for n, other in enumerate(kept) if _same_claim(claim, other.claim, weight)), None
        )
        if same is None:
            kept.append(_Ranked(candidate, score, terms, claim, _speaker(found, number)))
            also.append([])
            continue
        cited = {kept[same].candidate.source.doc, *(source.doc for source in also[same])}
        if candidate.source.doc not in cited:
            also[same].append(candidate.source)
    return tuple(
        replace(_quote(ranked, asked), also=tuple(sources))
        for ranked, sources in zip(kept, also, strict=True)
    )


def _closes_quotations(text: str) -> bool:
    """Whether every quotation ``text`` opens it also closes: a sentence that opens one is
    quoted with its neighbour, which closes it and usually names the speaker ("Conflict is
    not inevitable. There is still time…," said Austin)."""
    return text.count('"') % 2 == 0 and text.count("“") == text.count("”")


def _speaker(found: Candidates, number: int) -> str:
    """The sentence before a sentence quoted alone that names its speaker by a pronoun
    only: the name ("Grushko said …") is there. Empty for every other quote."""
    candidate = found[number]
    if candidate.first != candidate.last or not _PRONOUN_SPEAKER.search(candidate.text):
        return ""
    return found.sentence_before(number) or ""


def _overlaps(one: Candidate, taken: _Ranked) -> bool:
    """Whether ``one`` repeats a sentence of a quote already taken."""
    other = taken.candidate
    if taken.speaker and taken.speaker in one.text:
        return True
    return one.passage.number == other.passage.number and not (
        one.last < other.first or other.last < one.first
    )


def _quote(ranked: _Ranked, asked: Question) -> Quote:
    candidate = ranked.candidate
    text = candidate.text
    wanted = set(asked.terms)
    marks = [span for term, span in spans_of_terms(text, ranked.terms) if term in wanted]
    answer = candidate.answer_span
    if ranked.speaker:
        text = f"{ranked.speaker} {text}"
        shift = len(ranked.speaker) + 1
        answer = (answer[0] + shift, answer[1] + shift)
        marks = [(start + shift, end + shift) for start, end in marks]
    return Quote(text, answer, tuple(marks), candidate.source, round(ranked.score, 4))


class _IdfWeight:
    """The summed IDF of a set of terms, looked up in batches and remembered for one
    question (grouping weighs the same words again and again)."""

    def __init__(self, index: Backend) -> None:
        self._index = index
        self._idf: dict[str, float] = {}

    def __call__(self, terms: frozenset[str]) -> float:
        missing = [term for term in terms if term not in self._idf]
        if missing:
            _, idf = self._index.known_terms(missing)
            self._idf.update(zip(missing, idf.tolist(), strict=True))
        return sum(self._idf[term] for term in terms)


def _same_claim(
    one: frozenset[str], other: frozenset[str], weight: Callable[[frozenset[str]], float]
) -> bool:
    """Whether two quotes add the same facts to the question: the same figures (every
    number of the quote with fewer numbers is in the other), or mostly the same words,
    weighing words by IDF so that names every article mentions count for little.

    Terms are compared as words, not ids: a Xapian view numbers only the question's."""
    shared = one & other
    if len(shared) < _MIN_SHARED_CLAIM_TERMS:
        return False
    figures = min((set(filter(is_number, one)), set(filter(is_number, other))), key=len)
    if figures and figures <= shared:
        return True
    lighter = min(weight(one), weight(other))
    return lighter > 0 and weight(shared) / lighter >= _SAME_CLAIM


def _suggestions(index: Backend, question: str) -> tuple[str, ...]:
    """Close spellings from the corpus for question words the index has never seen: only
    spellings that are themselves indexed words, other than the word itself (a stopword
    such as "own" for "owns" is never indexed, so it is never a useful suggestion)."""
    suggestions: list[str] = []
    for word in re.findall(r"[^\W\d_]{4,}", normalize(question)):
        terms = analyze(word)
        if not terms or index.bm25.document_frequency(terms[0]):
            continue
        for close, spelling in index.spellings.close(word):
            spelled = analyze(close)
            if spelled and spelled != terms and index.bm25.document_frequency(spelled[0]):
                if spelling not in suggestions:
                    suggestions.append(spelling)
                break
    return tuple(suggestions)
