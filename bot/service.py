"""The one answering core both faces use: holds the indexes, answers, reindexes.

Discord and the console call only this. There are two layers of articles: the operator's
shared corpus, and each server's own library (``bot.libraries``). A server with a library
is answered from one index over both, so BM25 statistics are those of their union; a
server without one, a DM and the console use the shared index itself. Reindexing builds
a new index off to the side and swaps it in with one assignment, so questions asked
meanwhile use the old one; each server's library has its own lock, so rebuilds in two
servers run side by side.

Other processes (a second bot, ``citebot reindex``) may share the index folder: building
and saving happen under the folder's lock, and a newer version another process saved is
noticed before each question (one small file read) and swapped in once it is loaded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import Settings
from bot.libraries import HOUR, Library, LibraryError, Version, library
from bot.provenance import Provenance, read_provenance, record_provenance
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
from index.embed import DIMENSIONS, MODEL_ID, Embedder, load_embedder
from index.ingest.html import HTML_SUFFIXES, read_page
from index.progress import ProgressCallback
from index.store import index_lock, load_index, stored_fingerprint, stored_version
from index.vector_cache import VectorCache

log = logging.getLogger(__name__)


INLINE_VECTOR_BYTES = 2_000_000
"""Article bytes up to which vectors are computed before the first answer (~a minute)."""


USE_NOTED_EVERY = 600.0
"""Seconds between notes of a server's last use on disk."""


class ReindexBusy(CitebotError):
    """A reindex is already running; only one runs at a time."""


class ArticleRejected(CitebotError):
    """An uploaded article cannot be added to the corpus; the message says why."""


@dataclass(frozen=True)
class SourceInfo:
    """An indexed article and how many passages it gave."""

    source: Source
    passages: int
    own: bool = False
    """True for an article of the asking server's own library, False for a shared one."""
    provenance: Provenance | None = None
    """When, how and by whom an article from the web was added; None for the others."""


@dataclass(frozen=True)
class Upload:
    """An article file a moderator attached to /reindex."""

    filename: str
    data: bytes
    replace: bool = False
    origin: Provenance | None = None
    """Where a page fetched from the web came from, recorded beside it."""


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
    kept: tuple[str, ...] = ()
    """Earlier versions of articles this change kept, and how to get them back."""
    library: bool = False
    """True when a server's own library was rebuilt, False for the shared corpus."""


