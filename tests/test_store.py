"""Persistence: a saved index loads back the same; damage and staleness mean a rebuild."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index import IndexFormatError, SearchIndex, open_index, store
from index.corpus import load_corpus
from index.models import Document
from index.passages import passage_texts
from index.store import build_index, load_index, save_index

QUERIES = (["troop", "romania"], ["milley", "war"], ["nord", "stream", "pipelin"], ["zzz"])


def current_folder(index_path: Path) -> Path:
    return index_path / json.loads((index_path / "CURRENT").read_text())["current"]


def assert_same(one: SearchIndex, other: SearchIndex) -> None:
    assert one.sources == other.sources
    assert one.passage_total == other.passage_total
    assert [one.passage(n) for n in range(one.passage_total)] == [
        other.passage(n) for n in range(other.passage_total)
    ]
    for query in QUERIES:
        assert one.bm25.top(query, 10) == other.bm25.top(query, 10)
    assert one.words == other.words


def test_a_saved_index_loads_back_the_same(tmp_path: Path, seed_index: SearchIndex) -> None:
    save_index(seed_index, tmp_path / "index")
    assert_same(load_index(tmp_path / "index"), seed_index)
    assert sorted(p.name for p in (tmp_path / "index").iterdir())[0] == "CURRENT"
    assert not [p for p in (tmp_path / "index").iterdir() if p.name.startswith(".")]


def test_a_restart_loads_instead_of_rebuilding(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built, _ = open_index(corpus, tmp_path / "index")

    def no_rebuild(*args: object, **kwargs: object) -> SearchIndex:
        raise AssertionError("an unchanged corpus must not be rebuilt")

    monkeypatch.setattr("index.store.build_index", no_rebuild)
    loaded, warnings = open_index(corpus, tmp_path / "index")
    assert warnings == []
    assert_same(loaded, built)


def test_saving_again_replaces_the_version_and_cleans_up(
    tmp_path: Path, seed_index: SearchIndex
) -> None:
    save_index(seed_index, tmp_path / "index")
    first = current_folder(tmp_path / "index")
    save_index(seed_index, tmp_path / "index")
    assert current_folder(tmp_path / "index") != first
    assert not first.exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "manifest.json").write_text("{not json"),
        lambda folder: (folder / "passages.txt").write_bytes(b"truncated"),
        lambda folder: (folder / "passage_offsets.npy").unlink(),
        lambda folder: (folder.parent / "CURRENT").write_text('{"current": "gone"}'),
        lambda folder: (folder.parent / "CURRENT").write_bytes(b"\x00\xff"),
    ],
    ids=["manifest", "truncated-texts", "missing-array", "dangling-pointer", "garbage-pointer"],
)
def test_a_damaged_index_is_rebuilt_with_a_warning(
    corpus: Path, tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    built, _ = open_index(corpus, tmp_path / "index")
    damage(current_folder(tmp_path / "index"))
    with pytest.raises(IndexFormatError):
        load_index(tmp_path / "index")
    rebuilt, warnings = open_index(corpus, tmp_path / "index")
    assert len(warnings) == 1 and "rebuilding" in warnings[0]
    assert_same(rebuilt, built)
    assert_same(load_index(tmp_path / "index"), built)


def test_an_index_of_another_format_is_rebuilt(corpus: Path, tmp_path: Path) -> None:
    open_index(corpus, tmp_path / "index")
    manifest = current_folder(tmp_path / "index") / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format": 999}))
    _, warnings = open_index(corpus, tmp_path / "index")
    assert len(warnings) == 1 and "format 999" in warnings[0]


def test_a_changed_corpus_makes_the_stored_index_stale(corpus: Path, tmp_path: Path) -> None:
    before, _ = open_index(corpus, tmp_path / "index")
    (corpus / "extra.md").write_text(
        "# Kyiv talks\n\nThe foreign ministers met in Geneva on Friday to discuss the zebra.\n"
    )
    after, warnings = open_index(corpus, tmp_path / "index")
    assert warnings == []
    assert after.corpus_fingerprint != before.corpus_fingerprint
    assert after.bm25.document_frequency("zebra") == 1
    assert load_index(tmp_path / "index").bm25.document_frequency("zebra") == 1


def test_editing_the_overrides_file_makes_the_index_stale(corpus: Path, tmp_path: Path) -> None:
    open_index(corpus, tmp_path / "index")
    (corpus / "sources.toml").write_text('["001_0f3790107ac6dcad.txt"]\noutlet = "Example"\n')
    index, _ = open_index(corpus, tmp_path / "index")
    assert index.sources[1].outlet == "Example"


def test_a_rebuild_reuses_unchanged_articles_and_equals_a_fresh_build(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous, _ = open_index(corpus, tmp_path / "index")
    changed = corpus / "001_0f3790107ac6dcad.txt"
    changed.write_text(changed.read_text() + "\n\nA late paragraph about Romania and zebras.\n")
    documents, _ = load_corpus(corpus)
    fresh = build_index(documents, "fresh")

    analysed: list[str] = []

    def recorded_passages(document: Document) -> list[str]:
        analysed.append(document.source.doc)
        return passage_texts(document)

    monkeypatch.setattr("index.search_index.passage_texts", recorded_passages)
    rebuilt, _ = open_index(corpus, tmp_path / "index", rebuild=True, previous=previous)
    assert analysed == ["001_0f3790107ac6dcad.txt"]
    assert_same(rebuilt, fresh)
    assert rebuilt.bm25.passage_terms(range(rebuilt.passage_total)) == fresh.bm25.passage_terms(
        range(fresh.passage_total)
    )


def _same_length_edit(folder: Path) -> None:
    texts = folder / "passages.txt"
    texts.write_bytes(texts.read_bytes().replace(b"Romania", b"Rumania"))


def _every_fiftieth_byte(folder: Path) -> None:
    texts = folder / "passages.txt"
    data = bytearray(texts.read_bytes())
    data[::50] = b"x" * len(data[::50])
    texts.write_bytes(bytes(data))


def _out_of_range_postings(folder: Path) -> None:
    postings = np.load(folder / "bm25_postings_doc.npy")
    postings[:] = 10**6
    np.save(folder / "bm25_postings_doc.npy", postings)


def _truncated_array(folder: Path) -> None:
    array = folder / "sentence_spans.npy"
    array.write_bytes(array.read_bytes()[:-8])


TAMPERING = [_same_length_edit, _every_fiftieth_byte, _out_of_range_postings, _truncated_array]


@pytest.mark.parametrize("damage", TAMPERING, ids=lambda damage: damage.__name__.strip("_"))
def test_a_tampered_index_is_never_quoted_and_is_rebuilt_from_the_articles(
    corpus: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    built, _ = open_index(corpus, tmp_path / "index")
    damage(current_folder(tmp_path / "index"))
    with pytest.raises(IndexFormatError, match="damaged"):
        load_index(tmp_path / "index")
    rebuilt, warnings = open_index(corpus, tmp_path / "index")
    assert len(warnings) == 1 and "rebuilding" in warnings[0]
    assert not any("Rumania" in rebuilt.texts[n] for n in range(rebuilt.passage_total))
    assert_same(rebuilt, built)


@pytest.mark.parametrize("damage", TAMPERING, ids=lambda damage: damage.__name__.strip("_"))
def test_an_incremental_rebuild_never_reuses_a_file_damaged_after_it_was_opened(
    corpus: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    open_index(corpus, tmp_path / "index")
    opened = load_index(tmp_path / "index")
    damage(current_folder(tmp_path / "index"))
    rebuilt, warnings = open_index(corpus, tmp_path / "index", rebuild=True, previous=opened)
    assert any("without reusing" in warning for warning in warnings)
    assert not any("Rumania" in rebuilt.texts[n] for n in range(rebuilt.passage_total))
    documents, _ = load_corpus(corpus)
    assert_same(rebuilt, build_index(documents, "fresh"))


def test_the_manifest_records_a_checksum_of_every_file(
    tmp_path: Path, seed_index: SearchIndex
) -> None:
    save_index(seed_index, tmp_path / "index")
    folder = current_folder(tmp_path / "index")
    manifest = json.loads((folder / "manifest.json").read_text())
    stored = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == stored - {"manifest.json"}
    assert all(len(digest) == 64 for _, digest in manifest["files"].values())


def test_a_version_replaced_while_it_is_read_is_read_again(
    tmp_path: Path, seed_index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "index"
    save_index(seed_index, path)
    first = current_folder(path)
    check = store._verify
    read: list[Path] = []

    def replaced_meanwhile(folder: Path, files: dict[str, list[object]]) -> None:
        if not read:  # as another process's save would: a new version, the old one deleted
            save_index(seed_index, path)
        read.append(folder)
        check(folder, files)

    monkeypatch.setattr(store, "_verify", replaced_meanwhile)
    loaded = load_index(path)
    assert read == [first, current_folder(path)] and not first.exists()
    assert loaded.version == current_folder(path).name
    assert_same(loaded, seed_index)
