"""Whole-question latency: ``answer_question`` p50/p95 over a question file, next to the
paragraph-dump baseline (whole paragraphs, lowercase ``\\w+`` tokens, ``rank_bm25``, top 3)
in the same run, and what indexing cost.

    python bench/answer.py --corpus ../shared/eval/squad-wiki/articles \\
        --questions ../shared/eval/squad-wiki/questions.jsonl [--lexical] [--json]
    python bench/answer.py --synthetic 1000000 [--seed 0] [--count 200] [--json]

The index is opened as the CLI opens it (built and saved if needed, with sentence vectors
unless ``--lexical``); each question is timed on its own after one warm-up question.

``--synthetic N`` writes ``corpus_gen.passages(N, seed)`` as plain-text articles into a
temporary folder (100 passages an article, a paragraph of 12-20-word sentences each) and
asks questions made of 4 to 6 words of random sentences; the index is always lexical
there (embedding millions of sentences would take hours on a small machine), and the
baseline runs on all questions up to 100k passages, on the first 20 above.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rank_bm25 import BM25Okapi

from index import answer_question
from index.corpus import load_corpus
from index.embed import Embedder, load_embedder
from index.evaluation import read_questions
from index.passages import passage_texts
from index.store import open_index

CORPUS_GEN = Path(__file__).with_name("corpus_gen.py")
FULL_DUMP_UP_TO = 100_000
"""Above this many passages rank-bm25 takes over a second a question and gigabytes, so the
paragraph dump runs on a sample of the questions."""
DUMP_SAMPLE = 20
SYNTHETIC_NOTE = (
    "synthetic corpus: lexical index (no sentence vectors; embedding every sentence would "
    "take hours on 2 cores)"
)
_WORD = re.compile(r"\w+")


def _milliseconds(ask: Callable[[str], object], questions: Sequence[str]) -> list[float]:
    ask(questions[0])
    times = []
    for question in questions:
        start = time.perf_counter()
        ask(question)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _percentiles(times: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return round(statistics.median(ordered), 2), round(ordered[int(0.95 * len(ordered))], 2)


def paragraph_dump(corpus: Path) -> Callable[[str], object]:
    """The baseline bot: the three best whole paragraphs by rank_bm25, never abstaining."""
    documents, _ = load_corpus(corpus)
    paragraphs = [text for document in documents for text in passage_texts(document)]
    bm25 = BM25Okapi([_WORD.findall(text.lower()) for text in paragraphs])
    return lambda question: bm25.get_top_n(_WORD.findall(question.lower()), paragraphs, n=3)


def _peak_rss_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(
    corpus: Path,
    questions: Sequence[str],
    index_path: Path,
    embedder: Embedder | None,
    dump_questions: int | None = None,
) -> dict[str, Any]:
    """Open or build the index, time every question through ``answer_question``, then the
    paragraph dump on the first ``dump_questions`` of them (all when None)."""
    started = time.perf_counter()
    index, _ = open_index(corpus, index_path, embedder=embedder)
    index_seconds = time.perf_counter() - started
    citebot = _percentiles(_milliseconds(lambda q: answer_question(index, q), questions))
    peak = _peak_rss_mb()
    sample = questions[:dump_questions] if dump_questions else questions
    started = time.perf_counter()
    dump = paragraph_dump(corpus)
    dump_seconds = time.perf_counter() - started
    baseline = _percentiles(_milliseconds(dump, sample))
    return {
        "questions": len(questions),
        "passages": index.passage_total,
        "sentences": index.sentences.total,
        "semantic": index.has_vectors,
        "open_or_build_s": round(index_seconds, 2),
        "answer_p50_ms": citebot[0],
        "answer_p95_ms": citebot[1],
        "paragraph_dump_p50_ms": baseline[0],
        "paragraph_dump_p95_ms": baseline[1],
        "paragraph_dump_questions": len(sample),
        "paragraph_dump_build_s": round(dump_seconds, 2),
        "peak_rss_mb": peak,
        "run_peak_rss_mb": _peak_rss_mb(),
    }


def write_synthetic(folder: Path, passages: int, seed: int, count: int) -> list[str]:
    """``corpus_gen.write_articles`` in a child process, so that generating the passages
    leaves nothing in this one's memory (or its peak RSS); returns the questions."""
    done = subprocess.run(
        [
            sys.executable,
            str(CORPUS_GEN),
            *("--passages", str(passages), "--seed", str(seed)),
            *("--articles", str(folder), "--questions", str(count)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def synthetic(
    passages: int, seed: int, count: int, index_path: Path | None, dump_questions: int | None
) -> dict[str, Any]:
    """Write the synthetic corpus to a temporary folder, measure on it lexically, and
    delete it."""
    with tempfile.TemporaryDirectory(prefix="citebot-synthetic-") as scratch:
        articles = Path(scratch) / "articles"
        started = time.perf_counter()
        questions = write_synthetic(articles, passages, seed, count)
        write_seconds = time.perf_counter() - started
        files = sum(1 for _ in articles.iterdir())
        if dump_questions is None and passages > FULL_DUMP_UP_TO:
            dump_questions = DUMP_SAMPLE
        result = measure(
            articles, questions, index_path or Path(scratch) / "index", None, dump_questions
        )
    return {
        "synthetic_passages": passages,
        "seed": seed,
        "articles": files,
        "write_corpus_s": round(write_seconds, 2),
        "build_s": result["open_or_build_s"],
        **result,
        "note": SYNTHETIC_NOTE,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--questions", type=Path)
    parser.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="instead of --corpus and --questions: N synthetic passages (bench/corpus_gen.py)",
    )
    parser.add_argument("--seed", type=int, default=0, help="of the synthetic corpus")
    parser.add_argument("--count", type=int, default=200, help="synthetic questions")
    parser.add_argument(
        "--dump-questions",
        type=int,
        help="time the paragraph dump on the first this many questions (default: all, or "
        f"{DUMP_SAMPLE} for a synthetic corpus over {FULL_DUMP_UP_TO:,} passages)",
    )
    parser.add_argument("--index-path", type=Path, help="default: a fresh temporary folder")
    parser.add_argument("--lexical", action="store_true", help="without sentence vectors")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    if arguments.synthetic is not None:
        if arguments.corpus or arguments.questions:
            parser.error("--synthetic takes the place of --corpus and --questions")
        if arguments.synthetic < 1 or arguments.count < 1:
            parser.error("--synthetic and --count need at least 1")
        result = synthetic(
            arguments.synthetic,
            arguments.seed,
            arguments.count,
            arguments.index_path,
            arguments.dump_questions,
        )
    elif arguments.corpus and arguments.questions:
        questions = [q.question for q in read_questions(arguments.questions)]
        with tempfile.TemporaryDirectory() as scratch:
            result = measure(
                arguments.corpus,
                questions,
                arguments.index_path or Path(scratch),
                None if arguments.lexical else load_embedder(),
                arguments.dump_questions,
            )
    else:
        parser.error("give --corpus and --questions, or --synthetic N")
    if arguments.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}  {value}")


if __name__ == "__main__":
    main()
