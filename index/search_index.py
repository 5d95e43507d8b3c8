"""The embedded search index: passages and their sentences, BM25 over both, and the
sentence vectors of the semantic signal.

Everything a question needs is computed here, once, at index time: sentence boundaries,
each sentence's analysed terms (as term ids), a sentence-level BM25 index and, when the
semantic extra is installed, a unit vector a sentence. A question then only looks up.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

import numpy as np
import numpy.typing as npt

from index.analyze import ANALYSIS_VERSION, analyze
from index.bm25 import Bm25, term_numbering
from index.embed import DIMENSIONS, Embedder
from index.models import Document, Hit, Passage, Source
from index.passages import PASSAGES_VERSION, passage_texts
from index.progress import Progress, ProgressCallback
from index.sentences import SentenceSplitter
from index.spelling import Spellings

TEXT_VERSION = f"passages {PASSAGES_VERSION}, sentences 2, analysis {ANALYSIS_VERSION}"
"""What an index's passages and terms were made by: another value means nothing of that
index can be reused, and a stored one is stale."""
_SUGGESTION_WORDS = 100_000
_WORD = re.compile(r"[^\W\d_]{3,}")
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Sentences:
    """Every sentence of the index, numbered across it: where it stands in its passage,
    its terms as ids of the passage vocabulary, and (optionally) its vector."""

    passage_starts: IntArray
    """``passage_starts[p]`` is the number of passage p's first sentence; one more entry
    than passages."""
    spans: npt.NDArray[np.int32]
    """[sentences, 2]: each sentence's character span inside its passage."""
    term_starts: IntArray
    term_ids: npt.NDArray[np.int32]
    bm25: Bm25
    vectors: npt.NDArray[np.float16] | None = None
    """[sentences, 384] unit vectors of ``embed.MODEL_ID``, or None when not computed."""

    @property
    def total(self) -> int:
        return len(self.spans)

    def of_passage(self, passage: int) -> range:
        return range(int(self.passage_starts[passage]), int(self.passage_starts[passage + 1]))

    def terms(self, sentence: int) -> npt.NDArray[np.int32]:
        """The sentence's term ids, in text order, repeats kept."""
        return self.term_ids[self.term_starts[sentence] : self.term_starts[sentence + 1]]