class _Server:
    """One server's library and the index over shared corpus + library, as held in memory."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.changing = threading.Lock()
        """Held by the one change (upload, rebuild, remove, restore) running; others refused."""
        self.building = threading.Lock()
        """Held while the index is built or opened: builds share the index folder."""
        self.use_noted = 0.0
        self.rebuilding = False
        """True while a change rebuilds the index (questions then use the one before)."""
        self.index: SearchIndex | None = None
        self.base: SearchIndex | None = None
        """The shared index ``index`` was built over; another one makes ``index`` stale."""


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
        self._servers: dict[int, _Server] = {}
        self._servers_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, *, wait_for_vectors: bool = False) -> Service:
        """Load the persisted index when it matches the corpus, else build and save it.

        Sentence vectors for a small corpus are computed before the first answer; a large
        one (over INLINE_VECTOR_BYTES of articles) answers lexically until a background
        thread has embedded it, unless ``wait_for_vectors``. ``bot.opening`` chooses
        between this and the service over Xapian shards.
        """
        keep_vectors(settings)
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
        """The shared corpus's index."""
        return self._index

    @property
    def reindexing(self) -> bool:
        return self._reindex_lock.locked()

    def index_for(self, guild: int | None) -> SearchIndex:
        """The index a question from server ``guild`` (None: a DM or the console) is
        answered from: the shared one, or the server's over shared + its library."""
        if guild is None or not self.settings.per_server:
            return self._index
        server = self._server(guild)
        if server.index is not None and server.base is self._index:
            self._note_use(server)
            return server.index
        if server.rebuilding or not server.library.article_names():
            # Questions asked during a rebuild use the index from before it.
            return server.index or self._index
        with server.building:
            if server.index is None or server.base is not self._index:
                try:
                    self._open_server(server)
                except (CitebotError, OSError) as error:
                    # Its questions are still answered, from the shared articles alone.
                    log.warning("Server %s's library cannot be indexed: %s", guild, error)
            return server.index or self._index

    def answer(self, question: str, limit: int = 9, guild: int | None = None) -> Answer:
        """Answer from whichever index is current for ``guild`` when the question arrives."""
        self._notice_newer()
        return answer_question(self.index_for(guild), question, limit=limit)

    def candidates(self, question: str) -> Sequence[Candidate]:
        """Every quote the ranker chose from, for ``citebot eval``'s candidate recall."""
        return candidate_quotes(self._index, question)

    def sources(self, guild: int | None = None) -> tuple[SourceInfo, ...]:
        """The articles ``guild`` is answered from, shared ones first, with passage counts
        and which are the server's own."""
        self._notice_newer()
        index, shared = self.index_for(guild), self._index.fingerprints
        origins = self.provenance(guild)
        return tuple(
            SourceInfo(
                source,
                index.passage_count(source.doc),
                source.doc not in shared,
                origins.get(source.doc),
            )
            for source in index.sources
        )

    def provenance(self, guild: int | None = None) -> dict[str, Provenance]:
        """The provenance of the web articles ``guild`` is answered from, by file name."""
        origins = read_provenance(self.settings.corpus_dir)
        return origins | read_provenance(self.articles_folder(guild))

    def articles_folder(self, guild: int | None = None) -> Path:
        """The folder a change asked for from server ``guild`` (None: the shared corpus)
        saves articles into."""
        if guild is not None and self.settings.per_server:
            return self._server(guild).library.articles
        return self.settings.corpus_dir

    def reindex(
        self,
        progress: ProgressCallback | None = None,
        upload: Upload | None = None,
        guild: int | None = None,
    ) -> ReindexReport:
        """Rebuild server ``guild``'s library (None, or the shared mode: the shared corpus)
        and swap the new index in; the old one stays on failure.

        An ``upload`` is checked and saved first; one that replaces an article keeps the
        earlier version. Raises ReindexBusy when another change of the same library is
        running, ArticleRejected for a bad upload or one over a limit (nothing changes),
        and CorpusError when the corpus cannot be indexed at all.
        """
        if guild is not None and self.settings.per_server:
            change = (lambda: self._save_to_library(guild, upload)) if upload else _nothing
            return self._change_library(guild, change, progress)
        if not self._reindex_lock.acquire(blocking=False):
            raise ReindexBusy("A reindex is already running; try again when it has finished.")
        try:
            return self._change_shared([upload] if upload else [], progress)
        finally:
            self._reindex_lock.release()

    def add_to_shared(
        self, uploads: Sequence[Upload], progress: ProgressCallback | None = None
    ) -> ReindexReport:
        """Save articles into the shared corpus and rebuild once, as /reindex does, after
        waiting for a change already running (the feeds' background additions)."""
        with self._reindex_lock:
            return self._change_shared(uploads, progress)

    def _change_shared(
        self, uploads: Sequence[Upload], progress: ProgressCallback | None
    ) -> ReindexReport:
        """Save ``uploads`` and rebuild the shared index (reindex lock held), then swap."""
        started = time.perf_counter()
        kept = tuple(line for upload in uploads for line in self._save_upload(upload))
        with index_lock(self.settings.index_path):
            self.follow()  # reuse, and compare with, what another process saved last
            index, report = _rebuild(self.settings, self._index, progress, started)
            self._swap(index)
        return replace(report, kept=kept)

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

    def versions(self, guild: int, name: str) -> list[Version]:
        """The kept earlier versions of article ``name`` in server ``guild``'s library."""
        return self._server(guild).library.versions(safe_article_name(name))

    def remove_article(
        self, guild: int, name: str, progress: ProgressCallback | None = None
    ) -> ReindexReport:
        """Take an article out of server ``guild``'s library (a copy is kept) and rebuild."""

        def remove() -> tuple[str, ...]:
            article = self._own_article_name(name)
            kept = self._server(guild).library.remove(article)
            return (_kept_line(kept),)

        return self._change_library(guild, remove, progress)

    def restore_article(
        self, guild: int, name: str, stamp: str = "", progress: ProgressCallback | None = None
    ) -> ReindexReport:
        """Make a kept version of an article current again in server ``guild``'s library
        (the newest when ``stamp`` is empty); the version it replaces is kept too."""

        def restore() -> tuple[str, ...]:
            article = self._own_article_name(name)
            chosen = self._server(guild).library.version(article, stamp)
            self._check_limits(guild, article, chosen.size)
            kept = self._server(guild).library.restore(chosen)
            self._server(guild).library.record_upload()
            restored = f"{article}: restored the version of {chosen.when} ({chosen.stamp})."
            return (restored, _kept_line(kept)) if kept else (restored,)

        return self._change_library(guild, restore, progress)

    def _note_use(self, server: _Server) -> None:
        """Record that a server with a library asked, at most every USE_NOTED_EVERY
        seconds (for ``citebot libraries list``), not on every question."""
        now = time.time()
        if now - server.use_noted >= USE_NOTED_EVERY:
            server.use_noted = now
            try:
                server.library.touch(now)
            except OSError as error:
                log.warning("could not note server %s's use: %s", server.library.guild_id, error)

    def _server(self, guild: int) -> _Server:
        with self._servers_lock:
            server = self._servers.get(guild)
            if server is None:
                server = self._servers[guild] = _Server(library(self.settings.data_dir, guild))
            return server

    def _open_server(
        self, server: _Server, progress: ProgressCallback | None = None, *, rebuild: bool = False
    ) -> tuple[SearchIndex, list[str]]:
        """Open or rebuild a server's index over the current shared one (``building`` held).
        A library with no article is answered from the shared index itself."""
        base = self._index
        if not server.library.article_names():
            server.index, server.base = None, base
            return base, []
        with index_lock(server.library.index_path):
            index, warnings = open_index(
                server.library.articles,
                server.library.index_path,
                rebuild=rebuild,
                progress=progress,
                previous=server.index,
                embedder=load_embedder() if base.has_vectors else None,
                base=base,
            )
        for warning in warnings:
            log.warning("server %s: %s", server.library.guild_id, warning)
        server.index, server.base = index, base
        return index, warnings

    def _change_library(
        self,
        guild: int,
        change: Callable[[], tuple[str, ...]],
        progress: ProgressCallback | None,
    ) -> ReindexReport:
        """Make one change to server ``guild``'s library, then rebuild its index; a change
        already running in that server is refused, one in another server is not waited for."""
        server = self._server(guild)
        if not server.changing.acquire(blocking=False):
            raise ReindexBusy(
                "A change to this server's library is already running; try again when it "
                "has finished."
            )
        try:
            started = time.perf_counter()
            old = self.index_for(guild)
            kept = change()
            with server.building:
                server.rebuilding = True
                try:
                    new, warnings = self._open_server(server, progress, rebuild=True)
                finally:
                    server.rebuilding = False
            saved = new is self._index or (
                stored_fingerprint(server.library.index_path) == new.corpus_fingerprint
            )
            server.library.touch()
            report = _report(old, new, started, warnings, saved=saved)
            return replace(report, kept=kept, library=True)
        finally:
            server.changing.release()

    def _own_article_name(self, name: str) -> str:
        """``name`` as a library article's file name; a shared article is refused."""
        article = safe_article_name(name)
        if article in self._index.fingerprints:
            raise LibraryError(
                f"{article} is a shared article: only the bot's operator can change or remove "
                "it. Nothing was changed."
            )
        return article

    def _save_to_library(self, guild: int, upload: Upload) -> tuple[str, ...]:
        """Check an upload against the rules and the server's limits, then save it into
        the library (an article it replaces is kept)."""
        name, data = _checked_upload(upload, self._limit(upload))
        article = self._own_article_name(name)
        own = self._server(guild).library
        if (own.articles / article).exists() and not upload.replace:
            raise ArticleRejected(
                f"{article} is already in this server's library; ask again with replace to "
                "overwrite it (the current version is kept)."
            )
        self._check_limits(guild, article, len(data))
        kept = own.save(article, data)
        own.record_upload()
        _record_origin(own.articles, article, upload)
        return (_kept_line(kept),) if kept else ()

    def _check_limits(self, guild: int, article: str, size: int) -> None:
        """Refuse (changing nothing) what would take server ``guild``'s library over the
        operator's limits: articles, bytes, uploads an hour."""
        own, settings = self._server(guild).library, self.settings
        current = own.size()
        target = own.articles / article
        old_size = target.stat().st_size if target.exists() else 0
        if not target.exists() and current.articles >= settings.library_max_articles:
            raise ArticleRejected(
                f"This server's library already holds {current.articles:,} articles, the most "
                "it may; remove one with /library remove first. Nothing was changed."
            )
        if current.bytes - old_size + size > settings.library_max_bytes:
            raise ArticleRejected(
                f"{article} would take this server's library to "
                f"{current.bytes - old_size + size:,} bytes; it may hold "
                f"{settings.library_max_bytes:,}. Nothing was changed."
            )
        if own.uploads_within(HOUR) >= settings.uploads_per_hour:
            raise ArticleRejected(
                f"This server has added {settings.uploads_per_hour} articles in the last hour, "
                "the most it may; try again later. Nothing was changed."
            )

    def _limit(self, upload: Upload) -> int:
        """The most bytes ``upload`` may have: a fetched page's limit is the fetcher's."""
        settings = self.settings
        return settings.fetch_max_bytes if upload.origin else settings.max_upload_bytes

    def _save_upload(self, upload: Upload) -> tuple[str, ...]:
        """Save an uploaded article into the shared corpus folder after checking it; an
        article it replaces is kept in the data folder's shared history."""
        name, data = _checked_upload(upload, self._limit(upload))
        target = self.settings.corpus_dir / name
        if target.exists() and not upload.replace:
            raise ArticleRejected(
                f"{name} is already in the corpus; ask again with replace to overwrite it."
            )
        kept = shared_history(self.settings).save(name, data)
        _record_origin(self.settings.corpus_dir, name, upload)
        return (_kept_line(kept),) if kept else ()


