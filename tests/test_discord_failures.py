"""Discord refusing, rate-limiting and expiring things, and citebot getting its replies
through anyway (or logging, in one line, why it could not)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ONE_SHARED
from bot.discord.replies import FAILED
from fake_discord import payloads
from fake_discord.harness import (
    ADMIN,
    BOB,
    BotLog,
    Discord,
    HeldService,
    Sent,
    connected,
    fake_discord,
    make_settings,
    scenario,
)
from fake_discord.server import TOKEN_SECONDS, WAIT_SECONDS, Call
from index import Answer

TROOPS = "How many troops went to Romania?"
DEFERRED = 5
ORIGINAL = r"/messages/@original$"
CALLBACK = r"/callback$"
NOT_FOUND = {"message": "Unknown Message", "code": 10008}


class SlowBrokenService(HeldService):
    """Fails only after the bot has said "thinking…" (the answers gate is closed)."""

    def answer(self, question: str, limit: int = 9, guild: int | None = None) -> Answer:
        self.answers.wait(WAIT_SECONDS)
        raise RuntimeError("the database went away")


async def lines_about(log: BotLog, sent: Sent, ending: str) -> list[str]:
    """citebot's log lines naming the interaction ``sent``, once one contains ``ending``."""
    return await log.naming(f"interaction {sent.payload['id']}", ending)


def says(text: str) -> Callable[[Call], bool]:
    return lambda call: call.message.get("content") == text


def statuses(discord: Discord, sent: Sent, method: str, path_end: str) -> list[int]:
    return [
        call.status
        for call in discord.calls
        if sent.concerns(call) and call.method == method and call.path.endswith(path_end)
    ]


async def answered(discord: Discord) -> Call:
    return await discord.shown(await discord.slash("ask", question=TROOPS))


@pytest.mark.parametrize(
    "refusals",
    [
        [("DELETE", 404, NOT_FOUND, 1), ("PATCH", 500, None, 5)],
        [("DELETE", 403, None, 1)],
    ],
    ids=["delete-404-edit-500", "delete-403"],
)
@scenario
async def test_an_error_after_thinking_reaches_the_person_though_discord_refuses_the_tidy_up(
    tmp_path: Path,
    log: BotLog,
    refusals: list[tuple[str, int, dict | None, int]],
) -> None:
    settings = make_settings(tmp_path)
    service = SlowBrokenService.open(settings)
    service.answers.clear()
    async with fake_discord() as discord, connected(discord, settings, service):
        for method, status, body, times in refusals:
            discord.fake.refuse(method, ORIGINAL, status, body, times=times)
        sent = await discord.slash("ask", question=TROOPS)
        assert (await discord.response(sent)).body["type"] == DEFERRED
        service.answers.set()
        await discord.shown(sent, says(FAILED))
        [line] = await lines_about(log, sent, "/ask")
    assert "/ask" in line and "failed" in line


@scenario
async def test_a_reply_after_discords_three_seconds_is_refused_and_logged_in_one_line(
    tmp_path: Path, log: BotLog
) -> None:
    settings = make_settings(tmp_path)
    service = HeldService.open(settings)
    service.answers.clear()
    async with fake_discord(strict=False) as discord, connected(discord, settings, service):
        late = await discord.slash("ask", question=TROOPS)
        discord.fake.clock.advance(3.0)
        service.answers.set()
        refused = await discord.response(late)
        assert refused.status == 404 and refused.answer["code"] == 10062
        assert (await answered(discord)).message["embeds"]
        [line] = await lines_about(log, late, "within 3 s")
    assert statuses(discord, late, "POST", "/callback") == [404]


@scenario
async def test_a_rebuild_outliving_the_15_minute_token_is_logged_and_the_bot_carries_on(
    tmp_path: Path, log: BotLog
) -> None:
    settings = make_settings(tmp_path)
    service = HeldService.open(settings)
    service.rebuilds.clear()
    async with fake_discord(strict=False) as discord, connected(discord, settings, service):
        rebuild = await discord.slash("reindex", ADMIN)
        await discord.response(rebuild)
        discord.fake.clock.advance(TOKEN_SECONDS)
        service.rebuilds.set()
        expired = await discord.fake.wait_for(
            lambda call: rebuild.concerns(call) and call.method == "PATCH" and call.status == 401
        )
        assert (await answered(discord)).message["embeds"]
        [line] = await lines_about(log, rebuild, "token expired")
    assert expired.answer["code"] == 50027
    assert line.startswith("/reindex for user")


@scenario
async def test_a_rate_limited_reply_is_delivered_after_the_wait(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        discord.fake.rate_limit("POST", CALLBACK, 0.05)
        sent = await discord.slash("ask", question=TROOPS)
        reply = await discord.shown(sent)
    assert reply.message["embeds"][0]["footer"]["text"] == f"Asked: {TROOPS}"
    assert statuses(discord, sent, "POST", "/callback") == [429, 200]


@scenario
async def test_a_mention_reply_waits_out_a_global_rate_limit(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        discord.fake.rate_limit("POST", r"/channels/\d+/messages$", 0.05, scope="global", times=2)
        asked = await discord.say(
            f"<@{payloads.BOT_ID}> {TROOPS}", BOB["user"], mentions=(payloads.BOT_USER,)
        )
        reply = await discord.reply_to(asked)
    assert reply.body["embeds"][0]["footer"]["text"] == f"Asked: {TROOPS}"
    tries = [call.status for call in discord.calls if call.path.endswith("/messages")]
    assert tries == [429, 429, 200]


@scenario
async def test_rate_limited_reindex_progress_edits_still_end_in_the_report(tmp_path: Path) -> None:
    # The one shared library, so that /reindex without an article has a corpus to rebuild.
    settings = make_settings(
        tmp_path, CITEBOT_LIBRARY=ONE_SHARED, CITEBOT_SHARED_GUILDS=str(payloads.GUILD_ID)
    )
    service = HeldService.open(settings)
    service.rebuilds.clear()
    async with fake_discord() as discord, connected(discord, settings, service) as client:
        client.progress_every = 0.01
        discord.fake.rate_limit("PATCH", ORIGINAL, 0.05, times=3)
        rebuild = await discord.slash("reindex", ADMIN)
        # The rebuild is held until the first progress edit has got through, so all three
        # 429s fall on that edit, and the report can only follow them.
        progress = await discord.shown(
            rebuild, lambda call: "Reindexing…" in call.message.get("content", "")
        )
        service.rebuilds.set()
        report = await discord.shown(rebuild, lambda call: bool(call.message.get("embeds")))
    assert progress.method == report.method == "PATCH"
    assert report.message["embeds"][0]["title"] == "Index rebuilt"
    assert statuses(discord, rebuild, "PATCH", "/@original")[:3] == [429, 429, 429]
