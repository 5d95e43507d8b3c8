"""The search index as a whole: build it from a corpus, save it atomically, load it back.

On disk an index is a folder of versions plus a ``CURRENT`` pointer. A new version is
written completely under a temporary name and then named in ``CURRENT`` by one atomic
rename, so a crash mid-save leaves the previous version in use. Large arrays are
memory-mapped on load, so opening a big index neither re-tokenises nor copies it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from index.analyze import ANALYSIS_VERSION, analyze
from index.bm25 import Bm25
from index.corpus import load_corpus, overrides_fingerprint
from index.errors import IndexFormatError
from index.models import Document, Hit, Passage, Source
from index.passages import passage_texts
from index.progress import Progress, ProgressCallback
from index.sentences import SentenceSplitter

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
_POINTER = "CURRENT"
_MANIFEST = "manifest.json"
_TEXTS = "passages.txt"
_OFFSETS = "passage_offsets.npy"
_DOC_STARTS = "doc_starts.npy"
_SUGGESTION_WORDS = 100_000
_WORD = re.compile(r"[^\W\d_]{3,}")


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


class SearchIndex:
    """Documents' sources, their passages and the BM25 index over them."""

    def __init__(
        self,
        *,
        sources: Sequence[Source],
        fingerprints: dict[str, str],
        doc_starts: np.ndarray,
        texts: Sequence[str],
        bm25: Bm25,
        splitter: SentenceSplitter,
        words: Sequence[str],
        corpus_fingerprint: str,
        analysis_version: int = ANALYSIS_VERSION,
    ) -> None:
        self.sources = tuple(sources)
        self.fingerprints = fingerprints
        self.bm25 = bm25
        self.splitter = splitter
        self.analysis_version = analysis_version
        self.words = tuple(words)
        self.corpus_fingerprint = corpus_fingerprint
        self._doc_starts = doc_starts
        self._texts = texts
        self._doc_numbers = {source.doc: number for number, source in enumerate(self.sources)}

    @cached_property
    def spellings(self) -> dict[str, dict[str, str]]:
        """The vocabulary by initial letter, lowercase to spelling: what close-spelling
        suggestions compare a word against, built once rather than for every question."""
        by_initial: dict[str, dict[str, str]] = {}
        for word in self.words:
            lowered = word.lower()
            by_initial.setdefault(lowered[0], {})[lowered] = word
        return by_initial

    @property
    def passage_total(self) -> int:
        return len(self._texts)

    def passage_count(self, doc: str) -> int:
        """How many passages the article named ``doc`` gave (0 when it is not indexed)."""
        return len(self.passage_range(doc))

    def passage_range(self, doc: str) -> range:
        """The numbers of the passages of the article named ``doc`` (empty when unknown)."""
        number = self._doc_numbers.get(doc)
        if number is None:
            return range(0)
        return range(int(self._doc_starts[number]), int(self._doc_starts[number + 1]))

    def source_of(self, passage: int) -> Source:
        """The source of a passage, by passage number."""
        return self.sources[int(np.searchsorted(self._doc_starts, passage, side="right")) - 1]

    def search(self, terms: Sequence[str], limit: int) -> list[Hit]:
        """The best-scoring passages for analysed question terms, best first."""
        return [
            Hit(self.passage(number), self.source_of(number), score)
            for number, score in self.bm25.top(terms, limit)
        ]

    def passage(self, number: int) -> Passage:
        """A passage with its sentence boundaries, by passage number."""
        text = self._texts[number]
        return Passage(self.source_of(number).doc, number, text, self.splitter.spans(text))

    def previous(self, passage: Passage) -> Passage | None:
        """The paragraph before ``passage`` in the same article, if there is one."""
        if passage.number == 0 or self.source_of(passage.number - 1).doc != passage.doc:
            return None
        return self.passage(passage.number - 1)


def corpus_fingerprint(documents: Sequence[Document], corpus_dir: Path) -> str:
    """One hash for everything a stored index depends on: texts, overrides, versions."""
    digest = hashlib.sha256(f"{FORMAT_VERSION}:{ANALYSIS_VERSION}".encode())
    digest.update(overrides_fingerprint(corpus_dir).encode())
    for document in documents:
        digest.update(f"\n{document.source.doc}:{document.fingerprint}".encode())
    return digest.hexdigest()[:32]


def build_index(
    documents: Sequence[Document],
    fingerprint: str,
    progress: ProgressCallback | None = None,
    previous: SearchIndex | None = None,
) -> SearchIndex:
    """Split, analyse and index the documents.

    Articles whose content is unchanged since ``previous`` keep its passages and terms
    instead of being split and analysed again, which is most of a rebuild's work.
    """
    reused = _reusable(documents, previous)
    texts: list[str] = []
    terms: list[list[str]] = []
    doc_starts = [0]
    for number, document in enumerate(documents):
        kept = reused.get(document.source.doc)
        if kept:
            texts.extend(kept[0])
            terms.extend(kept[1])
        else:
            for text in passage_texts(document):
                texts.append(text)
                terms.append(analyze(text))
        doc_starts.append(len(texts))
        if progress:
            progress(Progress("analysing", number + 1, len(documents)))
    return SearchIndex(
        sources=[document.source for document in documents],
        fingerprints={document.source.doc: document.fingerprint for document in documents},
        doc_starts=np.asarray(doc_starts, dtype=np.int64),
        texts=texts,
        bm25=Bm25.build(terms, progress=progress),
        splitter=SentenceSplitter.train(texts),
        words=_vocabulary(texts),
        corpus_fingerprint=fingerprint,
    )


