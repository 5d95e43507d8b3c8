"""Each server its own library, through the real discord.py client and a fake Discord in
which the bot is in two servers, A and B: what one server adds is quoted there only, the
shared articles are the operator's, nothing is lost, and the operator's limits hold."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import ONE_SHARED, Settings
from bot.discord.embeds import OWN_MARK
from bot.discord.moderation import NOT_A_MODERATOR, SHARED_IS_THE_OPERATORS, SHARED_NOT_HERE
from fake_discord import payloads
from fake_discord.harness import (
    ADMIN,
    ALICE,
    LIBRARIAN,
    LIBRARIAN_B,
    OWNER,
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

A, B = payloads.GUILD_ID, payloads.GUILD_B_ID
PELICANS = (
    b"Pelicans of Zanzibar\n\nZanzibar pelicans migrate every October across the Indian Ocean, "
    b"ornithologists at the Stone Town observatory reported on Monday.\n"
)
PELICANS_AGAIN = (
    b"Pelicans of Zanzibar\n\nZanzibar pelicans migrate every November across the Indian "
    b"Ocean, ornithologists at the Stone Town observatory reported on Monday.\n"
)
HERONS = (
    b"Herons of Lamu\n\nLamu herons nest every March in the mangroves of the old harbour, "
    b"the island's rangers counted this spring.\n"
)
PELICAN_QUESTION = "When do Zanzibar pelicans migrate?"
HERON_QUESTION = "When do Lamu herons nest?"
TROOPS = "How many troops went to Romania?"
SHARED_ARTICLE = "000_bc9ac90424408617.txt"


def library_folder(settings: Settings, guild: int) -> Path:
    return settings.data_dir / "guilds" / str(guild)


def is_report(call: Call) -> bool:
    return call.method == "PATCH" and bool(call.message.get("embeds"))


def is_followup(call: Call) -> bool:
    return call.method == "POST" and call.path.startswith("/webhooks/")


def field(embed: Json, name: str) -> str:
    return next(str(item["value"]) for item in embed["fields"] if item["name"].startswith(name))


async def upload(
    discord: Discord,
    name: str,
    data: bytes,
    *,
    guild: int = A,
    invoker: Json = ADMIN,
    **options: bool,
) -> Sent:
    attachment = discord.fake.attachment(name, data)
    return await discord.slash("reindex", invoker, guild=guild, article=attachment, **options)


async def report(discord: Discord, sent: Sent) -> Json:
    """The summary embed a rebuilding command's private reply ends with."""
    return (await discord.shown(sent, is_report)).message["embeds"][0]


async def refusal(discord: Discord, sent: Sent) -> Call:
    """The private line a command was refused with (before or after its "thinking…")."""
    return await discord.shown(sent, lambda call: is_ephemeral(call) and "content" in call.message)


async def answer(discord: Discord, question: str, guild: int | None) -> str:
    """What /ask shows in ``guild`` (None: a DM): the quotes, or the no-answer text."""
    call = await discord.shown(await discord.slash("ask", guild=guild, question=question))
    embeds = call.message.get("embeds") or []
    return embeds[0]["description"] if embeds else f"NO ANSWER: {call.message['content']}"


async def listed(discord: Discord, guild: int | None) -> Json:
    """The first /sources page in ``guild``."""
    call = await discord.shown(await discord.slash("sources", guild=guild))
    return dict(call.message["embeds"][0])


