"""The machine's vector cache: a sentence is embedded once, however many indexes hold it,
and a damaged cache costs time, never an answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.config import SettingsError, settings_from
from index import open_index
from index.embed import DIMENSIONS, MODEL_ID, Embedder, load_embedder
from index.vector_cache import VectorCache
from paths import SEEDS


@pytest.fixture
def embedder(tmp_path: Path) -> Iterator[Embedder]:
    """The shared embedder with a fresh cache and no in-memory recollection."""
    shared = load_embedder()
    if shared is None:
        pytest.skip("the semantic extra is not installed")
    before = shared.cache
    shared.cache = VectorCache(tmp_path / "vectors.sqlite3", MODEL_ID, DIMENSIONS)
    shared._recent.clear()
    yield shared
    shared.cache = before


def _never_run_the_model(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder._recent.clear()

    def refuse(texts: list[str]) -> np.ndarray:
        raise AssertionError(f"the model ran on {len(texts)} texts")

    monkeypatch.setattr(embedder, "_batch", refuse)


def test_a_new_index_of_the_same_articles_embeds_nothing_again(
    embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = open_index(SEEDS, tmp_path / "first", embedder=embedder)
    _never_run_the_model(embedder, monkeypatch)
    second, _ = open_index(SEEDS, tmp_path / "second", embedder=embedder)
    assert first.sentences.vectors is not None and second.sentences.vectors is not None
    assert np.array_equal(first.sentences.vectors, second.sentences.vectors)


def test_questions_are_embedded_exactly_never_through_the_cache(embedder: Embedder) -> None:
    text = "How many troops went to Romania?"
    exact = embedder.embed([text])[0]
    embedder.embed_for_index([text])
    embedder._recent.clear()
    assert np.array_equal(embedder.embed([text])[0], exact)
    assert embedder.cache is not None and 0 in embedder.cache.get([text])


def test_a_damaged_cache_is_set_aside_and_the_index_still_gets_its_vectors(
    embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert embedder.cache is not None
    embedder.cache.path.write_bytes(b"not a database, " * 512)
    with caplog.at_level(logging.WARNING, logger="index.vector_cache"):
        index, _ = open_index(SEEDS, tmp_path / "index", embedder=embedder)
    assert index.has_vectors
    assert "damaged" in caplog.text
    assert (tmp_path / "vectors.sqlite3.damaged").read_bytes().startswith(b"not a database")
    assert len(embedder.cache.get(["anything"])) == 0  # a fresh, working cache again


def test_the_cache_drops_its_oldest_vectors_past_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.vector_cache.MAX_BYTES", 10 * 2 * 4)  # ten 4-d vectors
    cache = VectorCache(tmp_path / "small.sqlite3", "model", 4)
    texts = [f"sentence {n}" for n in range(12)]
    cache.put(texts, np.ones((12, 4), np.float32))
    kept = cache.get(texts)
    assert set(kept) == set(range(12 - 7, 12))  # trimmed to 75%, newest kept
    assert cache.get(["unknown"]) == {}


def test_the_setting_turns_the_cache_off_and_refuses_other_words() -> None:
    assert settings_from({}).vector_cache_file is not None
    assert settings_from({"CITEBOT_VECTOR_CACHE": "off"}).vector_cache_file is None
    with pytest.raises(SettingsError, match="CITEBOT_VECTOR_CACHE"):
        settings_from({"CITEBOT_VECTOR_CACHE": "sometimes"})
