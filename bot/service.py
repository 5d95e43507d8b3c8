"""The one answering core both faces use: holds the current index, answers, reindexes.

Discord and the console call only this. Reindexing builds a new index off to the side
and swaps it in with one assignment, so questions asked meanwhile use the old one.

Other processes (a second bot, ``citebot reindex``) may share the index folder: building
and saving happen under the folder's lock, and a newer version another process saved is
noticed before each question (one small file read) and swapped in once it is loaded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import Settings
from index import (
    Answer,
    CitebotError,
    IndexFormatError,
    SearchIndex,
    Source,
    answer_question,
    open_index,
)
from index.answer import candidate_quotes
from index.candidates import Candidate
from index.corpus import ARTICLE_SUFFIXES, article_paths
from index.embed import Embedder, load_embedder
from index.progress import ProgressCallback
from index.store import index_lock, load_index, stored_fingerprint, stored_version

log = logging.getLogger(__name__)


INLINE_VECTOR_BYTES = 2_000_000
"""Article bytes up to which vectors are computed before the first answer (~a minute)."""


class ReindexBusy(CitebotError):
    """A reindex is already running; only one runs at a time."""


class ArticleRejected(CitebotError):
    """An uploaded article cannot be added to the corpus; the message says why."""


@dataclass(frozen=True)
class SourceInfo:
    """An indexed article and how many passages it gave."""

    source: Source
    passages: int


@dataclass(frozen=True)
class Upload:
    """An article file a moderator attached to /reindex."""

    filename: str
    data: bytes
    replace: bool = False


@dataclass(frozen=True)
class ReindexReport:
    """What a rebuild changed, for the moderator who asked for it."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    documents: int
    passages: int
    seconds: float
    warnings: tuple[str, ...]
    saved: bool = True
    """False when the new index is in use but could not be written to the index folder."""


