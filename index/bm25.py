"""BM25 over passage terms: rank-bm25's ``BM25Okapi`` scores, read from an inverted index.

rank-bm25 is the definition of the score, but it walks every passage in Python for every
query term. Here each term's postings hold the finished BM25 contribution of every passage
that contains it, and the arithmetic repeats rank-bm25's operation for operation, so scores
agree to the last bit.

``top`` is document-at-a-time block-max MaxScore, compiled with numba: each term's postings
are cut into blocks of ``_BLOCK`` with the largest contribution of each block kept, so a
passage, or a run of passages, that cannot beat the k-th best score so far is skipped
without being scored. Bounds only decide what to skip; a passage that is scored is summed
term by term in query order, as rank-bm25 adds, so the top k are rank-bm25's exactly.
Terms are found through a hash table over the vocabulary, also compiled.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path

import numba
import numpy as np
import numpy.typing as npt
from scipy import sparse

from index.errors import CorpusError, IndexFormatError
from index.progress import Progress, ProgressCallback

FORMAT_VERSION = 2
"""2: blocks of postings with their largest weight, each term's largest, a term hash table."""

_CHUNK = 65_536
"""Passages mapped to term ids between two progress reports."""

_BLOCK = 64
"""Postings a block: small enough that its bound is tight, large enough to skip cheaply."""

_TOP = 32
"""Each term keeps its heaviest postings apart: they give a query a floor for its k-th score
before the walk starts (see ``_floor``)."""

_SLACK = 1.0 + 1e-9
"""Bounds are sums in another order than the score's; this covers their rounding many times
over, so a passage is skipped only when it cannot reach the k-th score, not when it ties."""

_DENSE_RATIO = 0.25
"""A query is scored term at a time (``_dense_top_k``) when the postings of the lists
MaxScore would walk, times the query's number of lists, come to at least this many times
all its postings: MaxScore spends ~10 ns a walked posting and list (a candidate is looked
up in every list), the dense path 2-3 ns a posting. Measured on bench/search.py's queries
at 100k and 1M passages, against the walked share alone (best at 0.1, with a worse p99) ..."""

_DENSE_PER_SPAN = 8.0
"""... and its postings average at least this many a ``_SPAN`` of the passages they range
over (sparser, the dense path's work per span costs more than it saves). Both are read at
every call, so a test can force either path (0.0 and 0.0: always dense, inf: never)."""

_SPAN = 2048
"""Passages the dense path sums at once: their 16 KB of totals stay in the core's L1 cache."""

_SCAN_BELOW = 4
"""The dense path finds a span's best passages by reading back its postings' slots when
they are fewer than 1 in this many of the span's passages, else by scanning the span."""

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
    "vocab_hash": (np.dtype(np.int32), 1),
    "term_ptr": (np.dtype(np.int64), 1),
    "term_block": (np.dtype(np.int64), 1),
    "term_max": (np.dtype(np.float64), 1),
    "idf": (np.dtype(np.float64), 1),
    "postings_doc": (np.dtype(np.int32), 1),
    "postings_weight": (np.dtype(np.float64), 1),
    "postings_tf": (np.dtype(np.int32), 1),
    "block_max": (np.dtype(np.float64), 1),
    "block_last": (np.dtype(np.int32), 1),
    "top_ptr": (np.dtype(np.int64), 1),
    "top_doc": (np.dtype(np.int32), 1),
    "top_weight": (np.dtype(np.float64), 1),
}
_META = ("format", "passages", "terms", "postings", "blocks", "block", "tops", "k1", "b", "epsilon")


def _encode(term: str) -> bytes:
    return term.encode("utf-8", "surrogatepass")


def _blob(encoded: Sequence[bytes]) -> tuple[npt.NDArray[np.uint8], IntArray]:
    """Byte strings as one array of bytes and the offsets where each starts (and the end)."""
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), out=offsets[1:])
    return np.frombuffer(b"".join(encoded), np.uint8), offsets


