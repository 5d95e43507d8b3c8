"""Scoring the answering core on a question file (``questions.dev.jsonl`` format), with
every miss sorted by its cause so that the report says what to work on."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from index.models import Answer, Source

_TOP = 3


class Quoted(Protocol):
    """Anything with a text and a source: a Quote, or a candidate not yet quoted."""

    @property
    def text(self) -> str: ...

    @property
    def source(self) -> Source: ...


@dataclass(frozen=True)
class EvalQuestion:
    """One question with what a correct quote must match (``kind`` factoid or abstain)."""

    id: str
    question: str
    kind: str
    answers: tuple[str, ...]
    docs: tuple[str, ...]


class Cause(Enum):
    """Why a question was missed."""

    FALSE_ABSTENTION = "false 'no answer'"
    NOT_RETRIEVED = "right article not in the top 3"
    WRONG_QUOTE = "right article, wrong quote"
    RANKED_LOWER = "right quote ranked 2nd or 3rd"
    ANSWERED_OFF_CORPUS = "answered an off-corpus question"


@dataclass(frozen=True)
class EvalResult:
    """How one question went: the rank of the first correct quote (None: not in the top),
    whether any candidate quote was correct (None: not measured) and the answer time."""

    question: EvalQuestion
    answer: Answer
    correct_rank: int | None
    seconds: float = 0.0
    candidate_found: bool | None = None

    @property
    def passed(self) -> bool:
        if self.question.kind == "abstain":
            return not self.answer.answered
        return self.correct_rank == 1

    @property
    def cause(self) -> Cause | None:
        """Why the question was missed; None when it was not."""
        if self.passed:
            return None
        if self.question.kind == "abstain":
            return Cause.ANSWERED_OFF_CORPUS
        if not self.answer.answered:
            return Cause.FALSE_ABSTENTION
        if self.correct_rank is not None:
            return Cause.RANKED_LOWER
        docs = {quote.source.doc.rsplit(".", 1)[0] for quote in self.answer.quotes[:_TOP]}
        return Cause.WRONG_QUOTE if docs & set(self.question.docs) else Cause.NOT_RETRIEVED


@dataclass(frozen=True)
class EvalReport:
    """Scores over a question file."""

    results: tuple[EvalResult, ...]

    def _factoids(self) -> list[EvalResult]:
        return [result for result in self.results if result.question.kind == "factoid"]

    def _share(self, counts: Callable[[EvalResult], bool]) -> float:
        """The share of factoid questions for which ``counts`` holds."""
        factoids = self._factoids()
        return sum(map(counts, factoids)) / len(factoids) if factoids else 0.0

    @property
    def top1(self) -> float:
        return self._share(lambda result: result.correct_rank == 1)

    @property
    def top3(self) -> float:
        return self._share(lambda result: result.correct_rank is not None)

    @property
    def candidate_recall(self) -> float:
        return self._share(lambda result: bool(result.candidate_found))

    @property
    def abstained(self) -> tuple[int, int]:
        """(abstained, asked) over the ``abstain`` questions."""
        off = [r for r in self.results if r.question.kind == "abstain"]
        return sum(not r.answer.answered for r in off), len(off)

    @property
    def false_abstentions(self) -> int:
        return sum(not r.answer.answered for r in self._factoids())

    @property
    def median_quote_characters(self) -> float:
        lengths = [len(r.answer.quotes[0].text) for r in self.results if r.answer.quotes]
        return statistics.median(lengths) if lengths else 0.0

    def seconds_percentile(self, share: float) -> float:
        times = sorted(result.seconds for result in self.results)
        return times[min(len(times) - 1, int(share * len(times)))] if times else 0.0

    @property
    def misses(self) -> tuple[EvalResult, ...]:
        return tuple(result for result in self.results if not result.passed)

    def causes(self) -> dict[Cause, int]:
        """How many misses each cause accounts for, in the Enum's order."""
        counted = [result.cause for result in self.misses]
        return {cause: counted.count(cause) for cause in Cause}

    def to_json(self) -> dict[str, Any]:
        abstained, off_corpus = self.abstained
        return {
            "questions": len(self.results),
            "factoid": len(self._factoids()),
            "top1": round(self.top1, 4),
            "top3": round(self.top3, 4),
            "candidate_recall": round(self.candidate_recall, 4),
            "abstained": abstained,
            "off_corpus": off_corpus,
            "false_abstentions": self.false_abstentions,
            "median_quote_characters": self.median_quote_characters,
            "p50_ms": round(self.seconds_percentile(0.5) * 1000, 2),
            "p95_ms": round(self.seconds_percentile(0.95) * 1000, 2),
            "causes": {cause.name.lower(): count for cause, count in self.causes().items()},
            "misses": [
                {
                    "id": result.question.id,
                    "question": result.question.question,
                    "cause": result.cause.name.lower() if result.cause else None,
                    "got": result.answer.quotes[0].text if result.answer.quotes else None,
                    "doc": result.answer.quotes[0].source.doc if result.answer.quotes else None,
                    "expected_docs": list(result.question.docs),
                }
                for result in self.misses
            ],
        }


def read_questions(path: Path) -> list[EvalQuestion]:
    """Parse a JSON-lines question file; ValueError names the bad line."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(row["id"]),
                    question=str(row["question"]),
                    kind=str(row.get("kind", "factoid")),
                    answers=tuple(row.get("answers", ())),
                    docs=tuple(row.get("docs", ())),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a question record ({error})") from None
    return questions


def is_correct(quote: Quoted, question: EvalQuestion) -> bool:
    """A quote is correct when it comes from a gold article and matches an answer pattern."""
    stem = quote.source.doc.rsplit(".", 1)[0]
    return stem in question.docs and any(
        re.search(pattern, quote.text) for pattern in question.answers
    )


def evaluate(
    questions: Sequence[EvalQuestion],
    ask: Callable[[str], Answer],
    candidates: Callable[[str], Sequence[Quoted]] | None = None,
) -> EvalReport:
    """Ask every question and score the answers; with ``candidates``, also whether any
    candidate quote was correct (the ranker's ceiling)."""
    results = []
    for question in questions:
        started = time.perf_counter()
        answer = ask(question.question)
        seconds = time.perf_counter() - started
        rank = next(
            (
                position
                for position, quote in enumerate(answer.quotes[:_TOP], start=1)
                if is_correct(quote, question)
            ),
            None,
        )
        found = (
            any(is_correct(c, question) for c in candidates(question.question))
            if candidates and question.kind == "factoid"
            else None
        )
        results.append(EvalResult(question, answer, rank, seconds, found))
    return EvalReport(tuple(results))
