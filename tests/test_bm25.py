"""citebot's BM25 against rank-bm25, the definition of the score, on the same corpora."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from index import bm25
from index.bm25 import Bm25, Bm25Params
from index.errors import CorpusError, IndexFormatError
from index.progress import Progress

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
Corpus = list[list[str]]


def seed_passages() -> Corpus:
    """The bundled articles, one passage a paragraph, lowercased words."""
    passages = []
    for path in sorted(SEEDS.glob("*.txt")):
        for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            words = re.findall(r"\w+", paragraph.lower())
            if words:
                passages.append(words)
    return passages


def random_passages(n: int = 3000, seed: int = 7) -> Corpus:
    """Zipfian words plus "common"/"everywhere", found in more than half the passages.

    Those two get a negative raw idf, so rank-bm25's epsilon floor decides their weight.
    Some passages are empty, as rank-bm25 allows.
    """
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, 2001)
    words = rng.choice(2000, size=n * 30, p=weights / weights.sum())
    lengths = rng.integers(0, 60, size=n)
    passages = []
    for i, length in enumerate(lengths):
        passage = [f"w{w}" for w in words[i * 30 : i * 30 + length // 2]]
        passage += ["common"] * (rng.random() < 0.7) + ["everywhere"] * (rng.random() < 0.9)
        passages.append(passage)
    return passages


def random_queries(corpus: Corpus, count: int, seed: int) -> list[list[str]]:
    """Words from the corpus, some repeated, some unknown to it."""
    rng = np.random.default_rng(seed)
    vocabulary = sorted({w for passage in corpus for w in passage})
    queries = []
    for _ in range(count):
        query = [str(w) for w in rng.choice(vocabulary, size=rng.integers(1, 7))]
        if rng.random() < 0.3:
            query.append(query[0])
        if rng.random() < 0.3:
            query.insert(int(rng.integers(0, len(query))), "notinthecorpus")
        queries.append(query)
    return queries


CORPORA = {"seeds": seed_passages, "random": random_passages}


@pytest.fixture(scope="module", params=sorted(CORPORA))
def corpus(request: pytest.FixtureRequest) -> Corpus:
    return CORPORA[request.param]()


@pytest.fixture(scope="module")
def pair(corpus: Corpus) -> tuple[Bm25, BM25Okapi]:
    return Bm25.build(corpus), BM25Okapi(corpus)


def reference_top(reference: BM25Okapi, query: list[str], k: int) -> list[tuple[int, float]]:
    """rank-bm25's ranking with citebot's tie rule: positive scores, lower passage first."""
    scores = reference.get_scores(query)
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


def test_scores_equal_rank_bm25_for_random_queries(
    pair: tuple[Bm25, BM25Okapi], corpus: Corpus
) -> None:
    ours, reference = pair
    everyone = range(len(corpus))
    for query in random_queries(corpus, 200, seed=1):
        np.testing.assert_allclose(
            ours.scores(query, everyone), reference.get_scores(query), rtol=1e-9, atol=0
        )


def test_top_ten_equals_rank_bm25(pair: tuple[Bm25, BM25Okapi], corpus: Corpus) -> None:
    ours, reference = pair
    for query in random_queries(corpus, 200, seed=2):
        got, expected = ours.top(query, 10), reference_top(reference, query, 10)
        assert [i for i, _ in got] == [i for i, _ in expected], query
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-9)


def test_scores_of_some_passages_follow_their_order(pair: tuple[Bm25, BM25Okapi]) -> None:
    ours, reference = pair
    query = ["the", "w3", "common", "w3"]
    some = [5, 0, 3, 3]
    expected = reference.get_batch_scores(query, some)
    np.testing.assert_allclose(ours.scores(query, some), expected, rtol=1e-9, atol=0)


def test_idf_and_document_frequency_follow_rank_bm25(pair: tuple[Bm25, BM25Okapi]) -> None:
    ours, reference = pair
    for term, idf in reference.idf.items():
        assert ours.idf(term) == pytest.approx(idf, rel=1e-9)
    some = next(iter(reference.idf))
    assert ours.document_frequency(some) == sum(some in d for d in reference.doc_freqs)
    assert ours.idf("notinthecorpus") == 0.0
    assert ours.document_frequency("notinthecorpus") == 0


def test_epsilon_floor_sets_terms_in_most_passages() -> None:
    corpus = random_passages()
    reference = BM25Okapi(corpus)
    floor = 0.25 * reference.average_idf
    ours = Bm25.build(corpus)
    assert ours.idf("common") == ours.idf("everywhere") == pytest.approx(floor, rel=1e-12)


@pytest.mark.parametrize(
    "query, k",
    [([], 10), (["notinthecorpus"], 10), (["w1"], 0)],
)
def test_top_is_empty_when_nothing_can_match(query: list[str], k: int) -> None:
    assert Bm25.build(random_passages(200)).top(query, k) == []


def test_parameters_other_than_defaults_follow_rank_bm25() -> None:
    corpus = random_passages(500)
    ours = Bm25.build(corpus, Bm25Params(k1=1.2, b=0.5, epsilon=0.1))
    reference = BM25Okapi(corpus, k1=1.2, b=0.5, epsilon=0.1)
    for query in random_queries(corpus, 50, seed=3):
        np.testing.assert_allclose(
            ours.scores(query, range(len(corpus))), reference.get_scores(query), rtol=1e-9, atol=0
        )


@pytest.mark.parametrize("corpus", [[], [[], []]], ids=["no passages", "no words"])
def test_empty_corpus_is_a_corpus_error(corpus: Corpus) -> None:
    with pytest.raises(CorpusError):
        Bm25.build(corpus)


def test_build_reports_progress_to_the_end() -> None:
    seen: list[Progress] = []
    Bm25.build(random_passages(500), progress=seen.append)
    assert seen and seen[-1].done == seen[-1].total == 500


def test_save_and_load_give_the_same_answers(tmp_path: Path) -> None:
    corpus = random_passages()
    built = Bm25.build(corpus)
    built.save(tmp_path)
    loaded = Bm25.load(tmp_path)
    assert loaded.n_passages == built.n_passages == len(corpus)
    assert loaded.params == built.params
    for query in random_queries(corpus, 50, seed=4):
        assert loaded.top(query, 10) == built.top(query, 10)
        assert loaded.idf(query[0]) == built.idf(query[0])


def test_passage_terms_rebuild_the_same_index() -> None:
    corpus = random_passages(800)
    built = Bm25.build(corpus)
    kept = built.passage_terms(range(len(corpus)))
    assert [sorted(p) for p in kept] == [sorted(p) for p in corpus]
    assert built.passage_terms([7, 2]) == [sorted(corpus[7]), sorted(corpus[2])]
    rebuilt = Bm25.build(kept)
    for query in random_queries(corpus, 50, seed=5):
        np.testing.assert_allclose(
            rebuilt.scores(query, range(len(corpus))),
            built.scores(query, range(len(corpus))),
            rtol=1e-9,
        )


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-40])


def _garble(path: Path) -> None:
    path.write_bytes(b"not a numpy file at all")


def _retype(path: Path) -> None:
    np.save(path, np.load(path).astype(np.float32))


def _shorten(path: Path) -> None:
    np.save(path, np.load(path)[:-1])


@pytest.mark.parametrize("damage", [Path.unlink, _truncate, _garble, _retype, _shorten])
@pytest.mark.parametrize("name", ["postings_weight", "vocab_offsets", "meta"])
def test_damaged_file_is_an_index_format_error_naming_it(
    tmp_path: Path, damage: Callable[[Path], object], name: str
) -> None:
    Bm25.build(random_passages(300)).save(tmp_path)
    path = tmp_path / f"bm25_{name}.npy"
    damage(path)
    with pytest.raises(IndexFormatError, match=f"bm25_{name}.npy.*reindex"):
        Bm25.load(tmp_path)


# -- the pruned top-k: every way a passage can be skipped, against the definition ---------


def zipf_passages(n: int = 6000, seed: int = 11) -> Corpus:
    """Enough passages that common words fill many blocks of postings and rare words few."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, 5001) ** 1.05
    lengths = rng.integers(3, 40, size=n)
    words = rng.choice(5000, size=int(lengths.sum()), p=weights / weights.sum())
    ends = np.cumsum(lengths).tolist()
    return [[f"w{w}" for w in words[a:b]] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


@pytest.fixture(scope="module")
def zipf_pair() -> tuple[Bm25, BM25Okapi, Corpus]:
    corpus = zipf_passages()
    return Bm25.build(corpus), BM25Okapi(corpus), corpus


PRUNING_QUERIES = {
    "rare words": ["w4990", "w4321", "w3999"],
    "very common words": ["w0", "w1", "w2", "w3", "w4"],
    "common and rare": ["w0", "w1", "w2", "w4444"],
    "repeated words": ["w0", "w7", "w0", "w30", "w0"],
    "one word": ["w12"],
    "unknown words only": ["notinthecorpus", "neither"],
    "unknown among known": ["w3", "notinthecorpus", "w40"],
}


@pytest.mark.parametrize("k", [1, 10, 40, 7000])
@pytest.mark.parametrize("name", sorted(PRUNING_QUERIES))
def test_pruned_top_equals_rank_bm25_exactly(
    zipf_pair: tuple[Bm25, BM25Okapi, Corpus], name: str, k: int
) -> None:
    """Same passages, same order, the same floats: k = 7000 is more than ever match."""
    ours, reference, _ = zipf_pair
    query = PRUNING_QUERIES[name]
    assert ours.top(query, k) == reference_top(reference, query, k)


def test_pruned_top_equals_rank_bm25_on_many_random_queries(
    zipf_pair: tuple[Bm25, BM25Okapi, Corpus],
) -> None:
    ours, reference, corpus = zipf_pair
    for query in random_queries(corpus, 150, seed=6):
        assert ours.top(query, 10) == reference_top(reference, query, 10), query


@pytest.fixture(params=["maxscore", "dense"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every query on one of top's two paths: the dense one's rule made never or always true."""
    _force(monkeypatch, request.param)
    return str(request.param)


def _force(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    forced = math.inf if path == "maxscore" else 0.0
    monkeypatch.setattr(bm25, "_DENSE_RATIO", forced)
    monkeypatch.setattr(bm25, "_DENSE_PER_SPAN", forced)


def test_one_passage_corpus_follows_rank_bm25(path: str) -> None:
    """Every word is in every passage: rank-bm25's IDFs, and so the scores, are negative."""
    corpus = [["alpha", "beta", "alpha"]]
    ours, reference = Bm25.build(corpus), BM25Okapi(corpus)
    for query in (["alpha"], ["beta", "alpha", "beta"], ["gamma"]):
        assert ours.top(query, 5) == reference_top(reference, query, 5)
        np.testing.assert_array_equal(ours.scores(query, [0]), reference.get_scores(query))


def test_negative_idf_words_lower_scores_as_rank_bm25_says(path: str) -> None:
    """Here the epsilon floor is negative, so a common word costs; it is never skipped."""
    corpus = [["a", "b", "c"], ["a", "b"], ["a", "c", "d"], ["a", "b", "c", "e"], ["e"]]
    ours, reference = Bm25.build(corpus), BM25Okapi(corpus)
    assert ours.idf("a") < 0
    for query in (["a", "d"], ["d", "a", "e"], ["e", "b"], ["c", "c", "d"]):
        for k in (1, 2, 10):
            assert ours.top(query, k) == reference_top(reference, query, k), (query, k)


# -- the dense path: term at a time, for queries MaxScore cannot prune ----------------------

DENSE_QUERIES = {
    "very common words": ["w0", "w1", "w2", "w3", "w4"],
    "repeated common words": ["w0", "w1", "w0", "w2", "w0", "w1"],
    "common and unknown words": ["notinthecorpus", "w0", "w3", "neither", "w1"],
    "common and rare words": ["w0", "w1", "w4444", "w2"],
}


@pytest.mark.parametrize("k", [1, 10, 40, 7000])
@pytest.mark.parametrize("name", sorted(DENSE_QUERIES))
def test_top_on_either_path_equals_rank_bm25(
    zipf_pair: tuple[Bm25, BM25Okapi, Corpus], path: str, name: str, k: int
) -> None:
    """The same passages and the same floats on both paths: k = 7000 is more than match."""
    ours, reference, _ = zipf_pair
    query = DENSE_QUERIES[name]
    got, expected = ours.top(query, k), reference_top(reference, query, k)
    assert [i for i, _ in got] == [i for i, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-9)
    assert got == expected


def test_dense_path_gives_the_maxscore_answer_bit_for_bit(
    zipf_pair: tuple[Bm25, BM25Okapi, Corpus], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _, corpus = zipf_pair
    queries = [*DENSE_QUERIES.values(), *random_queries(corpus, 150, seed=8)]
    for k in (1, 10, 100):
        _force(monkeypatch, "dense")
        dense = [ours.top(query, k) for query in queries]
        _force(monkeypatch, "maxscore")
        assert [ours.top(query, k) for query in queries] == dense, k


def test_ties_at_the_kth_place_go_to_the_lower_passage(path: str) -> None:
    """Passages 5, 10, 20 and 30 score the same bits, by different words: the lowest win."""
    corpus = [["filler", "filler", f"u{i}"] for i in range(40)]
    for number, word in ((10, "x"), (20, "x"), (5, "y"), (30, "y")):
        corpus[number][2] = word
    ours, reference = Bm25.build(corpus), BM25Okapi(corpus)
    for query in (["x", "y"], ["y", "x"], ["filler", "x", "y"], ["x", "y", "u7"]):
        for k in (1, 2, 3, 4, 6):
            assert ours.top(query, k) == reference_top(reference, query, k), (query, k)
    assert [i for i, _ in ours.top(["x", "y"], 3)] == [5, 10, 20]


def test_ties_among_copies_of_a_passage_across_spans(path: str) -> None:
    """The same passage at numbers on both sides of the dense path's spans of passages."""
    corpus = zipf_passages(6000)
    copies = [5900, 4096, 40, 2047, 3000, 2048, 41]
    for number in copies:
        corpus[number] = ["w0", "w1", "tied", "w2", "w1"]
    ours, reference = Bm25.build(corpus), BM25Okapi(corpus)
    for query in (["w0", "w1", "w2", "tied"], ["tied"], ["w1", "tied", "w1"]):
        for k in (1, 3, 7, 12):
            assert ours.top(query, k) == reference_top(reference, query, k), (query, k)
    assert [i for i, _ in ours.top(["tied", "w0"], 4)] == sorted(copies)[:4]


def test_dense_path_answers_threads_at_once(
    zipf_pair: tuple[Bm25, BM25Okapi, Corpus], path: str
) -> None:
    """The kernels release the GIL: concurrent queries must not share working memory."""
    ours, _, corpus = zipf_pair
    queries = [*DENSE_QUERIES.values(), *random_queries(corpus, 60, seed=9)] * 4
    alone = [ours.top(query, 10) for query in queries]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda query: ours.top(query, 10), queries)) == alone


def test_term_ids_and_idf_array_look_up_many_words_at_once(
    zipf_pair: tuple[Bm25, BM25Okapi, Corpus],
) -> None:
    ours, reference, _ = zipf_pair
    words = ["w0", "notinthecorpus", "w4321", "w0", ""]
    ids = ours.term_ids(words)
    assert ids.dtype.kind == "i" and ids.shape == (5,)
    assert ids[1] == ids[4] == -1 and ids[0] == ids[3] >= 0
    assert [float(ours.idf_array[i]) for i in ids[[0, 2]]] == [ours.idf("w0"), ours.idf("w4321")]
    assert ours.idf_array[ids[0]] == pytest.approx(reference.idf["w0"], rel=1e-12)
    assert len(ours.term_ids([])) == 0
    assert len(ours.idf_array) == len(reference.idf)


def test_words_outside_ascii_are_found() -> None:
    corpus = [["café", "naïve"], ["日本", "café"], ["\udcff", "x"]]
    ours = Bm25.build(corpus)
    assert (ours.term_ids(["café", "日本", "\udcff", "cafe"]) >= 0).tolist() == [
        True, True, True, False,
    ]  # fmt: skip
    assert ours.document_frequency("café") == 2


def test_index_of_an_older_format_is_reported_as_such(tmp_path: Path) -> None:
    Bm25.build(random_passages(100)).save(tmp_path)
    meta = np.load(tmp_path / "bm25_meta.npy")
    meta[0] = 1
    np.save(tmp_path / "bm25_meta.npy", meta)
    (tmp_path / "bm25_block_max.npy").unlink()  # format 1 had no blocks
    with pytest.raises(IndexFormatError, match="bm25_meta.npy is BM25 format 1, not 2.*reindex"):
        Bm25.load(tmp_path)
