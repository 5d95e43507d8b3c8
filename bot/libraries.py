"""Each server's own library on disk: its articles, the copies it keeps, its upload times.

A server's library holds the articles its moderators added; the operator's shared corpus
is never written here. Nothing is lost: an article replaced, removed or overwritten by a
restore is first copied into the library's history, which only ``citebot libraries prune``
empties. The layout under ``CITEBOT_DATA_DIR``::

    guilds/<server id>/articles/              the library's .txt/.md articles
    guilds/<server id>/index/                 its index: the shared corpus + these articles
    guilds/<server id>/history/<article>/     earlier versions, <UTC time>-<why>.<suffix>
    guilds/<server id>/usage.json             last use and the recent uploads' times
    shared/history/<article>/                 earlier versions of replaced shared articles
    servers.json                              the servers the bot is in, as it last saw them

This module knows files only; ``bot.service`` indexes them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.corpus import article_paths
from index.errors import CitebotError

HOUR = 3600.0
_GUILDS = "guilds"
_USAGE = "usage.json"
_SERVERS = "servers.json"


class LibraryError(CitebotError):
    """A library change that cannot be made; nothing was changed, the message says why."""


@dataclass(frozen=True)
class Version:
    """An earlier version of an article, kept in a library's history."""

    article: str
    stamp: str
    """When it stopped being current, as ``YYYYMMDDTHHMMSSffffffZ`` (UTC); also its id."""
    reason: str
    """``replaced``, ``removed`` or ``restored`` (overwritten by a restore)."""
    path: Path
    size: int

    @property
    def when(self) -> str:
        """The stamp for a person: ``2026-12-01 20:15 UTC``."""
        moment = datetime.strptime(self.stamp, "%Y%m%dT%H%M%S%fZ")
        return moment.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class LibrarySize:
    """What a library holds, for limits and for ``citebot libraries list``."""

    articles: int
    bytes: int
    kept_versions: int
    kept_bytes: int


