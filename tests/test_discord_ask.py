"""/ask, @mentions and the More button through the real discord.py client and a fake Discord.

Every scenario also checks, on leaving ``fake_discord()``, that the bot made no request
the fake refused and that every message it sent allowed no mentions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.service import Service
from fake_discord import payloads
from fake_discord.harness import (
    ALICE,
    BOB,
    OTHER_BOT,
    Discord,
    HeldService,
    connected,
    fake_discord,
    is_ephemeral,
    make_settings,
    scenario,
)
from fake_discord.payloads import Json
from fake_discord.server import TOKEN, Call
from index import Answer

TROOPS = "How many troops went to Romania and Poland?"
"""A question with four quotes: a page of three and a More button."""
BOT = payloads.BOT_USER
CHANNEL_MESSAGE = 4
DEFERRED = 5
EDIT_BUTTONS_AWAY = 7


def buttons(message: dict) -> list[str]:
    return [
        component["custom_id"]
        for row in message.get("components") or []
        for component in row["components"]
    ]


async def ask(discord: Discord, question: str, invoker: Json = ALICE) -> Call:
    """Run /ask and return the call that shows its reply."""
    return await discord.shown(await discord.slash("ask", invoker, question=question))


@scenario
async def test_ask_replies_with_quotes_in_bold_and_linked_sources(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with (settings.corpus_dir / "sources.toml").open("a") as overrides:
        overrides.write('\n["001_0f3790107ac6dcad.txt"]\nurl = "https://example.com/troops"\n')
    async with fake_discord() as discord, connected(discord, settings):
        call = await ask(discord, TROOPS)
    assert call.body["type"] == CHANNEL_MESSAGE and not is_ephemeral(call)
    embed = call.message["embeds"][0]
    assert embed["title"] == "Quotes 1–3 of 4"
    assert embed["footer"]["text"] == f"Asked: {TROOPS}"
    blocks = embed["description"].split("\n\n")
    assert len(blocks) == 3
    assert all(block.startswith("> ") and "**" in block for block in blocks)
    assert "also reported by The Moscow Times" in blocks[0]
    assert "](https://example.com/troops#:~:text=The%20deployment%20will%20include," in blocks[0]
    assert buttons(call.message) == [f"more:3:{TROOPS}"]


@scenario
async def test_ask_without_an_answer_says_so_and_suggests_a_spelling(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        call = await ask(discord, "Romanai troops")
    assert "embeds" not in call.message or not call.message["embeds"]
    assert "no answer" in call.message["content"]
    assert "did you mean romania?" in call.message["content"].lower()
    assert not buttons(call.message)


MARKUP = ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "<:flag:7>", "<a:wave:8>"]


def shown_answer(call: Call) -> tuple[str, Json]:
    """What a reply shows, the words and the embed, to compare two replies."""
    return call.message.get("content") or "", (call.message.get("embeds") or [{}])[0]


@pytest.mark.parametrize("markup", MARKUP)
@scenario
async def test_a_mention_or_emoji_in_a_question_does_not_change_the_answer(
    tmp_path: Path, markup: str
) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        plain = await ask(discord, TROOPS)
        marked = await ask(
            discord, f"{markup} How many troops went to {markup} Romania and Poland?"
        )
        asked = await discord.say(
            f"<@{payloads.BOT_ID}> {markup} {TROOPS}", BOB["user"], mentions=(BOT,)
        )
        mentioned = await discord.reply_to(asked)
    assert shown_answer(marked) == shown_answer(plain)
    assert (mentioned.body["embeds"][0], mentioned.body["components"]) == (
        plain.message["embeds"][0],
        plain.message["components"],
    )


@scenario
async def test_an_unanswered_question_is_echoed_without_its_mentions_and_pings_nobody(
    tmp_path: Path,
) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        call = await ask(discord, "@everyone <@&4001> what about zzqx? <:wave:8>")
    assert call.message["content"].startswith("> what about zzqx?\n")
    assert "everyone" not in call.message["content"]
    assert call.message["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    ("question", "advice"),
    [("   ", "Ask a question about the articles"), ("why " * 2500, "please ask in at most 500")],
)
@scenario
async def test_an_empty_or_huge_question_gets_a_private_explanation(
    tmp_path: Path, question: str, advice: str
) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        call = await ask(discord, question)
    assert call.body["type"] == CHANNEL_MESSAGE and is_ephemeral(call)
    assert advice in call.message["content"]


@scenario
async def test_a_long_markdown_heavy_quote_is_trimmed_to_a_useful_length(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    sentence = " ".join(["**Zanzibar** pelicans _migrate_ across ||the Indian Ocean||"] * 330)
    assert len(sentence) > 19_000
    (settings.corpus_dir / "pelicans.md").write_text(f"# Pelicans\n\n{sentence} in October.\n")
    async with fake_discord() as discord, connected(discord, settings):
        call = await ask(discord, "When do Zanzibar pelicans migrate across the Indian Ocean?")
    description = call.message["embeds"][0]["description"]
    assert len(description) > 3000
    assert description.count("Zanzibar") > 20


@scenario
async def test_a_slow_answer_is_deferred_then_filled_in(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    service = HeldService.open(settings)
    service.answers.clear()
    async with fake_discord() as discord, connected(discord, settings, service):
        sent = await discord.slash("ask", question=TROOPS)
        deferral = await discord.response(sent)
        assert deferral.body["type"] == DEFERRED
        service.answers.set()
        filled = await discord.shown(sent)
    assert filled.method == "PATCH" and filled.path.endswith("/messages/@original")
    assert filled.message["embeds"][0]["footer"]["text"] == f"Asked: {TROOPS}"


@scenario
async def test_asking_again_within_the_cooldown_is_refused_privately(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, CITEBOT_COOLDOWN_SECONDS="60")
    async with fake_discord() as discord, connected(discord, settings):
        await ask(discord, TROOPS)
        again = await ask(discord, TROOPS)
        other_user = await ask(discord, TROOPS, invoker=BOB)
    assert is_ephemeral(again)
    assert re.fullmatch(r"You are asking quickly — try again in \d+ s\.", again.message["content"])
    assert other_user.message["embeds"]


class BrokenService(Service):
    def answer(self, question: str, limit: int = 9) -> Answer:
        raise RuntimeError(f"database exploded while holding {TOKEN}")


@scenario
async def test_an_unexpected_error_is_private_and_reveals_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with (
        fake_discord() as discord,
        connected(discord, settings, BrokenService.open(settings)),
    ):
        call = await ask(discord, TROOPS)
    assert is_ephemeral(call)
    assert call.message["content"] == "Sorry, something went wrong; the error has been logged."


@scenario
async def test_more_shows_the_next_quotes_and_takes_its_button_away(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        first = await discord.slash("ask", question=TROOPS)
        await discord.shown(first)
        answered = discord.fake.original(first.token)
        assert answered is not None
        press = await discord.press(answered, buttons(answered)[0], invoker=BOB)
        acknowledged = await discord.response(press)
        page = await discord.shown(press)
    assert acknowledged.body["type"] == EDIT_BUTTONS_AWAY
    assert acknowledged.message["components"] == []
    assert page.message["embeds"][0]["title"] == "Quote 4 of 4"
    assert not buttons(page.message)


@scenario
async def test_more_works_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with fake_discord() as discord:
        async with connected(discord, settings):
            first = await discord.slash("ask", question=TROOPS)
            await discord.shown(first)
        answered = discord.fake.original(first.token)
        assert answered is not None
        async with connected(discord, settings):
            press = await discord.press(answered, buttons(answered)[0])
            page = await discord.shown(press)
    assert page.message["embeds"][0]["title"] == "Quote 4 of 4"


@scenario
async def test_more_for_a_long_question_reads_it_from_the_footer(tmp_path: Path) -> None:
    question = (
        "How many troops did the Pentagon deploy to Romania, Germany and Poland "
        "in Eastern Europe for NATO forces?"
    )
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        first = await discord.slash("ask", question=question)
        await discord.shown(first)
        answered = discord.fake.original(first.token)
        assert answered is not None
        assert buttons(answered) == ["more:3:"]
        page = await discord.shown(await discord.press(answered, "more:3:"))
    assert page.message["embeds"][0]["footer"]["text"] == f"Asked: {question}"
    assert page.message["embeds"][0]["title"].startswith("Quotes 4–")


@scenario
async def test_a_mention_is_answered_as_a_reply(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        assert discord.fake.intents.message_content
        asked = await discord.say(f"<@{payloads.BOT_ID}> {TROOPS}", BOB["user"], mentions=(BOT,))
        reply = await discord.reply_to(asked)
    assert reply.body["embeds"][0]["footer"]["text"] == f"Asked: {TROOPS}"
    assert reply.body["allowed_mentions"]["parse"] == []
    assert not reply.body["allowed_mentions"].get("replied_user")


@pytest.mark.parametrize(
    ("words", "expected"),
    [("@everyone what about zzqx?", "> what about zzqx?"), ("@here", "Ask a question")],
)
@scenario
async def test_a_mention_with_everyone_or_asking_nothing_pings_nobody(
    tmp_path: Path, words: str, expected: str
) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        asked = await discord.say(f"<@{payloads.BOT_ID}> {words}", BOB["user"], mentions=(BOT,))
        reply = await discord.reply_to(asked)
    assert reply.body["content"].startswith(expected)
    assert reply.body["allowed_mentions"]["parse"] == []


@scenario
async def test_messages_from_bots_and_without_a_mention_are_ignored(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        await discord.say(f"<@{payloads.BOT_ID}> {TROOPS}", OTHER_BOT, mentions=(BOT,))
        await discord.say(TROOPS, BOB["user"])
        # Events are handled in order, so once this one is answered the others were seen.
        last = await discord.say(f"<@!{payloads.BOT_ID}> {TROOPS}", BOB["user"], mentions=(BOT,))
        await discord.reply_to(last)
    replied_to = [
        str(call.body["message_reference"]["message_id"])
        for call in discord.calls
        if call.path.endswith("/messages") and call.method == "POST"
    ]
    assert replied_to == [last["id"]]


@scenario
async def test_mentions_share_the_cooldown_with_ask(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, CITEBOT_COOLDOWN_SECONDS="60")
    async with fake_discord() as discord, connected(discord, settings):
        await ask(discord, TROOPS, invoker=BOB)
        asked = await discord.say(f"<@{payloads.BOT_ID}> {TROOPS}", BOB["user"], mentions=(BOT,))
        reply = await discord.reply_to(asked)
    assert reply.body["content"].startswith("You are asking quickly")
