"""Scoring the answering core on a question file (``questions.dev.jsonl`` format)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.models import Answer, Quote

_TOP = 3


@dataclass(frozen=True)
class EvalQuestion:
    """One question with what a correct quote must match (``kind`` factoid or abstain)."""

    id: str
    question: str
    kind: str
    answers: tuple[str, ...]
    docs: tuple[str, ...]


@dataclass(frozen=True)
class EvalResult:
    """How one question went: the rank of the first correct quote (None: not in the top)."""

    question: EvalQuestion
    answer: Answer
    correct_rank: int | None

    @property
    def passed(self) -> bool:
        if self.question.kind == "abstain":
            return not self.answer.answered
        return self.correct_rank == 1


@dataclass(frozen=True)
class EvalReport:
    """Scores over a question file; misses are listed by the CLI."""

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
    def abstained(self) -> tuple[int, int]:
        """(abstained, asked) over the ``abstain`` questions."""
        off = [r for r in self.results if r.question.kind == "abstain"]
        return sum(not r.answer.answered for r in off), len(off)

    @property
    def false_abstentions(self) -> int:
        return sum(not r.answer.answered for r in self._factoids())

    @property
    def misses(self) -> tuple[EvalResult, ...]:
        return tuple(result for result in self.results if not result.passed)


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


def is_correct(quote: Quote, question: EvalQuestion) -> bool:
    """A quote is correct when it comes from a gold article and matches an answer pattern."""
    stem = quote.source.doc.rsplit(".", 1)[0]
    return stem in question.docs and any(
        re.search(pattern, quote.text) for pattern in question.answers
    )


def evaluate(questions: Sequence[EvalQuestion], ask: Callable[[str], Answer]) -> EvalReport:
    """Ask every question and score the answers."""
    results = []
    for question in questions:
        answer = ask(question.question)
        rank = next(
            (
                position
                for position, quote in enumerate(answer.quotes[:_TOP], start=1)
                if is_correct(quote, question)
            ),
            None,
        )
        results.append(EvalResult(question, answer, rank))
    return EvalReport(tuple(results))
