"""Build, load and query times and peak memory of citebot's BM25 next to rank-bm25, bm25s,
tantivy and PISA, on the same analysed passages and queries in the same process.

rank-bm25 (``BM25Okapi.get_top_n``) is the definition of the score. The peers run in their
fastest single-query set-ups: bm25s with the numba backend on token ids, one thread, method
"robertson" (and its numpy default); tantivy on whitespace-tokenised pre-analysed text with
term queries; PISA through pyterrier-pisa's compiled binding (block-max MaxScore and
block-max WAND, no stemmer, no stopwords, citebot's k1 and b). Every engine is timed from
query terms in to top-10 passage numbers out, one query a call, after one warm-up query.

    python bench/search.py --passages 100000 --queries 200 --json   # synthetic passages
    python bench/search.py --corpus seeds --json                    # a real corpus folder
    python bench/search.py --passages 100000 --engines citebot,pisa  # some engines only

With ``--corpus`` the index is built by citebot's own pipeline (read, split, analyse,
index), saved and loaded as the bot does, and the dev questions are also timed end to end
through ``answer_question``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import corpus_gen
import numpy as np
from rank_bm25 import BM25Okapi

from index import SearchIndex, answer_question
from index.analyze import analyze
from index.bm25 import Bm25
from index.corpus import load_corpus
from index.store import build_index, corpus_fingerprint, load_index, save_index

K = 10
REPEATS = 3
"""How many times every query is timed (the median counts); ``--repeats`` sets it."""
FULL_BASELINE_UP_TO = 100_000
"""Above this many passages rank-bm25 takes seconds a query, so it runs on a sample."""
BASELINE_SAMPLE = 50
DEV_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "questions.dev.jsonl"
ENGINES = ("citebot", "bm25s_numba", "bm25s", "tantivy", "pisa")
"""The order they run in; citebot first, so its peak RSS is its own (plus the passages)."""

Terms = Sequence[str]
Tops = list[list[int]]
T = TypeVar("T")


def _timed(make: Callable[[], T]) -> tuple[T, float]:
    """What ``make`` returns, and the seconds it took."""
    start = time.perf_counter()
    made = make()
    return made, round(time.perf_counter() - start, 3)


def _latencies(
    ask: Callable[[T], Any], queries: Sequence[T], repeats: int | None = None
) -> tuple[list[float], list[Any]]:
    """Milliseconds of each query on its own, after one warm-up query, and the answers.

    The queries run ``repeats`` times over (default: ``--repeats``) and each query's time
    is the median of its runs, so one preemption by another process on a shared machine
    does not become an engine's p99; the first pass's page faults count only if they recur.
    """
    ask(queries[0])
    runs = []
    for _ in range(repeats or REPEATS):
        times, answers = [], []
        for query in queries:
            start = time.perf_counter()
            answers.append(ask(query))
            times.append((time.perf_counter() - start) * 1000)
        runs.append(times)
    return np.median(runs, axis=0).tolist(), answers


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


def _rss_mb() -> float:
    """The process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


@contextlib.contextmanager
def _quiet_native_output() -> Iterator[None]:
    """PISA's C++ logs and progress bars write to file descriptors 1 and 2, past Python's
    sys.stdout and sys.stderr; they would break the one JSON line."""
    sys.stdout.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        for fd, copy in enumerate(saved, start=1):
            os.dup2(copy, fd)
            os.close(copy)


# -- the engines: each returns its numbers (keys prefixed by its name) and its top-10s -----


def _citebot(index: Bm25, queries: Sequence[Terms]) -> tuple[dict[str, Any], Tops]:
    """Query times of a loaded index, and peak memory before the other engines add theirs."""
    times, tops = _latencies(lambda query: [number for number, _ in index.top(query, K)], queries)
    return {
        **_percentiles("", times),
        **_percentiles("citebot_", times),
        "peak_rss_mb": _peak_rss_mb(),
    }, tops


def _token_ids(passages: Sequence[Terms]) -> tuple[dict[str, int], list[list[int]]]:
    ids: dict[str, int] = {}
    return ids, [[ids.setdefault(term, len(ids)) for term in passage] for passage in passages]


