"""Fine-tune the reader (``index/reader.py``): all-MiniLM-L6-v2 as a cross-encoder.

    python -m index.learned.train_reader --corpus ../shared/eval/squad-wiki-train/articles \\
        --questions ../shared/eval/squad-wiki-train/questions.jsonl --index-path /tmp/train-idx

Training-time only: needs the ``train-reader`` extra (torch CPU, onnx) beside ``semantic``
and ``train``; answering runs the written int8 ONNX file with onnxruntime. Deterministic
(fixed seeds, 2 threads); one epoch takes ~22 minutes on 2 cores.

What it learns: for each question of squad-wiki-train's fitting part (its held-out articles
are never trained on), the softmax over one sentence that answers it and the three the
ranker, fitted without that question's article, ranks highest among those that do not.
Those are the sentences the reader has to tell apart when answering. It starts from the
weights of the MiniLM model citebot already ships, so nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from index.candidates import Candidates
from index.embed import minilm_files, tokenizer
from index.learned.train import Example, fitting_parser, held_out, scored_examples
from index.reader import MAX_TOKENS, MODEL_FILE, SENTENCES

SEED = 0
_NEGATIVES = 3
_CONSIDERED = 8
"""Negatives are drawn from the ranker's best this many sentences."""
_BATCH = 8
_LEARNING_RATE = 3e-5
_WARMUP_STEPS = 50


class Group(NamedTuple):
    """One training step's unit: a question, a sentence that answers it, and ones that don't."""

    question: str
    answer: str
    others: tuple[str, ...]


@dataclass(frozen=True)
class ReadSentences:
    """One question's best answer sentences by the ranker, their texts and whether each,
    quoted alone, answers; ``also`` are answering sentences ranked below ``_CONSIDERED``."""

    texts: list[str]
    scores: np.ndarray
    correct: np.ndarray
    also: list[str]


def read_sentences(example: Example, scores: np.ndarray) -> ReadSentences:
    """Distinct answer sentences of a question's candidates, best window score first."""
    found: Candidates = example.found
    best: dict[int, float] = {}
    for number, sentence in enumerate(found.answers.tolist()):
        best[sentence] = max(best.get(sentence, -np.inf), float(scores[number]))
    alone = {int(found.answers[n]): n for n in range(len(found)) if found.alone(n) == n}
    ordered = sorted(best, key=lambda s: -best[s])
    text = {s: found[alone[s]].text for s in best}
    right = {s for s in best if example.labels[alone[s]] > 0}
    top = ordered[:_CONSIDERED]
    return ReadSentences(
        [text[s] for s in top],
        np.array([best[s] for s in top]),
        np.array([s in right for s in top]),
        [text[s] for s in alone if s in right and s not in top],
    )


def training_groups(questions: Sequence[tuple[str, ReadSentences]]) -> list[Group]:
    """Shuffled groups of the questions that have both an answering sentence and others."""
    chooser = random.Random(SEED)
    groups = []
    for question, read in questions:
        answering = [t for t, ok in zip(read.texts, read.correct, strict=True) if ok] + read.also
        others = [t for t, ok in zip(read.texts, read.correct, strict=True) if not ok]
        if answering and others:
            groups.append(Group(question, chooser.choice(answering), tuple(others[:_NEGATIVES])))
    chooser.shuffle(groups)
    return groups


def main(argv: list[str] | None = None) -> int:
    arguments = fitting_parser(__doc__, MODEL_FILE).parse_args(argv)
    files = minilm_files()
    assert files, "needs the semantic extra"
    fitting: list[tuple[str, ReadSentences]] = []
    checking: list[tuple[str, ReadSentences]] = []
    for example, scores in scored_examples(arguments):
        if example.answerable and len(example.rows):
            part = checking if held_out(example.question) else fitting
            part.append((example.question.question, read_sentences(example, scores)))
    groups = training_groups(fitting)
    print(f"fitting on {len(groups)} questions; {len(checking)} held out")

    import torch

    from index.learned import minilm_torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    model = minilm_torch.CrossEncoder(minilm_torch.minilm_weights(files[0]))
    words = tokenizer(files[1], MAX_TOKENS)
    minilm_torch.fit(model, words, groups, _BATCH, _LEARNING_RATE, _WARMUP_STEPS)
    with torch.no_grad():
        read = [
            minilm_torch.logits(model, words, [(q, t) for t in r.texts[:SENTENCES]]).numpy()
            for q, r in checking
        ]
    for weight in (0.0, 1.0):
        right = [
            r.correct[np.argmax(r.scores[:SENTENCES] + weight * logits)]
            for (_, r), logits in zip(checking, read, strict=True)
        ]
        print(
            f"held-out best sentence of the top {SENTENCES}, reader weight {weight}: "
            f"{np.mean(right):.3f}"
        )
    minilm_torch.export(model, arguments.out)
    digest = hashlib.sha256(arguments.out.read_bytes()).hexdigest()
    print(f"wrote {arguments.out}; put its sha256 {digest} in index/reader.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
