"""Sentence vectors kept on disk across indexes and processes: a text is embedded once.

An index already reuses the vectors of its unchanged articles, but a full rebuild, a new
index folder, another server's library of the same articles or ``citebot eval`` in a
scratch folder would embed every sentence again — the slowest part of indexing by far
(tens of sentences a second on two cores). This is a plain SQLite table from a hash of
(model, text) to the float16 vector an index stores anyway, so answers are the same
with or without it. A cache that cannot be read is set aside with one warning; indexing
never fails because of it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

MAX_BYTES = 1 << 30
"""Past this (about 1.3 million sentences) the oldest vectors are dropped."""
_KEEP_AFTER_TRIM = 0.75
_CHUNK = 500
"""Keys a query: well under SQLite's limit of bound parameters."""


class VectorCache:
    """Vectors of one model, by text, in one SQLite file shared by every process."""

    def __init__(self, path: Path, model_id: str, dimensions: int) -> None:
        self.path = path
        self._model = model_id.encode()
        self._bytes = dimensions * 2  # float16

    def get(self, texts: Sequence[str]) -> dict[int, npt.NDArray[np.float16]]:
        """The cached vectors of ``texts``, by position; missing ones are absent."""
        keys = [self._key(text) for text in texts]
        found: dict[bytes, bytes] = {}
        try:
            with self._open() as database:
                for start in range(0, len(keys), _CHUNK):
                    chunk = keys[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    query = f"SELECT key, vector FROM vectors WHERE key IN ({marks})"
                    found.update(database.execute(query, chunk).fetchall())
        except (sqlite3.Error, OSError) as error:
            self._unusable(error)
        return {
            number: np.frombuffer(found[key], np.float16)
            for number, key in enumerate(keys)
            if len(found.get(key, b"")) == self._bytes
        }

    def put(self, texts: Sequence[str], vectors: npt.NDArray[np.floating]) -> None:
        """Remember ``vectors`` (one row a text), dropping the oldest past MAX_BYTES."""
        rows = [
            (self._key(text), vector.astype(np.float16).tobytes())
            for text, vector in zip(texts, vectors, strict=True)
        ]
        if not rows:
            return
        most = MAX_BYTES // self._bytes
        try:
            with self._open() as database, database:
                database.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                count = database.execute("SELECT count(*) FROM vectors").fetchone()[0]
                if count > most:
                    database.execute(
                        "DELETE FROM vectors WHERE rowid IN "
                        "(SELECT rowid FROM vectors ORDER BY rowid LIMIT ?)",
                        (count - int(most * _KEEP_AFTER_TRIM),),
                    )
        except (sqlite3.Error, OSError) as error:
            self._unusable(error)

    def _key(self, text: str) -> bytes:
        digest = hashlib.blake2b(self._model + b"\0", digest_size=16)
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.digest()

    def _open(self) -> closing[sqlite3.Connection]:
        """A connection a call (the service embeds from more than one thread)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        database = sqlite3.connect(self.path, timeout=30)
        try:
            database.execute("PRAGMA journal_mode=WAL")
            database.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB)"
            )
        except sqlite3.Error:
            database.close()
            raise
        return closing(database)

    def _unusable(self, error: Exception) -> None:
        """Warn; a file that is not (or no longer) a database is moved aside, so the next
        index starts a fresh cache. A busy one is left alone."""
        damaged = isinstance(error, sqlite3.DatabaseError) and not isinstance(
            error, sqlite3.OperationalError
        )
        if damaged and self.path.exists():
            aside = self.path.with_name(self.path.name + ".damaged")
            self.path.replace(aside)
            log.warning(
                "The vector cache %s is damaged (%s); moved to %s.", self.path, error, aside
            )
        else:
            log.warning("The vector cache %s is unusable now: %s", self.path, error)