class Library:
    """One server's folder; safe to share between threads as long as one thread changes it
    at a time (the service's per-server lock)."""

    def __init__(self, root: Path, guild_id: int, articles: Path | None = None) -> None:
        """``articles`` elsewhere than under ``root`` is for the shared corpus, whose
        replaced articles are kept the same way."""
        self.guild_id = guild_id
        self.root = root
        self.articles = articles or root / "articles"
        self.index_path = root / "index"
        self.history = root / "history"

    def article_names(self) -> list[str]:
        """The library's articles by file name (none when the folder does not exist yet)."""
        if not self.articles.is_dir():
            return []
        return [path.name for path in article_paths(self.articles)]

    def size(self) -> LibrarySize:
        articles = (
            [path.stat().st_size for path in article_paths(self.articles)]
            if self.articles.is_dir()
            else []
        )
        kept = [path.stat().st_size for path in self.history.rglob("*") if path.is_file()]
        return LibrarySize(len(articles), sum(articles), len(kept), sum(kept))

    def save(self, name: str, data: bytes) -> Version | None:
        """Write article ``name``; an article already of that name is kept in the history
        first, and that version is returned."""
        self.articles.mkdir(parents=True, exist_ok=True)
        kept = self._keep(name, "replaced") if (self.articles / name).exists() else None
        temporary = self.articles / f".{name}.upload"
        temporary.write_bytes(data)
        temporary.replace(self.articles / name)
        return kept

    def remove(self, name: str) -> Version:
        """Take article ``name`` out of the library, keeping it in the history."""
        if not (self.articles / name).is_file():
            raise LibraryError(f"{name} is not in this server's library.")
        kept = self._keep(name, "removed")
        (self.articles / name).unlink()
        return kept

    def versions(self, name: str) -> list[Version]:
        """The kept versions of article ``name``, newest first."""
        folder = self.history / name
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            stamp, _, rest = path.name.partition("-")
            found.append(Version(name, stamp, rest.split(".")[0], path, path.stat().st_size))
        return sorted(found, key=lambda version: version.stamp, reverse=True)

    def version(self, name: str, stamp: str) -> Version:
        """The kept version ``stamp`` of ``name``; the newest one when ``stamp`` is empty."""
        versions = self.versions(name)
        chosen = next((v for v in versions if not stamp or v.stamp == stamp), None)
        if chosen is None:
            listed = ", ".join(version.stamp for version in versions[:5]) or "none"
            raise LibraryError(
                f"This server's library keeps no version {stamp!r} of {name} "
                f"(kept: {listed}); /library versions lists them."
            )
        return chosen

    def restore(self, version: Version) -> Version | None:
        """Make ``version`` current again; the article it replaces is kept first (returned)."""
        self.articles.mkdir(parents=True, exist_ok=True)
        target = self.articles / version.article
        kept = self._keep(version.article, "restored") if target.exists() else None
        temporary = self.articles / f".{version.article}.restore"
        shutil.copyfile(version.path, temporary)
        temporary.replace(target)
        return kept

    def _keep(self, name: str, reason: str) -> Version:
        folder = self.history / name
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        suffix = Path(name).suffix
        copy = folder / f"{stamp}-{reason}{suffix}"
        shutil.copy2(self.articles / name, copy)
        return Version(name, stamp, reason, copy, copy.stat().st_size)

    # usage: last use and the uploads of the last hour

    def uploads_within(self, seconds: float, now: float | None = None) -> int:
        """How many uploads the library took in the last ``seconds``."""
        moment = time.time() if now is None else now
        return sum(1 for at in self._uploads() if moment - at < seconds)

    def record_upload(self, now: float | None = None) -> None:
        moment = time.time() if now is None else now
        recent = [at for at in self._uploads() if moment - at < HOUR]
        self._write_usage(self._usage() | {"uploads": [*recent, moment], "last_used": moment})

    def _uploads(self) -> list[float]:
        uploads = self._usage().get("uploads")
        return [float(at) for at in uploads] if isinstance(uploads, list) else []

    def touch(self, now: float | None = None) -> None:
        """Note that the server used its library (asked, listed or changed it)."""
        self._write_usage(self._usage() | {"last_used": time.time() if now is None else now})

    @property
    def last_used(self) -> float | None:
        value = self._usage().get("last_used")
        return float(value) if isinstance(value, int | float) else None

    def _usage(self) -> dict[str, Any]:
        try:
            data = json.loads((self.root / _USAGE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_usage(self, usage: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.root / f".{_USAGE}.tmp"
        temporary.write_text(json.dumps(usage), encoding="utf-8")
        os.replace(temporary, self.root / _USAGE)


def library(data_dir: Path, guild_id: int) -> Library:
    """Server ``guild_id``'s library under the data folder (created when first written)."""
    return Library(data_dir / _GUILDS / str(guild_id), guild_id)


def libraries(data_dir: Path) -> list[Library]:
    """Every server library under the data folder, by server id."""
    folder = data_dir / _GUILDS
    if not folder.is_dir():
        return []
    ids = sorted(int(path.name) for path in folder.iterdir() if path.name.isdigit())
    return [library(data_dir, guild_id) for guild_id in ids]


def record_servers(data_dir: Path, guild_ids: Sequence[int]) -> None:
    """Note the servers the bot is in (it does on connecting, joining and leaving), so
    ``citebot libraries prune`` knows which libraries belong to servers it has left."""
    data_dir.mkdir(parents=True, exist_ok=True)
    temporary = data_dir / f".{_SERVERS}.tmp"
    temporary.write_text(json.dumps({"guilds": sorted(guild_ids), "at": time.time()}))
    os.replace(temporary, data_dir / _SERVERS)


def recorded_servers(data_dir: Path) -> list[int] | None:
    """The servers the bot was last in, or None when it has not recorded them yet."""
    try:
        data = json.loads((data_dir / _SERVERS).read_text(encoding="utf-8"))
        return [int(guild) for guild in data["guilds"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under ``folder`` (0 when it does not exist)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def prune(data_dir: Path, current_guilds: Sequence[int] | None) -> list[str]:
    """Delete the libraries of servers not in ``current_guilds`` and every kept version
    (the servers' and the shared corpus's); ``current_guilds`` None keeps every library.
    Returns a line per thing deleted."""
    done = []
    shared = data_dir / "shared" / "history"
    if shared.is_dir():
        done.append(f"shared corpus: deleted kept versions, {folder_bytes(shared):,} bytes")
        shutil.rmtree(shared)
    for found in libraries(data_dir):
        if current_guilds is not None and found.guild_id not in current_guilds:
            shutil.rmtree(found.root)
            done.append(f"removed the library of server {found.guild_id}")
        elif found.history.is_dir():
            size = found.size()
            shutil.rmtree(found.history)
            if size.kept_versions:
                done.append(
                    f"server {found.guild_id}: deleted {size.kept_versions} kept "
                    f"version(s), {size.kept_bytes:,} bytes"
                )
    return done
