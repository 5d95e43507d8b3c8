"""Settings from the environment and ``.env``, read and validated once at start-up.

One rule for where things are: what citebot finds by itself lives in the project folder
(``.env``, ``seeds/``, ``.citebot-index/``); a path given on the command line or in the
environment is relative to the working directory, and one written in a ``.env`` file is
relative to that file's folder, so the file means the same wherever citebot starts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from index.shard_location import ShardLocation, parse_location

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = PROJECT_ROOT / ".env"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_PATH_SETTINGS = ("CITEBOT_CORPUS", "CITEBOT_INDEX_PATH", "CITEBOT_DATA_DIR")
PER_SERVER, ONE_SHARED = "per-server", "shared"
LIBRARY_MODES = (PER_SERVER, ONE_SHARED)
EMBEDDED, XAPIAN = "embedded", "xapian"
BACKENDS = (EMBEDDED, XAPIAN)
FAIL, ANSWER = "fail", "answer"
SHARD_DOWN = (FAIL, ANSWER)


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable about citebot; see ``.env.example`` for each setting."""

    discord_token: str = ""
    guild_id: int | None = None
    mod_roles: tuple[str, ...] = ()
    corpus_dir: Path = PROJECT_ROOT / "seeds"
    index_path: Path = PROJECT_ROOT / ".citebot-index"
    cooldown_seconds: float = 5.0
    quotes_per_page: int = 3
    max_upload_bytes: int = 200_000
    log_level: str = "INFO"
    data_dir: Path = PROJECT_ROOT / ".citebot-data"
    library: str = PER_SERVER
    """"per-server": each server adds to its own library; "shared": one library for all,
    changed from Discord only by the servers in ``shared_guilds`` (and the owner)."""
    shared_guilds: tuple[int, ...] = ()
    library_max_articles: int = 500
    library_max_bytes: int = 50_000_000
    uploads_per_hour: int = 20
    feeds: tuple[str, ...] = ()
    """RSS/Atom feeds to poll (besides those ``citebot feeds add`` keeps in ``data_dir``)."""
    feed_minutes: float = 30.0
    """Minutes between two polls of the feeds; 0 polls only at start-up."""
    fetch_timeout: float = 15.0
    fetch_max_bytes: int = 5_000_000
    fetch_private: bool = False
    """True lets pages and feeds be fetched from private, loopback and link-local addresses."""
    vector_cache: bool = True
    """Keep sentence vectors in ``data_dir``/vectors.sqlite3 so no text is embedded twice."""
    backend: str = EMBEDDED
    """"embedded": the index in ``index_path``; "xapian": the shards at ``xapian``."""
    xapian: ShardLocation | None = None
    """A folder of Xapian shards, or the ``host:port`` servers of the shards."""
    shard_down: str = FAIL
    """"fail": a question fails while a shard is down; "answer": it is answered from the
    other shards, saying the answer may be incomplete."""

    @property
    def per_server(self) -> bool:
        return self.library == PER_SERVER

    @property
    def vector_cache_file(self) -> Path | None:
        return self.data_dir / "vectors.sqlite3" if self.vector_cache else None


