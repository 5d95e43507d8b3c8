"""/sources and its page buttons through the real discord.py client and a fake Discord."""

from __future__ import annotations

from pathlib import Path

from bot.discord.embeds import SOURCES_PER_PAGE
from fake_discord.harness import connected, fake_discord, make_settings, scenario
from fake_discord.payloads import Json


def buttons(message: Json) -> list[tuple[str, str]]:
    return [
        (component["label"], component["custom_id"])
        for row in message.get("components") or []
        for component in row["components"]
    ]


@scenario
async def test_sources_lists_every_article_with_its_facts_and_link(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        call = await discord.shown(await discord.slash("sources"))
    embed = call.message["embeds"][0]
    lines = embed["description"].split("\n")
    assert embed["footer"]["text"] == "Page 1 of 1 · 5 articles"
    assert lines[0] == (
        "**1.** [U.S. Deploys 3,000 Troops in Russia-Ukraine Standoff]"
        "(https://www.themoscowtimes.com/2022/02/02/us-deploys-3000-troops-in-russia-ukraine"
        "-standoff-a76243)"
    )
    assert lines[1].startswith("The Moscow Times · 2022-02-02 · ")
    assert lines[1].endswith(" passages")
    assert not buttons(call.message)


@scenario
async def test_sources_pages_through_a_long_list_with_buttons(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    for number in range(SOURCES_PER_PAGE):
        (settings.corpus_dir / f"extra_{number:02}.txt").write_text(
            f"Extra article {number}\n\nA short report numbered {number} about nothing much.\n"
        )
    async with fake_discord() as discord, connected(discord, settings):
        sent = await discord.slash("sources")
        first = await discord.shown(sent)
        assert buttons(first.message) == [("Next", "sources:1")]
        shown = discord.fake.original(sent.token)
        assert shown is not None
        second = await discord.shown(await discord.press(shown, "sources:1"))
    embed = second.message["embeds"][0]
    assert second.body["type"] == 7
    assert embed["footer"]["text"] == "Page 2 of 2 · 15 articles"
    assert embed["description"].startswith("**11.** ")
    assert buttons(second.message) == [("Previous", "sources:0")]
