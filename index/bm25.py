"""BM25 over passage terms: rank-bm25's ``BM25Okapi`` scores, read from an inverted index.

rank-bm25 is the definition of the score, but it walks every passage in Python for every
query term. Here each term's postings hold the finished BM25 contribution of every passage
that contains it, so a query costs the postings of its terms plus a top-k selection. The
arithmetic repeats rank-bm25's operation for operation, so scores agree to the last bit.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from index.errors import CorpusError, IndexFormatError
from index.progress import Progress, ProgressCallback

FORMAT_VERSION = 1

_CHUNK = 65_536
"""Passages mapped to term ids between two progress reports."""

_UNION_FACTOR = 16
"""A query whose postings are fewer than n_passages / this scores on their union, not densely."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Bm25Params:
    """rank-bm25's ``BM25Okapi`` parameters; its defaults."""

    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


# name -> (dtype, number of dimensions) of every array a saved index holds.
_FILES: dict[str, tuple[np.dtype[np.generic], int]] = {
    "meta": (np.dtype(np.float64), 1),
    "vocab_bytes": (np.dtype(np.uint8), 1),
    "vocab_offsets": (np.dtype(np.int64), 1),
    "term_ptr": (np.dtype(np.int64), 1),
    "idf": (np.dtype(np.float64), 1),
    "postings_doc": (np.dtype(np.int32), 1),
    "postings_weight": (np.dtype(np.float64), 1),
    "postings_tf": (np.dtype(np.int32), 1),
}


class _Vocabulary(Sequence[bytes]):
    """Terms sorted by their UTF-8 bytes in one blob, so lookup is a bisection, not a dict."""

    def __init__(self, blob: npt.NDArray[np.uint8], offsets: IntArray) -> None:
        self.blob = blob
        self.offsets = offsets
        self._bytes = blob.tobytes()  # a few MB even at a million passages

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:  # type: ignore[override]
        return self._bytes[self.offsets[i] : self.offsets[i + 1]]

    def find(self, term: str) -> int:
        """The term's id, or -1 when it is not in the index."""
        key = _encode(term)
        i = bisect.bisect_left(self, key)
        return i if i < len(self) and self[i] == key else -1

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self[i].decode("utf-8", "surrogatepass") for i in ids]

    @classmethod
    def of(cls, terms: Sequence[str]) -> _Vocabulary:
        """``terms`` must already be sorted by their encoded bytes."""
        encoded = [_encode(t) for t in terms]
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
        offsets = np.zeros(len(encoded) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), np.uint8)
        return cls(blob, offsets)


def _encode(term: str) -> bytes:
    return term.encode("utf-8", "surrogatepass")