def _vocabulary(texts: Sequence[str]) -> list[str]:
    """The corpus's most frequent words, each in its most frequent spelling ("Romania"),
    for suggesting close spellings of words a question misspells."""
    counts = Counter(_WORD.findall("\n".join(texts)))
    spellings: dict[str, str] = {}
    for word, _ in counts.most_common():
        spellings.setdefault(word.lower(), word)
    return list(spellings.values())[:_SUGGESTION_WORDS]


def _reusable(
    documents: Sequence[Document], previous: SearchIndex | None
) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Passage texts and terms from ``previous`` of the documents it holds unchanged."""
    if previous is None or previous.analysis_version != ANALYSIS_VERSION:
        return {}
    ranges = {
        document.source.doc: previous.passage_range(document.source.doc)
        for document in documents
        if previous.fingerprints.get(document.source.doc) == document.fingerprint
    }
    numbers = [number for span in ranges.values() for number in span]
    terms = iter(previous.bm25.passage_terms(numbers))
    return {
        doc: ([previous._texts[n] for n in span], [next(terms) for _ in span])
        for doc, span in ranges.items()
    }


def save_index(index: SearchIndex, path: Path) -> None:
    """Write ``index`` as a new version under ``path`` and make it current atomically."""
    path.mkdir(parents=True, exist_ok=True)
    name = f"v{FORMAT_VERSION}-{index.corpus_fingerprint[:12]}-{time.time_ns()}"
    building = path / f".building-{name}"
    building.mkdir()
    try:
        encoded = [text.encode("utf-8") for text in _all_texts(index)]
        with open(building / _TEXTS, "wb") as handle:
            for chunk in encoded:
                handle.write(chunk)
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(chunk) for chunk in encoded], out=offsets[1:])
        np.save(building / _OFFSETS, offsets)
        np.save(building / _DOC_STARTS, np.asarray(index._doc_starts, dtype=np.int64))
        index.bm25.save(building)
        manifest = {
            "format": FORMAT_VERSION,
            "corpus_fingerprint": index.corpus_fingerprint,
            "analysis": index.analysis_version,
            "sources": [asdict(source) for source in index.sources],
            "fingerprints": index.fingerprints,
            "splitter": index.splitter.to_data(),
            "words": list(index.words),
        }
        files = {item.name: item.stat().st_size for item in building.iterdir()}
        manifest["files"] = files
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


def load_index(path: Path) -> SearchIndex:
    """Open the current version under ``path``.

    Raises FileNotFoundError when nothing was saved there yet and IndexFormatError when
    what is there is damaged or of another format (rebuilding fixes both).
    """
    pointer = path / _POINTER
    if not pointer.is_file():
        raise FileNotFoundError(pointer)
    try:
        folder = path / _read_json(pointer)["current"]
        manifest = _read_json(folder / _MANIFEST)
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexFormatError(
                f"The index at {path} has format {manifest.get('format')}, "
                f"this citebot reads {FORMAT_VERSION}"
            )
        for name, size in manifest["files"].items():
            if (folder / name).stat().st_size != size:
                raise IndexFormatError(f"{folder / name} has the wrong size")
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
        return SearchIndex(
            sources=sources,
            fingerprints=dict(manifest["fingerprints"]),
            doc_starts=doc_starts,
            texts=_PackedTexts(blob, offsets),
            bm25=Bm25.load(folder),
            splitter=SentenceSplitter.from_data(manifest["splitter"]),
            words=manifest["words"],
            corpus_fingerprint=manifest["corpus_fingerprint"],
            analysis_version=int(manifest.get("analysis", 0)),
        )
    except IndexFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexFormatError(f"The index at {path} is damaged ({error})") from error


def open_index(
    corpus_dir: Path,
    index_path: Path,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
    previous: SearchIndex | None = None,
) -> tuple[SearchIndex, list[str]]:
    """The index for ``corpus_dir``: loaded from ``index_path`` when it is current, else
    built (reusing what ``previous`` or the stale stored index already analysed) and saved.
    Returns it with warnings for a person (skipped files, rebuild reasons).
    """
    documents, warnings = load_corpus(corpus_dir)
    fingerprint = corpus_fingerprint(documents, corpus_dir)
    if not rebuild:
        try:
            stored = load_index(index_path)
        except FileNotFoundError:
            log.info("No stored index at %s yet; building one.", index_path)
        except IndexFormatError as error:
            warnings.append(f"{error}; rebuilding it.")
        else:
            if stored.corpus_fingerprint == fingerprint:
                return stored, warnings
            log.info("The corpus changed since the index at %s was built; rebuilding.", index_path)
            previous = previous or stored
    index = build_index(documents, fingerprint, progress, previous)
    try:
        save_index(index, index_path)
    except OSError as error:
        warnings.append(f"Could not save the index to {index_path} ({error}); using it unsaved.")
    return index, warnings


def _all_texts(index: SearchIndex) -> Iterator[str]:
    return (index._texts[number] for number in range(index.passage_total))


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