class SearchIndex:
    """Documents' sources, their passages and sentences, and the indexes over them."""

    def __init__(
        self,
        *,
        sources: Sequence[Source],
        fingerprints: dict[str, str],
        doc_starts: np.ndarray,
        texts: Sequence[str],
        bm25: Bm25,
        sentences: Sentences,
        splitter: SentenceSplitter,
        words: Sequence[str],
        corpus_fingerprint: str,
        text_version: str = TEXT_VERSION,
        stored: Callable[[], None] | None = None,
        version: str = "",
    ) -> None:
        self.sources = tuple(sources)
        self.fingerprints = fingerprints
        self.bm25 = bm25
        self.sentences = sentences
        self.splitter = splitter
        self.text_version = text_version
        self.words = tuple(words)
        self.corpus_fingerprint = corpus_fingerprint
        self.doc_starts = doc_starts
        self.texts = texts
        self._doc_numbers = {source.doc: number for number, source in enumerate(self.sources)}
        self.check_stored = stored or (lambda: None)
        """Raises IndexFormatError when the files this index was loaded from (memory-mapped,
        so read live) no longer match their checksums; a no-op for a built index."""
        self.version = version
        """The stored version this index was loaded from or saved as ("" when unsaved)."""

    @cached_property
    def spellings(self) -> Spellings:
        """The vocabulary that close-spelling suggestions compare a word against, built
        once rather than for every question."""
        return Spellings(self.words)

    @property
    def passage_total(self) -> int:
        return len(self.texts)

    @property
    def has_vectors(self) -> bool:
        return self.sentences.vectors is not None

    def passage_count(self, doc: str) -> int:
        """How many passages the article named ``doc`` gave (0 when it is not indexed)."""
        return len(self.passage_range(doc))

    def passage_range(self, doc: str) -> range:
        """The numbers of the passages of the article named ``doc`` (empty when unknown)."""
        number = self._doc_numbers.get(doc)
        if number is None:
            return range(0)
        return range(int(self.doc_starts[number]), int(self.doc_starts[number + 1]))

    def sentence_words(self, sentence: int) -> list[str]:
        return [self.bm25.term(i) for i in self.sentences.terms(sentence).tolist()]

    def source_of(self, passage: int) -> Source:
        """The source of a passage, by passage number."""
        return self.sources[int(np.searchsorted(self.doc_starts, passage, side="right")) - 1]

    def known_terms(self, terms: Sequence[str]) -> tuple[IntArray, npt.NDArray[np.float64]]:
        """Each term's id (-1 when unknown) and IDF (0.0 when unknown): ``backend.Backend``."""
        ids = self.bm25.term_ids(terms)
        return ids, np.where(ids >= 0, self.bm25.idf_array[np.maximum(ids, 0)], 0.0)

    def view(self, terms: Mapping[str, int]) -> SearchIndex:
        """The embedded index holds every passage, so it is every question's view."""
        return self

    def search(self, terms: Sequence[str], limit: int) -> list[Hit]:
        """The best-scoring passages for analysed question terms, best first."""
        return [
            Hit(self.passage(number), self.source_of(number), score)
            for number, score in self.bm25.top(terms, limit)
        ]

    def passage_of_sentence(self, sentence: int) -> int:
        return int(np.searchsorted(self.sentences.passage_starts, sentence, side="right")) - 1

    def sentence_before(self, sentence: int) -> str | None:
        before = sentence - 1
        if before < 0:
            return None
        passage = self.passage_of_sentence(before)
        if self.source_of(passage).doc != self.source_of(self.passage_of_sentence(sentence)).doc:
            return None
        start, end = self.sentences.spans[before].tolist()
        return self.texts[passage][start:end]

    def passage(self, number: int) -> Passage:
        """A passage with its sentence boundaries, by passage number."""
        sentences = self.sentences.of_passage(number)
        spans = self.sentences.spans[sentences.start : sentences.stop].tolist()
        return Passage(
            self.source_of(number).doc,
            number,
            self.texts[number],
            tuple((start, end) for start, end in spans),
            sentences.start,
        )


@dataclass(frozen=True)
class _Analysed:
    """One article's passages as indexing needs them, fresh or kept from a previous index."""

    texts: list[str]
    sentence_counts: IntArray
    """How many sentences each passage has."""
    spans: npt.NDArray[np.int32]
    """[sentences, 2]: each sentence's character span inside its passage."""
    terms: npt.NDArray[np.int32]
    """Every sentence's terms back to back, passage after passage, as ids of the build's
    ``term_numbering``. The whole corpus's sentences are held until BM25 is built: as lists
    of strings and tuples (and their copies) they made a build's memory peak at ~4x the
    saved index."""
    term_counts: IntArray
    """How many of ``terms`` each sentence has."""
    vectors: npt.NDArray[np.float16] | None = None

    def sentence_texts(self) -> list[str]:
        passages = np.repeat(np.arange(len(self.texts)), self.sentence_counts).tolist()
        return [
            self.texts[passage][start:end]
            for passage, (start, end) in zip(passages, self.spans.tolist(), strict=True)
        ]


