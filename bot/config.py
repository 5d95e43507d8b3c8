"""Settings from the environment and ``.env``, read and validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def settings_from(env: Mapping[str, str | None]) -> Settings:
    """Build settings from a mapping of variables; unset or empty ones keep their defaults."""
    values = {key: value.strip() for key, value in env.items() if value and value.strip()}
    defaults = Settings()
    guild = values.get("DISCORD_GUILD_ID")
    per_page = _integer("CITEBOT_QUOTES_PER_PAGE", values.get("CITEBOT_QUOTES_PER_PAGE", "3"))
    if not 1 <= per_page <= 10:
        raise SettingsError("CITEBOT_QUOTES_PER_PAGE must be between 1 and 10")
    return Settings(
        discord_token=values.get("DISCORD_TOKEN", ""),
        guild_id=_integer("DISCORD_GUILD_ID", guild) if guild else None,
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
        ),
        log_level=values.get("CITEBOT_LOG_LEVEL", defaults.log_level).upper(),
    )


def load_settings(env_file: Path | None = None) -> Settings:
    """Read ``.env`` (if present) under the real environment, which wins."""
    file_values = dotenv_values(env_file or Path.cwd() / ".env")
    return settings_from({**file_values, **os.environ})
