"""The service over Xapian shards (``CITEBOT_BACKEND=xapian``): the same answers, sources
and reindex for Discord and the console as ``Service``, from a shard folder or servers.

A shard folder is built from the corpus at start when it is out of date, and /reindex
rewrites the shards of changed articles, then reopens them. Remote shards are built on
their hosts (``citebot shards build``), so here a reindex only reopens them. Servers'
own libraries need the embedded backend: every question is answered from the shards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.config import ANSWER, Settings
from bot.libraries import Version
from bot.service import (
    ReindexBusy,
    ReindexReport,
    Service,
    SourceInfo,
    Upload,
    keep_vectors,
)
from index import Answer, CitebotError, SearchIndex, answer_question
from index.answer import candidate_quotes
from index.candidates import Candidate
from index.embed import load_embedder
from index.progress import ProgressCallback
from index.shard_location import shard_folders
from index.xapian_index import XapianIndex
from index.xapian_shards import ShardReport, build_shards

log = logging.getLogger(__name__)

DEFAULT_SHARDS = 2
"""Shards a new local shard folder is split into."""


class ShardService(Service):
    """``Service`` answering from Xapian shards; safe to call from several threads."""

    def __init__(self, settings: Settings, shards: XapianIndex) -> None:
        self.settings = settings
        self.shards = shards
        self._reindex_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, *, wait_for_vectors: bool = False) -> ShardService:
        """Open the shards; a local shard folder is first brought up to date."""
        keep_vectors(settings)
        location = settings.xapian
        assert location is not None, "settings require CITEBOT_XAPIAN with the xapian backend"
        if isinstance(location, Path):
            report = _build(settings, location)
            for warning in report.warnings:
                log.warning("%s", warning)
        partial = settings.shard_down == ANSWER
        return cls(settings, XapianIndex(location, partial=partial))

    @property
    def index(self) -> SearchIndex:
        raise CitebotError("The Xapian backend holds no embedded index.")

    def answer(self, question: str, limit: int = 9, guild: int | None = None) -> Answer:
        answer = answer_question(self.shards, question, limit=limit)
        if missing := self.shards.missing:
            notice = f"Answers may be incomplete: search shard {', '.join(missing)} is down."
            answer = replace(answer, notice=notice)
        return answer

    def candidates(self, question: str) -> Sequence[Candidate]:
        return candidate_quotes(self.shards, question)

    def sources(self, guild: int | None = None) -> tuple[SourceInfo, ...]:
        shards = self.shards
        return tuple(SourceInfo(s, shards.passage_count(s.doc)) for s in shards.sources)

    def reindex(
        self,
        progress: ProgressCallback | None = None,
        upload: Upload | None = None,
        guild: int | None = None,
    ) -> ReindexReport:
        """Rewrite the shards of changed articles (a local shard folder) and reopen; a
        server's own library (``CITEBOT_LIBRARY=per-server``) is refused."""
        if guild is not None and self.settings.per_server:
            raise _no_libraries()
        if not self._reindex_lock.acquire(blocking=False):
            raise ReindexBusy("A reindex is already running; try again when it has finished.")
        try:
            started = time.perf_counter()
            location = self.settings.xapian
            if not isinstance(location, Path):
                if upload is not None:
                    raise CitebotError(
                        "The articles live on remote Xapian shards: add them on the shard "
                        "hosts and run `citebot shards build` there."
                    )
                self.shards.reopen()
                return _report(None, len(self.shards.sources), started)
            kept = self._save_upload(upload) if upload is not None else ()
            report = _build(self.settings, location, progress)
            self.shards.reopen()
            return _report(report, report.documents, started, kept)
        finally:
            self._reindex_lock.release()

    def follow(self) -> bool:
        self.shards.reopen()
        return True

    def versions(self, guild: int, name: str) -> list[Version]:
        return []

    def remove_article(
        self, guild: int, name: str, progress: ProgressCallback | None = None
    ) -> ReindexReport:
        raise _no_libraries()

    def restore_article(
        self, guild: int, name: str, stamp: str = "", progress: ProgressCallback | None = None
    ) -> ReindexReport:
        raise _no_libraries()


def rebuilt(
    settings: Settings, progress: ProgressCallback | None = None, *, full: bool = False
) -> ReindexReport:
    """``citebot reindex`` with the Xapian backend: bring a shard folder up to date."""
    location = settings.xapian
    if not isinstance(location, Path):
        raise CitebotError(
            "CITEBOT_XAPIAN names remote shards: run `citebot shards build` on their hosts."
        )
    started = time.perf_counter()
    report = _build(settings, location, progress, full=full)
    return _report(report, report.documents, started)


def _build(
    settings: Settings,
    folder: Path,
    progress: ProgressCallback | None = None,
    *,
    full: bool = False,
) -> ShardReport:
    existing = len(shard_folders(folder)) or DEFAULT_SHARDS
    return build_shards(
        settings.corpus_dir,
        folder,
        existing,
        full=full,
        embedder=load_embedder(),
        progress=progress,
    )


def _report(
    built: ShardReport | None, documents: int, started: float, kept: tuple[str, ...] = ()
) -> ReindexReport:
    return ReindexReport(
        added=built.added if built else (),
        removed=built.removed if built else (),
        changed=built.changed if built else (),
        documents=documents,
        passages=built.passages if built else 0,
        seconds=time.perf_counter() - started,
        warnings=built.warnings if built else (),
        kept=kept,
    )


def _no_libraries() -> CitebotError:
    return CitebotError(
        "Servers' own libraries need the embedded backend (CITEBOT_BACKEND=embedded)."
    )
