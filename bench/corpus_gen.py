"""Synthetic news-like passages for benchmarks: analysed terms with a Zipfian vocabulary.

The passages stand for what ``index.analyze`` gives: stopwords already gone, so the head of
the distribution is words like "said" or "government", not "the". The same seed gives the
same corpus, so runs and machines compare.

    python bench/corpus_gen.py --passages 10000 --seed 0 > passages.jsonl
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

VOCABULARY = 500_000
"""Ranks drawn from: about 120k of them appear in 10k passages, 390k in 100k, all in 1M."""

ZIPF_S = 1.1
ZIPF_SHIFT = 20.0
"""Zipf-Mandelbrot shift: drops the head that stopword removal takes away; the most
common word left is in about a third of the passages."""

MEAN_LENGTH = 60
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
_CHUNK = 100_000
"""Passages drawn at once: bounds the temporary arrays, which a benchmark's peak RSS sees."""


def word(rank: int) -> str:
    """A pronounceable pseudo-word, distinct for every rank."""
    syllables = []
    rank += len(_SYLLABLES)  # at least two syllables
    while rank:
        rank, digit = divmod(rank, len(_SYLLABLES))
        syllables.append(_SYLLABLES[digit])
    return "".join(syllables)


def passages(n: int, seed: int = 0) -> list[list[str]]:
    """``n`` passages of about 60 terms each, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.normal(MEAN_LENGTH, 15, n).round(), 10, 3 * MEAN_LENGTH).astype(int)
    words = np.array([word(rank) for rank in range(VOCABULARY)], dtype=object)
    out: list[list[str]] = []
    with _cyclic_gc_paused():
        for start in range(0, n, _CHUNK):
            chunk = lengths[start : start + _CHUNK]
            tokens = words[_zipf_ranks(rng, int(chunk.sum()))].tolist()
            ends = np.cumsum(chunk).tolist()
            out.extend(tokens[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True))
    return out


def _zipf_ranks(rng: np.random.Generator, size: int) -> npt.NDArray[np.int64]:
    """Ranks below VOCABULARY, by inverting the Zipf-Mandelbrot CDF in its continuous form.

    Exact inversion needs a binary search per token, which is most of the time at 1M.
    """
    exponent = 1 - ZIPF_S
    low, high = ZIPF_SHIFT**exponent, (VOCABULARY + ZIPF_SHIFT) ** exponent
    ranks = (low - rng.random(size) * (low - high)) ** (1 / exponent) - ZIPF_SHIFT
    return np.minimum(ranks.astype(np.int64), VOCABULARY - 1)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Lists of strings hold no cycles, but the collector would rescan the growing corpus
    every few thousand new lists: that was most of the time at 1M passages."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def queries(corpus: list[list[str]], count: int, seed: int = 1) -> list[list[str]]:
    """Questions about random passages: 2 to 6 of a passage's terms, as a reader might ask."""
    rng = np.random.default_rng(seed)
    out = []
    for number in rng.integers(0, len(corpus), count).tolist():
        passage = corpus[number]
        size = min(len(passage), int(rng.integers(2, 7)))
        out.append([passage[i] for i in rng.choice(len(passage), size, replace=False).tolist()])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=SIZES["10k"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for passage in passages(args.passages, args.seed):
        sys.stdout.write(json.dumps(passage) + "\n")


if __name__ == "__main__":
    main()
