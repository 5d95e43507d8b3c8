"""Saving and opening the index: atomic versions, a manifest with a hash of every file.

On disk an index is a folder of versions plus a ``CURRENT`` pointer. A new version is
written completely under a temporary name and then named in ``CURRENT`` by one atomic
rename, so a crash mid-save leaves the previous version in use. The manifest records each
file's size and sha256; opening a version checks both (sha256 runs at about 1.5 GB/s, so
a million-passage index costs about a second), so a damaged file is never quoted and
never reused by an incremental rebuild: it is reported and rebuilt from the articles.
Large arrays are memory-mapped on load.

Several processes may share one index folder. Rebuilding and saving happen under
``index_lock`` (a lock file in the folder), so one process rebuilds at a time; reading
takes no lock: versions are never changed once written, only deleted when a newer one is
current, so a load that finds its version deleted under it starts again from ``CURRENT``.
An index already open keeps working after its folder is deleted: its arrays are memory
maps, and on Linux and macOS a mapped file stays readable until it is unmapped (on
Windows a mapped folder cannot be deleted; a later save removes it).

A version folder holds::

    manifest.json           format, corpus fingerprint, sources, splitter, files + hashes
    passages.txt            passage texts, UTF-8, back to back (passage_offsets.npy)
    doc_starts.npy          first passage of each article
    sentence_*.npy          sentence spans, first sentence of each passage, term ids
    bm25_*.npy              BM25 over passages;  sentence_bm25/bm25_*.npy over sentences
    sentence_vectors.npy    float16 unit vectors (only when built with the semantic extra)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from index.bm25 import Bm25
from index.corpus import load_corpus, overrides_fingerprint
from index.embed import MODEL_ID, Embedder
from index.errors import IndexFormatError
from index.models import Document, Source
from index.progress import ProgressCallback
from index.search_index import TEXT_VERSION, SearchIndex, Sentences, build_index
from index.sentences import SentenceSplitter

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
_POINTER = "CURRENT"
_LOCK = ".lock"
_LOAD_ATTEMPTS = 50
"""How often a load starts again because another process replaced the version it was
reading; each replacement is a whole save (and a load checks every file's sha256, which
on a busy machine can take longer than a small save), so fifty in a row mean a runaway
writer."""
_MANIFEST = "manifest.json"
_TEXTS = "passages.txt"
_OFFSETS = "passage_offsets.npy"
_DOC_STARTS = "doc_starts.npy"
_SENTENCE_BM25 = "sentence_bm25"
_VECTORS = "sentence_vectors.npy"
_SENTENCE_ARRAYS = ("passage_starts", "spans", "term_starts", "term_ids")


class _PackedTexts(Sequence[str]):
    """Passage texts read lazily from one memory-mapped UTF-8 file."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self._blob = blob
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, number: int) -> str:  # type: ignore[override]
        start, end = int(self._offsets[number]), int(self._offsets[number + 1])
        return bytes(self._blob[start:end]).decode("utf-8")


def corpus_fingerprint(documents: Sequence[Document], corpus_dir: Path) -> str:
    """One hash for everything a stored index depends on: texts, overrides, versions."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}:{TEXT_VERSION}".encode())
    digest.update(overrides_fingerprint(corpus_dir).encode())
    for document in documents:
        digest.update(f"\n{document.source.doc}:{document.fingerprint}".encode())
    return digest.hexdigest()[:32]


@contextmanager
def index_lock(path: Path) -> Iterator[None]:
    """Hold the index folder's rebuild lock, waiting (with a log line) while another
    process holds it. The operating system releases it when its holder exits, however.

    Where no lock file can be made (a read-only folder) nothing can be saved either, so
    the caller goes on unlocked.
    """
    lock, held = FileLock(path / _LOCK), True
    try:
        path.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.warning(
                "Another citebot process is rebuilding the index at %s; waiting for it to finish.",
                path,
            )
            lock.acquire()
    except OSError as error:
        log.info("Cannot lock the index at %s (%s); it cannot be saved either.", path, error)
        held = False
    try:
        yield
    finally:
        if held:
            lock.release()


def save_index(index: SearchIndex, path: Path) -> str:
    """Write ``index`` as a new version under ``path`` and make it current atomically;
    returns the version's name. Processes sharing ``path`` hold ``index_lock`` around it."""
    path.mkdir(parents=True, exist_ok=True)
    name = f"v{FORMAT_VERSION}-{index.corpus_fingerprint[:12]}-{time.time_ns()}"
    building = path / f".building-{name}"
    building.mkdir()
    try:
        _write_arrays(index, building)
        manifest = {
            "format": FORMAT_VERSION,
            "corpus_fingerprint": index.corpus_fingerprint,
            "text": index.text_version,
            "vectors": MODEL_ID if index.has_vectors else None,
            "sources": [asdict(source) for source in index.sources],
            "fingerprints": index.fingerprints,
            "splitter": index.splitter.to_data(),
            "words": list(index.words),
            "files": {
                str(item.relative_to(building)): [item.stat().st_size, _sha256(item)]
                for item in sorted(building.rglob("*"))
                if item.is_file()
            },
        }
        _write_json(building / _MANIFEST, manifest)
        building.rename(path / name)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _write_json(path / f".{_POINTER}.tmp", {"current": name})
    os.replace(path / f".{_POINTER}.tmp", path / _POINTER)
    for other in path.iterdir():
        if other.is_dir() and other.name != name:
            shutil.rmtree(other, ignore_errors=True)
    return name