def _bm25s_numba(passages: Sequence[Terms], queries: Sequence[Terms]) -> tuple[dict, Tops]:
    """bm25s at its fastest for one query a call: numba backend, token ids, one thread."""
    import bm25s

    def build() -> tuple[Any, dict[str, int]]:
        vocabulary, corpus = _token_ids(passages)
        peer = bm25s.BM25(method="robertson", backend="numba")
        peer.index(corpus, show_progress=False)
        return peer, vocabulary

    (peer, vocabulary), build_s = _timed(build)
    k = min(K, len(passages))  # bm25s refuses a k above the corpus size

    def top(query: Terms) -> list[int]:
        ids = [vocabulary[term] for term in query if term in vocabulary]
        if not ids:  # bm25s 0.3.16's numba backend segfaults on a query it knows no word of
            return []
        found = peer.retrieve([ids], k=k, n_threads=1, show_progress=False)
        return [int(d) for d, s in zip(found.documents[0], found.scores[0], strict=True) if s > 0]

    times, tops = _latencies(top, queries)
    return {**_percentiles("bm25s_numba_", times), "bm25s_numba_build_s": build_s}, tops


def _bm25s(passages: Sequence[Terms], queries: Sequence[Terms]) -> tuple[dict, Tops]:
    """bm25s with its defaults: one query a call as citebot, and its mean in one batch call."""
    import bm25s

    peer = bm25s.BM25()
    _, build_s = _timed(lambda: peer.index(passages, show_progress=False))
    k = min(K, len(passages))  # bm25s refuses a k above the corpus size

    def top(query: Terms) -> list[int]:
        found = peer.retrieve([list(query)], k=k, show_progress=False)
        return [int(d) for d, s in zip(found.documents[0], found.scores[0], strict=True) if s > 0]

    times, tops = _latencies(top, queries)
    _, batch_s = _timed(lambda: peer.retrieve([list(q) for q in queries], k=k, show_progress=False))
    return {
        **_percentiles("bm25s_", times),
        "bm25s_batch_mean_ms": round(batch_s * 1000 / len(queries), 3),
        "bm25s_build_s": build_s,
    }, tops


