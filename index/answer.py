"""Question -> Answer: rank passages with BM25, pick the sentence in each that answers,
quote it with at most one sentence of context, group corroborating outlets, and abstain
when the corpus does not hold the answer."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from index.analyze import analyze, normalize, term_spans
from index.errors import QuestionError
from index.models import Answer, Hit, Passage, Quote, Source
from index.related import RELATED_CREDIT, related_terms
from index.store import SearchIndex

MAX_QUESTION_CHARACTERS = 500
_TAG = re.compile(r"<[^<>\n]{1,100}>")
"""Markup that is not words: HTML tags, chat mentions such as <@123>, <https://…> links."""
_CANDIDATES = 40
_MIN_COVERAGE = 0.45
"""Share of the question's weight (IDF, words the corpus never saw weighing most) that the
best quote must match. Off-corpus questions match a third or less, answerable ones over half."""
_SAME_CLAIM = 0.5
"""Share of shared terms, beyond the question's, above which two sentences say the same thing."""
_MIN_SHARED_CLAIM_TERMS = 3
_MIN_WEIGHT = 0.05
_TYPE_BONUS = 0.2
_PASSAGE_WEIGHT = 0.3
_SHORT_SENTENCE_WORDS = 8
_LEAD_IN = re.compile(
    r"^[\"“'‘(]*(?:he|she|it|they|this|that|these|those|but|and|so|however|his|her|its|"
    r"their|there|yet|also|meanwhile|instead)\b",
    re.IGNORECASE,
)
_UNNAMED_SPEAKER = re.compile(
    r"\b(?:he|she|they) (?:said|says|added|told|warned|stressed|noted)\b|\bsaid (?:he|she)\b",
    re.IGNORECASE,
)
_MONTH_OR_DAY = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|"
    r"tomorrow|(?:last|next|this|that|later) (?:week|month|year)|\d{4})\b"
)
_QUANTITY = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|"
    r"thousands?|millions?|several|minutes?|hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<=[^.!?\"“\s]\s)[A-Z][\w'’-]+")
_QUOTATION = re.compile(r"[\"“][^\"“”]{2,}[\"”]")
_ANSWER_KINDS = (
    (re.compile(r"\bhow (?:many|much|large|big|long|far|old)\b|\bwhat number\b"), _QUANTITY),
    (re.compile(r"\bwhen\b|\bwhat (?:year|date|day|time)\b"), _MONTH_OR_DAY),
    (re.compile(r"\bwhat did .* (?:say|tell|call|warn|describe)\b"), _QUOTATION),
    (re.compile(r"\b(?:who|whom|whose|where|which)\b"), _NAME),
)


@dataclass(frozen=True)
class _Candidate:
    """A quote under consideration, with what its answering sentence asserts."""

    quote: Quote
    claim: frozenset[str]
    """The answering sentence's terms."""
    answer_terms: frozenset[str]
    """Its terms of the wanted kind (numbers for "how many") that the question lacks."""
    sentences: frozenset[str]
    rank: float


@dataclass(frozen=True)
class _Question:
    """A question's analysed terms, their weights and the kind of answer it wants."""

    weights: dict[str, float]
    expects: re.Pattern[str] | None
    idf: Callable[[str], float]

    def coverage(self, terms: frozenset[str]) -> float:
        """The share of the question's weight that ``terms`` match; a word meaning the
        same as a question word counts for part of it."""
        total = sum(self.weights.values())
        return sum(w * _match(term, terms) for term, w in self.weights.items()) / total

    def answer_terms(self, sentence: str) -> frozenset[str]:
        """The terms of the wanted kind of answer in a sentence, less the question's own."""
        if self.expects is None:
            return frozenset()
        found = (analyze(match.group()) for match in self.expects.finditer(sentence))
        return frozenset(term for terms in found for term in terms) - self.weights.keys()

    def answers(self, sentence: str) -> bool:
        """Whether a sentence holds an answer of the wanted kind not already in the question."""
        return bool(self.answer_terms(sentence))


