"""``run_bot``, what ``citebot run`` calls, against the fake Discord served from a thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.discord_app import run_bot
from fake_discord.harness import fake_discord_on_a_thread, make_settings
from index import CitebotError


def test_a_refused_token_ends_the_bot_with_advice_not_a_traceback(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, DISCORD_TOKEN="not-the-token")
    refused = pytest.raises(CitebotError, match="Discord refused DISCORD_TOKEN")
    with fake_discord_on_a_thread(strict=False) as discord, refused:
        run_bot(settings)
    assert [(call.path, call.status) for call in discord.calls] == [("/users/@me", 401)]