def _tantivy(
    passages: Sequence[Terms], queries: Sequence[Terms], folder: Path
) -> tuple[dict, Tops]:
    """tantivy on the analysed terms joined by spaces, split again by its whitespace tokenizer;
    a query is a boolean Should of term queries (repeats kept), no hit count. k1 is its 1.2."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("number", fast=True)
    schema = builder.build()

    def build() -> Any:
        index = tantivy.Index(schema, path=str(folder))
        writer = index.writer(heap_size=500_000_000, num_threads=1)
        for number, passage in enumerate(passages):
            writer.add_document(tantivy.Document(terms=" ".join(passage), number=number))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        return index

    _, build_s = _timed(build)
    (searcher, load_s) = _timed(lambda: tantivy.Index.open(str(folder)).searcher())
    should = tantivy.Occur.Should

    def top(query: Terms) -> list[int]:
        terms = [(should, tantivy.Query.term_query(schema, "terms", term)) for term in query]
        hits = searcher.search(tantivy.Query.boolean_query(terms), K, count=False).hits
        numbers = searcher.fast_field_values("number", [address for _, address in hits])
        return [int(n) for n in numbers]

    times, tops = _latencies(top, queries)
    return {
        **_percentiles("tantivy_", times),
        "tantivy_build_s": build_s,
        "tantivy_load_s": load_s,
    }, tops


def _pisa(
    passages: Sequence[Terms], queries: Sequence[Terms], folder: Path, k1: float, b: float
) -> tuple[dict, dict[str, Tops]]:
    """PISA's compiled binding without the pandas layer: block_simdbp postings, blocks of 64,
    exact BM25 scores (no quantisation); a query is its terms with their counts."""
    from pyterrier_pisa import _pisathon

    text = folder / "passages.txt"

    def build() -> Any:
        with text.open("w", encoding="utf-8") as out:
            for number, passage in enumerate(passages):
                out.write(f"{number} {' '.join(passage)}\n")
        with _quiet_native_output():
            _pisathon.index(str(text), str(folder), "", 100_000, 1)
            context = _pisathon.RetrievalContext()
            _pisathon.prepare_index(
                context, str(folder), "block_simdbp", "bm25", "", bm25_k1=k1, bm25_b=b
            )
        return context

    _, build_s = _timed(build)
    text.unlink()

    def load() -> Any:
        with _quiet_native_output():
            context = _pisathon.RetrievalContext()
            _pisathon.prepare_index(
                context, str(folder), "block_simdbp", "bm25", "", bm25_k1=k1, bm25_b=b
            )
        return context

    context, load_s = _timed(load)
    qidxs, ranks = np.empty(K, np.int32), np.empty(K, np.int32)
    numbers, scores = np.empty(K, object), np.empty(K, np.float32)
    result: dict[str, Any] = {"pisa_build_s": build_s, "pisa_load_s": load_s}
    tops: dict[str, Tops] = {}
    for algorithm, name in (("block_max_maxscore", "pisa"), ("block_max_wand", "pisa_bmw")):

        def top(query: Terms, algorithm: str = algorithm) -> list[int]:
            counts: dict[str, float] = {}
            for term in query:
                counts[term] = counts.get(term, 0.0) + 1.0
            found = _pisathon.retrieve(
                context, algorithm, [(0, counts)], k=K, threads=1, pretokenised=True,
                query_weighted=1, result_qidxs=qidxs, result_docnos=numbers,
                result_ranks=ranks, result_scores=scores,
            )  # fmt: skip
            return [int(n) for n in numbers[:found]]

        times, tops[name] = _latencies(top, queries)
        result |= _percentiles(f"{name}_", times)
    return result, tops


# -- the definition, agreement, and the run ---------------------------------------------


def _rank_bm25(
    passages: Sequence[Terms], queries: Sequence[Terms]
) -> tuple[dict, tuple[BM25Okapi, Tops]]:
    """rank-bm25's get_top_n times on ``queries``, and the index to check the others with."""
    baseline, build_s = _timed(lambda: BM25Okapi(passages))
    numbers = range(len(passages))
    times, tops = _latencies(lambda q: baseline.get_top_n(q, numbers, K), queries, repeats=1)
    return {
        **_percentiles("baseline_", times),
        "baseline_build_s": build_s,
        "baseline_queries": len(queries),
    }, (baseline, tops)


def _same_ranking(baseline: BM25Okapi, query: Terms, ours: list[int], theirs: list[int]) -> bool:
    """Whether rank-bm25 scores an engine's top-k exactly as its own, best first.

    Comparing scores, not passage numbers, lets exact ties come in either order (its
    argsort breaks them another way); get_top_n's padding with passages scoring 0 when
    fewer than k match is left out.
    """
    their_scores = [score for score in baseline.get_batch_scores(query, theirs) if score > 0]
    return bool(list(baseline.get_batch_scores(query, ours)) == their_scores)


def _overlap(baseline: BM25Okapi, query: Terms, ours: list[int], theirs: list[int]) -> float:
    """The share of rank-bm25's top-k (scores > 0) that the engine's top-k also holds."""
    scored = baseline.get_batch_scores(query, theirs)
    wanted = {number for number, score in zip(theirs, scored, strict=True) if score > 0}
    return len(wanted & set(ours)) / len(wanted) if wanted else float(not ours)


def _agreement(
    baseline: BM25Okapi, queries: Sequence[Terms], reference: Tops, engines: dict[str, Tops]
) -> dict[str, Any]:
    """Per engine: the share of sampled queries ranked exactly as rank-bm25, and the overlap."""
    result: dict[str, Any] = {}
    for name, tops in engines.items():
        pairs = list(zip(queries, tops, reference, strict=False))
        exact = [_same_ranking(baseline, q, ours, theirs) for q, ours, theirs in pairs]
        overlap = [_overlap(baseline, q, ours, theirs) for q, ours, theirs in pairs]
        result[f"{name}_top10_exact"] = round(sum(exact) / len(exact), 3)
        result[f"{name}_top10_overlap"] = round(sum(overlap) / len(overlap), 3)
    result["top10_equal"] = result["citebot_top10_exact"] == 1.0
    return result


