"""Settings: every one documented in .env.example, validated with a message naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.config import (
    DEFAULT_ENV_FILE,
    EMBEDDED,
    ONE_SHARED,
    XAPIAN,
    Settings,
    SettingsError,
    load_settings,
    settings_from,
)
from index.shard_location import ShardAddress
from paths import REPO

EXAMPLE = REPO / ".env.example"


def test_the_example_documents_every_setting_with_its_default() -> None:
    names = set(dotenv_values(EXAMPLE))
    code = (REPO / "bot" / "config.py").read_text()
    read_by_code = set(re.findall(r'"((?:DISCORD|CITEBOT)_[A-Z_]+)"', code))
    assert names == read_by_code
    assert settings_from(dotenv_values(EXAMPLE)) == Settings()
    text = EXAMPLE.read_text()
    for name in names:
        assert re.search(rf"# .*\n{name}=", text), f"{name} needs a comment"


def test_values_are_parsed(tmp_path: Path) -> None:
    settings = settings_from(
        {
            "DISCORD_TOKEN": " abc ",
            "DISCORD_GUILD_ID": "42",
            "CITEBOT_MOD_ROLES": "Mods, 1234 ,",
            "CITEBOT_CORPUS": str(tmp_path),
            "CITEBOT_COOLDOWN_SECONDS": "2.5",
            "CITEBOT_LOG_LEVEL": "debug",
        }
    )
    assert settings.discord_token == "abc" and settings.guild_id == 42
    assert settings.mod_roles == ("Mods", "1234")
    assert settings.corpus_dir == tmp_path and settings.cooldown_seconds == 2.5
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISCORD_GUILD_ID", "my server"),
        ("CITEBOT_COOLDOWN_SECONDS", "-1"),
        ("CITEBOT_QUOTES_PER_PAGE", "50"),
        ("DISCORD_GUILD_ID", "-5"),
        ("DISCORD_GUILD_ID", "0"),
        ("CITEBOT_COOLDOWN_SECONDS", "nan"),
        ("CITEBOT_COOLDOWN_SECONDS", "inf"),
        ("CITEBOT_COOLDOWN_SECONDS", "-inf"),
        ("CITEBOT_MAX_UPLOAD_BYTES", "lots"),
        ("CITEBOT_MAX_UPLOAD_BYTES", "-1"),
        ("CITEBOT_MAX_UPLOAD_BYTES", "0"),
        ("CITEBOT_QUOTES_PER_PAGE", "0"),
        ("CITEBOT_LOG_LEVEL", "LOUD"),
        ("CITEBOT_LIBRARY", "everyone"),
        ("CITEBOT_SHARED_GUILDS", "2000, my server"),
        ("CITEBOT_LIBRARY_MAX_ARTICLES", "0"),
        ("CITEBOT_LIBRARY_MAX_BYTES", "lots"),
        ("CITEBOT_UPLOADS_PER_HOUR", "-2"),
        ("CITEBOT_BACKEND", "elastic"),
        ("CITEBOT_XAPIAN", "host-a:7800,host-b"),
        ("CITEBOT_XAPIAN", "host-a:port"),
    ],
)
def test_a_bad_value_names_its_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        settings_from({name: value})


def test_library_settings_are_parsed() -> None:
    settings = settings_from(
        {
            "CITEBOT_LIBRARY": "Shared",
            "CITEBOT_SHARED_GUILDS": "2000, 2100,",
            "CITEBOT_LIBRARY_MAX_ARTICLES": "3",
            "CITEBOT_LIBRARY_MAX_BYTES": "1000",
            "CITEBOT_UPLOADS_PER_HOUR": "2",
        }
    )
    assert settings.library == ONE_SHARED and not settings.per_server
    assert settings.shared_guilds == (2000, 2100)
    assert (settings.library_max_articles, settings.library_max_bytes) == (3, 1000)
    assert settings.uploads_per_hour == 2 and Settings().per_server


def test_xapian_settings_are_parsed(tmp_path: Path) -> None:
    shards = settings_from({"CITEBOT_BACKEND": "Xapian", "CITEBOT_XAPIAN": "a:7800, [::1]:7801"})
    assert shards.backend == XAPIAN
    assert shards.xapian == (ShardAddress("a", 7800), ShardAddress("::1", 7801))
    folder = settings_from({"CITEBOT_BACKEND": "xapian", "CITEBOT_XAPIAN": str(tmp_path)})
    assert folder.xapian == tmp_path
    assert Settings().backend == EMBEDDED and Settings().xapian is None


def test_the_xapian_backend_needs_its_shards() -> None:
    with pytest.raises(SettingsError, match="CITEBOT_XAPIAN"):
        settings_from({"CITEBOT_BACKEND": "xapian"})


def test_a_shard_folder_in_a_settings_file_is_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "bot.env").write_text("CITEBOT_BACKEND=xapian\nCITEBOT_XAPIAN=shards\n")
    assert load_settings(tmp_path / "bot.env").xapian == tmp_path / "shards"


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("CITEBOT_QUOTES_PER_PAGE=4\nCITEBOT_COOLDOWN_SECONDS=9\n")
    monkeypatch.setenv("CITEBOT_COOLDOWN_SECONDS", "1")
    settings = load_settings(tmp_path / ".env")
    assert (settings.quotes_per_page, settings.cooldown_seconds) == (4, 1.0)


def test_a_named_settings_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nonexistent.env")
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path)


def test_a_settings_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    env_file = tmp_path / "latin1.env"
    env_file.write_bytes("CITEBOT_MOD_ROLES=Modérateurs\n".encode("latin-1"))
    with pytest.raises(SettingsError, match=r"latin1\.env is not UTF-8"):
        load_settings(env_file)


def test_env_file_paths_are_relative_to_the_file_and_the_default_is_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / ".env").write_text("CITEBOT_CORPUS=news\nCITEBOT_INDEX_PATH=/abs/idx\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CITEBOT_CORPUS", raising=False)
    monkeypatch.delenv("CITEBOT_INDEX_PATH", raising=False)
    settings = load_settings(Path("conf/.env"))
    assert settings.corpus_dir == Path("conf/news")
    assert settings.index_path == Path("/abs/idx")
    assert DEFAULT_ENV_FILE == REPO / ".env"
    assert Settings().corpus_dir == REPO / "seeds" and Settings().index_path.parent == REPO
