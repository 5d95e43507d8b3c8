"""Build, load and query times and peak memory of citebot's BM25, next to rank-bm25 and bm25s.

The baseline is ``rank_bm25.BM25Okapi.get_top_n`` (the definition of the score) and the peer
is ``bm25s`` with its defaults, both on the same analysed passages and queries in the same
run. Every engine is timed from query terms in to top-10 passage numbers out, one query a
call; turning a question into terms is left out for all three alike.

    python bench/search.py --passages 100000 --queries 200 --json   # synthetic passages
    python bench/search.py --corpus seeds --json                    # a real corpus folder

With ``--corpus`` the index is built by citebot's own pipeline (read, split, analyse,
index), saved and loaded as the bot does, and the dev questions are also timed end to end
through ``answer_question``.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import bm25s
import corpus_gen
import numpy as np
from rank_bm25 import BM25Okapi

from index import SearchIndex, answer_question
from index.analyze import analyze
from index.bm25 import Bm25
from index.corpus import load_corpus
from index.store import build_index, corpus_fingerprint, load_index, save_index

K = 10
FULL_BASELINE_UP_TO = 100_000
"""Above this many passages rank-bm25 takes seconds a query, so it runs on a sample."""
BASELINE_SAMPLE = 50
DEV_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "questions.dev.jsonl"

Terms = Sequence[str]
T = TypeVar("T")


def _timed(make: Callable[[], T]) -> tuple[T, float]:
    """What ``make`` returns, and the seconds it took."""
    start = time.perf_counter()
    made = make()
    return made, round(time.perf_counter() - start, 3)


def _latencies(ask: Callable[[T], Any], queries: Sequence[T]) -> tuple[list[float], list[Any]]:
    """Milliseconds of each query on its own, after one warm-up query, and the answers."""
    ask(queries[0])
    times, answers = [], []
    for query in queries:
        start = time.perf_counter()
        answers.append(ask(query))
        times.append((time.perf_counter() - start) * 1000)
    return times, answers


def _build_save_load(
    build: Callable[[], T], save: Callable[[T, Path], None], load: Callable[[Path], T], folder: Path
) -> tuple[T, dict[str, float]]:
    """The index as loaded back from ``folder``, as after a restart, and the seconds of each step.

    The built copy is dropped before loading, so only the memory-mapped one is queried.
    """
    start = time.perf_counter()
    built = build()
    built_at = time.perf_counter()
    save(built, folder)
    saved_at = time.perf_counter()
    del built
    loaded = load(folder)
    loaded_at = time.perf_counter()
    return loaded, {
        "build_s": round(built_at - start, 3),
        "save_s": round(saved_at - built_at, 3),
        "load_s": round(loaded_at - saved_at, 3),
    }


def _percentiles(prefix: str, times: Sequence[float]) -> dict[str, float]:
    return {
        f"{prefix}p50_ms": round(float(np.percentile(times, 50)), 3),
        f"{prefix}p99_ms": round(float(np.percentile(times, 99)), 3),
    }


def _peak_rss_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _citebot(index: Bm25, queries: Sequence[Terms]) -> tuple[dict[str, Any], list[list[int]]]:
    """Query times of a loaded index, and peak memory before the other engines add theirs."""
    times, tops = _latencies(lambda query: [number for number, _ in index.top(query, K)], queries)
    return {**_percentiles("", times), "peak_rss_mb": _peak_rss_mb()}, tops


def _bm25s(passages: Sequence[Terms], queries: Sequence[Terms]) -> dict[str, Any]:
    """bm25s with its defaults: one query a call as citebot, and its mean in one batch call."""
    peer = bm25s.BM25()
    _, build_s = _timed(lambda: peer.index(passages, show_progress=False))

    def top(query: Terms) -> Any:
        return peer.retrieve([list(query)], k=K, show_progress=False)

    times, _ = _latencies(top, queries)
    _, batch_s = _timed(lambda: peer.retrieve([list(q) for q in queries], k=K, show_progress=False))
    return {
        **_percentiles("bm25s_", times),
        "bm25s_batch_mean_ms": round(batch_s * 1000 / len(queries), 3),
        "bm25s_build_s": build_s,
    }


def _rank_bm25(
    passages: Sequence[Terms], queries: Sequence[Terms], tops: Sequence[list[int]]
) -> dict[str, Any]:
    """rank-bm25's get_top_n times, and whether citebot's top-k (``tops``) equals its."""
    baseline, build_s = _timed(lambda: BM25Okapi(passages))
    numbers = range(len(passages))
    times, baseline_tops = _latencies(lambda q: baseline.get_top_n(q, numbers, K), queries)
    equal = all(
        _same_ranking(baseline, query, ours, theirs)
        for query, ours, theirs in zip(queries, tops, baseline_tops, strict=True)
    )
    return {
        **_percentiles("baseline_", times),
        "baseline_build_s": build_s,
        "baseline_queries": len(queries),
        "top10_equal": equal,
    }


def _same_ranking(baseline: BM25Okapi, query: Terms, ours: list[int], theirs: list[int]) -> bool:
    """Whether rank-bm25 scores citebot's top-k exactly as its own, best first.

    Comparing scores, not passage numbers, lets exact ties come in either order (its
    argsort breaks them another way); get_top_n's padding with passages scoring 0 when
    fewer than k match is left out.
    """
    their_scores = [score for score in baseline.get_batch_scores(query, theirs) if score > 0]
    return bool(baseline.get_batch_scores(query, ours) == their_scores)


def compare(
    index: Bm25,
    passages: Sequence[Terms],
    queries: Sequence[Terms],
    baseline_queries: int,
) -> dict[str, Any]:
    """citebot, then bm25s, then rank-bm25 on its first ``baseline_queries`` queries."""
    result, tops = _citebot(index, queries)
    result |= _bm25s(passages, queries)
    result |= _rank_bm25(passages, queries[:baseline_queries], tops[:baseline_queries])
    return result | {
        "ratio_p50": round(result["p50_ms"] / result["baseline_p50_ms"], 5),
        "ratio_vs_bm25s": round(result["p50_ms"] / result["bm25s_p50_ms"], 3),
        "queries": len(queries),
        "run_peak_rss_mb": _peak_rss_mb(),
    }


def synthetic(n: int, count: int, seed: int) -> dict[str, Any]:
    """corpus_gen's passages and queries; peak memory includes holding the passages."""
    passages = corpus_gen.passages(n, seed)
    queries = corpus_gen.queries(passages, count, seed + 1)
    sample = count if n <= FULL_BASELINE_UP_TO else min(count, BASELINE_SAMPLE)
    with tempfile.TemporaryDirectory() as folder:
        index, times = _build_save_load(
            lambda: Bm25.build(passages), Bm25.save, Bm25.load, Path(folder)
        )
        return {"passages": n, **times, **compare(index, passages, queries, sample)}


