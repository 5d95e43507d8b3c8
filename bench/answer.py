"""Whole-question latency: ``answer_question`` p50/p95 over a question file, next to the
paragraph-dump baseline (whole paragraphs, lowercase ``\\w+`` tokens, ``rank_bm25``, top 3)
in the same run, and what indexing cost.

    python bench/answer.py --corpus ../shared/eval/squad-wiki/articles \\
        --questions ../shared/eval/squad-wiki/questions.jsonl [--lexical] [--json]

The index is opened as the CLI opens it (built and saved if needed, with sentence vectors
unless ``--lexical``); each question is timed on its own after one warm-up question.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rank_bm25 import BM25Okapi

from index import answer_question
from index.corpus import load_corpus
from index.embed import load_embedder
from index.evaluation import read_questions
from index.passages import passage_texts
from index.store import open_index

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--index-path", type=Path, help="default: a fresh temporary folder")
    parser.add_argument("--lexical", action="store_true", help="without sentence vectors")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    questions = [q.question for q in read_questions(arguments.questions)]
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        index, _ = open_index(
            arguments.corpus,
            arguments.index_path or Path(scratch),
            embedder=None if arguments.lexical else load_embedder(),
        )
        index_seconds = time.perf_counter() - started
        citebot = _percentiles(_milliseconds(lambda q: answer_question(index, q), questions))
        baseline = _percentiles(_milliseconds(paragraph_dump(arguments.corpus), questions))
    result = {
        "questions": len(questions),
        "passages": index.passage_total,
        "sentences": index.sentences.total,
        "semantic": index.has_vectors,
        "open_or_build_s": round(index_seconds, 2),
        "answer_p50_ms": citebot[0],
        "answer_p95_ms": citebot[1],
        "paragraph_dump_p50_ms": baseline[0],
        "paragraph_dump_p95_ms": baseline[1],
    }
    if arguments.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}  {value}")


if __name__ == "__main__":
    main()
