"""Which messages are questions to the bot."""

from __future__ import annotations

import pytest

from bot.discord.ask import question_text
from bot.discord.mentions import mentioned_question

BOT_ID = 1000


@pytest.mark.parametrize(
    ("content", "question"),
    [
        ("<@1000> how many troops?", "how many troops?"),
        ("how many   troops, <@!1000>?", "how many troops, ?"),
        ("<@1000>", ""),
        ("how many troops?", None),
        ("<@10001> how many troops?", None),
        ("@everyone how many troops?", None),
        ("<@1000> @here <@&4001> how many troops?", "how many troops?"),
    ],
)
def test_only_an_explicit_mention_of_the_bot_asks_it(content: str, question: str | None) -> None:
    assert mentioned_question(content, BOT_ID) == question


@pytest.mark.parametrize(
    "markup",
    ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "<:troop:42>", "<a:wave:42>"],
)
def test_mention_and_emoji_markup_is_not_part_of_the_question(markup: str) -> None:
    assert question_text(f"{markup} how many {markup} troops?{markup}") == "how many troops?"


@pytest.mark.parametrize(
    "text", ["mail me@here.example", "<@name>", "<#general>", "@everyoneelse", "<:x:>"]
)
def test_text_that_only_looks_like_markup_stays(text: str) -> None:
    assert question_text(text) == text
