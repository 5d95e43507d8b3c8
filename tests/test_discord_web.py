"""/reindex url: and /feeds through the real discord.py client and a fake Discord: a
moderator adds a news page by its address and sees how the feeds' last polls went; a
non-moderator and a bad address are refused privately."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.discord.moderation import NOT_A_MODERATOR
from bot.feeds import FeedPoller
from fake_discord import payloads
from fake_discord.harness import (
    ADMIN,
    BOB,
    connected,
    fake_discord,
    is_ephemeral,
    make_settings,
    scenario,
)
from test_discord_reindex import answered, corpus_state, field, final_report, is_followup
from web_server import WebServer

COST = "How much will the Harbour Bridge repairs cost?"
ADDED = "harbour-bridge-to-close-for-six-weeks-of-repairs.html"


@scenario
async def test_a_moderator_adds_a_page_by_its_address(tmp_path: Path, web: WebServer) -> None:
    settings = make_settings(tmp_path, CITEBOT_FETCH_PRIVATE="true")
    library = settings.data_dir / "guilds" / str(payloads.GUILD_ID) / "articles"
    url = web.page("/local/bridge", "harbour-bridge.html")
    async with fake_discord() as discord, connected(discord, settings):
        assert not await answered(discord, COST)
        report = await final_report(discord, await discord.slash("reindex", ADMIN, url=url))
        assert await answered(discord, COST)
        sources = await discord.shown(await discord.slash("sources"))
    assert field(report, "Added") == ADDED
    assert (library / ADDED).is_file()
    listed = sources.message["embeds"][0]["description"]
    assert "The Coastal Courier" in listed and "by admin (5004)" in listed


@scenario
async def test_a_non_moderator_cannot_add_a_page_and_nothing_is_fetched(
    tmp_path: Path, web: WebServer
) -> None:
    settings = make_settings(tmp_path, CITEBOT_FETCH_PRIVATE="true")
    url = web.page("/local/bridge", "harbour-bridge.html")
    async with fake_discord() as discord, connected(discord, settings):
        call = await discord.shown(await discord.slash("reindex", BOB, url=url))
    assert is_ephemeral(call) and call.message["content"] == NOT_A_MODERATOR
    assert web.requests == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("ftp://files.example/story", "not an http:// or https:// address"),
        ("/missing", "answered 404"),
        ("private", "private, loopback or link-local"),
    ],
)
@scenario
async def test_a_bad_address_is_refused_privately_and_nothing_changes(
    tmp_path: Path, web: WebServer, path: str, reason: str
) -> None:
    allowed = "false" if path == "private" else "true"
    settings = make_settings(tmp_path, CITEBOT_FETCH_PRIVATE=allowed)
    url = web.page("/local/bridge", "harbour-bridge.html") if path == "private" else path
    before = corpus_state(settings.corpus_dir)
    async with fake_discord() as discord, connected(discord, settings):
        sent = await discord.slash("reindex", ADMIN, url=web.url(url) if url == "/missing" else url)
        refusal = await discord.shown(sent, is_followup)
    assert is_ephemeral(refusal) and reason in refusal.message["content"]
    assert corpus_state(settings.corpus_dir) == before
    assert not (settings.data_dir / "guilds").exists() or not any(
        (settings.data_dir / "guilds").rglob("*.html")
    )


@scenario
async def test_moderators_see_how_the_feeds_last_polls_went(tmp_path: Path, web: WebServer) -> None:
    bridge = web.page("/local/bridge", "harbour-bridge.html")
    rss = web.feed("/rss", "rss.xml", {"first": bridge}, "application/rss+xml")
    feeds = f"{rss} {web.url('/atom')}"
    settings = make_settings(tmp_path, CITEBOT_FETCH_PRIVATE="true", CITEBOT_FEEDS=feeds)
    async with fake_discord() as discord, connected(discord, settings) as client:
        await asyncio.to_thread(FeedPoller(client.service).poll)
        assert await answered(discord, COST)
        shown = await discord.shown(await discord.slash("feeds", ADMIN))
        refused = await discord.shown(await discord.slash("feeds", BOB))
    status = shown.message["content"]
    assert is_ephemeral(shown) and "1 added" in status and "answered 404" in status
    assert is_ephemeral(refused) and refused.message["content"] == NOT_A_MODERATOR
