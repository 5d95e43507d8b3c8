"""Fit the second look at close "no answer" calls (``index.learned.SecondLook``).

    python -m index.learned.train_second_look --corpus ../shared/eval/squad-wiki-train/articles \\
        --questions ../shared/eval/squad-wiki-train/questions.jsonl --index-path /tmp/train-idx

It reads what the shipped semantic confidence and the reader make of each question, so it
runs after ``train`` and ``train_reader``. Fitted on squad-wiki-train's held-out articles
only, which the reader was never fine-tuned on, with out-of-fold ranker scores, so both
signals are those of unseen text; one half of those articles (by article) checks a fit
on the other half, printed, before the file is fitted on both halves.
"""

from __future__ import annotations

import json
import zlib
from functools import partial

import numpy as np

from index.learned import (
    SECOND_LOOK_FILE,
    SECOND_LOOK_SIGNALS,
    SecondLook,
    load_model,
    logit,
    signals,
)
from index.learned.train import (
    article_key,
    fit_logistic,
    fitting_parser,
    held_out,
    scored_examples,
)
from index.reader import CloseReading, load_reader

BAND = 1.0
"""Close calls: a first confidence within one logit of its threshold (6–14 % of the
questions of the check sets, so the reading it costs is rare)."""


def close_calls(
    first: np.ndarray, threshold: float, second: SecondLook, reader_best: np.ndarray
) -> np.ndarray:
    """Which questions the cascade answers: the first decision, or the second where close."""
    pairs = zip(first.tolist(), reader_best.tolist(), strict=True)
    return np.array(
        [second.decided(p, threshold, partial(float, b)) >= threshold for p, b in pairs]
    )


def _rates(answered: np.ndarray, answerable: np.ndarray) -> str:
    false = (~answered & answerable).sum()
    off = (~answered & ~answerable).sum()
    asked, off_corpus = answerable.sum(), (~answerable).sum()
    return f"false 'no answer' {false}/{asked}, off-corpus abstained {off}/{off_corpus}"


def _signals(first: np.ndarray, reader_best: np.ndarray) -> np.ndarray:
    return np.column_stack([[logit(p) for p in first.tolist()], reader_best])


def main(argv: list[str] | None = None) -> int:
    arguments = fitting_parser(__doc__, SECOND_LOOK_FILE).parse_args(argv)
    reader = load_reader()
    assert reader, "needs the semantic extra"
    model = load_model(True)
    kept = [(e, s) for e, s in scored_examples(arguments) if held_out(e.question) and len(s)]
    first = np.array([model.confidence.of(signals(e.rows, s, True)) for e, s in kept])
    reader_best = np.array(
        [CloseReading(reader, e.question.question, e.found, s).logits().max() for e, s in kept]
    )
    answerable = np.array([e.answerable for e, _ in kept])
    if answerable.sum() < 20 or (~answerable).sum() < 20:
        raise SystemExit("too few held-out questions (answerable and off-corpus) to fit on")
    half = np.array([zlib.crc32(article_key(e.question).encode()) % 2 for e, _ in kept]) == 0
    x, y = _signals(first, reader_best), answerable.astype(float)
    checked, _ = fit_logistic(SECOND_LOOK_SIGNALS, (x[half], y[half]), (x[half], y[half]))
    threshold = model.confidence.threshold
    other = ~half
    print(
        f"check half ({other.sum()} questions), first confidence alone: "
        + _rates(first[other] >= threshold, answerable[other])
    )
    look = SecondLook(checked, BAND)
    cascade = close_calls(first[other], threshold, look, reader_best[other])
    read = np.mean([look.applies(p, threshold) for p in first[other]])
    print(f"with the second look fitted on the other half: {_rates(cascade, answerable[other])}")
    print(f"({read:.0%} of them read)")
    fitted, _ = fit_logistic(SECOND_LOOK_SIGNALS, (x, y), (x, y))
    arguments.out.write_text(json.dumps(SecondLook(fitted, BAND).to_data(), indent=1) + "\n")
    print(f"wrote {arguments.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