class Bm25:
    """An immutable BM25 index over numbered passages; build it, or load a saved one."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        params: Bm25Params,
        n_passages: int,
    ) -> None:
        # Plain read-only ndarrays, memory-mapped or not: one compiled signature serves both.
        self._arrays = {name: _read_only(array) for name, array in arrays.items()}
        self._params = params
        self._n = n_passages
        a = self._arrays
        self._vocab_bytes: npt.NDArray[np.uint8] = a["vocab_bytes"]
        self._vocab_offsets: IntArray = a["vocab_offsets"]
        self._vocab_hash: npt.NDArray[np.int32] = a["vocab_hash"]
        self._term_ptr: IntArray = a["term_ptr"]
        self._idf: FloatArray = a["idf"]
        self._docs: npt.NDArray[np.int32] = a["postings_doc"]
        self._weights: FloatArray = a["postings_weight"]
        self._tfs: npt.NDArray[np.int32] = a["postings_tf"]
        self._vocabulary = (self._vocab_bytes, self._vocab_offsets, self._vocab_hash)
        self._postings = (
            self._docs,
            self._weights,
            a["block_max"],
            a["block_last"],
            self._term_ptr,
            a["term_block"],
            a["term_max"],
            a["top_ptr"],
            a["top_doc"],
            a["top_weight"],
        )

    @property
    def n_passages(self) -> int:
        return self._n

    @property
    def params(self) -> Bm25Params:
        return self._params

    @property
    def idf_array(self) -> FloatArray:
        """Every term's IDF as scoring uses it, by term id (see ``term_ids``); read-only."""
        return self._idf

    # -- building ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        passages: Sequence[Sequence[str]],
        params: Bm25Params = Bm25Params(),  # noqa: B008 - frozen, so sharing it is safe
        progress: ProgressCallback | None = None,
    ) -> Bm25:
        """Index the analysed terms of each passage, in passage order."""
        lengths = np.fromiter(map(len, passages), np.int64, len(passages))
        terms, token_ids = _term_ids(passages, lengths, progress)
        return cls.from_ids(terms, token_ids, lengths, params, progress)

    @classmethod
    def from_ids(
        cls,
        terms: Sequence[str],
        token_ids: npt.NDArray[np.int32],
        lengths: IntArray,
        params: Bm25Params = Bm25Params(),  # noqa: B008 - frozen, so sharing it is safe
        progress: ProgressCallback | None = None,
    ) -> Bm25:
        """``build`` of passages whose terms are numbered already: ``terms`` in order of
        first appearance (as ``term_numbering`` numbers them), every token's id passage
        after passage, and each passage's number of tokens. A corpus-sized build then
        holds its tokens as 4-byte ints, not as lists of strings."""
        n = len(lengths)
        if n == 0 or not lengths.any():
            raise CorpusError(
                "No passage has any indexable words, so there is nothing to search "
                "(rank-bm25 would divide by zero); add articles to the corpus folder."
            )
        order = sorted(range(len(terms)), key=lambda i: _encode(terms[i]))
        rank = np.empty(len(terms), np.int32)
        rank[order] = np.arange(len(terms), dtype=np.int32)

        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        counts = sparse.csr_matrix(
            (np.ones(len(token_ids), np.int32), rank[token_ids], indptr),
            shape=(n, len(terms)),
        )
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
        weights = _weights(idf, term_ptr, docs, tfs, lengths, params)
        blocks = _blocks(term_ptr, idf, docs, weights)
        top_ptr, top_doc, top_weight = _heaviest(term_ptr, docs, weights, _TOP)

        vocab_bytes, vocab_offsets = _blob([_encode(terms[i]) for i in order])
        meta = np.array(
            [FORMAT_VERSION, n, len(terms), len(docs), len(blocks["block_max"]), _BLOCK, _TOP]
            + [params.k1, params.b, params.epsilon],
            np.float64,
        )
        arrays = {
            "meta": meta,
            "vocab_bytes": vocab_bytes,
            "vocab_offsets": vocab_offsets,
            "vocab_hash": _hash_table(vocab_bytes, vocab_offsets, _hash_size(len(terms))),
            "term_ptr": term_ptr,
            "idf": idf,
            "postings_doc": docs,
            "postings_weight": weights,
            "postings_tf": tfs,
            **blocks,
            "top_ptr": top_ptr,
            "top_doc": top_doc,
            "top_weight": top_weight,
        }
        if progress:
            progress(Progress("indexing", n, n))
        return cls(arrays, params, n)

    # -- asking -----------------------------------------------------------------------

    def term_ids(self, terms: Sequence[str]) -> IntArray:
        """Each term's id (its place in ``idf_array``), or -1 when the index does not know it."""
        ids = np.empty(len(terms), np.int64)
        if terms:
            _lookup(*self._vocabulary, _keys(terms), ids)
        return ids

    def idf(self, term: str) -> float:
        """The term's IDF as scoring uses it (epsilon floor applied); 0.0 if unknown."""
        i = int(self.term_ids([term])[0])
        return float(self._idf[i]) if i >= 0 else 0.0

    @cached_property
    def terms(self) -> list[str]:
        """The vocabulary, by term id: what an incremental rebuild turns stored term ids
        back into."""
        return [self.term(i) for i in range(len(self._idf))]

    def document_frequency(self, term: str) -> int:
        """How many passages contain the term."""
        i = int(self.term_ids([term])[0])
        return int(self._term_ptr[i + 1] - self._term_ptr[i]) if i >= 0 else 0

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best (passage number, score), best first; only scores > 0.

        Ties go to the lower passage number.
        """
        if k <= 0 or not query:
            return []
        size = min(k, self._n)
        numbers, scores = np.empty(size, np.int64), np.empty(size, np.float64)
        found = _search(
            *self._vocabulary,
            _keys(query),
            *self._postings,
            numbers,
            scores,
            _DENSE_RATIO,
            _DENSE_PER_SPAN,
        )
        return list(zip(numbers[:found].tolist(), scores[:found].tolist(), strict=True))

    def scores(self, query: Sequence[str], passages: Sequence[int]) -> FloatArray:
        """The exact scores of the given passages, in their order."""
        wanted = np.asarray(passages, np.int64)
        total = np.zeros(len(wanted), np.float64)
        for i in self.term_ids(query).tolist():
            if i < 0:
                continue
            a, b = int(self._term_ptr[i]), int(self._term_ptr[i + 1])
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
        strings = [self.term(i) for i in used.tolist()]
        tokens = list(map(strings.__getitem__, np.repeat(term, tfs).tolist()))
        ends = np.cumsum(np.bincount(np.repeat(owner, tfs), minlength=len(wanted))).tolist()
        return [tokens[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]

    def term(self, i: int) -> str:
        """The term with id ``i``."""
        a, b = int(self._vocab_offsets[i]), int(self._vocab_offsets[i + 1])
        return self._vocab_bytes[a:b].tobytes().decode("utf-8", "surrogatepass")

    # -- persistence ------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the arrays as ``bm25_*.npy`` into an existing directory."""
        for name in _FILES:
            np.save(directory / f"bm25_{name}.npy", self._arrays[name], allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> Bm25:
        """Memory-map a saved index; IndexFormatError names the file when it is unusable.

        The format is checked first, so an index from an older citebot is reported as
        such (rebuild it), not as a missing file.
        """
        meta = _load_array(directory, "meta", *_FILES["meta"])
        if len(meta) < 1 or meta[0] != FORMAT_VERSION:
            found = f"format {meta[0]:g}" if len(meta) else "no format"
            raise _format_error(directory, "meta", f"is BM25 {found}, not {FORMAT_VERSION}")
        if len(meta) != len(_META):
            raise _format_error(directory, "meta", f"holds {len(meta)} values, not {len(_META)}")
        arrays = {name: _load_array(directory, name, *spec) for name, spec in _FILES.items()}
        n, n_terms, n_postings, n_blocks, block, tops = (int(x) for x in meta[1:7])
        sizes = {
            "vocab_offsets": n_terms + 1,
            "vocab_hash": _hash_size(n_terms),
            "term_ptr": n_terms + 1,
            "term_block": n_terms + 1,
            "term_max": n_terms,
            "idf": n_terms,
            "postings_doc": n_postings,
            "postings_weight": n_postings,
            "postings_tf": n_postings,
            "block_max": n_blocks,
            "block_last": n_blocks,
            "top_ptr": n_terms + 1,
            "top_doc": len(arrays["top_weight"]),
        }
        for name, size in sizes.items():
            if len(arrays[name]) != size:
                raise _format_error(
                    directory, name, f"holds {len(arrays[name])} values, not {size}"
                )
        if (block, tops) != (_BLOCK, _TOP):
            raise _format_error(directory, "meta", f"has blocks of {block} and tops of {tops}")
        if len(arrays["vocab_bytes"]) != arrays["vocab_offsets"][-1]:
            raise _format_error(directory, "vocab_bytes", "does not match vocab_offsets")
        if arrays["term_ptr"][0] != 0 or arrays["term_ptr"][-1] != n_postings:
            raise _format_error(directory, "term_ptr", "does not span the postings")
        if arrays["term_block"][0] != 0 or arrays["term_block"][-1] != n_blocks:
            raise _format_error(directory, "term_block", "does not span the blocks")
        if arrays["top_ptr"][0] != 0 or arrays["top_ptr"][-1] != len(arrays["top_doc"]):
            raise _format_error(directory, "top_ptr", "does not span top_doc")
        params = Bm25Params(k1=float(meta[7]), b=float(meta[8]), epsilon=float(meta[9]))
        return cls(arrays, params, n)


def term_numbering() -> defaultdict[str, int]:
    """Term -> id, an unseen term numbered on its first look-up after every term seen
    before it: the order of first appearance (rank-bm25's) that ``Bm25.from_ids`` takes."""
    ids: defaultdict[str, int] = defaultdict()
    ids.default_factory = ids.__len__
    return ids


def _term_ids(
    passages: Sequence[Sequence[str]], lengths: IntArray, progress: ProgressCallback | None
) -> tuple[list[str], npt.NDArray[np.int32]]:
    """Terms in order of first appearance (rank-bm25's order) and every token's term id."""
    ids = term_numbering()
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
    term_ptr: IntArray,
    docs: npt.NDArray[np.int32],
    tfs: npt.NDArray[np.int32],
    lengths: IntArray,
    params: Bm25Params,
) -> FloatArray:
    """Every posting's BM25 contribution, as rank-bm25 computes it operation for operation:
    idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))).

    One compiled pass, so the weights are the only postings-sized float array (numpy's
    in-place steps needed three at once: 1.3 GB instead of 0.44 GB at 1M passages).
    """
    avgdl = int(lengths.sum()) / len(lengths)
    doc_norm = params.k1 * (1 - params.b + params.b * lengths / avgdl)
    return _fill_weights(idf, term_ptr, docs, tfs, doc_norm, params.k1 + 1)


