"""``bench/search.py --backend xapian --shards N``: the same synthetic passages and queries
in N Xapian shards served by xapian-tcpsrv on loopback, next to citebot's embedded BM25.

Times run from query terms in to top-10 passage numbers out (Xapian's BM25 with citebot's
k1 and b, the documents' passage numbers fetched), one query a call; memory is the client
process's growth and the servers' resident memory (every process of their groups).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import xapian

from bot.shards import ShardServer, serve, stop
from index.bm25 import Bm25
from index.shard_location import shard_name
from index.xapian_shards import shard_of

K = 10


def xapian_synthetic(
    passages: Sequence[Sequence[str]],
    queries: Sequence[Sequence[str]],
    shards: int,
    base_port: int,
    latencies: Callable[[Callable[[Sequence[str]], list[int]], Sequence[Sequence[str]]], Any],
    percentiles: Callable[[str, Sequence[float]], dict[str, float]],
    rss_mb: Callable[[], float],
) -> dict[str, Any]:
    """Build, serve and query ``shards`` shards; the agreement is with citebot's Bm25.
    ``bench/search.py`` hands in its own timing and memory helpers, so both backends are
    measured alike."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        _write(folder, passages, shards)
        build_s = round(time.perf_counter() - started, 3)
        servers = serve(folder, shards, base_port)
        try:
            before = rss_mb()
            started = time.perf_counter()
            database = xapian.Database()
            for server in servers:
                database.add_database(xapian.remote_open(server.host, server.port, 60_000))
            enquire = xapian.Enquire(database)
            enquire.set_weighting_scheme(xapian.BM25Weight(1.5, 0, 1, 0.75, 0))
            load_s = round(time.perf_counter() - started, 3)

            def top(query: Sequence[str]) -> list[int]:
                enquire.set_query(xapian.Query(xapian.Query.OP_OR, list(query)))
                matches = enquire.get_mset(0, K)
                matches.fetch()
                return [int(item.document.get_data()) for item in matches]

            times, tops = latencies(top, queries)
            client = round(rss_mb() - before, 1)
            servers_mb = _servers_rss_mb(servers)
        finally:
            stop(folder)
    reference = Bm25.build(passages)
    expected = [[n for n, _ in reference.top(query, K)] for query in queries]
    pairs = list(zip(tops, expected, strict=True))
    return {
        "passages": len(passages),
        "backend": "xapian",
        "shards": shards,
        "build_s": build_s,
        "load_s": load_s,
        **percentiles("", times),
        "client_rss_added_mb": client,
        "servers_rss_mb": servers_mb,
        "top10_exact": round(sum(ours == theirs for ours, theirs in pairs) / len(pairs), 3),
        "top10_overlap": round(
            sum(len(set(ours) & set(theirs)) / max(len(theirs), 1) for ours, theirs in pairs)
            / len(pairs),
            3,
        ),
        "queries": len(queries),
    }


def _write(folder: Path, passages: Sequence[Sequence[str]], shards: int) -> None:
    flags = xapian.DB_CREATE | xapian.DB_NO_SYNC  # a scratch folder: no fsync to wait for
    databases = [xapian.WritableDatabase(str(folder / shard_name(n)), flags) for n in range(shards)]
    for number, terms in enumerate(passages):
        document = xapian.Document()
        for term, count in Counter(terms).items():
            document.add_term(term, count)
        document.set_data(str(number))
        databases[shard_of(f"passage-{number}", shards)].add_document(document)
    for database in databases:
        database.commit()
        database.close()


def _servers_rss_mb(servers: Sequence[ShardServer]) -> float:
    """Resident memory of every process in the servers' process groups (forked children
    serve the connections)."""
    groups = {server.pid for server in servers}
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in groups:
                total += int((entry / "statm").read_text().split()[1])
    return round(total * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