def _integer(name: str, raw: str, *, least: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise SettingsError(f"{name} must be at least {least}, not {value}")
    return value


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise SettingsError(f"{name} must be a finite number of 0 or more, not {raw!r}")
    return value


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise SettingsError(
            f"CITEBOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw!r}"
        )
    return level


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    value = raw.lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return value


def _positive(name: str, raw: str) -> float:
    value = _number(name, raw)
    if value == 0:
        raise SettingsError(f"{name} must be more than 0")
    return value


def _yes(name: str, raw: str) -> bool:
    value = raw.lower()
    if value not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
        raise SettingsError(f"{name} must be true or false (or on or off), not {raw!r}")
    return value in ("true", "yes", "on", "1")


def _addresses(name: str, raw: str) -> tuple[str, ...]:
    found = tuple(part for part in raw.replace(",", " ").split() if part)
    for address in found:
        if not address.startswith(("http://", "https://")):
            raise SettingsError(f"{name} lists {address!r}, not an http:// or https:// address")
    return found


def _ids(name: str, raw: str) -> tuple[int, ...]:
    return tuple(_integer(name, part.strip(), least=1) for part in raw.split(",") if part.strip())


def xapian_location(backend: str, raw: str) -> ShardLocation | None:
    """CITEBOT_XAPIAN (or --xapian) checked; None when empty and not needed."""
    if not raw:
        if backend == XAPIAN:
            raise SettingsError(
                "CITEBOT_BACKEND=xapian needs CITEBOT_XAPIAN: a shard folder or host:port shards"
            )
        return None
    try:
        return parse_location(raw)
    except ValueError as error:
        raise SettingsError(f"CITEBOT_XAPIAN {error}") from None


def settings_from(env: Mapping[str, str | None]) -> Settings:
    """Build settings from a mapping of variables; unset or empty ones keep their defaults."""
    values = {key: value.strip() for key, value in env.items() if value and value.strip()}
    defaults = Settings()
    guild = values.get("DISCORD_GUILD_ID")
    per_page = _integer(
        "CITEBOT_QUOTES_PER_PAGE", values.get("CITEBOT_QUOTES_PER_PAGE", "3"), least=1
    )
    if per_page > 10:
        raise SettingsError("CITEBOT_QUOTES_PER_PAGE must be between 1 and 10")
    backend = _choice("CITEBOT_BACKEND", values.get("CITEBOT_BACKEND", EMBEDDED), BACKENDS)
    return Settings(
        discord_token=values.get("DISCORD_TOKEN", ""),
        guild_id=_integer("DISCORD_GUILD_ID", guild, least=1) if guild else None,
        mod_roles=tuple(
            role.strip() for role in values.get("CITEBOT_MOD_ROLES", "").split(",") if role.strip()
        ),
        corpus_dir=Path(values.get("CITEBOT_CORPUS", defaults.corpus_dir)),
        index_path=Path(values.get("CITEBOT_INDEX_PATH", defaults.index_path)),
        cooldown_seconds=_number(
            "CITEBOT_COOLDOWN_SECONDS",
            values.get("CITEBOT_COOLDOWN_SECONDS", str(defaults.cooldown_seconds)),
        ),
        quotes_per_page=per_page,
        max_upload_bytes=_integer(
            "CITEBOT_MAX_UPLOAD_BYTES",
            values.get("CITEBOT_MAX_UPLOAD_BYTES", str(defaults.max_upload_bytes)),
            least=1,
        ),
        log_level=_log_level(values.get("CITEBOT_LOG_LEVEL", defaults.log_level)),
        data_dir=Path(values.get("CITEBOT_DATA_DIR", defaults.data_dir)),
        library=_choice(
            "CITEBOT_LIBRARY", values.get("CITEBOT_LIBRARY", defaults.library), LIBRARY_MODES
        ),
        shared_guilds=_ids("CITEBOT_SHARED_GUILDS", values.get("CITEBOT_SHARED_GUILDS", "")),
        library_max_articles=_integer(
            "CITEBOT_LIBRARY_MAX_ARTICLES",
            values.get("CITEBOT_LIBRARY_MAX_ARTICLES", str(defaults.library_max_articles)),
            least=1,
        ),
        library_max_bytes=_integer(
            "CITEBOT_LIBRARY_MAX_BYTES",
            values.get("CITEBOT_LIBRARY_MAX_BYTES", str(defaults.library_max_bytes)),
            least=1,
        ),
        uploads_per_hour=_integer(
            "CITEBOT_UPLOADS_PER_HOUR",
            values.get("CITEBOT_UPLOADS_PER_HOUR", str(defaults.uploads_per_hour)),
            least=1,
        ),
        feeds=_addresses("CITEBOT_FEEDS", values.get("CITEBOT_FEEDS", "")),
        feed_minutes=_number(
            "CITEBOT_FEED_MINUTES", values.get("CITEBOT_FEED_MINUTES", str(defaults.feed_minutes))
        ),
        fetch_timeout=_positive(
            "CITEBOT_FETCH_TIMEOUT",
            values.get("CITEBOT_FETCH_TIMEOUT", str(defaults.fetch_timeout)),
        ),
        fetch_max_bytes=_integer(
            "CITEBOT_FETCH_MAX_BYTES",
            values.get("CITEBOT_FETCH_MAX_BYTES", str(defaults.fetch_max_bytes)),
            least=1,
        ),
        fetch_private=_yes("CITEBOT_FETCH_PRIVATE", values.get("CITEBOT_FETCH_PRIVATE", "false")),
        vector_cache=_yes("CITEBOT_VECTOR_CACHE", values.get("CITEBOT_VECTOR_CACHE", "on")),
        backend=backend,
        xapian=xapian_location(backend, values.get("CITEBOT_XAPIAN", "")),
        shard_down=_choice(
            "CITEBOT_SHARD_DOWN", values.get("CITEBOT_SHARD_DOWN", defaults.shard_down), SHARD_DOWN
        ),
    )


def load_settings(env_file: Path | None = None) -> Settings:
    """Read ``env_file`` (or the project's ``.env``, if present) under the real environment,
    which wins. A named file that is missing or not UTF-8 is a SettingsError."""
    path = env_file or DEFAULT_ENV_FILE
    if env_file is not None and (not path.exists() or path.is_dir()):
        raise SettingsError(f"the settings file {path} does not exist; check --env-file")
    try:
        file_values = dotenv_values(path) if path.exists() else {}
    except UnicodeDecodeError as error:
        raise SettingsError(
            f"the settings file {path} is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise SettingsError(f"cannot read the settings file {path}: {error.strerror}") from None
    for name in _PATH_SETTINGS:
        if file_values.get(name):
            file_values[name] = str(path.parent / str(file_values[name]).strip())
    folder = str(file_values.get("CITEBOT_XAPIAN") or "").strip()
    if folder and ":" not in folder and "," not in folder:
        file_values["CITEBOT_XAPIAN"] = str(path.parent / folder)
    return settings_from({**file_values, **os.environ})