def build_index(
    documents: Sequence[Document],
    fingerprint: str,
    progress: ProgressCallback | None = None,
    previous: SearchIndex | Sequence[SearchIndex] | None = None,
    embedder: Embedder | None = None,
    splitter: SentenceSplitter | None = None,
) -> SearchIndex:
    """Split, analyse, index and (with an embedder) embed the documents.

    Articles whose content is unchanged since ``previous`` keep its passages, sentences,
    terms and vectors instead of being processed again, which is most of a rebuild's work;
    the sentence splitter is kept too, so a rebuild splits like the build before it.
    ``previous`` may be several indexes (a shared corpus and a server's own index over it):
    each article is taken from the first that holds it unchanged, the splitter from the first.
    A given ``splitter`` (a sharded index's, for the articles it re-indexes) wins over both.
    """
    previous_indexes = [previous] if isinstance(previous, SearchIndex) else list(previous or ())
    kept: dict[str, SearchIndex] = {}
    for earlier in reversed(previous_indexes):
        kept |= _reusable(documents, earlier)
    fresh = {
        document.source.doc: passage_texts(document)
        for document in documents
        if document.source.doc not in kept
    }
    if splitter is None and previous_indexes and kept:
        splitter = previous_indexes[0].splitter
    elif splitter is None:
        splitter = SentenceSplitter.train([text for texts in fresh.values() for text in texts])
    ids = term_numbering()  # in document order, so the ids are BM25's order of first sight
    analysed: list[_Analysed] = []
    for number, document in enumerate(documents):
        doc = document.source.doc
        analysed.append(
            _reuse(kept[doc], doc, ids) if doc in kept else _analyse(fresh[doc], splitter, ids)
        )
        if progress:
            progress(Progress("analysing", number + 1, len(documents)))
    terms = list(ids)
    del ids  # a dict of every term (~26 MB at 100k passages), needed no more
    return _assemble(documents, analysed, terms, splitter, fingerprint, progress, embedder)


def _analyse(texts: list[str], splitter: SentenceSplitter, ids: defaultdict[str, int]) -> _Analysed:
    passage_spans = [_sentence_spans(text, splitter) for text in texts]
    terms = [
        analyze(text[start:end])
        for text, spans in zip(texts, passage_spans, strict=True)
        for start, end in spans
    ]
    counts = np.fromiter(map(len, terms), np.int64, len(terms))
    return _Analysed(
        texts,
        np.fromiter(map(len, passage_spans), np.int64, len(texts)),
        np.asarray(list(chain.from_iterable(passage_spans)), np.int32).reshape(-1, 2),
        _numbered(chain.from_iterable(terms), counts, ids),
        counts,
    )


def _numbered(
    terms: Iterable[str], counts: IntArray, ids: defaultdict[str, int]
) -> npt.NDArray[np.int32]:
    """The ids of ``terms`` (``counts`` of them in all), new terms numbered as they come."""
    return np.fromiter(map(ids.__getitem__, terms), np.int32, int(counts.sum()))


def _sentence_spans(text: str, splitter: SentenceSplitter) -> list[tuple[int, int]]:
    """Punkt's sentences of a passage, with a "sentence" of punctuation alone (a stray
    ".." after a full stop) joined to the one before: it is nothing to quote."""
    spans: list[tuple[int, int]] = []
    for start, end in splitter.spans(text):
        if spans and not any(character.isalnum() for character in text[start:end]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans or [(0, len(text))]


def _assemble(
    documents: Sequence[Document],
    analysed: Sequence[_Analysed],
    terms: list[str],
    splitter: SentenceSplitter,
    fingerprint: str,
    progress: ProgressCallback | None,
    embedder: Embedder | None,
) -> SearchIndex:
    texts = [text for part in analysed for text in part.texts]
    words = vocabulary(texts)  # before BM25 is built, its counts need not fit beside it
    per_passage = _joined((part.sentence_counts for part in analysed), np.empty(0, np.int64))
    passage_starts = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(per_passage, out=passage_starts[1:])
    token_ids = _joined((part.terms for part in analysed), np.empty(0, np.int32))
    lengths = _joined((part.term_counts for part in analysed), np.empty(0, np.int64))
    term_starts = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=term_starts[1:])
    # A passage's tokens are its sentences', so one array of ids serves both indexes.
    bm25 = Bm25.from_ids(terms, token_ids, np.diff(term_starts[passage_starts]), progress=progress)
    sentences = Sentences(
        passage_starts=passage_starts,
        spans=_joined((part.spans for part in analysed), np.empty((0, 2), np.int32)),
        term_starts=term_starts,
        term_ids=bm25.term_ids(terms).astype(np.int32)[token_ids],
        bm25=Bm25.from_ids(terms, token_ids, lengths),
        vectors=_vectors(analysed, embedder, progress),
    )
    doc_starts = np.zeros(len(documents) + 1, np.int64)
    np.cumsum([len(part.texts) for part in analysed], out=doc_starts[1:])
    return SearchIndex(
        sources=[document.source for document in documents],
        fingerprints={document.source.doc: document.fingerprint for document in documents},
        doc_starts=doc_starts,
        texts=texts,
        bm25=bm25,
        sentences=sentences,
        splitter=splitter,
        words=words,
        corpus_fingerprint=fingerprint,
    )


