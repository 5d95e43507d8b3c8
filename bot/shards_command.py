"""``citebot shards build|serve|stop FOLDER``: the corpus's Xapian shards and their servers."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings
from bot.console import progress_printer
from bot.shards import serve, stop
from index.embed import load_embedder
from index.xapian_shards import build_shards


def shards_command(settings: Settings, arguments: argparse.Namespace) -> int:
    """Run one ``citebot shards`` action; prints what it did, returns the exit code."""
    folder = arguments.folder
    if arguments.action == "stop":
        stopped = stop(folder)
        print(f"Stopped {len(stopped)} shard server(s) of {folder}.")
        return 0
    report = build_shards(
        settings.corpus_dir,
        folder,
        arguments.shards,
        full=arguments.full,
        embedder=load_embedder(),
        progress=progress_printer(sys.stderr),
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{report.documents} articles, {report.passages} passages in {report.shards} shards; "
        f"rewrote shard(s) {', '.join(map(str, report.rewritten)) or 'none'} "
        f"({len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed)."
    )
    if arguments.action == "build":
        return 0
    servers = serve(
        folder,
        arguments.shards,
        arguments.base_port,
        host=arguments.host,
        idle_timeout=arguments.idle_timeout,
    )
    addresses = ",".join(str(server.address) for server in servers)
    print(f"Serving: CITEBOT_BACKEND=xapian CITEBOT_XAPIAN={addresses}")
    print(f"Stop with: citebot shards stop {folder}")
    return 0
