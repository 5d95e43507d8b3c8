"""Fixtures shared by the test modules: the bundled seeds, a copy to change, a built index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_discord.harness import BotLog, bot_log
from index import SearchIndex, open_index
from index.embed import load_embedder
from paths import SEEDS
from web_server import WebServer, web_server


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """The index over the bundled seeds as the bot builds it (with sentence vectors when
    the semantic extra is installed), built once for the whole run (read-only)."""
    index, warnings = open_index(
        SEEDS, tmp_path_factory.mktemp("seed-index"), embedder=load_embedder()
    )
    assert warnings == []
    return index


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the seeds that a test may change."""
    return Path(shutil.copytree(SEEDS, tmp_path / "corpus"))


@pytest.fixture
def log() -> Iterator[BotLog]:
    """What citebot logs during the test, to wait for and read."""
    with bot_log() as lines:
        yield lines


@pytest.fixture
def web() -> Iterator[WebServer]:
    """A local HTTP server on 127.0.0.1 serving what the test puts in its routes."""
    with web_server() as server:
        yield server