@scenario
async def test_an_article_added_in_one_server_is_quoted_there_and_not_in_the_other(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    async with fake_discord() as discord, connected(discord, settings):
        added = await report(discord, await upload(discord, "pelicans.txt", PELICANS))
        in_a = await answer(discord, PELICAN_QUESTION, A)
        in_b = await answer(discord, PELICAN_QUESTION, B)
        sources_a, sources_b = await listed(discord, A), await listed(discord, B)
        troops_in_b = await answer(discord, TROOPS, B)
    assert field(added, "Added") == "pelicans.txt"
    assert "October" in in_a
    assert in_b.startswith("NO ANSWER")
    assert "troops" in troops_in_b
    assert sources_a["footer"]["text"] == "Page 1 of 1 · 6 articles (5 shared, 1 this server's)"
    assert sources_a["description"].count(OWN_MARK) == 1
    assert "Pelicans of Zanzibar" in sources_a["description"].split("\n")[-2]
    assert sources_b["footer"]["text"] == "Page 1 of 1 · 5 articles"
    assert "Pelicans" not in sources_b["description"] and OWN_MARK not in sources_b["description"]
    assert not (settings.corpus_dir / "pelicans.txt").exists()


@scenario
async def test_a_moderator_cannot_replace_or_remove_a_shared_article(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    shared = settings.corpus_dir / SHARED_ARTICLE
    before = shared.read_bytes()
    async with fake_discord() as discord, connected(discord, settings):
        replaced = await refusal(
            discord, await upload(discord, SHARED_ARTICLE, PELICANS, replace=True)
        )
        removed = await refusal(
            discord, await discord.slash("library remove", ADMIN, article=SHARED_ARTICLE)
        )
        as_shared = await refusal(
            discord, await upload(discord, "pelicans.txt", PELICANS, shared=True)
        )
        assert "NO ANSWER" in await answer(discord, PELICAN_QUESTION, A)
    assert "is a shared article" in replaced.message["content"]
    assert "is a shared article" in removed.message["content"]
    assert as_shared.message["content"] == SHARED_IS_THE_OPERATORS
    assert shared.read_bytes() == before
    assert not (settings.corpus_dir / "pelicans.txt").exists()
    assert not library_folder(settings, A).joinpath("articles").exists()


@scenario
async def test_replace_keeps_the_old_version_which_a_moderator_can_list_and_restore(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    articles = library_folder(settings, A) / "articles"
    async with fake_discord() as discord, connected(discord, settings):
        await report(discord, await upload(discord, "pelicans.txt", PELICANS))
        replaced = await report(
            discord,
            await upload(discord, "pelicans.txt", PELICANS_AGAIN, replace=True, invoker=LIBRARIAN),
        )
        assert "November" in await answer(discord, PELICAN_QUESTION, A)
        versions = await discord.shown(
            await discord.slash("library versions", LIBRARIAN, article="pelicans.txt")
        )
        restored = await report(
            discord, await discord.slash("library restore", LIBRARIAN, article="pelicans.txt")
        )
        after = await answer(discord, PELICAN_QUESTION, A)
    assert field(replaced, "Changed") == "pelicans.txt"
    assert "earlier version is kept" in field(replaced, "Kept")
    assert is_ephemeral(versions) and "replaced" in versions.message["content"]
    assert "restored the version" in field(restored, "Kept")
    assert "October" in after
    assert (articles / "pelicans.txt").read_bytes() == PELICANS
    kept = sorted((library_folder(settings, A) / "history" / "pelicans.txt").iterdir())
    assert [path.read_bytes() for path in kept] == [PELICANS, PELICANS_AGAIN]


@scenario
async def test_removing_an_article_keeps_a_copy_and_ends_its_answers(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with fake_discord() as discord, connected(discord, settings):
        await report(discord, await upload(discord, "pelicans.txt", PELICANS))
        refused = await refusal(
            discord, await discord.slash("library remove", ALICE, article="pelicans.txt")
        )
        removed = await report(
            discord, await discord.slash("library remove", ADMIN, article="pelicans.txt")
        )
        after = await answer(discord, PELICAN_QUESTION, A)
        sources = await listed(discord, A)
    assert refused.message["content"] == NOT_A_MODERATOR
    assert field(removed, "Removed") == "pelicans.txt"
    assert after.startswith("NO ANSWER")
    assert sources["footer"]["text"] == "Page 1 of 1 · 5 articles"
    kept = list((library_folder(settings, A) / "history" / "pelicans.txt").iterdir())
    assert [path.read_bytes() for path in kept] == [PELICANS]


@pytest.mark.parametrize(
    ("limit", "reason"),
    [
        ({"CITEBOT_LIBRARY_MAX_ARTICLES": "1"}, "already holds 1 articles"),
        ({"CITEBOT_LIBRARY_MAX_BYTES": str(len(PELICANS) + 10)}, "it may hold"),
        ({"CITEBOT_UPLOADS_PER_HOUR": "1"}, "in the last hour"),
    ],
    ids=["articles", "bytes", "uploads-per-hour"],
)
@scenario
async def test_a_library_at_its_limit_refuses_the_next_upload_privately(
    tmp_path: Path, limit: dict[str, str], reason: str
) -> None:
    settings = make_settings(tmp_path, **limit)
    articles = library_folder(settings, A) / "articles"
    async with fake_discord() as discord, connected(discord, settings):
        await report(discord, await upload(discord, "pelicans.txt", PELICANS))
        refused = await refusal(discord, await upload(discord, "herons.txt", HERONS))
        assert "NO ANSWER" in await answer(discord, HERON_QUESTION, A)
        other_server = await report(discord, await upload(discord, "herons.txt", HERONS, guild=B))
    assert reason in refused.message["content"]
    assert "Nothing was changed" in refused.message["content"]
    assert sorted(path.name for path in articles.iterdir()) == ["pelicans.txt"]
    assert field(other_server, "Added") == "herons.txt"


@scenario
async def test_a_restart_keeps_every_library_and_its_index(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with fake_discord() as discord:
        async with connected(discord, settings):
            await report(discord, await upload(discord, "pelicans.txt", PELICANS))
            await report(discord, await upload(discord, "herons.txt", HERONS, guild=B))
        pointers = {
            guild: (library_folder(settings, guild) / "index" / "CURRENT").read_text()
            for guild in (A, B)
        }
        async with connected(discord, settings):
            pelicans = (
                await answer(discord, PELICAN_QUESTION, A),
                await answer(discord, PELICAN_QUESTION, B),
            )
            herons = (
                await answer(discord, HERON_QUESTION, B),
                await answer(discord, HERON_QUESTION, A),
            )
    assert "October" in pelicans[0] and pelicans[1].startswith("NO ANSWER")
    assert "March" in herons[0] and herons[1].startswith("NO ANSWER")
    for guild, pointer in pointers.items():
        assert (library_folder(settings, guild) / "index" / "CURRENT").read_text() == pointer


@scenario
async def test_a_question_in_a_dm_is_answered_from_the_shared_corpus(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with fake_discord() as discord, connected(discord, settings):
        await report(discord, await upload(discord, "pelicans.txt", PELICANS))
        troops = await answer(discord, TROOPS, None)
        pelicans = await answer(discord, PELICAN_QUESTION, None)
        sources = await listed(discord, None)
    assert "troops" in troops
    assert pelicans.startswith("NO ANSWER")
    assert sources["footer"]["text"] == "Page 1 of 1 · 5 articles"


@scenario
async def test_reindex_in_two_servers_at_once_both_finish_while_both_are_answered(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    service = HeldService.open(settings)
    async with fake_discord() as discord, connected(discord, settings, service):
        await report(discord, await upload(discord, "pelicans.txt", PELICANS))
        service.rebuilds.clear()
        in_a = await upload(discord, "herons.txt", HERONS, invoker=LIBRARIAN)
        in_b = await upload(discord, "pelicans.txt", PELICANS_AGAIN, guild=B, invoker=LIBRARIAN_B)
        for sent in (in_a, in_b):
            await discord.shown(sent, lambda call: "Reindexing" in call.message.get("content", ""))
        during = await asyncio.gather(
            answer(discord, TROOPS, A),
            answer(discord, TROOPS, B),
            answer(discord, PELICAN_QUESTION, A),
        )
        service.rebuilds.set()
        reports = [await report(discord, sent) for sent in (in_a, in_b)]
        after = await asyncio.gather(
            answer(discord, HERON_QUESTION, A),
            answer(discord, PELICAN_QUESTION, B),
            answer(discord, HERON_QUESTION, B),
        )
    assert "troops" in during[0] and "troops" in during[1] and "October" in during[2]
    assert [field(embed, "Added") for embed in reports] == ["herons.txt", "pelicans.txt"]
    assert "March" in after[0] and "November" in after[1]
    assert after[2].startswith("NO ANSWER")


@scenario
async def test_the_application_owner_changes_the_shared_articles_for_every_server(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    async with fake_discord() as discord, connected(discord, settings):
        shared = await report(
            discord, await upload(discord, "pelicans.txt", PELICANS, invoker=OWNER, shared=True)
        )
        answers = [await answer(discord, PELICAN_QUESTION, guild) for guild in (A, B, None)]
    assert field(shared, "Added") == "pelicans.txt"
    assert shared["description"].startswith("The shared articles")
    assert all("October" in text for text in answers)
    assert (settings.corpus_dir / "pelicans.txt").read_bytes() == PELICANS


@scenario
async def test_the_shared_mode_keeps_one_library_that_only_listed_servers_change(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, CITEBOT_LIBRARY=ONE_SHARED, CITEBOT_SHARED_GUILDS=str(A))
    async with fake_discord() as discord, connected(discord, settings):
        added = await report(discord, await upload(discord, "pelicans.txt", PELICANS))
        refused = await refusal(discord, await upload(discord, "herons.txt", HERONS, guild=B))
        in_b = await answer(discord, PELICAN_QUESTION, B)
    assert field(added, "Added") == "pelicans.txt"
    assert (settings.corpus_dir / "pelicans.txt").read_bytes() == PELICANS
    assert refused.message["content"] == SHARED_NOT_HERE
    assert "October" in in_b
    assert not (settings.corpus_dir / "herons.txt").exists()