def _match(term: str, terms: frozenset[str]) -> float:
    if term in terms:
        return 1.0
    return RELATED_CREDIT if related_terms(term) & terms else 0.0


def answer_question(index: SearchIndex, question: str, limit: int = 9) -> Answer:
    """The best quotes answering ``question`` from ``index``; none when it holds no answer.

    Raises QuestionError for an empty or overlong question.
    """
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
    asked = _Question(_weights(index, analyze(question)), _expected(question), index.bm25.idf)
    hits = index.search(list(asked.weights), _CANDIDATES)
    candidates = sorted(
        (_candidate(index, hit, asked, hit.score / hits[0].score) for hit in hits),
        key=lambda candidate: -candidate.rank,
    )
    if max((asked.coverage(c.claim) for c in candidates), default=0.0) < _MIN_COVERAGE:
        return Answer(question, (), _suggestions(index, question))
    return Answer(question, _grouped(candidates, asked, limit))


def _weights(index: SearchIndex, terms: Sequence[str]) -> dict[str, float]:
    """Each distinct question term's IDF; a term the corpus never saw gets the most, and
    one in most passages a little (BM25's IDF there is zero or below)."""
    unseen = math.log((index.passage_total + 0.5) / 0.5)
    return {
        term: max(index.bm25.idf(term), _MIN_WEIGHT)
        if index.bm25.document_frequency(term)
        else unseen
        for term in dict.fromkeys(terms)
    }


def _expected(question: str) -> re.Pattern[str] | None:
    """What an answering sentence should contain, judged from the question's wording."""
    lowered = normalize(question).lower()
    return next((kind for wording, kind in _ANSWER_KINDS if wording.search(lowered)), None)


def _candidate(index: SearchIndex, hit: Hit, asked: _Question, passage_score: float) -> _Candidate:
    """The best-answering sentence of a passage, quoted with its context, and its rank."""
    passage = hit.passage
    sentences = [passage.text[start:end] for start, end in passage.sentences] or [passage.text]
    terms = [frozenset(analyze(sentence)) for sentence in sentences]

    def sentence_rank(position: int) -> float:
        bonus = _TYPE_BONUS if asked.answers(sentences[position]) else 0.0
        return asked.coverage(terms[position]) + bonus

    best = max(range(len(sentences)), key=lambda position: (sentence_rank(position), -position))
    lead, follow = _context(best, sentences, terms, asked)
    if best == 0 and lead is None and follow is None and _cannot_stand_alone(sentences[best]):
        lead = _last_sentence(index.previous(passage))
    text = " ".join(part for part in (lead, sentences[best], follow) if part)
    start = len(lead) + 1 if lead else 0
    marks = tuple(span for term, span in term_spans(text) if term in asked.weights)
    rank = sentence_rank(best) + _PASSAGE_WEIGHT * passage_score
    quote = Quote(text, (start, start + len(sentences[best])), marks, hit.source, round(rank, 4))
    quoted = frozenset(part for part in (lead, sentences[best], follow) if part)
    return _Candidate(quote, terms[best], asked.answer_terms(sentences[best]), quoted, rank)


def _last_sentence(passage: Passage | None) -> str | None:
    if passage is None:
        return None
    start, end = passage.sentences[-1] if passage.sentences else (0, len(passage.text))
    return passage.text[start:end]


def _cannot_stand_alone(sentence: str) -> bool:
    """A fragment, or a quote whose speaker is only "he" or "she", needs what came before."""
    return bool(_UNNAMED_SPEAKER.search(sentence)) or len(sentence.split()) < _SHORT_SENTENCE_WORDS