def _run_engine(name: str, run: Callable[[], tuple[dict, Any]]) -> tuple[dict, Any]:
    """One engine's numbers with the memory it added: resident growth while its index was
    alive, and the process peak after it (cumulative, in the order of ENGINES)."""
    gc.collect()
    before = _rss_mb()
    result, tops = run()
    result[f"{name}_rss_added_mb"] = round(_rss_mb() - before, 1)
    result[f"{name}_peak_rss_mb"] = _peak_rss_mb()
    return result, tops


def compare(
    index: Bm25,
    passages: Sequence[Terms],
    queries: Sequence[Terms],
    baseline_queries: int,
    engines: Sequence[str] = ENGINES,
) -> dict[str, Any]:
    """citebot, then the peers, then rank-bm25 on its first ``baseline_queries`` queries."""
    result, citebot = _run_engine("citebot", lambda: _citebot(index, queries))
    tops = {"citebot": citebot}
    k1, b = index.params.k1, index.params.b
    with tempfile.TemporaryDirectory() as scratch:
        peers: dict[str, Callable[[], tuple[dict, Any]]] = {
            "bm25s_numba": lambda: _bm25s_numba(passages, queries),
            "bm25s": lambda: _bm25s(passages, queries),
            "tantivy": lambda: _tantivy(passages, queries, Path(scratch, "tantivy")),
            "pisa": lambda: _pisa(passages, queries, Path(scratch, "pisa"), k1, b),
        }
        for name in (e for e in ENGINES if e in engines and e in peers):
            Path(scratch, name).mkdir()
            numbers, found = _run_engine(name, peers[name])
            result |= numbers
            tops |= found if name == "pisa" else {name: found}
            gc.collect()
    sample = queries[:baseline_queries]
    numbers, (baseline, reference) = _run_engine("baseline", lambda: _rank_bm25(passages, sample))
    result |= numbers | _agreement(baseline, sample, reference, tops)
    result |= {"ratio_p50": round(result["p50_ms"] / result["baseline_p50_ms"], 5)}
    for name in tops:
        if f"{name}_p50_ms" in result and name != "citebot":
            result[f"ratio_vs_{name}"] = round(result["p50_ms"] / result[f"{name}_p50_ms"], 3)
    return result | {"queries": len(queries), "run_peak_rss_mb": _peak_rss_mb()}


def synthetic(n: int, count: int, seed: int, engines: Sequence[str] = ENGINES) -> dict[str, Any]:
    """corpus_gen's passages and queries; peak memory includes holding the passages."""
    passages = corpus_gen.passages(n, seed)
    queries = corpus_gen.queries(passages, count, seed + 1)
    sample = count if n <= FULL_BASELINE_UP_TO else min(count, BASELINE_SAMPLE)
    with tempfile.TemporaryDirectory() as folder:
        index, times = _build_save_load(
            lambda: Bm25.build(passages), Bm25.save, Bm25.load, Path(folder)
        )
        return {"passages": n, **times, **compare(index, passages, queries, sample, engines)}


def real_corpus(
    corpus_dir: Path, questions_file: Path, engines: Sequence[str] = ENGINES
) -> dict[str, Any]:
    """citebot's pipeline on a corpus folder: build_s is files to index, load_s a restart's."""
    lines = questions_file.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]

    def build() -> SearchIndex:
        documents, _ = load_corpus(corpus_dir)
        return build_index(documents, corpus_fingerprint(documents, corpus_dir))

    with tempfile.TemporaryDirectory() as folder:
        index, times = _build_save_load(build, save_index, load_index, Path(folder))
        answer_times, _ = _latencies(lambda q: answer_question(index, q), questions, repeats=1)
        passages = index.bm25.passage_terms(range(index.bm25.n_passages))
        queries = [analyze(question) for question in questions]
        return {
            "corpus": str(corpus_dir),
            "passages": index.bm25.n_passages,
            **times,
            **_percentiles("answer_", answer_times),
            **compare(index.bm25, passages, queries, len(queries), engines),
        }


