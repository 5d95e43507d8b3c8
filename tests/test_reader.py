"""The reader: a checksummed model that scores answering sentences above others, read only
when the ranker is unsure, its judgement deciding the best quote and nothing else; and the
quote rules it works with (short quotes, quotations kept whole)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index import SearchIndex, answer_question
from index.answer import _closes_quotations
from index.candidates import Candidates, candidates, read_question
from index.embed import load_embedder, semantic_files
from index.reader import (
    MODEL_FILE,
    MODEL_SHA256,
    SENTENCES,
    UNSURE_MARGIN,
    CloseReading,
    load_reader,
)

QUESTION = "How many U.S. soldiers in Germany would deploy to Romania?"


class _Recorded:
    """A stand-in reader that says what it was asked and answers from a table."""

    def __init__(self, logits: Sequence[float]) -> None:
        self.logits = np.asarray(logits, np.float64)
        self.asked: list[list[str]] = []

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        self.asked.append(list(sentences))
        return self.logits[: len(sentences)]


def _found(index: SearchIndex) -> Candidates:
    return candidates(index, read_question(index, QUESTION, None))[0]


def _distinct_answers(found: Candidates, scores: np.ndarray) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    return list(dict.fromkeys(int(found.answers[n]) for n in order))


KIRBY_AND_OTHERS = [
    "Poland and Romania both said they appreciated the U.S. move.",
    "Pentagon spokesman John Kirby said 1,000 U.S. soldiers now in Germany would "
    "deploy to Romania.",
    "The Kremlin has repeatedly denied any plans to invade.",
]


def test_the_reader_scores_the_answering_sentence_above_the_others() -> None:
    reader = load_reader()
    if reader is None:
        pytest.skip("needs the semantic extra")
    read = reader.scores(QUESTION, KIRBY_AND_OTHERS)
    assert read.shape == (3,)
    assert int(np.argmax(read)) == 1
    one_at_a_time = [reader.scores(QUESTION, [text])[0] for text in KIRBY_AND_OTHERS]
    assert read.tolist() == one_at_a_time, "pairs read at once score as read alone"


def test_a_damaged_reader_model_is_never_used(tmp_path: Path) -> None:
    if load_embedder() is None:
        pytest.skip("needs the semantic extra")
    damaged = tmp_path / MODEL_FILE.name
    shutil.copyfile(MODEL_FILE, damaged)
    with open(damaged, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert semantic_files(damaged, MODEL_SHA256) is None
    assert semantic_files(MODEL_FILE, MODEL_SHA256) is not None


def test_a_sure_ranker_is_not_reread(seed_index: SearchIndex) -> None:
    found = _found(seed_index)
    scores = np.linspace(10.0, 0.0, len(found))
    first, second = _distinct_answers(found, scores)[:2]
    scores[found.answers == first] += UNSURE_MARGIN  # the best sentence clearly leads
    reader = _Recorded([0.0, 5.0, 0.0])
    reading = CloseReading(reader, QUESTION, found, scores)  # type: ignore[arg-type]
    assert not reading.unsure
    assert reading.rescored() is scores
    assert reader.asked == []


def test_an_unsure_ranker_takes_the_best_read_sentence(seed_index: SearchIndex) -> None:
    found = _found(seed_index)
    scores = np.linspace(1.0, 0.0, len(found))  # every neighbour within the margin
    top = _distinct_answers(found, scores)[:SENTENCES]
    reader = _Recorded([0.0, 4.0, -2.0])
    reading = CloseReading(reader, QUESTION, found, scores)  # type: ignore[arg-type]
    assert reading.unsure and reading.sentences == top
    adjusted = reading.rescored()
    assert list(reading.logits()) == [0.0, 4.0, -2.0]

    alone_texts = [found[found.alone(int(np.flatnonzero(found.answers == s)[0]))].text for s in top]
    assert reader.asked == [alone_texts]  # once, however often asked
    assert int(found.answers[int(np.argmax(adjusted))]) == top[1]
    read = np.isin(found.answers, top)
    assert adjusted[~read].max() <= adjusted[found.answers == top[2]].max()
    for sentence in top:  # a sentence's windows keep their order among themselves
        same = found.answers == sentence
        assert np.allclose(adjusted[same] - scores[same], (adjusted - scores)[same][0])


def test_without_a_reader_answers_keep_the_ranker_order(
    seed_index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.answer.load_reader", lambda: None)
    answer = answer_question(seed_index, "how many troops went to Romania?")
    assert answer.answered
    assert "Romania" in answer.quotes[0].text
    scores = [quote.score for quote in answer.quotes]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ('"Conflict is not inevitable.', False),
        ("“Conflict is not inevitable.", False),
        ('"Conflict is not inevitable," said Austin.', True),
        ("“There is still time,” said Austin.", True),
        ("Kirby said 1,000 soldiers would deploy.", True),
    ],
)
def test_a_sentence_that_opens_a_quotation_is_not_quoted_without_its_close(
    text: str, closed: bool
) -> None:
    assert _closes_quotations(text) is closed


def test_a_quotation_is_quoted_with_the_sentence_that_names_its_speaker(
    seed_index: SearchIndex,
) -> None:
    answer = answer_question(seed_index, "Who said that conflict is not inevitable?")
    assert answer.quotes[0].text.startswith('"Conflict is not inevitable.')
    assert "said Austin" in answer.quotes[0].text


def test_reader_training_pairs_an_answering_sentence_with_the_rankers_best_others(
    seed_index: SearchIndex,
) -> None:
    from index.evaluation import EvalQuestion
    from index.learned.train import examples
    from index.learned.train_reader import read_sentences, training_groups

    question = EvalQuestion("t1", QUESTION, "factoid", (r"1,000",), ("000_bc9ac90424408617",))
    example = examples(seed_index, [question])[0]
    scores = np.linspace(1.0, 0.0, len(example.rows))
    read = read_sentences(example, scores)

    assert len(set(read.texts)) == len(read.texts) <= 8
    assert list(read.scores) == sorted(read.scores, reverse=True)
    assert read.correct.any()
    assert all("1,000" in text for text, ok in zip(read.texts, read.correct, strict=True) if ok)
    wrong = {text for text, ok in zip(read.texts, read.correct, strict=True) if not ok}
    groups = training_groups([(QUESTION, read)] * 3)
    assert groups == training_groups([(QUESTION, read)] * 3)  # seeded
    for group in groups:
        assert "1,000" in group.answer
        assert 1 <= len(group.others) <= 3
        assert set(group.others) <= wrong