def shared_history(settings: Settings) -> Library:
    """The shared corpus as a library whose history lives in the data folder, so a
    replaced shared article is kept too."""
    return Library(settings.data_dir / "shared", 0, articles=settings.corpus_dir)


def _record_origin(folder: Path, name: str, upload: Upload) -> None:
    if upload.origin is not None:
        record_provenance(folder, name, upload.origin)


def _nothing() -> tuple[str, ...]:
    return ()


def _kept_line(version: Version) -> str:
    return (
        f"{version.article}: the earlier version is kept as {version.stamp} "
        "(/library restore brings it back)."
    )


def _checked_upload(upload: Upload, limit: int) -> tuple[str, bytes]:
    """The upload's safe file name and bytes, when it is ``.txt``/``.md`` UTF-8 text
    or a web page with an article in it, within ``limit`` bytes; ArticleRejected says
    what is wrong otherwise."""
    name, data = safe_article_name(upload.filename), upload.data
    if len(data) > limit:
        raise ArticleRejected(
            f"{name} is {len(data):,} bytes; articles may be at most {limit:,} bytes."
        )
    if Path(name).suffix in HTML_SUFFIXES:
        try:
            read_page(data)
        except ValueError as error:
            raise ArticleRejected(f"{name}: {error}.") from None
        return name, data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ArticleRejected(f"{name} is not UTF-8 text.") from None
    if "\x00" in text or not text.strip():
        raise ArticleRejected(f"{name} is empty or not plain text.")
    return name, data


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
    saved = stored_fingerprint(settings.index_path) == new.corpus_fingerprint
    return new, _report(old, new, started, warnings, saved=saved)


def _report(
    old: SearchIndex | None,
    new: SearchIndex,
    started: float,
    warnings: Sequence[str],
    *,
    saved: bool,
) -> ReindexReport:
    """How ``new`` differs from ``old``, for the person who asked for the rebuild."""
    old_prints = old.fingerprints if old is not None else {}
    new_prints = new.fingerprints
    return ReindexReport(
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
        saved=saved,
    )


def keep_vectors(settings: Settings) -> None:
    """Point the shared embedder at this configuration's vector cache (or none)."""
    embedder = load_embedder()
    if embedder is not None:
        where = settings.vector_cache_file
        embedder.cache = VectorCache(where, MODEL_ID, DIMENSIONS) if where else None


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
        raise ArticleRejected(
            f"{base or filename!r} is not a .txt or .md file, nor a web page (.html)."
        )
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem).strip("_")
    if not cleaned:
        raise ArticleRejected(f"{base!r} has no usable file name.")
    return f"{cleaned[:80]}.{suffix.lower()}"