def _context(
    best: int, sentences: Sequence[str], terms: Sequence[frozenset[str]], asked: _Question
) -> tuple[str | None, str | None]:
    """The one sentence next to ``sentences[best]`` worth quoting with it, as (before, after).

    The sentence before comes first when the answer leans on it (a pronoun, "he said",
    a short fragment); then whichever neighbour supplies the wanted kind of answer, or
    more of the question's words.
    """
    answer = sentences[best]
    before = (sentences[best - 1], None) if best > 0 else None
    after = (None, sentences[best + 1]) if best + 1 < len(sentences) else None
    if before and (_LEAD_IN.search(answer) or _cannot_stand_alone(answer)):
        return before
    options = [(n, pair) for n, pair in ((best - 1, before), (best + 1, after)) if pair]
    if not asked.answers(answer):
        for n, pair in options:
            if asked.answers(sentences[n]):
                return pair
    missing = {term: w for term, w in asked.weights.items() if term not in terms[best]}
    best_gain = 0.0
    chosen: tuple[str | None, str | None] = (None, None)
    for n, pair in options:
        gain = sum(w for term, w in missing.items() if term in terms[n])
        if gain > best_gain:
            best_gain, chosen = gain, pair
    return chosen


def _grouped(candidates: Sequence[_Candidate], asked: _Question, limit: int) -> tuple[Quote, ...]:
    """Distinct quotes, best first; later quotes making the same claim from other
    articles become "also reported by" sources of the first, and text already quoted
    from an article is not quoted again."""
    kept: list[_Candidate] = []
    also: list[list[Source]] = []
    for candidate in candidates:
        if asked.coverage(candidate.claim) < _MIN_COVERAGE / 2:
            continue
        doc = candidate.quote.source.doc
        same = next(
            (n for n, other in enumerate(kept) if _same_claim(candidate, other, asked)), None
        )
        if same is not None:
            cited = {kept[same].quote.source.doc, *(source.doc for source in also[same])}
            if doc not in cited:
                also[same].append(candidate.quote.source)
        elif not any(
            other.quote.source.doc == doc and other.sentences & candidate.sentences
            for other in kept
        ):
            kept.append(candidate)
            also.append([])
    return tuple(
        replace(candidate.quote, also=tuple(sources))
        for candidate, sources in list(zip(kept, also, strict=True))[:limit]
    )


def _same_claim(one: _Candidate, other: _Candidate, asked: _Question) -> bool:
    """Whether two answering sentences add the same things to the question: the same
    answer of the wanted kind, or mostly the same words."""
    if one.answer_terms and other.answer_terms:
        return _overlap(one.answer_terms, other.answer_terms, asked.idf) >= _SAME_CLAIM
    novel = one.claim - asked.weights.keys(), other.claim - asked.weights.keys()
    return (
        len(novel[0] & novel[1]) >= _MIN_SHARED_CLAIM_TERMS
        and _overlap(*novel, asked.idf) >= _SAME_CLAIM
    )


def _overlap(one: frozenset[str], other: frozenset[str], idf: Callable[[str], float]) -> float:
    """How much of the lighter set the other shares, weighing terms by IDF so that names
    every article mentions count for little."""
    lighter = min(sum(map(idf, one)), sum(map(idf, other)))
    return sum(map(idf, one & other)) / lighter if lighter > 0 else 0.0


def _suggestions(index: SearchIndex, question: str) -> tuple[str, ...]:
    """Close spellings from the corpus for question words the index has never seen
    (stopwords left out: they are never indexed, but never misspelled content either)."""
    suggestions: list[str] = []
    for word in re.findall(r"[^\W\d_]{4,}", normalize(question)):
        terms = analyze(word)
        if not terms or index.bm25.document_frequency(terms[0]):
            continue
        spellings = index.spellings.get(word[0].lower(), {})
        close = difflib.get_close_matches(word.lower(), spellings, n=1, cutoff=0.8)
        if close and spellings[close[0]] not in suggestions:
            suggestions.append(spellings[close[0]])
    return tuple(suggestions)