@numba.njit(cache=True)
def _fill_weights(
    idf: np.ndarray,
    term_ptr: np.ndarray,
    docs: np.ndarray,
    tfs: np.ndarray,
    doc_norm: np.ndarray,
    k1_plus_1: float,
) -> np.ndarray:
    """The loop of _weights; no fast-math, so each operation rounds as numpy's would."""
    weights = np.empty(len(docs), np.float64)
    for t in range(len(term_ptr) - 1):
        for i in range(term_ptr[t], term_ptr[t + 1]):
            tf = np.float64(tfs[i])
            weights[i] = idf[t] * (tf * k1_plus_1 / (doc_norm[docs[i]] + tf))
    return weights


def _raw_idf(df: IntArray, n: int) -> FloatArray:
    """rank-bm25's idf with math.log (numpy's log may differ in the last bit), per distinct df."""
    distinct, where = np.unique(df, return_inverse=True)
    values = [math.log(n - d + 0.5) - math.log(d + 0.5) for d in distinct.tolist()]
    return np.asarray(values, np.float64)[where]


def _blocks(
    term_ptr: IntArray, idf: FloatArray, docs: npt.NDArray[np.int32], weights: FloatArray
) -> dict[str, np.ndarray]:
    """Each term's postings cut into blocks of ``_BLOCK``: the largest weight of each block
    and of each term, and the last passage of each block.

    A term with a negative IDF (rank-bm25's epsilon floor on a tiny corpus) lowers a score,
    so its absence is worth more than its presence: its bounds are infinite, never skipped.
    """
    blocks_of = (np.diff(term_ptr) + _BLOCK - 1) // _BLOCK
    term_block = np.zeros(len(term_ptr), np.int64)
    np.cumsum(blocks_of, out=term_block[1:])
    owner = np.repeat(np.arange(len(blocks_of)), blocks_of)
    starts = term_ptr[owner] + (np.arange(len(owner)) - term_block[owner]) * _BLOCK
    block_max = np.maximum.reduceat(weights, starts)
    block_max[np.repeat(idf < 0, blocks_of)] = np.inf
    block_last = docs[np.minimum(starts + _BLOCK, term_ptr[owner + 1]) - 1]
    return {
        "term_block": term_block,
        "term_max": np.maximum.reduceat(block_max, term_block[:-1]),
        "block_max": block_max,
        "block_last": block_last,
    }