def _write_arrays(index: SearchIndex, folder: Path) -> None:
    encoded = [index.texts[number].encode("utf-8") for number in range(index.passage_total)]
    with open(folder / _TEXTS, "wb") as handle:
        handle.writelines(encoded)
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(chunk) for chunk in encoded], out=offsets[1:])
    np.save(folder / _OFFSETS, offsets)
    np.save(folder / _DOC_STARTS, np.asarray(index.doc_starts, dtype=np.int64))
    index.bm25.save(folder)
    sentences = index.sentences
    for name in _SENTENCE_ARRAYS:
        np.save(folder / f"sentence_{name}.npy", getattr(sentences, name), allow_pickle=False)
    (folder / _SENTENCE_BM25).mkdir()
    sentences.bm25.save(folder / _SENTENCE_BM25)
    if sentences.vectors is not None:
        np.save(folder / _VECTORS, sentences.vectors, allow_pickle=False)


def load_index(path: Path) -> SearchIndex:
    """Open the current version under ``path``, after checking every file against the
    manifest's size and sha256.

    Raises FileNotFoundError when nothing was saved there yet and IndexFormatError when
    what is there is damaged or of another format (rebuilding fixes both). A version
    replaced by another process while it was being read is not damage: the load starts
    again with the version that replaced it.
    """
    pointer = path / _POINTER
    for _ in range(_LOAD_ATTEMPTS):
        if not pointer.is_file():
            raise FileNotFoundError(pointer)
        name = stored_version(path)
        try:
            return _load_version(path, name)
        except IndexFormatError:
            if name is None or stored_version(path) in (name, None):
                raise
            log.debug("The index version %s was replaced while being read; reading again.", name)
    raise IndexFormatError(f"The index at {path} kept being replaced while it was read")


def _load_version(path: Path, name: str | None) -> SearchIndex:
    try:
        if name is None:
            raise IndexFormatError(f"{path / _POINTER} does not name an index version")
        folder = path / name
        manifest = _read_json(folder / _MANIFEST)
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexFormatError(
                f"The index at {path} has format {manifest.get('format')}, "
                f"this citebot reads {FORMAT_VERSION}"
            )
        _verify(folder, manifest["files"])
        return _open_version(folder, manifest)
    except IndexFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexFormatError(f"The index at {path} is damaged ({error})") from error


def stored_version(path: Path) -> str | None:
    """The name of the version ``CURRENT`` names (None when there is none or it is
    unreadable): one small file read, cheap enough to check before every question."""
    try:
        name = _read_json(path / _POINTER)["current"]
    except (OSError, ValueError, KeyError, IndexFormatError):
        return None
    return name if isinstance(name, str) and name else None


def stored_fingerprint(path: Path) -> str | None:
    """The corpus fingerprint of the version ``CURRENT`` names, without opening it (None
    when there is none): a cheap way to tell whether a save took effect."""
    name = stored_version(path)
    try:
        return str(_read_json(path / name / _MANIFEST)["corpus_fingerprint"]) if name else None
    except (OSError, ValueError, KeyError, TypeError, IndexFormatError):
        return None


def _verify(folder: Path, files: dict[str, list[Any]]) -> None:
    """Every file the manifest lists has its recorded size (cheap, first) and sha256."""
    for name, (size, _) in files.items():
        if (folder / name).stat().st_size != size:
            raise IndexFormatError(f"{folder / name} has the wrong size; the index is damaged")
    for name, (_, digest) in files.items():
        if _sha256(folder / name) != digest:
            raise IndexFormatError(f"{folder / name} fails its checksum; the index is damaged")