COLUMNS = {
    "citebot": "citebot",
    "pisa": "PISA BMM",
    "pisa_bmw": "PISA BMW",
    "bm25s_numba": "bm25s numba",
    "tantivy": "tantivy",
    "bm25s": "bm25s",
    "baseline": "rank-bm25",
}


def table(result: dict[str, Any]) -> str:
    """The result for a person: one column an engine."""
    names = [name for name in COLUMNS if f"{name}_p50_ms" in result]
    build = {"citebot": "build_s", "pisa_bmw": "pisa_build_s"}
    load = {"citebot": "load_s", "pisa_bmw": "pisa_load_s"}
    memory = {"pisa_bmw": "pisa_rss_added_mb"}

    def row(label: str, key: Callable[[str], str]) -> str:
        cells = (result.get(key(name), "") for name in names)
        return f"{label:<20}" + "".join(f"{cell!s:>13}" for cell in cells)

    lines = [
        f"{result.get('corpus', 'synthetic')}: {result['passages']} passages, "
        f"{result['queries']} queries (rank-bm25 on {result['baseline_queries']})",
        f"{'':<20}" + "".join(f"{COLUMNS[name]:>13}" for name in names),
        row("query p50 ms", lambda name: f"{name}_p50_ms"),
        row("query p99 ms", lambda name: f"{name}_p99_ms"),
        row("build s", lambda name: build.get(name, f"{name}_build_s")),
        row("load s", lambda name: load.get(name, f"{name}_load_s")),
        row("RSS added MB", lambda name: memory.get(name, f"{name}_rss_added_mb")),
        row("top-10 exact", lambda name: f"{name}_top10_exact"),
        row("top-10 overlap", lambda name: f"{name}_top10_overlap"),
        f"citebot save {result['save_s']} s, peak RSS {result['peak_rss_mb']} MB after its "
        f"build and queries (whole run {result['run_peak_rss_mb']} MB)",
    ]
    if "answer_p50_ms" in result:
        lines.append(
            f"answer_question end to end: p50 {result['answer_p50_ms']} ms, "
            f"p99 {result['answer_p99_ms']} ms"
        )
    return "\n".join(lines)


def main() -> None:
    global REPEATS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=corpus_gen.SIZES["100k"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--corpus", type=Path, help="a corpus folder (e.g. seeds) instead of synthetic passages"
    )
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS, help="with --corpus")
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated, from {','.join(ENGINES)}; rank-bm25 always runs",
    )
    parser.add_argument(
        "--repeats", type=int, default=REPEATS, help="times each query runs (rank-bm25: once)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line instead of a table")
    parser.add_argument(
        "--backend",
        choices=("embedded", "xapian"),
        default="embedded",
        help="xapian: the synthetic passages in Xapian shards on loopback instead of the peers",
    )
    parser.add_argument("--shards", type=int, default=2, help="with --backend xapian")
    parser.add_argument("--base-port", type=int, default=7900, help="with --backend xapian")
    args = parser.parse_args()
    REPEATS = args.repeats
    engines = [name for name in args.engines.split(",") if name]
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    if args.backend == "xapian":
        from xapian_search import xapian_synthetic  # needs the xapian extra and xapian-tools

        passages = corpus_gen.passages(args.passages, args.seed)
        queries = corpus_gen.queries(passages, args.queries, args.seed + 1)
        result = xapian_synthetic(
            passages, queries, args.shards, args.base_port, _latencies, _percentiles, _rss_mb
        )
        result["repeats"] = REPEATS
        print(json.dumps(result))
        return
    if args.corpus:
        result = real_corpus(args.corpus, args.questions, engines)
    else:
        result = synthetic(args.passages, args.queries, args.seed, engines)
    result["repeats"] = REPEATS
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