def _hash_size(n_terms: int) -> int:
    """Slots of the term hash table: a power of two, at most half full."""
    return 1 << max(3, (2 * n_terms - 1).bit_length())


@numba.njit(cache=True, nogil=True)
def _fnv1a(data: np.ndarray, start: int, stop: int) -> np.uint64:  # pragma: no cover - compiled
    """64-bit FNV-1a of data[start:stop]: simple, and the same in every process."""
    h = np.uint64(14695981039346656037)
    for i in range(start, stop):
        h = (h ^ np.uint64(data[i])) * np.uint64(1099511628211)
    return h


@numba.njit(cache=True)
def _hash_table(blob: np.ndarray, offsets: np.ndarray, size: int) -> np.ndarray:
    """Open addressing with linear probing: slot -> term id, -1 where empty."""
    table = np.full(size, -1, np.int32)
    mask = np.uint64(size - 1)
    for term in range(len(offsets) - 1):
        slot = np.int64(_fnv1a(blob, offsets[term], offsets[term + 1]) & mask)
        while table[slot] >= 0:
            slot = (slot + 1) & (size - 1)
        table[slot] = term
    return table


_SEPARATOR = b"\xff"
"""Never part of UTF-8, so it can stand between encoded terms."""


def _keys(terms: Sequence[str]) -> npt.NDArray[np.uint8]:
    """Terms encoded and joined by _SEPARATOR, for one compiled look-up of them all."""
    return np.frombuffer(_SEPARATOR.join([_encode(term) for term in terms]), np.uint8)


