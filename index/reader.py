"""A reader: the ranker's few best sentences read against the question, closely.

The ranker orders candidates by retrieval scores, coverage and cosines; what it cannot
tell is whether a sentence *answers* the question. The reader can: all-MiniLM-L6-v2
fine-tuned as a cross-encoder (question and sentence in one input) on squad-wiki-train's
fitting part by ``python -m index.learned.train_reader``, int8 ONNX, sha256-checked. It
costs ~5 ms a sentence on 2 cores (two are read at once), so it reads only the top
sentences, and only when the ranker's own margin says it is unsure or the "no answer"
call is close (``SecondLook``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.candidates import Candidates
from index.embed import onnx_session, semantic_files, tokenizer

MODEL_FILE = Path(__file__).parent / "learned" / "reader-int8.onnx"
MODEL_SHA256 = "263d56ab866db7f64d009d5e93daa0eb9dab9ed709efcdbd599724c992b8077f"
MAX_TOKENS = 96
"""Question and sentence together, as in training."""
SENTENCES = 3
"""How many of the ranker's best answer sentences are read. Chosen on the held-out part of
squad-wiki-train (out-of-fold ranker, weight 1, always read): best-sentence accuracy 0.732
unread, 0.790 reading 2, 0.798 reading 3."""
UNSURE_MARGIN = 0.5
"""Read only when the ranker's best sentence leads the next by less than this: 42% of
held-out questions, which keeps 83% of the gain of always reading (0.787 against 0.798)
while the median question never pays for the reader."""
PARALLEL_RUNS = 2
"""Pairs read at once, one thread each: a pair's matrices are too small to split well
across threads. Three of squad-wiki's pairs took p50 16 / p95 21 ms one after another on
2 threads, 10.5 / 16 ms two at a time on one thread each, with the same logits. A padded
batch was slower still and less exact under dynamic int8."""
WEIGHT = 1.0
"""Reader logits are added to ranker scores at this weight (0.5–1.5 do alike held out)."""

FloatArray = npt.NDArray[np.float64]


class Reader:
    """Scores (question, sentence) pairs: higher means the sentence answers the question."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        self._session = onnx_session(model_path, threads=1)
        self._runs = ThreadPoolExecutor(PARALLEL_RUNS, thread_name_prefix="reader")
        self._tokenizer = tokenizer(tokenizer_path, MAX_TOKENS)

    def scores(self, question: str, sentences: Sequence[str]) -> FloatArray:
        """One run a pair, PARALLEL_RUNS at once on one thread each."""
        runs = self._runs.map(partial(self._score, question), sentences)
        return np.array(list(runs), np.float64)

    def _score(self, question: str, sentence: str) -> float:
        encoding = self._tokenizer.encode(question, sentence)
        feeds = {
            name: np.array([getattr(encoding, field)], np.int64)
            for name, field in (
                ("input_ids", "ids"),
                ("attention_mask", "attention_mask"),
                ("token_type_ids", "type_ids"),
            )
        }
        return float(self._session.run(None, feeds)[0][0])


@cache
def load_reader() -> Reader | None:
    """The shared reader, or None (logged once) without the semantic extra or when the
    model fails its checksum: answers then keep the ranker's order."""
    files = semantic_files(MODEL_FILE, MODEL_SHA256)
    return Reader(*files) if files else None


class CloseReading:
    """One question's best few answer sentences by the ranker, read at most once: the
    "no answer" decision and the choice of the best quote may both ask."""

    def __init__(self, reader: Reader, question: str, found: Candidates, scores: FloatArray):
        self._reader, self._question = reader, question
        self._found, self._scores = found, scores
        top: dict[int, float] = {}
        for number in np.argsort(-scores, kind="stable").tolist():
            top.setdefault(int(found.answers[number]), float(scores[number]))
            if len(top) == SENTENCES:
                break
        self.sentences = list(top)
        self._best = list(top.values())
        self._logits: FloatArray | None = None

    @property
    def unsure(self) -> bool:
        """Whether the ranker's best sentence leads the next by less than UNSURE_MARGIN."""
        return len(self._best) > 1 and self._best[0] - self._best[1] < UNSURE_MARGIN

    def logits(self) -> FloatArray:
        """The reader's logit of each of ``sentences``, quoted alone."""
        if self._logits is None:
            answers = self._found.answers
            alone = [
                self._found.alone(int(np.flatnonzero(answers == s)[0])) for s in self.sentences
            ]
            texts = [self._found[number].text for number in alone]
            self._logits = self._reader.scores(self._question, texts)
        return self._logits

    def rescored(self) -> FloatArray:
        """The scores with the reader's judgement added when the ranker is unsure.

        Every window answering with a read sentence gets that sentence's reader logit,
        less the best one's; windows of unread sentences get the lowest read one's, so the
        best quote is always a read sentence and the order of the rest is the ranker's.
        """
        if not self.unsure:
            return self._scores
        bonus = WEIGHT * (self.logits() - self.logits().max())
        adjusted = self._scores + bonus.min()
        for sentence, extra in zip(self.sentences, bonus.tolist(), strict=True):
            same = self._found.answers == sentence
            adjusted[same] = self._scores[same] + extra
        return adjusted
