"""The eval report: every miss sorted into its cause, the figures a person reads, JSON."""

from __future__ import annotations

import json

import pytest

from index.evaluation import Cause, EvalQuestion, EvalReport, evaluate
from index.models import Answer, Quote, Source

FACTOID = EvalQuestion("q1", "How many troops?", "factoid", (r"\b1,000\b",), ("gold",))
OFF_CORPUS = EvalQuestion("q2", "Who won the cup?", "abstain", (), ())


def quote(text: str, doc: str) -> Quote:
    return Quote(text, (0, len(text)), (), Source(f"{doc}.txt", doc), 1.0)


RIGHT = quote("About 1,000 troops went.", "gold")
WRONG_SAME_ARTICLE = quote("Troops went somewhere.", "gold")
WRONG_ARTICLE = quote("It had 1,000 seats.", "other")


@pytest.mark.parametrize(
    ("question", "quotes", "cause"),
    [
        (FACTOID, (RIGHT,), None),
        (FACTOID, (), Cause.FALSE_ABSTENTION),
        (FACTOID, (WRONG_SAME_ARTICLE, RIGHT), Cause.RANKED_LOWER),
        (FACTOID, (WRONG_SAME_ARTICLE, WRONG_ARTICLE), Cause.WRONG_QUOTE),
        (FACTOID, (WRONG_ARTICLE,), Cause.NOT_RETRIEVED),
        (FACTOID, (WRONG_ARTICLE, WRONG_ARTICLE, WRONG_ARTICLE, RIGHT), Cause.NOT_RETRIEVED),
        (OFF_CORPUS, (), None),
        (OFF_CORPUS, (WRONG_ARTICLE,), Cause.ANSWERED_OFF_CORPUS),
    ],
    ids=[
        "right",
        "false-abstention",
        "ranked-second",
        "right-article-wrong-quote",
        "not-retrieved",
        "right-quote-only-fourth",
        "abstained",
        "answered-off-corpus",
    ],
)
def test_each_miss_is_sorted_into_its_cause(
    question: EvalQuestion, quotes: tuple[Quote, ...], cause: Cause | None
) -> None:
    report = evaluate([question], lambda text: Answer(text, quotes))
    assert report.results[0].cause is cause
    assert report.causes()[cause] == 1 if cause else not report.misses


def test_the_report_counts_recall_lengths_and_times() -> None:
    answers = {
        FACTOID.question: Answer(FACTOID.question, (RIGHT,)),
        OFF_CORPUS.question: Answer(OFF_CORPUS.question, ()),
    }
    report = evaluate(
        [FACTOID, OFF_CORPUS], answers.__getitem__, candidates=lambda text: [WRONG_ARTICLE, RIGHT]
    )
    assert (report.top1, report.top3, report.candidate_recall) == (1.0, 1.0, 1.0)
    assert report.abstained == (1, 1) and report.false_abstentions == 0
    assert report.median_quote_characters == len(RIGHT.text)
    assert report.seconds_percentile(0.5) >= 0


def test_the_json_report_is_plain_data_with_every_figure() -> None:
    report = evaluate([FACTOID, OFF_CORPUS], lambda text: Answer(text, (WRONG_ARTICLE,)))
    data = json.loads(json.dumps(EvalReport.to_json(report)))
    assert data["top1"] == 0.0 and data["abstained"] == 0 and data["off_corpus"] == 1
    assert data["causes"]["not_retrieved"] == 1 and data["causes"]["answered_off_corpus"] == 1
    assert {miss["cause"] for miss in data["misses"]} == {"not_retrieved", "answered_off_corpus"}
    assert {"candidate_recall", "median_quote_characters", "p50_ms", "p95_ms"} <= data.keys()