@numba.njit(cache=True, nogil=True)
def _lookup(
    blob: np.ndarray, offsets: np.ndarray, table: np.ndarray, keys: np.ndarray, out: np.ndarray
) -> None:
    """out[i] = the id of the i-th term in keys (see _keys), or -1 when not in the table."""
    size = len(table)
    mask = np.uint64(size - 1)
    a = 0
    for i in range(len(out)):
        b = a
        while b < len(keys) and keys[b] != 0xFF:
            b += 1
        slot = np.int64(_fnv1a(keys, a, b) & mask)
        out[i] = -1
        while table[slot] >= 0:
            term = table[slot]
            start = offsets[term]
            if offsets[term + 1] - start == b - a:
                same = True
                for j in range(b - a):
                    if blob[start + j] != keys[a + j]:
                        same = False
                        break
                if same:
                    out[i] = term
                    break
            slot = (slot + 1) & (size - 1)
        a = b + 1


@numba.njit(cache=True, nogil=True)
def _search(
    blob: np.ndarray,
    offsets: np.ndarray,
    table: np.ndarray,
    keys: np.ndarray,
    docs: np.ndarray,
    weights: np.ndarray,
    block_max: np.ndarray,
    block_last: np.ndarray,
    term_ptr: np.ndarray,
    term_block: np.ndarray,
    term_max: np.ndarray,
    top_ptr: np.ndarray,
    top_doc: np.ndarray,
    top_weight: np.ndarray,
    numbers: np.ndarray,
    scores: np.ndarray,
    dense_ratio: float,
    dense_per_span: float,
) -> int:
    """_lookup, then _top_k: one call from Python a query."""
    n_terms = 1
    for byte in keys:
        n_terms += byte == 0xFF
    query = np.empty(n_terms, np.int64)
    _lookup(blob, offsets, table, keys, query)
    return _top_k(
        docs,
        weights,
        block_max,
        block_last,
        term_ptr,
        term_block,
        term_max,
        top_ptr,
        top_doc,
        top_weight,
        query,
        numbers,
        scores,
        dense_ratio,
        dense_per_span,
    )


@numba.njit(cache=True, nogil=True, inline="always")
def _worse(scores: np.ndarray, numbers: np.ndarray, i: int, j: int) -> bool:
    """Whether entry i ranks below entry j: a lower score, or the same and a later passage."""
    return scores[i] < scores[j] or (scores[i] == scores[j] and numbers[i] > numbers[j])


@numba.njit(cache=True, nogil=True)
def _sift_down(scores: np.ndarray, numbers: np.ndarray, i: int, size: int) -> None:
    """Restore the heap below i: the worst entry at the root."""
    while True:
        worst, left = i, 2 * i + 1
        if left < size and _worse(scores, numbers, left, worst):
            worst = left
        if left + 1 < size and _worse(scores, numbers, left + 1, worst):
            worst = left + 1
        if worst == i:
            return
        scores[i], scores[worst] = scores[worst], scores[i]
        numbers[i], numbers[worst] = numbers[worst], numbers[i]
        i = worst