def real_corpus(corpus_dir: Path, questions_file: Path) -> dict[str, Any]:
    """citebot's pipeline on a corpus folder: build_s is files to index, load_s a restart's."""
    lines = questions_file.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]

    def build() -> SearchIndex:
        documents, _ = load_corpus(corpus_dir)
        return build_index(documents, corpus_fingerprint(documents, corpus_dir))

    with tempfile.TemporaryDirectory() as folder:
        index, times = _build_save_load(build, save_index, load_index, Path(folder))
        answer_times, _ = _latencies(lambda question: answer_question(index, question), questions)
        passages = index.bm25.passage_terms(range(index.bm25.n_passages))
        queries = [analyze(question) for question in questions]
        return {
            "corpus": str(corpus_dir),
            "passages": index.bm25.n_passages,
            **times,
            **_percentiles("answer_", answer_times),
            **compare(index.bm25, passages, queries, len(queries)),
        }


def table(result: dict[str, Any]) -> str:
    """The result for a person: one column an engine."""
    rows = [
        ("", "citebot", "bm25s", "rank-bm25"),
        ("build s", result["build_s"], result["bm25s_build_s"], result["baseline_build_s"]),
        ("query p50 ms", result["p50_ms"], result["bm25s_p50_ms"], result["baseline_p50_ms"]),
        ("query p99 ms", result["p99_ms"], result["bm25s_p99_ms"], result["baseline_p99_ms"]),
        ("citebot p50 / theirs", "", result["ratio_vs_bm25s"], result["ratio_p50"]),
    ]
    lines = [
        f"{result.get('corpus', 'synthetic')}: {result['passages']} passages, "
        f"{result['queries']} queries (rank-bm25 on {result['baseline_queries']})",
        *(f"{a:<22}{b!s:>12}{c!s:>12}{d!s:>12}" for a, b, c, d in rows),
        f"citebot save {result['save_s']} s, load {result['load_s']} s, "
        f"peak RSS {result['peak_rss_mb']} MB (whole run {result['run_peak_rss_mb']} MB)",
        f"top-{K} equal to rank-bm25's: {result['top10_equal']}",
    ]
    if "answer_p50_ms" in result:
        lines.append(
            f"answer_question end to end: p50 {result['answer_p50_ms']} ms, "
            f"p99 {result['answer_p99_ms']} ms"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=corpus_gen.SIZES["100k"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--corpus", type=Path, help="a corpus folder (e.g. seeds) instead of synthetic passages"
    )
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS, help="with --corpus")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    args = parser.parse_args()
    if args.corpus:
        result = real_corpus(args.corpus, args.questions)
    else:
        result = synthetic(args.passages, args.queries, args.seed)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
