"""Synthetic news-like passages for benchmarks: analysed terms with a Zipfian vocabulary.

The passages stand for what ``index.analyze`` gives: stopwords already gone, so the head of
the distribution is words like "said" or "government", not "the". The same seed gives the
same corpus, so runs and machines compare.

``write_articles`` turns the same passages into a folder of plain-text articles (each
passage a paragraph of sentences) with questions whose words come from its sentences, for
timing the whole answering pipeline (``bench/answer.py --synthetic``).

    python bench/corpus_gen.py --passages 10000 --seed 0 > passages.jsonl
    python bench/corpus_gen.py --passages 10000 --articles FOLDER > questions.txt
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

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


PASSAGES_PER_ARTICLE = 100
SENTENCE_WORDS = (12, 20)
"""The words of a sentence, fewest and most."""
QUESTION_WORDS = (4, 6)
_QUESTION_FORMS = (
    "What about {}?",
    "What is said about {}?",
    "What happened with {}?",
    "Who {}?",
    "When did {}?",
    "Why {}?",
)


def sentences(terms: Sequence[str], rng: np.random.Generator) -> list[list[str]]:
    """A passage's terms in order, cut into sentences of 12 to 20 words (10 to 15 where
    what is left allows no better: a passage has 10 terms or more)."""
    low, high = SENTENCE_WORDS
    cut: list[list[str]] = []
    start = 0
    while start < len(terms):
        left = len(terms) - start
        size = int(rng.integers(low, high + 1))
        if left <= high:
            size = left
        elif left - size < low:
            size = left // 2
        cut.append(list(terms[start : start + size]))
        start += size
    return cut


def paragraph(cut: Sequence[Sequence[str]]) -> str:
    """Sentences as text: the first word capitalised, a full stop at the end."""
    return " ".join(
        f"{words[0].capitalize()} {' '.join(words[1:])}".rstrip() + "." for words in cut
    )


def article_name(number: int) -> str:
    return f"article-{number:06d}.txt"


def write_articles(
    folder: Path,
    n: int,
    seed: int = 0,
    question_count: int = 200,
    per_article: int = PASSAGES_PER_ARTICLE,
) -> list[str]:
    """Write ``passages(n, seed)`` into ``folder`` as plain-text articles and return
    questions about them; the same arguments give the same files and questions.

    An article is a title line (``# Article 12``) and then ``per_article`` passages, one
    paragraph each, separated by blank lines, so every passage is one paragraph the index
    keeps. A question takes 4 to 6 words of a random sentence, in order, in a question form
    ("What about w1 w2 w3 w4?"), so the corpus holds a sentence with all its words.
    """
    corpus = passages(n, seed)
    layout = np.random.default_rng([seed, 1])  # not passages()'s stream: that stays as it was
    asking = np.random.default_rng([seed, 2])
    about = asking.integers(0, n, question_count).tolist() if n else []
    pending = sorted((number, place) for place, number in enumerate(about))
    questions = [""] * len(about)
    folder.mkdir(parents=True, exist_ok=True)
    for article, first in enumerate(range(0, n, per_article)):
        paragraphs = []
        for number in range(first, min(first + per_article, n)):
            cut = sentences(corpus[number], layout)
            paragraphs.append(paragraph(cut))
            while pending and pending[0][0] == number:
                questions[pending.pop(0)[1]] = _question(cut, asking)
        text = f"# Article {article + 1}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / article_name(article)).write_text(text, encoding="utf-8")
    return questions


def _question(cut: Sequence[Sequence[str]], rng: np.random.Generator) -> str:
    """4 to 6 words of one of the sentences, in their order, in a question form."""
    words = cut[int(rng.integers(0, len(cut)))]
    size = min(len(words), int(rng.integers(QUESTION_WORDS[0], QUESTION_WORDS[1] + 1)))
    chosen = sorted(rng.choice(len(words), size, replace=False).tolist())
    form = _QUESTION_FORMS[int(rng.integers(0, len(_QUESTION_FORMS)))]
    return form.format(" ".join(words[i] for i in chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=SIZES["10k"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--articles", type=Path, help="write article files here and print questions instead"
    )
    parser.add_argument("--questions", type=int, default=200, help="with --articles")
    args = parser.parse_args()
    if args.articles:
        for question in write_articles(args.articles, args.passages, args.seed, args.questions):
            sys.stdout.write(question + "\n")
        return
    for passage in passages(args.passages, args.seed):
        sys.stdout.write(json.dumps(passage) + "\n")


if __name__ == "__main__":
    main()