@numba.njit(cache=True, nogil=True)
def _first_at_least(docs: np.ndarray, lo: int, hi: int, target: int) -> int:
    """The first i in [lo, hi) with docs[i] >= target, or hi (docs ascend)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if docs[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _top_k(
    docs: np.ndarray,
    weights: np.ndarray,
    block_max: np.ndarray,
    block_last: np.ndarray,
    term_ptr: np.ndarray,
    term_block: np.ndarray,
    term_max: np.ndarray,
    top_ptr: np.ndarray,
    top_doc: np.ndarray,
    top_weight: np.ndarray,
    query: np.ndarray,
    numbers: np.ndarray,
    scores: np.ndarray,
    dense_ratio: float,
    dense_per_span: float,
) -> int:
    """Block-max MaxScore over the query's term ids (-1 unknown, repeats count): fills the
    best len(numbers) passages with a score > 0 into numbers/scores, best first, and
    returns how many there are. A query MaxScore cannot prune (see ``_DENSE_RATIO``) is
    scored by ``_dense_top_k`` instead, with the same answer.

    Passages are visited in ascending order, so a passage that only ties the k-th score
    loses to it (ties go to the lower number), and "bound <= threshold" may skip it.
    """
    n_query = len(query)
    # The distinct known terms, and for every query position the term it reads.
    term = np.empty(n_query, np.int64)
    times = np.zeros(n_query, np.float64)
    of_position = np.full(n_query, -1, np.int64)
    n_terms = 0
    for p in range(n_query):
        if query[p] < 0:
            continue
        j = 0
        while j < n_terms and term[j] != query[p]:
            j += 1
        if j == n_terms:
            term[j] = query[p]
            n_terms += 1
        times[j] += 1.0
        of_position[p] = j
    if n_terms == 0:
        return 0

    # The lists, one a distinct term, sorted by bound, smallest first; prefix[i] bounds a
    # passage found only in lists 0..i.
    n_lists = n_terms
    bound = np.empty(n_lists, np.float64)
    for j in range(n_lists):
        bound[j] = term_max[term[j]] * times[j]
    by_bound = np.argsort(bound)
    list_of = np.empty(n_lists, np.int64)
    pos = np.empty(n_lists, np.int64)
    end = np.empty(n_lists, np.int64)
    base = np.empty(n_lists, np.int64)
    first_block = np.empty(n_lists, np.int64)
    block = np.empty(n_lists, np.int64)
    block_end = np.empty(n_lists, np.int64)
    mult = np.empty(n_lists, np.float64)
    prefix = np.empty(n_lists, np.float64)
    below = np.empty(n_lists, np.float64)
    weight = np.zeros(n_lists, np.float64)
    total = 0.0
    for i in range(n_lists):
        j = by_bound[i]
        list_of[j] = i
        t = term[j]
        base[i] = pos[i] = term_ptr[t]
        end[i] = term_ptr[t + 1]
        first_block[i] = block[i] = term_block[t]
        block_end[i] = term_block[t + 1]
        mult[i] = times[j]
        total += bound[j]
        prefix[i] = total * _SLACK
    for p in range(n_query):
        if of_position[p] >= 0:
            of_position[p] = list_of[of_position[p]]

    capacity = len(numbers)
    size = 0
    # A passage must score above the threshold: a floor below the k-th score until k are
    # found, then the k-th so far.
    threshold = _floor(
        docs, weights, term_ptr, top_ptr, top_doc, top_weight, term, times, n_terms, bound, capacity
    )
    essential = 0
    while essential < n_lists and prefix[essential] <= threshold:
        essential += 1
    if _dense_pays(docs, base, end, essential, threshold, dense_ratio, dense_per_span):
        return _dense_top_k(docs, weights, pos, end, of_position, threshold, numbers, scores)
    window_last = -1
    no_passage = np.iinfo(np.int64).max
    # current[i]: the passage at list i's cursor, no_passage once it is used up.
    current = np.empty(n_lists, np.int64)
    for i in range(n_lists):
        current[i] = docs[pos[i]]
    rest = 0.0  # sum of the non-essential lists' block maxima in the window
    while essential < n_lists:
        d = no_passage
        for i in range(essential, n_lists):
            d = min(d, current[i])
        if d == no_passage:
            break

        if d > window_last:
            # Move every list to its block holding d; up to the first block end, no
            # passage scores above the sum of those blocks' maxima.
            window_last = no_passage
            window_bound = 0.0
            for i in range(n_lists):
                b = block[i]
                while b < block_end[i] and block_last[b] < d:
                    b += 1
                block[i] = b
                if b < block_end[i]:
                    window_bound += block_max[b] * mult[i]
                    window_last = min(window_last, block_last[b])
            if window_bound * _SLACK <= threshold:
                for i in range(essential, n_lists):
                    if current[i] <= window_last:
                        stop = min(end[i], base[i] + (block[i] - first_block[i] + 1) * _BLOCK)
                        pos[i] = _first_at_least(docs, pos[i], stop, window_last + 1)
                        current[i] = docs[pos[i]] if pos[i] < end[i] else no_passage
                window_last = -1
                continue
            rest = _below(block_max, block, block_end, mult, essential, below)

        score = 0.0
        for i in range(essential, n_lists):
            weight[i] = 0.0
            if current[i] == d:
                weight[i] = weights[pos[i]]
                score += weight[i] * mult[i]
                pos[i] += 1
                current[i] = docs[pos[i]] if pos[i] < end[i] else no_passage
        if (score + rest) * _SLACK <= threshold:
            continue
        hopeless = False
        for i in range(essential - 1, -1, -1):
            weight[i] = 0.0
            b = block[i]
            if b < block_end[i]:
                start = base[i] + (b - first_block[i]) * _BLOCK
                stop = min(end[i], start + _BLOCK)
                at = _first_at_least(docs, max(pos[i], start), stop, d)
                pos[i] = at
                if at < stop and docs[at] == d:
                    weight[i] = weights[at]
                    score += weight[i] * mult[i]
            if (score + below[i]) * _SLACK <= threshold:
                hopeless = True
                break
        if hopeless:
            continue

        exact = 0.0  # rank-bm25's sum: term by term in query order, repeats included
        for p in range(n_query):
            if of_position[p] >= 0:
                exact += weight[of_position[p]]
        if exact <= threshold:
            continue
        size = _offer(scores, numbers, size, capacity, exact, d)  # exact > the worst kept
        if size < capacity:
            continue
        threshold = scores[0]
        if essential < n_lists and prefix[essential] <= threshold:
            while essential < n_lists and prefix[essential] <= threshold:
                essential += 1
            rest = _below(block_max, block, block_end, mult, essential, below)

    _heap_sort(scores, numbers, size)
    return size


@numba.njit(cache=True, nogil=True)
def _dense_pays(
    docs: np.ndarray,
    base: np.ndarray,
    end: np.ndarray,
    essential: int,
    floor: float,
    ratio: float,
    per_span: float,
) -> bool:
    """Whether the postings of lists essential.. times the number of lists come to ``ratio``
    times all the postings of the lists docs[base[i]:end[i]], and these average
    ``per_span`` postings a span of the passages they range over.

    Without a floor (0: fewer than k passages among the heaviest postings, as for k = 100
    and 2 or 3 words) how far MaxScore will prune is unknown, so none counts as walked:
    measured, the dense path was then as often slower as faster.
    """
    walked, postings = 0, 0
    first, last = np.iinfo(np.int64).max, -1
    for i in range(len(base)):
        postings += end[i] - base[i]
        walked += end[i] - base[i] if i >= essential and floor > 0.0 else 0
        first, last = min(first, docs[base[i]]), max(last, docs[end[i] - 1])
    return walked * len(base) >= ratio * postings and postings * _SPAN >= per_span * (
        last - first + 1
    )


@numba.njit(cache=True, nogil=True)
def _dense_top_k(
    docs: np.ndarray,
    weights: np.ndarray,
    pos: np.ndarray,
    end: np.ndarray,
    of_position: np.ndarray,
    floor: float,
    numbers: np.ndarray,
    scores: np.ndarray,
) -> int:
    """_top_k's answer term at a time, for the lists docs/weights[pos[i]:end[i]] read by
    query position p as list of_position[p] (-1: none), with ``floor`` below the k-th score.

    The passages go by in spans of ``_SPAN``, starting at the lowest one left: every query
    position, in query order, adds its postings in the span into the span's totals, so a
    passage's sum is rank-bm25's operation for operation (0.0 + w is w). Then the passages
    that can enter the k-heap are offered to it and the totals set back to 0.0: by reading
    the slots of the span's postings again when they are few, else by a scan of the span.
    """
    n_lists = len(pos)
    totals = np.zeros(_SPAN, np.float64)
    stop = np.empty(n_lists, np.int64)
    capacity = len(numbers)
    size = 0
    bar = floor  # a passage is offered if it scores above floor and at least bar
    no_passage = np.iinfo(np.int64).max
    while True:
        low = no_passage
        for i in range(n_lists):
            if pos[i] < end[i]:
                low = min(low, docs[pos[i]])
        if low == no_passage:
            break
        width, postings = 0, 0
        for i in range(n_lists):
            stop[i] = _first_at_least(docs, pos[i], end[i], low + _SPAN)
            if stop[i] > pos[i]:
                width = max(width, docs[stop[i] - 1] - low + 1)
                postings += stop[i] - pos[i]
        # Unsigned indices: numba then checks no index for a negative one, which halves
        # the time of these loops (uint64 mixed with int64 would give floats, so not d).
        for p in range(len(of_position)):
            i = of_position[p]
            if i >= 0:
                for e in range(np.uint64(pos[i]), np.uint64(stop[i])):
                    totals[np.uint64(docs[e] - low)] += weights[e]
        if postings * _SCAN_BELOW < width:
            for i in range(n_lists):
                for e in range(np.uint64(pos[i]), np.uint64(stop[i])):
                    d = docs[e]
                    slot = np.uint64(d - low)
                    score = totals[slot]
                    totals[slot] = 0.0  # a passage in several lists is offered once
                    if score > floor and score >= bar:
                        size = _offer(scores, numbers, size, capacity, score, d)
                        bar = scores[0] if size == capacity else floor
        else:
            above = 0
            for at in range(np.uint64(width)):
                above += totals[at] >= bar  # no branch: the loop vectorises
            if above:
                for d in range(low, low + width):
                    score = totals[np.uint64(d - low)]
                    if score > floor and score >= bar:
                        size = _offer(scores, numbers, size, capacity, score, d)
                        bar = scores[0] if size == capacity else floor
            totals[:width] = 0.0
        for i in range(n_lists):
            pos[i] = stop[i]
    _heap_sort(scores, numbers, size)
    return size


@numba.njit(cache=True, nogil=True)
def _offer(
    scores: np.ndarray, numbers: np.ndarray, size: int, capacity: int, score: float, d: int
) -> int:
    """Put passage d in the k-heap if it ranks above the worst or the heap is not full;
    returns the heap's size."""
    if size < capacity:
        scores[size], numbers[size] = score, d
        _sift_up(scores, numbers, size)
        return size + 1
    if score > scores[0] or (score == scores[0] and d < numbers[0]):
        scores[0], numbers[0] = score, d
        _sift_down(scores, numbers, 0, size)
    return size