class Bm25:
    """An immutable BM25 index over numbered passages; build it, or load a saved one."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        params: Bm25Params,
        n_passages: int,
    ) -> None:
        self._arrays = arrays
        self._params = params
        self._n = n_passages
        self._vocab = _Vocabulary(arrays["vocab_bytes"], arrays["vocab_offsets"])
        self._term_ptr: IntArray = arrays["term_ptr"]
        self._idf: FloatArray = arrays["idf"]
        self._docs: npt.NDArray[np.int32] = arrays["postings_doc"]
        self._weights: FloatArray = arrays["postings_weight"]
        self._tfs: npt.NDArray[np.int32] = arrays["postings_tf"]

    @property
    def n_passages(self) -> int:
        return self._n

    @property
    def params(self) -> Bm25Params:
        return self._params

    # -- building ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        passages: Sequence[Sequence[str]],
        params: Bm25Params = Bm25Params(),  # noqa: B008 - frozen, so sharing it is safe
        progress: ProgressCallback | None = None,
    ) -> Bm25:
        """Index the analysed terms of each passage, in passage order."""
        n = len(passages)
        lengths = np.fromiter(map(len, passages), np.int64, n)
        if n == 0 or not lengths.any():
            raise CorpusError(
                "No passage has any indexable words, so there is nothing to search "
                "(rank-bm25 would divide by zero); add articles to the corpus folder."
            )
        terms, token_ids = _term_ids(passages, lengths, progress)
        order = sorted(range(len(terms)), key=lambda i: _encode(terms[i]))
        rank = np.empty(len(terms), np.int32)
        rank[order] = np.arange(len(terms), dtype=np.int32)

        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        counts = sparse.csr_matrix(
            (np.ones(len(token_ids), np.int32), rank[token_ids], indptr),
            shape=(n, len(terms)),
        )
        del token_ids
        counts.sum_duplicates()
        by_term = counts.tocsc()
        del counts
        by_term.sort_indices()

        term_ptr = by_term.indptr.astype(np.int64)
        df = np.diff(term_ptr)
        idf_first_seen = _raw_idf(df[rank], n)  # rank-bm25 sums idf in first-seen order
        average_idf = float(np.add.accumulate(idf_first_seen)[-1]) / len(terms)
        idf = _raw_idf(df, n)
        idf[idf < 0] = params.epsilon * average_idf

        docs = by_term.indices.astype(np.int32, copy=False)
        tfs = by_term.data.astype(np.int32, copy=False)
        del by_term
        weights = _weights(idf, df, docs, tfs, lengths, params)

        vocab = _Vocabulary.of([terms[i] for i in order])
        meta = np.array(
            [FORMAT_VERSION, n, len(terms), len(docs), params.k1, params.b, params.epsilon],
            np.float64,
        )
        arrays = {
            "meta": meta,
            "vocab_bytes": vocab.blob,
            "vocab_offsets": vocab.offsets,
            "term_ptr": term_ptr,
            "idf": idf,
            "postings_doc": docs,
            "postings_weight": weights,
            "postings_tf": tfs,
        }
        if progress:
            progress(Progress("indexing", n, n))
        return cls(arrays, params, n)

    # -- asking -----------------------------------------------------------------------

    def idf(self, term: str) -> float:
        """The term's IDF as scoring uses it (epsilon floor applied); 0.0 if unknown."""
        i = self._vocab.find(term)
        return float(self._idf[i]) if i >= 0 else 0.0

    def term_ids(self, terms: Sequence[str]) -> IntArray:
        """Each term's id (its place in the sorted vocabulary), -1 for unknown terms."""
        ids = self._ids
        return np.fromiter((ids.get(term, -1) for term in terms), np.int64, len(terms))

    @property
    def idf_array(self) -> FloatArray:
        """IDF by term id, as scoring uses it."""
        return self._idf

    @cached_property
    def terms(self) -> list[str]:
        """The vocabulary, by term id."""
        return self._vocab.decode(range(len(self._vocab)))

    @cached_property
    def _ids(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.terms)}

    def document_frequency(self, term: str) -> int:
        """How many passages contain the term."""
        i = self._vocab.find(term)
        return int(self._term_ptr[i + 1] - self._term_ptr[i]) if i >= 0 else 0

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best (passage number, score), best first; only scores > 0.

        Ties go to the lower passage number.
        """
        slices = list(self._postings(query))
        if k <= 0 or not slices:
            return []
        docs = np.concatenate([self._docs[a:b] for a, b in slices])
        weights = np.concatenate([self._weights[a:b] for a, b in slices])
        if len(docs) * _UNION_FACTOR < self._n:
            candidates, where = np.unique(docs, return_inverse=True)
            scores = _summed(where, weights, len(candidates))
        else:
            dense = _summed(docs, weights, self._n)
            candidates = np.flatnonzero(dense > 0)
            scores = dense[candidates]
        return _best(candidates, scores, k)

    def scores(self, query: Sequence[str], passages: Sequence[int]) -> FloatArray:
        """The exact scores of the given passages, in their order."""
        wanted = np.asarray(passages, np.int64)
        total = np.zeros(len(wanted), np.float64)
        for a, b in self._postings(query):
            docs = self._docs[a:b]
            at = np.searchsorted(docs, wanted)
            found = at < len(docs)
            found[found] = docs[at[found]] == wanted[found]
            total[found] += self._weights[a:b][at[found]]
        return total

    def passage_terms(self, passages: Sequence[int]) -> list[list[str]]:
        """The analysed terms of the given passages (each as often as it occurs, sorted).

        For an incremental reindex: feed them back to ``build`` instead of re-analysing
        unchanged articles. It scans all postings, so ask once for every passage kept.
        """
        wanted = np.asarray(passages, np.int64)
        slot = np.full(self._n, -1, np.int64)
        slot[wanted] = np.arange(len(wanted))
        picked = np.flatnonzero(slot[self._docs] >= 0)
        owner = slot[self._docs[picked]]
        term = np.searchsorted(self._term_ptr, picked, side="right") - 1
        order = np.argsort(owner, kind="stable")
        owner, term = owner[order], term[order]
        tfs = self._tfs[picked][order]
        used, term = np.unique(term, return_inverse=True)
        strings = self._vocab.decode(used.tolist())
        tokens = list(map(strings.__getitem__, np.repeat(term, tfs).tolist()))
        ends = np.cumsum(np.bincount(np.repeat(owner, tfs), minlength=len(wanted))).tolist()
        return [tokens[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]

    def _postings(self, query: Sequence[str]) -> Iterator[tuple[int, int]]:
        """The postings range of each known query term, in query order, repeats included."""
        for term in query:
            i = self._vocab.find(term)
            if i >= 0:
                yield int(self._term_ptr[i]), int(self._term_ptr[i + 1])

    # -- persistence ------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the arrays as ``bm25_*.npy`` into an existing directory."""
        for name in _FILES:
            np.save(directory / f"bm25_{name}.npy", self._arrays[name], allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> Bm25:
        """Memory-map a saved index; IndexFormatError names the file when it is unusable."""
        arrays = {name: _load_array(directory, name, *spec) for name, spec in _FILES.items()}
        meta = arrays["meta"]
        if len(meta) != 7 or meta[0] != FORMAT_VERSION:
            raise _format_error(directory, "meta", f"is not BM25 format {FORMAT_VERSION}")
        n, n_terms, n_postings = (int(x) for x in meta[1:4])
        sizes = {
            "vocab_offsets": n_terms + 1,
            "term_ptr": n_terms + 1,
            "idf": n_terms,
            "postings_doc": n_postings,
            "postings_weight": n_postings,
            "postings_tf": n_postings,
        }
        for name, size in sizes.items():
            if len(arrays[name]) != size:
                raise _format_error(
                    directory, name, f"holds {len(arrays[name])} values, not {size}"
                )
        if len(arrays["vocab_bytes"]) != arrays["vocab_offsets"][-1]:
            raise _format_error(directory, "vocab_bytes", "does not match vocab_offsets")
        if arrays["term_ptr"][0] != 0 or arrays["term_ptr"][-1] != n_postings:
            raise _format_error(directory, "term_ptr", "does not span the postings")
        params = Bm25Params(k1=float(meta[4]), b=float(meta[5]), epsilon=float(meta[6]))
        return cls(arrays, params, n)


def _term_ids(
    passages: Sequence[Sequence[str]], lengths: IntArray, progress: ProgressCallback | None
) -> tuple[list[str], npt.NDArray[np.int32]]:
    """Terms in order of first appearance (rank-bm25's order) and every token's term id.

    One pass: an unseen term's id is the number of terms seen before it.
    """
    ids: defaultdict[str, int] = defaultdict()
    ids.default_factory = ids.__len__
    n = len(passages)
    token_ids = np.empty(int(lengths.sum()), np.int32)
    ends = np.cumsum(lengths)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        first, last = int(ends[start] - lengths[start]), int(ends[stop - 1])
        chunk = chain.from_iterable(passages[start:stop])
        token_ids[first:last] = np.fromiter(map(ids.__getitem__, chunk), np.int32, last - first)
        if progress:
            progress(Progress("indexing", stop, n))
    return list(ids), token_ids


def _weights(
    idf: FloatArray,
    df: IntArray,
    docs: npt.NDArray[np.int32],
    tfs: npt.NDArray[np.int32],
    lengths: IntArray,
    params: Bm25Params,
) -> FloatArray:
    """Every posting's BM25 contribution, as rank-bm25 computes it operation for operation:
    idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))).

    In place, so that two postings-sized float arrays live at once, not five as in the
    plain expression (0.9 GB instead of 2.2 GB at 1M passages).
    """
    avgdl = int(lengths.sum()) / len(lengths)
    doc_norm = params.k1 * (1 - params.b + params.b * lengths / avgdl)
    ratio = tfs.astype(np.float64)
    denominator = doc_norm[docs]
    denominator += ratio
    ratio *= params.k1 + 1
    ratio /= denominator
    del denominator
    weights = np.repeat(idf, df)
    weights *= ratio
    return weights


def _raw_idf(df: IntArray, n: int) -> FloatArray:
    """rank-bm25's idf with math.log (numpy's log may differ in the last bit), per distinct df."""
    distinct, where = np.unique(df, return_inverse=True)
    values = [math.log(n - d + 0.5) - math.log(d + 0.5) for d in distinct.tolist()]
    return np.asarray(values, np.float64)[where]


def _summed(slots: npt.NDArray[np.integer], weights: FloatArray, size: int) -> FloatArray:
    """Weights summed per slot in array order: term by term in query order, as rank-bm25 adds."""
    return np.bincount(slots, weights, size).astype(np.float64, copy=False)


def _best(candidates: IntArray, scores: FloatArray, k: int) -> list[tuple[int, float]]:
    """Top ``k`` positive scores, best first, ties to the lower passage (candidates ascend)."""
    positive = scores > 0
    candidates, scores = candidates[positive], scores[positive]
    if len(scores) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = scores >= kth
        candidates, scores = candidates[keep], scores[keep]
    order = np.lexsort((candidates, -scores))[:k]
    return list(zip(candidates[order].tolist(), scores[order].tolist(), strict=True))


def _load_array(directory: Path, name: str, dtype: np.dtype[np.generic], ndim: int) -> np.ndarray:
    path = directory / f"bm25_{name}.npy"
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise _format_error(directory, name, "is missing") from None
    except (OSError, ValueError) as error:
        raise _format_error(directory, name, f"cannot be read ({error})") from None
    if array.dtype != dtype or array.ndim != ndim:
        raise _format_error(directory, name, f"holds {array.dtype}[{array.ndim}d], not {dtype}")
    return array


def _format_error(directory: Path, name: str, problem: str) -> IndexFormatError:
    return IndexFormatError(
        f"BM25 index file {directory / f'bm25_{name}.npy'} {problem}; "
        "delete the index folder and run `citebot reindex` to rebuild it."
    )
