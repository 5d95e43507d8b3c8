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
    pytest.importorskip("bm25s")
    lines = run(SEARCH, "--passages", "2000", "--queries", "20", "--json").splitlines()

    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result.keys() >= REPORTED
    assert result["passages"] == 2000
    assert result["baseline_queries"] == 20
    assert result["top10_equal"] is True


def test_corpus_gen_gives_the_same_passages_for_the_same_seed() -> None:
    first = run(CORPUS_GEN, "--passages", "50", "--seed", "3")
    again = run(CORPUS_GEN, "--passages", "50", "--seed", "3")
    other = run(CORPUS_GEN, "--passages", "50", "--seed", "4")

    passages = [json.loads(line) for line in first.splitlines()]
    assert len(passages) == 50
    assert all(passage and all(isinstance(term, str) for term in passage) for passage in passages)
    assert first == again
    assert first != other
