"""/reindex through the real discord.py client and a fake Discord: who may run it, uploads,
progress, and questions answered from the old index while the new one is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ONE_SHARED
from bot.discord.moderation import NOT_A_MODERATOR
from fake_discord import payloads
from fake_discord.harness import (
    ADMIN,
    ALICE,
    BOB,
    LIBRARIAN,
    Discord,
    HeldService,
    Sent,
    connected,
    fake_discord,
    is_ephemeral,
    make_settings,
    scenario,
)
from fake_discord.payloads import Json
from fake_discord.server import Call

PELICANS = (
    b"Pelicans of Zanzibar\n\nZanzibar pelicans migrate every October across the Indian Ocean, "
    b"ornithologists at the Stone Town observatory reported on Monday.\n"
)
PELICAN_QUESTION = "When do Zanzibar pelicans migrate?"
TROOPS = "How many troops went to Romania?"
DEFERRED = 5


def corpus_state(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def is_progress(call: Call) -> bool:
    return call.method == "PATCH" and call.message.get("content", "").startswith("Reindexing…")


def is_followup(call: Call) -> bool:
    return call.method == "POST" and call.path.startswith("/webhooks/")


def is_report(call: Call) -> bool:
    return call.method == "PATCH" and bool(call.message.get("embeds"))


async def final_report(discord: Discord, sent: Sent) -> Json:
    """The summary embed a /reindex reply ends with."""
    return (await discord.shown(sent, is_report)).message["embeds"][0]


def field(embed: Json, name: str) -> str:
    return next(str(item["value"]) for item in embed["fields"] if item["name"].startswith(name))


async def answered(discord: Discord, question: str) -> bool:
    call = await discord.shown(await discord.slash("ask", question=question))
    return bool(call.message.get("embeds"))


@scenario
async def test_a_non_moderator_is_refused_privately_and_nothing_changes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    before = corpus_state(settings.corpus_dir)
    async with fake_discord() as discord, connected(discord, settings) as client:
        index = client.service.index
        attachment = discord.fake.attachment("pelicans.txt", PELICANS)
        call = await discord.shown(await discord.slash("reindex", BOB, article=attachment))
        assert client.service.index is index
    assert call.body["type"] == 4 and is_ephemeral(call)
    assert call.message["content"] == NOT_A_MODERATOR
    assert corpus_state(settings.corpus_dir) == before


@pytest.mark.parametrize("moderator", [ADMIN, LIBRARIAN], ids=["manage-server", "mod-role"])
@scenario
async def test_a_moderator_gets_a_private_summary_of_the_rebuild(
    tmp_path: Path, moderator: Json
) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        sent = await discord.slash("reindex", moderator)
        deferral = await discord.response(sent)
        report = await final_report(discord, sent)
    assert deferral.body["type"] == DEFERRED and is_ephemeral(deferral)
    assert report["title"] == "Index rebuilt"
    assert field(report, "Articles") == "5"
    assert field(report, "Added") == "none"
    assert int(field(report, "Passages").replace(",", "")) > 0
    assert field(report, "Time").endswith(" s")


@scenario
async def test_reindex_is_offered_only_to_server_managers_in_guilds(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        command = discord.fake.commands["reindex"]
    assert int(command["default_member_permissions"]) == payloads.MANAGE_GUILD
    assert command["dm_permission"] is False


@pytest.mark.parametrize(("guild", "path"), [("2000", "/guilds/2000/commands"), ("", "/commands")])
@scenario
async def test_commands_sync_to_the_development_guild_or_globally(
    tmp_path: Path, guild: str, path: str
) -> None:
    settings = make_settings(tmp_path, DISCORD_GUILD_ID=guild)
    async with fake_discord() as discord, connected(discord, settings):
        synced = [call for call in discord.calls if call.method == "PUT"]
    assert [call.path for call in synced] == [f"/applications/{payloads.APPLICATION_ID}{path}"]
    assert {command["name"] for command in synced[0].body} == {
        "ask",
        "sources",
        "reindex",
        "library",
        "feeds",
    }


@scenario
async def test_an_upload_named_with_a_path_lands_inside_the_servers_library(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    library = settings.data_dir / "guilds" / str(payloads.GUILD_ID) / "articles"
    async with fake_discord() as discord, connected(discord, settings):
        attachment = discord.fake.attachment("../../pelicans.txt", PELICANS)
        report = await final_report(
            discord, await discord.slash("reindex", ADMIN, article=attachment)
        )
        assert await answered(discord, PELICAN_QUESTION)
    assert (library / "pelicans.txt").read_bytes() == PELICANS
    assert not (settings.corpus_dir / "pelicans.txt").exists()
    assert not (tmp_path / "pelicans.txt").exists()
    assert field(report, "Added") == "pelicans.txt"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.exe", PELICANS, "is not a .txt or .md file"),
        ("binary.txt", b"\xff\xfe\x00pelican", "is not UTF-8 text"),
        ("000_bc9ac90424408617.txt", PELICANS, "is a shared article"),
        ("huge.md", PELICANS * 2000, "articles may have at most"),
    ],
)
@scenario
async def test_a_bad_upload_is_refused_privately_and_nothing_changes(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    settings = make_settings(tmp_path)
    before = corpus_state(settings.corpus_dir)
    async with fake_discord() as discord, connected(discord, settings):
        attachment = discord.fake.attachment(name, data)
        sent = await discord.slash("reindex", LIBRARIAN, article=attachment)
        refusal = await discord.shown(sent, is_followup)
    assert is_ephemeral(refusal)
    assert reason in refusal.message["content"]
    assert corpus_state(settings.corpus_dir) == before


@scenario
async def test_questions_during_a_rebuild_use_the_old_index_and_a_second_one_is_refused(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    service = HeldService.open(settings)
    service.rebuilds.clear()
    async with fake_discord() as discord, connected(discord, settings, service) as client:
        client.progress_every = 0.01
        attachment = discord.fake.attachment("pelicans.txt", PELICANS)
        rebuild = await discord.slash("reindex", ADMIN, article=attachment)
        progress = await discord.shown(rebuild, is_progress)

        assert await answered(discord, TROOPS)
        assert not await answered(discord, PELICAN_QUESTION)
        second = await discord.slash("reindex", LIBRARIAN)
        refusal = await discord.shown(second, is_followup)

        service.rebuilds.set()
        report = await final_report(discord, rebuild)
        assert await answered(discord, PELICAN_QUESTION)
    assert "analysing" in progress.message["content"]
    assert is_ephemeral(refusal) and "already running" in refusal.message["content"]
    assert field(report, "Added") == "pelicans.txt"


@scenario
async def test_a_failed_rebuild_keeps_the_old_index_and_says_why(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, CITEBOT_LIBRARY=ONE_SHARED, CITEBOT_SHARED_GUILDS=str(payloads.GUILD_ID)
    )
    async with fake_discord() as discord, connected(discord, settings):
        for article in settings.corpus_dir.glob("*.txt"):
            article.unlink()
        sent = await discord.slash("reindex", ADMIN)
        failure = await discord.shown(sent, is_followup)
        assert await answered(discord, TROOPS)
    assert is_ephemeral(failure)
    assert str(settings.corpus_dir) in failure.message["content"]


@scenario
async def test_a_role_not_named_in_mod_roles_gives_no_rights(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, CITEBOT_MOD_ROLES="Editors")
    async with fake_discord() as discord, connected(discord, settings):
        call = await discord.shown(await discord.slash("reindex", LIBRARIAN))
        alice = await discord.shown(await discord.slash("reindex", ALICE))
    assert is_ephemeral(call) and is_ephemeral(alice)
    assert call.message["content"] == alice.message["content"] == NOT_A_MODERATOR