class Service:
    """The current index and the operations on it; safe to call from several threads."""

    def __init__(self, settings: Settings, index: SearchIndex) -> None:
        self.settings = settings
        self._index = index
        self._followed = stored_version(settings.index_path)
        """The stored version named in ``CURRENT`` that ``_index`` accounts for: only a
        change from it is another process's work to follow."""
        self._reindex_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._follow_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, *, wait_for_vectors: bool = False) -> Service:
        """Load the persisted index when it matches the corpus, else build and save it.

        Sentence vectors for a small corpus are computed before the first answer; a large
        one (over INLINE_VECTOR_BYTES of articles) answers lexically until a background
        thread has embedded it, unless ``wait_for_vectors``.
        """
        embedder = load_embedder() if wait_for_vectors else _inline_embedder(settings, None)
        with index_lock(settings.index_path):
            index, warnings = open_index(
                settings.corpus_dir, settings.index_path, embedder=embedder
            )
            service = cls(settings, index)
        for warning in warnings:
            log.warning("%s", warning)
        if load_embedder() is not None and not index.has_vectors:
            threading.Thread(target=service._add_vectors, daemon=True, name="vectors").start()
        return service

    def _add_vectors(self) -> None:
        """Embed the current index's sentences and swap the result in (reindex lock held)."""
        with self._reindex_lock, index_lock(self.settings.index_path):
            log.info("Computing sentence vectors; answering lexically until they are ready.")
            self.follow()
            try:
                index, warnings = open_index(
                    self.settings.corpus_dir,
                    self.settings.index_path,
                    previous=self._index,
                    embedder=load_embedder(),
                )
            except CitebotError as error:
                log.warning("Could not compute sentence vectors: %s", error)
                return
            for warning in warnings:
                log.warning("%s", warning)
            self._swap(index)
            log.info("Sentence vectors ready: answers now use the semantic ranker.")

    @classmethod
    def rebuilt(
        cls, settings: Settings, progress: ProgressCallback | None = None, *, full: bool = False
    ) -> tuple[Service, ReindexReport]:
        """Build the index afresh, once, as ``citebot reindex`` does: the stored index, when
        there is a readable one, is what the report compares with and (unless ``full``)
        what unchanged articles are reused from; nothing is built before the rebuild."""
        started = time.perf_counter()
        warnings: list[str] = []
        with index_lock(settings.index_path):
            try:
                stored: SearchIndex | None = load_index(settings.index_path)
            except FileNotFoundError:
                stored = None
            except IndexFormatError as error:
                stored = None
                warnings.append(f"{error}; building a new one.")
            index, report = _rebuild(settings, stored, progress, started, reuse=not full)
            service = cls(settings, index)
        return service, replace(report, warnings=(*warnings, *report.warnings))

    @property
    def index(self) -> SearchIndex:
        return self._index

    @property
    def reindexing(self) -> bool:
        return self._reindex_lock.locked()

    def answer(self, question: str, limit: int = 9) -> Answer:
        """Answer from whichever index is current when the question arrives."""
        self._notice_newer()
        return answer_question(self._index, question, limit=limit)

    def candidates(self, question: str) -> Sequence[Candidate]:
        """Every quote the ranker chose from, for ``citebot eval``'s candidate recall."""
        return candidate_quotes(self._index, question)

    def sources(self) -> tuple[SourceInfo, ...]:
        """The indexed articles in corpus order, with their passage counts."""
        self._notice_newer()
        index = self._index
        return tuple(
            SourceInfo(source, index.passage_count(source.doc)) for source in index.sources
        )

    def reindex(
        self,
        progress: ProgressCallback | None = None,
        upload: Upload | None = None,
    ) -> ReindexReport:
        """Rebuild from the corpus folder and swap the new index in; the old one stays on failure.

        An ``upload`` is checked and saved into the corpus first. Raises ReindexBusy when
        another rebuild is running, ArticleRejected for a bad upload (nothing changes), and
        CorpusError when the corpus cannot be indexed at all.
        """
        if not self._reindex_lock.acquire(blocking=False):
            raise ReindexBusy("A reindex is already running; try again when it has finished.")
        try:
            started = time.perf_counter()
            if upload is not None:
                self._save_upload(upload)
            with index_lock(self.settings.index_path):
                self.follow()  # reuse, and compare with, what another process saved last
                index, report = _rebuild(self.settings, self._index, progress, started)
                self._swap(index)
            return report
        finally:
            self._reindex_lock.release()

    def follow(self) -> bool:
        """Load and swap in the version another process made current in the index folder,
        if there is one this service has not followed yet; True when it swapped.

        A version that cannot be loaded is logged and not tried again; the index in
        memory stays in use.
        """
        followed, path = self._followed, self.settings.index_path
        name = stored_version(path)
        if name is None or name == followed:
            return False
        index: SearchIndex | None = None
        if name != self._index.version:
            try:
                index = load_index(path)
            except (FileNotFoundError, IndexFormatError) as error:
                log.warning("Cannot follow the index another process saved at %s: %s", path, error)
        with self._swap_lock:
            if self._followed != followed:
                return False  # a rebuild here, or another follow, got there first
            self._followed = index.version if index is not None else name
            if index is not None:
                self._index = index
        if index is not None:
            log.info("Answering from the index %s saved by another process.", index.version)
        return index is not None

    def _notice_newer(self) -> None:
        """Before a question: when ``CURRENT`` names a version not followed yet, load it in
        a background thread (one at a time); this question still uses the index in memory."""
        if stored_version(self.settings.index_path) in (None, self._followed):
            return
        if self._follow_lock.acquire(blocking=False):
            threading.Thread(target=self._follow_then_release, daemon=True, name="follow").start()

    def _follow_then_release(self) -> None:
        try:
            self.follow()
        finally:
            self._follow_lock.release()

    def _swap(self, index: SearchIndex) -> None:
        """Put a rebuilt ``index`` in use; called with the folder's lock held, so ``CURRENT``
        names what it saved (or, when saving failed, what it replaces)."""
        with self._swap_lock:
            self._index = index
            self._followed = stored_version(self.settings.index_path)

    def _save_upload(self, upload: Upload) -> Path:
        """Save an uploaded article into the corpus folder after checking it.

        Only ``.txt``/``.md`` UTF-8 text within the size limit is taken; the name is reduced
        to a safe base name, and an existing file is replaced only when asked.
        """
        name, data = safe_article_name(upload.filename), upload.data
        if len(data) > self.settings.max_upload_bytes:
            raise ArticleRejected(
                f"{name} is {len(data):,} bytes; articles may be at most "
                f"{self.settings.max_upload_bytes:,} bytes."
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ArticleRejected(f"{name} is not UTF-8 text.") from None
        if "\x00" in text or not text.strip():
            raise ArticleRejected(f"{name} is empty or not plain text.")
        target = self.settings.corpus_dir / name
        if target.exists() and not upload.replace:
            raise ArticleRejected(
                f"{name} is already in the corpus; ask again with replace to overwrite it."
            )
        temporary = target.with_name(f".{name}.upload")
        temporary.write_bytes(data)
        temporary.replace(target)
        return target


def _corpus_bytes(folder: Path) -> int:
    try:
        return sum(path.stat().st_size for path in article_paths(folder))
    except (CitebotError, OSError):
        return 0


def _rebuild(
    settings: Settings,
    old: SearchIndex | None,
    progress: ProgressCallback | None,
    started: float,
    *,
    reuse: bool = True,
) -> tuple[SearchIndex, ReindexReport]:
    """Build a new index from the corpus (reusing ``old``'s unchanged articles when
    ``reuse``) and say how it differs from ``old``."""
    new, warnings = open_index(
        settings.corpus_dir,
        settings.index_path,
        rebuild=True,
        progress=progress,
        previous=old if reuse else None,
        embedder=_inline_embedder(settings, old),
    )
    old_prints = old.fingerprints if old is not None else {}
    new_prints = new.fingerprints
    return new, ReindexReport(
        added=tuple(sorted(new_prints.keys() - old_prints.keys())),
        removed=tuple(sorted(old_prints.keys() - new_prints.keys())),
        changed=tuple(
            sorted(
                name
                for name in new_prints.keys() & old_prints.keys()
                if new_prints[name] != old_prints[name]
            )
        ),
        documents=len(new.sources),
        passages=new.passage_total,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
        saved=stored_fingerprint(settings.index_path) == new.corpus_fingerprint,
    )


def _inline_embedder(settings: Settings, old: SearchIndex | None) -> Embedder | None:
    """The embedder when a rebuild should compute vectors itself: the index had them (only
    changed articles need embedding) or the corpus is small; else None."""
    if old is not None and old.has_vectors:
        return load_embedder()
    return load_embedder() if _corpus_bytes(settings.corpus_dir) <= INLINE_VECTOR_BYTES else None


def safe_article_name(filename: str) -> str:
    """Reduce an uploaded file name to a plain base name with an article suffix."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot or f".{suffix.lower()}" not in ARTICLE_SUFFIXES:
        raise ArticleRejected(f"{base or filename!r} is not a .txt or .md file.")
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem).strip("_")
    if not cleaned:
        raise ArticleRejected(f"{base!r} has no usable file name.")
    return f"{cleaned[:80]}.{suffix.lower()}"
