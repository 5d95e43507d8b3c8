"""Which messages are questions to the bot."""

from __future__ import annotations

import pytest

from bot.mentions import mentioned_question

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
    ],
)
def test_only_an_explicit_mention_of_the_bot_asks_it(content: str, question: str | None) -> None:
    assert mentioned_question(content, BOT_ID) == question
