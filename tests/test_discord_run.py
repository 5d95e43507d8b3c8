"""``run_bot``, what ``citebot run`` calls, against the fake Discord served from a thread:
a bot that cannot start says why in one line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from discord.http import Route

from bot.cli import main
from bot.discord.client import run_bot
from fake_discord.harness import fake_discord_on_a_thread, make_settings
from index import CitebotError


def test_a_refused_token_ends_the_bot_with_advice_not_a_traceback(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, DISCORD_TOKEN="not-the-token")
    refused = pytest.raises(CitebotError, match="Discord refused DISCORD_TOKEN")
    with fake_discord_on_a_thread(strict=False) as discord, refused:
        run_bot(settings)
    assert [(call.path, call.status) for call in discord.calls] == [("/users/@me", 401)]


@pytest.mark.parametrize(
    ("code", "advice"),
    [(4004, "Discord refused DISCORD_TOKEN"), (4014, "Turn on the Message Content intent")],
)
def test_a_gateway_closing_on_identify_ends_the_bot_with_advice(
    tmp_path: Path, code: int, advice: str
) -> None:
    with fake_discord_on_a_thread() as discord, pytest.raises(CitebotError, match=advice):
        discord.fake.gateway.refuse_identify_with = code
        run_bot(make_settings(tmp_path))


def closed_port() -> int:
    """A local port nothing listens on, so connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_without_a_network_citebot_run_prints_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    monkeypatch.setattr(Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")
    monkeypatch.setenv("DISCORD_TOKEN", settings.discord_token)
    arguments = ["--corpus", str(settings.corpus_dir), "--index-path", str(settings.index_path)]
    (tmp_path / "empty.env").write_text("")
    exit_code = main([*arguments, "--env-file", str(tmp_path / "empty.env"), "run"])
    printed = capsys.readouterr().err
    assert exit_code == 1
    assert "Traceback" not in printed
    assert printed.strip().splitlines()[-1].startswith("citebot: cannot reach Discord: ")