def _joined(arrays: Iterable[np.ndarray], empty: np.ndarray) -> np.ndarray:
    """The arrays one after the other, from ``empty`` (their dtype and trailing shape): no
    arrays at all, np.concatenate refuses (no articles, which Bm25 then reports)."""
    return np.concatenate([empty, *arrays])


def _vectors(
    analysed: Sequence[_Analysed], embedder: Embedder | None, progress: ProgressCallback | None
) -> npt.NDArray[np.float16] | None:
    """Sentence vectors: kept ones reused, the rest embedded (None without an embedder)."""
    if embedder is None:
        return None
    todo = [text for part in analysed if part.vectors is None for text in part.sentence_texts()]
    report = (lambda done: progress(Progress("embedding", done, len(todo)))) if progress else None
    embedded = embedder.embed_for_index(todo, report)
    blocks, position = [], 0
    for part in analysed:
        if part.vectors is None:
            blocks.append(embedded[position : position + len(part.term_counts)])
            position += len(part.term_counts)
        else:
            blocks.append(part.vectors)
    return np.concatenate(blocks) if blocks else np.zeros((0, DIMENSIONS), np.float16)


def vocabulary(texts: Sequence[str]) -> list[str]:
    """The corpus's most frequent words, each in its most frequent spelling ("Romania"),
    for suggesting close spellings of words a question misspells."""
    counts: Counter[str] = Counter()
    for text in texts:  # text by text: the whole corpus's words as one list would not fit
        counts.update(_WORD.findall(text))
    spellings: dict[str, str] = {}
    for word, _ in counts.most_common():
        spellings.setdefault(word.lower(), word)
    return list(spellings.values())[:_SUGGESTION_WORDS]


def _reusable(documents: Sequence[Document], previous: SearchIndex) -> dict[str, SearchIndex]:
    """The documents ``previous`` holds unchanged, each mapped to it."""
    if previous.text_version != TEXT_VERSION:
        return {}
    return {
        document.source.doc: previous
        for document in documents
        if previous.fingerprints.get(document.source.doc) == document.fingerprint
    }


def _reuse(previous: SearchIndex, doc: str, ids: defaultdict[str, int]) -> _Analysed:
    """What ``previous`` holds of the article ``doc``, ready to index again: its terms
    renumbered by ``ids``, an article at a time, as fresh ones are."""
    sentences = previous.sentences
    passages = previous.passage_range(doc)
    texts = [previous.texts[n] for n in passages]
    passage_starts = sentences.passage_starts[passages.start : passages.stop + 1]
    first, stop = int(passage_starts[0]), int(passage_starts[-1])
    term_starts = sentences.term_starts[first : stop + 1]
    counts = np.diff(term_starts)
    stored = sentences.term_ids[term_starts[0] : term_starts[-1]].tolist()
    terms = _numbered(map(previous.bm25.terms.__getitem__, stored), counts, ids)
    vectors = np.asarray(sentences.vectors[first:stop]) if sentences.vectors is not None else None
    spans = sentences.spans[first:stop]
    return _Analysed(texts, np.diff(passage_starts), spans, terms, counts, vectors)
