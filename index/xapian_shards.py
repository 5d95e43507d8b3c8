"""Writing citebot's index into Xapian shards: one Xapian database per shard folder.

Each passage is a Xapian document whose terms are citebot's own analysed terms (no Xapian
stemmer), each with its count as wdf, so Xapian's document lengths are citebot's. Its data
holds all a question needs (article, place, text, sentence spans and terms, vectors), so
a host that serves the shards needs nothing else. Articles go to shards by a stable hash
of the file name: an incremental reindex rewrites only the shards of changed articles.

Per-shard metadata keeps what the client adds up across shards: the articles, the sentence
count and length, each term's sentence frequency (``s:`` keys), the sentence splitter
(the same on every shard) and the layout's version.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xapian

from index.corpus import load_corpus
from index.embed import DIMENSIONS, Embedder
from index.errors import CitebotError, IndexFormatError
from index.models import Document
from index.pool import StoredPassage
from index.progress import ProgressCallback
from index.search_index import TEXT_VERSION, SearchIndex, build_index, vocabulary
from index.sentences import SentenceSplitter
from index.shard_location import shard_folders, shard_name

LAYOUT_VERSION = "1"
"""Bump when what a shard holds changes, so an old shard is rebuilt rather than misread."""
FORMAT_KEY, TEXT_KEY, SHARDS_KEY = "citebot:format", "citebot:text", "citebot:shards"
ARTICLES_KEY, SPLITTER_KEY, WORDS_KEY = "citebot:articles", "citebot:splitter", "citebot:words"
SENTENCES_KEY, SENTENCE_LENGTH_KEY = "citebot:sentences", "citebot:sentence-length"
VECTORS_KEY = "citebot:vectors"
SENTENCE_FREQUENCY = "s:"
"""Metadata key prefix: ``s:<term>`` is how many of the shard's sentences hold the term."""
ARTICLE_PREFIX = "Q"
"""Boolean (wdf 0, so no length) term naming a passage's article; citebot terms are lowercase."""
_MAX_TERM_BYTES = 240
"""Xapian refuses terms over 245 bytes; longer ones (pasted junk) are shortened stably."""


def shard_of(doc: str, shards: int) -> int:
    """The shard an article lives on: a hash of its file name, the same on every machine."""
    return int.from_bytes(hashlib.sha256(doc.encode()).digest()[:8], "big") % shards


def xapian_term(term: str) -> str:
    """The Xapian term standing for a citebot term."""
    if len(term.encode()) <= _MAX_TERM_BYTES:
        return term
    return term[:100] + "#" + hashlib.sha256(term.encode()).hexdigest()[:16]


