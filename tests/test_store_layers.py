"""An index over a base index (a server's library over the shared corpus): one index whose
BM25 statistics are those of the union, built without re-analysing the base's articles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from index import SearchIndex, open_index
from index.analyze import analyze
from index.models import Document
from index.passages import passage_texts

QUERIES = [
    analyze(question)
    for question in (
        "How many troops went to Romania?",
        "When do Zanzibar pelicans migrate?",
        "pelicans troops Poland",
        "Nord Stream pipeline",
        "zzz",
    )
]
PELICANS = (
    "Pelicans of Zanzibar\n\nZanzibar pelicans migrate every October across the Indian Ocean, "
    "ornithologists reported on Monday.\n\nTroops of pelicans were seen over Poland too.\n"
)
HERONS = "Herons of Lamu\n\nLamu herons nest in March, when troops of them fill the mangroves.\n"


def passage_terms(index: SearchIndex) -> list[list[str]]:
    """Every passage's terms, analysed afresh from its text and its sentences."""
    return [
        [term for start, end in index.passage(n).sentences for term in analyze(text[start:end])]
        for n in range(index.passage_total)
        for text in [index.texts[n]]
    ]


def a_library(folder: Path, **articles: str) -> Path:
    folder.mkdir()
    for name, text in articles.items():
        (folder / f"{name}.txt").write_text(text)
    return folder


@pytest.fixture
def shared(corpus: Path, tmp_path: Path) -> SearchIndex:
    return open_index(corpus, tmp_path / "shared-index")[0]


def test_scores_over_shared_and_library_equal_rank_bm25_over_their_union(
    shared: SearchIndex, tmp_path: Path
) -> None:
    library = a_library(tmp_path / "s", pelicans=PELICANS)
    combined, warnings = open_index(library, tmp_path / "s-index", base=shared)
    assert warnings == []
    reference = BM25Okapi(passage_terms(combined))
    everyone = range(combined.passage_total)
    for query in QUERIES:
        np.testing.assert_allclose(
            combined.bm25.scores(query, everyone), reference.get_scores(query), rtol=1e-9, atol=0
        )
    assert combined.bm25.n_passages == shared.passage_total + 2
    assert [combined.texts[n] for n in range(shared.passage_total)] == [
        shared.texts[n] for n in range(shared.passage_total)
    ]
    assert [source.doc for source in combined.sources][-1] == "pelicans.txt"


def test_another_servers_scores_are_unchanged_by_one_servers_additions(
    shared: SearchIndex, tmp_path: Path
) -> None:
    herons = a_library(tmp_path / "t", herons=HERONS)
    before, _ = open_index(herons, tmp_path / "t-index", base=shared)
    scores_before = [before.bm25.scores(q, range(before.passage_total)) for q in QUERIES]

    open_index(a_library(tmp_path / "s", pelicans=PELICANS), tmp_path / "s-index", base=shared)
    after, _ = open_index(herons, tmp_path / "t-index", base=shared)
    for query, earlier in zip(QUERIES, scores_before, strict=True):
        np.testing.assert_array_equal(after.bm25.scores(query, range(after.passage_total)), earlier)
    assert "pelicans.txt" not in after.fingerprints
    reference = BM25Okapi(passage_terms(after))
    np.testing.assert_allclose(
        after.bm25.scores(QUERIES[2], range(after.passage_total)),
        reference.get_scores(QUERIES[2]),
        rtol=1e-9,
        atol=0,
    )


def test_the_shared_articles_are_reused_not_analysed_again(
    shared: SearchIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysed: list[str] = []

    def recorded_passages(document: Document) -> list[str]:
        analysed.append(document.source.doc)
        return passage_texts(document)

    monkeypatch.setattr("index.search_index.passage_texts", recorded_passages)
    library = a_library(tmp_path / "s", pelicans=PELICANS)
    first, _ = open_index(library, tmp_path / "s-index", base=shared)
    (library / "herons.txt").write_text(HERONS)
    open_index(library, tmp_path / "s-index", base=shared, previous=first)
    assert analysed == ["pelicans.txt", "herons.txt"]


def test_a_stored_index_over_a_base_loads_until_either_layer_changes(
    shared: SearchIndex, corpus: Path, tmp_path: Path
) -> None:
    library = a_library(tmp_path / "s", pelicans=PELICANS)
    built, _ = open_index(library, tmp_path / "s-index", base=shared)
    reopened, _ = open_index(library, tmp_path / "s-index", base=shared)
    assert reopened.corpus_fingerprint == built.corpus_fingerprint
    assert reopened is not built and reopened.check_stored is not built.check_stored

    (corpus / "extra.txt").write_text("Extra\n\nAn extra shared article about herons.\n")
    new_shared, _ = open_index(corpus, tmp_path / "shared-index")
    over_new, _ = open_index(library, tmp_path / "s-index", base=new_shared)
    assert over_new.corpus_fingerprint != built.corpus_fingerprint
    assert "extra.txt" in over_new.fingerprints


def test_a_library_article_named_like_a_shared_one_is_left_out_with_a_warning(
    shared: SearchIndex, tmp_path: Path
) -> None:
    library = a_library(tmp_path / "s", pelicans=PELICANS)
    (library / "001_0f3790107ac6dcad.txt").write_text(HERONS)
    combined, warnings = open_index(library, tmp_path / "s-index", base=shared)
    assert (
        combined.fingerprints["001_0f3790107ac6dcad.txt"]
        == shared.fingerprints["001_0f3790107ac6dcad.txt"]
    )
    assert any("001_0f3790107ac6dcad.txt" in warning for warning in warnings)
