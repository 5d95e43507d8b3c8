"""The benchmark script runs end to end on a small corpus and reports what the issue asks.

Times are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paths import REPO

SEARCH = REPO / "bench" / "search.py"
ANSWER = REPO / "bench" / "answer.py"
CORPUS_GEN = REPO / "bench" / "corpus_gen.py"

REPORTED = {
    "passages",
    "build_s",
    "load_s",
    "p50_ms",
    "p99_ms",
    "peak_rss_mb",
    "baseline_p50_ms",
    "ratio_p50",
    "bm25s_p50_ms",
    "ratio_vs_bm25s",
    "baseline_queries",
    "top10_equal",
}
ENGINES = {"citebot", "bm25s_numba", "bm25s", "tantivy", "pisa", "pisa_bmw", "baseline"}
"""Every engine reports its p50 and p99 under its own name."""
ANSWER_REPORTED = {
    "questions",
    "passages",
    "sentences",
    "semantic",
    "open_or_build_s",
    "answer_p50_ms",
    "answer_p95_ms",
    "paragraph_dump_p50_ms",
    "paragraph_dump_p95_ms",
    "paragraph_dump_questions",
    "peak_rss_mb",
}
SYNTHETIC_REPORTED = {"synthetic_passages", "seed", "articles", "write_corpus_s", "build_s"}


def run(script: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def test_search_json_reports_every_number_and_top10_equal_to_rank_bm25() -> None:
    for peer in ("bm25s", "numba", "tantivy", "pyterrier_pisa"):
        pytest.importorskip(peer)
    lines = run(SEARCH, "--passages", "2000", "--queries", "20", "--json").splitlines()

    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result.keys() >= REPORTED
    assert result.keys() >= {f"{e}_{p}_ms" for e in ENGINES for p in ("p50", "p99")}
    assert result["passages"] == 2000
    assert result["baseline_queries"] == 20
    assert result["top10_equal"] is True
    assert result["citebot_top10_exact"] == result["pisa_top10_exact"] == 1.0


def test_search_guards_bm25s_numba_against_a_query_of_unknown_words() -> None:
    """bm25s 0.3.16 on numba segfaults on such a query, so the child process runs it."""
    pytest.importorskip("bm25s")
    pytest.importorskip("numba")
    script = (
        "import sys; sys.path.insert(0, 'bench'); import search; "
        "print(search._bm25s_numba([['a', 'b'], ['c', 'd'], ['e', 'f']], "
        "[['unknown'], ['b', 'unknown']])[1])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[], [0]]"


def test_corpus_gen_gives_the_same_passages_for_the_same_seed() -> None:
    first = run(CORPUS_GEN, "--passages", "50", "--seed", "3")
    again = run(CORPUS_GEN, "--passages", "50", "--seed", "3")
    other = run(CORPUS_GEN, "--passages", "50", "--seed", "4")

    passages = [json.loads(line) for line in first.splitlines()]
    assert len(passages) == 50
    assert all(passage and all(isinstance(term, str) for term in passage) for passage in passages)
    assert first == again
    assert first != other


def test_answer_synthetic_json_reports_latency_build_and_memory() -> None:
    lines = run(ANSWER, "--synthetic", "300", "--count", "6", "--json").splitlines()

    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result.keys() >= ANSWER_REPORTED | SYNTHETIC_REPORTED
    assert result["passages"] == result["synthetic_passages"] == 300  # every paragraph kept
    assert result["articles"] == 3
    assert result["questions"] == result["paragraph_dump_questions"] == 6
    assert result["semantic"] is False
    assert result["sentences"] > result["passages"]


def test_answer_synthetic_excludes_a_corpus_folder() -> None:
    done = subprocess.run(
        [sys.executable, str(ANSWER), "--synthetic", "10", "--corpus", "seeds"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "--synthetic" in done.stderr


def test_corpus_gen_writes_the_same_articles_and_questions_for_the_same_seed(
    tmp_path: Path,
) -> None:
    first = run(CORPUS_GEN, "--passages", "250", "--articles", str(tmp_path / "a"))
    again = run(CORPUS_GEN, "--passages", "250", "--articles", str(tmp_path / "b"))

    questions = first.splitlines()
    assert len(questions) == 200
    assert all(question.endswith("?") for question in questions)
    assert first == again
    names = sorted(path.name for path in (tmp_path / "a").iterdir())
    assert names == sorted(path.name for path in (tmp_path / "b").iterdir())
    assert len(names) == 3
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