@numba.njit(cache=True, nogil=True)
def _sift_up(scores: np.ndarray, numbers: np.ndarray, i: int) -> None:
    """Restore the heap above a new entry i: the worst entry at the root."""
    while i > 0 and _worse(scores, numbers, i, (i - 1) >> 1):
        parent = (i - 1) >> 1
        scores[i], scores[parent] = scores[parent], scores[i]
        numbers[i], numbers[parent] = numbers[parent], numbers[i]
        i = parent


@numba.njit(cache=True, nogil=True)
def _heap_sort(scores: np.ndarray, numbers: np.ndarray, size: int) -> None:
    """The heap's entries best first: the worst goes last, then the next worst."""
    for last in range(size - 1, 0, -1):
        scores[0], scores[last] = scores[last], scores[0]
        numbers[0], numbers[last] = numbers[last], numbers[0]
        _sift_down(scores, numbers, 0, last)


@numba.njit(cache=True, nogil=True)
def _below(
    block_max: np.ndarray,
    block: np.ndarray,
    block_end: np.ndarray,
    mult: np.ndarray,
    essential: int,
    below: np.ndarray,
) -> float:
    """below[i] = the block bounds of the non-essential lists under i; returns their sum."""
    rest = 0.0
    for i in range(essential):
        below[i] = rest
        if block[i] < block_end[i]:
            rest += block_max[block[i]] * mult[i]
    return rest