def encode_passage(passage: StoredPassage) -> bytes:
    """A passage as Xapian document data: a JSON header, then its float16 vectors."""
    header = json.dumps(
        {
            "doc": passage.doc,
            "at": passage.at,
            "text": passage.text,
            "spans": passage.spans,
            "terms": passage.terms,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    vectors = b"" if passage.vectors is None else passage.vectors.astype("<f2").tobytes()
    return struct.pack("<I", len(header)) + header + vectors


def decode_passage(data: bytes) -> StoredPassage:
    """The passage ``encode_passage`` wrote."""
    (size,) = struct.unpack_from("<I", data)
    header = json.loads(data[4 : 4 + size])
    rest = data[4 + size :]
    vectors = np.frombuffer(rest, "<f2").reshape(-1, DIMENSIONS) if rest else None
    return StoredPassage(
        header["doc"],
        header["at"],
        header["text"],
        tuple((start, end) for start, end in header["spans"]),
        tuple(tuple(terms) for terms in header["terms"]),
        vectors,
    )


class ShardError(CitebotError):
    """A shard cannot be reached, read or written; the message names it and what to do."""


@dataclass(frozen=True)
class ShardReport:
    """What a shard build changed."""

    shards: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    rewritten: tuple[int, ...]
    """The shards that were written to; the others were not opened for writing."""
    documents: int
    passages: int
    warnings: tuple[str, ...]


def build_shards(
    corpus_dir: Path,
    folder: Path,
    shards: int,
    *,
    full: bool = False,
    embedder: Embedder | None = None,
    progress: ProgressCallback | None = None,
) -> ShardReport:
    """Index ``corpus_dir`` into ``shards`` Xapian databases under ``folder``, rewriting only
    the shards whose articles changed (every shard with ``full``, a new shard count or an
    older layout)."""
    documents, warnings = load_corpus(corpus_dir)
    folder.mkdir(parents=True, exist_ok=True)
    held = [_read_articles(folder / shard_name(n)) for n in range(shards)]
    splitter = _stored_splitter(folder / shard_name(0))
    rebuild = full or splitter is None or _shard_count(folder) != shards or None in held
    current = [{} if rebuild or articles is None else articles for articles in held]
    wanted = {document.source.doc: document for document in documents}
    kept = _unchanged(current, wanted)
    fresh = [d for d in documents if d.source.doc not in kept]
    built = (
        build_index(fresh, "", progress, embedder=embedder, splitter=None if rebuild else splitter)
        if fresh
        else None
    )
    splitter = built.splitter if built is not None else splitter
    touched = sorted(
        {shard_of(doc.source.doc, shards) for doc in fresh}
        | {n for n, articles in enumerate(current) if set(articles) - kept}
        | {n for n, articles in enumerate(held) if rebuild or articles is None}
    )
    for number in touched:
        _write_shard(
            folder / shard_name(number),
            _Change(
                number,
                shards,
                set(current[number]) - kept,
                [d for d in fresh if shard_of(d.source.doc, shards) == number],
                built,
                splitter,
                rebuild,
            ),
        )
    for extra in shard_folders(folder):
        if extra.name not in {shard_name(n) for n in range(shards)}:
            warnings.append(f"{extra} is not one of the {shards} shards; remove it.")
    before = {doc for articles in current for doc in articles}
    return ShardReport(
        shards=shards,
        added=tuple(sorted(d.source.doc for d in fresh if d.source.doc not in before)),
        changed=tuple(sorted(d.source.doc for d in fresh if d.source.doc in before)),
        removed=tuple(sorted(before - set(wanted))),
        rewritten=tuple(touched),
        documents=len(documents),
        passages=sum(
            entry["passages"]
            for n in range(shards)
            for entry in (_read_articles(folder / shard_name(n)) or {}).values()
        ),
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class _Change:
    """What one shard's write does."""

    number: int
    shards: int
    stale: set[str]
    """Articles whose passages go: removed from the corpus, or changed."""
    documents: list[Document]
    """Articles whose passages (in ``built``) come in."""
    built: SearchIndex | None
    splitter: SentenceSplitter | None
    anew: bool
    """Start the shard empty (a full rebuild)."""


def _unchanged(current: Sequence[dict[str, Any]], wanted: dict[str, Document]) -> set[str]:
    """Articles a shard already holds exactly as the corpus has them."""
    return {
        doc
        for articles in current
        for doc, entry in articles.items()
        if doc in wanted and entry == _entry(wanted[doc], entry.get("passages", 0))
    }


def _entry(document: Document, passages: int) -> dict[str, Any]:
    return {
        "source": asdict(document.source),
        "fingerprint": document.fingerprint,
        "passages": passages,
    }


def _write_shard(path: Path, change: _Change) -> None:
    """Remove the stale articles' passages, add the new ones, update the metadata; one
    Xapian commit, so readers see the shard before or after, never between."""
    anew = change.anew or _read_articles(path) is None
    try:
        db = xapian.WritableDatabase(
            str(path), xapian.DB_CREATE_OR_OVERWRITE if anew else xapian.DB_CREATE_OR_OPEN
        )
    except xapian.DatabaseLockError:
        raise ShardError(
            f"Another process is writing the shard {path}; try again when it has finished."
        ) from None
    try:
        articles = json.loads(db.get_metadata(ARTICLES_KEY) or b"{}")
        frequencies: Counter[str] = Counter()
        sentences = int(db.get_metadata(SENTENCES_KEY) or 0)
        length = int(db.get_metadata(SENTENCE_LENGTH_KEY) or 0)
        for doc in change.stale:
            for passage in _passages_of(db, doc):
                sentences -= len(passage.terms)
                length -= sum(map(len, passage.terms))
                frequencies.subtract(t for terms in passage.terms for t in set(terms))
            db.delete_document(ARTICLE_PREFIX + doc)
            articles.pop(doc, None)
        for document in change.documents:
            passages = list(stored_passages(change.built, document.source.doc))
            for passage in passages:
                db.add_document(_xapian_document(passage))
                sentences += len(passage.terms)
                length += sum(map(len, passage.terms))
                frequencies.update(t for terms in passage.terms for t in set(terms))
            articles[document.source.doc] = _entry(document, len(passages))
        for term, difference in frequencies.items():
            if difference:
                key = SENTENCE_FREQUENCY + xapian_term(term)
                count = int(db.get_metadata(key) or 0) + difference
                db.set_metadata(key, str(count) if count > 0 else "")
        held = [decode_passage(doc.get_data()) for doc in _documents(db)]
        metadata = {
            WORDS_KEY: json.dumps(vocabulary([p.text for p in held]), ensure_ascii=False),
            VECTORS_KEY: "1" if all(p.vectors is not None for p in held) else "0",
            ARTICLES_KEY: json.dumps(articles, ensure_ascii=False, sort_keys=True),
            SENTENCES_KEY: str(sentences),
            SENTENCE_LENGTH_KEY: str(length),
            SHARDS_KEY: f"{change.number}/{change.shards}",
            TEXT_KEY: TEXT_VERSION,
            FORMAT_KEY: LAYOUT_VERSION,
        }
        if change.splitter is not None:
            metadata[SPLITTER_KEY] = json.dumps(change.splitter.to_data())
        for key, value in metadata.items():
            db.set_metadata(key, value)
        db.commit()
    finally:
        db.close()


def stored_passages(index: SearchIndex | None, doc: str) -> Iterable[StoredPassage]:
    """An indexed article's passages as a shard keeps them."""
    if index is None:
        return
    terms = index.bm25.terms
    vectors = index.sentences.vectors
    for at, number in enumerate(index.passage_range(doc)):
        passage = index.passage(number)
        span = index.sentences.of_passage(number)
        yield StoredPassage(
            doc,
            at,
            passage.text,
            passage.sentences,
            tuple(tuple(terms[i] for i in index.sentences.terms(s).tolist()) for s in span),
            None if vectors is None else np.asarray(vectors[span.start : span.stop]),
        )


def _xapian_document(passage: StoredPassage) -> xapian.Document:
    document = xapian.Document()
    for term, count in Counter(t for terms in passage.terms for t in terms).items():
        document.add_term(xapian_term(term), count)
    document.add_boolean_term(ARTICLE_PREFIX + passage.doc)
    document.set_data(encode_passage(passage))
    return document


def _documents(db: xapian.Database) -> Iterable[xapian.Document]:
    return (db.get_document(item.docid) for item in db.postlist(""))


def passage_at(db: xapian.Database, doc: str, at: int) -> StoredPassage | None:
    """Passage ``at`` of article ``doc`` (its place among the article's passages)."""
    return next((passage for passage in _passages_of(db, doc) if passage.at == at), None)


def _passages_of(db: xapian.Database, doc: str) -> Iterator[StoredPassage]:
    term = ARTICLE_PREFIX + doc
    return (decode_passage(db.get_document(item.docid).get_data()) for item in db.postlist(term))


def _read_articles(path: Path) -> dict[str, Any] | None:
    """The articles a shard holds; None when it does not exist or is of another layout (or
    of other analysis), so it must be written anew."""
    db = _open_existing(path)
    if db is None:
        return None
    try:
        if db.get_metadata(FORMAT_KEY).decode() != LAYOUT_VERSION:
            return None
        if db.get_metadata(TEXT_KEY).decode() != TEXT_VERSION:
            return None
        articles: dict[str, Any] = json.loads(db.get_metadata(ARTICLES_KEY) or b"{}")
        return articles
    finally:
        db.close()


def _stored_splitter(path: Path) -> SentenceSplitter | None:
    db = _open_existing(path)
    if db is None:
        return None
    try:
        data = db.get_metadata(SPLITTER_KEY)
        return SentenceSplitter.from_data(json.loads(data)) if data else None
    finally:
        db.close()


def _shard_count(folder: Path) -> int | None:
    db = _open_existing(folder / shard_name(0))
    if db is None:
        return None
    try:
        value = db.get_metadata(SHARDS_KEY).decode()
        return int(value.split("/")[1]) if value else None
    finally:
        db.close()


def _open_existing(path: Path) -> xapian.Database | None:
    if not path.is_dir():
        return None
    try:
        return xapian.Database(str(path))
    except xapian.DatabaseOpeningError as error:
        raise IndexFormatError(f"{path} is not a readable Xapian shard: {error}") from None