def _open_version(folder: Path, manifest: dict[str, Any]) -> SearchIndex:
    offsets = np.load(folder / _OFFSETS, mmap_mode="r")
    doc_starts = np.load(folder / _DOC_STARTS)
    blob = (
        np.memmap(folder / _TEXTS, dtype=np.uint8, mode="r")
        if offsets[-1]
        else np.zeros(0, dtype=np.uint8)
    )
    sources = [Source(**fields) for fields in manifest["sources"]]
    if len(doc_starts) != len(sources) + 1 or int(doc_starts[-1]) != len(offsets) - 1:
        raise IndexFormatError(f"{folder} has passages that do not add up")
    arrays = {name: _mapped(folder / f"sentence_{name}.npy") for name in _SENTENCE_ARRAYS}
    vectors = _mapped(folder / _VECTORS) if manifest.get("vectors") == MODEL_ID else None
    sentences = Sentences(**arrays, bm25=Bm25.load(folder / _SENTENCE_BM25), vectors=vectors)
    if len(sentences.passage_starts) != len(offsets) or (
        vectors is not None and len(vectors) != sentences.total
    ):
        raise IndexFormatError(f"{folder} has sentences that do not add up")
    return SearchIndex(
        sources=sources,
        fingerprints=dict(manifest["fingerprints"]),
        doc_starts=doc_starts,
        texts=_PackedTexts(blob, offsets),
        bm25=Bm25.load(folder),
        sentences=sentences,
        splitter=SentenceSplitter.from_data(manifest["splitter"]),
        words=manifest["words"],
        corpus_fingerprint=manifest["corpus_fingerprint"],
        text_version=str(manifest.get("text", "")),
        stored=lambda: _verify(folder, manifest["files"]),
        version=folder.name,
    )


def _mapped(path: Path) -> np.ndarray:
    """A memory-mapped array as a plain ndarray view: indexing it then costs what indexing
    any array costs, not numpy.memmap's per-access bookkeeping."""
    return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))


def open_index(
    corpus_dir: Path,
    index_path: Path,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    previous: SearchIndex | None = None,
    embedder: Embedder | None = None,
    base: SearchIndex | None = None,
) -> tuple[SearchIndex, list[str]]:
    """The index for ``corpus_dir``: loaded from ``index_path`` when it is current (and
    has vectors when an ``embedder`` is given), else built — reusing what ``previous`` or
    the stale stored index already holds — and saved.

    With a ``base`` index (the shared corpus under a server's library), the index holds
    base's articles, reused exactly as base indexed them, and then the folder's: one index
    whose BM25 statistics are those of the union. Returns it with warnings for a person
    (skipped files, rebuild reasons). Processes sharing ``index_path`` hold
    ``index_lock`` around it.
    """
    documents, warnings = load_corpus(corpus_dir)
    fingerprint = corpus_fingerprint(documents, corpus_dir)
    if base is not None:
        base.check_stored()
        documents, fingerprint = _over(base, documents, fingerprint, warnings)
    if previous is not None:
        try:
            previous.check_stored()
        except (IndexFormatError, OSError) as error:
            warnings.append(f"{error}; rebuilding from the articles without reusing it.")
            previous = None
    if not rebuild:
        try:
            stored = load_index(index_path)
        except FileNotFoundError:
            log.info("No stored index at %s yet; building one.", index_path)
        except IndexFormatError as error:
            warnings.append(f"{error}; rebuilding it.")
        else:
            wants_vectors = embedder is not None and not stored.has_vectors
            if stored.corpus_fingerprint == fingerprint and not wants_vectors:
                return stored, warnings
            log.info("The index at %s is out of date; rebuilding.", index_path)
            previous = previous or stored
    reuse = [index for index in (base, previous) if index is not None]
    index = build_index(documents, fingerprint, progress, reuse, embedder)
    try:
        index.version = save_index(index, index_path)
    except OSError as error:
        warnings.append(f"Could not save the index to {index_path} ({error}); using it unsaved.")
    return index, warnings


def _over(
    base: SearchIndex, documents: list[Document], fingerprint: str, warnings: list[str]
) -> tuple[list[Document], str]:
    """Base's articles (stand-ins that build_index reuses whole: same name, same content
    hash, so their text is never read) followed by ``documents``, and their fingerprint."""
    if base.text_version != TEXT_VERSION:
        raise IndexFormatError("The shared index is of another version; reindex it first")
    held = base.fingerprints
    for document in documents:
        if document.source.doc in held:
            warnings.append(
                f"Left out {document.source.doc}: the shared corpus has an article of that "
                "name; upload it under another name."
            )
    stand_ins = [Document(source, "", held[source.doc]) for source in base.sources]
    own = [document for document in documents if document.source.doc not in held]
    combined = hashlib.sha256(f"{base.corpus_fingerprint}+{fingerprint}".encode())
    return stand_ins + own, combined.hexdigest()[:32]


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())


def _read_json(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise IndexFormatError(f"{path} is not an index manifest")
    return data