@numba.njit(cache=True)
def _heaviest(
    term_ptr: np.ndarray, docs: np.ndarray, weights: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each term's ``size`` heaviest postings, in no order: term t's are
    top_doc/top_weight[top_ptr[t]:top_ptr[t + 1]]. None for a term with at most ``size``
    postings: those are its heaviest already."""
    n_terms = len(term_ptr) - 1
    top_ptr = np.zeros(n_terms + 1, np.int64)
    for t in range(n_terms):
        top_ptr[t + 1] = top_ptr[t] + (size if term_ptr[t + 1] - term_ptr[t] > size else 0)
    top_doc = np.empty(top_ptr[n_terms], np.int32)
    top_weight = np.empty(top_ptr[n_terms], np.float64)
    for t in range(n_terms):
        a, b, out = term_ptr[t], term_ptr[t + 1], top_ptr[t]
        kept = top_ptr[t + 1] - out
        if kept == 0:
            continue
        top_doc[out : out + kept] = docs[a : a + kept]
        top_weight[out : out + kept] = weights[a : a + kept]
        lightest = out + np.argmin(top_weight[out : out + kept])
        for i in range(a + kept, b):
            if weights[i] > top_weight[lightest]:
                top_doc[lightest], top_weight[lightest] = docs[i], weights[i]
                lightest = out + np.argmin(top_weight[out : out + kept])
    return top_ptr, top_doc, top_weight


@numba.njit(cache=True, nogil=True)
def _floor(
    docs: np.ndarray,
    weights: np.ndarray,
    term_ptr: np.ndarray,
    top_ptr: np.ndarray,
    top_doc: np.ndarray,
    top_weight: np.ndarray,
    term: np.ndarray,
    times: np.ndarray,
    n_terms: int,
    bound: np.ndarray,
    k: int,
) -> float:
    """A score that at least k passages beat: the k-th best of the passages in the query
    terms' heaviest postings, each counted only for the terms it is known to hold, less a
    margin for rounding. 0 when that gives fewer than k passages, or when a term has a
    negative IDF (infinite bound), since then a missing term is not worth 0 at least."""
    count = 0
    for j in range(n_terms):
        if bound[j] == np.inf:
            return 0.0
        t = term[j]
        heaviest = top_ptr[t + 1] - top_ptr[t]
        count += heaviest if heaviest > 0 else term_ptr[t + 1] - term_ptr[t]
    if count < k:
        return 0.0
    seen = np.empty(count, np.int64)
    gain = np.empty(count, np.float64)
    at = 0
    for j in range(n_terms):
        t = term[j]
        if top_ptr[t + 1] > top_ptr[t]:
            for e in range(top_ptr[t], top_ptr[t + 1]):
                seen[at], gain[at] = top_doc[e], top_weight[e] * times[j]
                at += 1
        else:
            for e in range(term_ptr[t], term_ptr[t + 1]):
                seen[at], gain[at] = docs[e], weights[e] * times[j]
                at += 1
    order = np.argsort(seen)
    sums = np.empty(count, np.float64)
    n_seen = 0
    for i in range(count):
        if i > 0 and seen[order[i]] == seen[order[i - 1]]:
            sums[n_seen - 1] += gain[order[i]]
        else:
            sums[n_seen] = gain[order[i]]
            n_seen += 1
    if n_seen < k:
        return 0.0
    return max(0.0, np.sort(sums[:n_seen])[n_seen - k] * (1.0 - 1e-9))


def _read_only(array: np.ndarray) -> np.ndarray:
    """A plain ndarray view (not np.memmap) that refuses writes."""
    view = array.view(np.ndarray)
    view.flags.writeable = False
    return view


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
