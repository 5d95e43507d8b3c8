"""Answers as Discord replies, and the More button's custom_id."""

from __future__ import annotations

import pytest

from bot.discord.ask import CUSTOM_ID_LIMIT, NO_MORE, answer_reply, more_custom_id
from index import Answer, SearchIndex, answer_question


@pytest.mark.parametrize(
    ("question", "custom_id"),
    [
        ("How many troops went to Romania?", "more:3:How many troops went to Romania?"),
        ("why " * 30, "more:3:"),
    ],
)
def test_the_more_button_carries_its_question_when_it_fits(question: str, custom_id: str) -> None:
    assert more_custom_id(3, question) == custom_id
    assert len(more_custom_id(3, question)) <= CUSTOM_ID_LIMIT


def test_an_answer_with_more_quotes_gets_a_more_button(seed_index: SearchIndex) -> None:
    answer = answer_question(seed_index, "How many troops went to Romania and Poland?")
    first = answer_reply(answer, 0, 3)
    assert first.embed is not None and first.content is None
    assert first.view is not None
    assert [item.to_component_dict()["custom_id"] for item in first.view.children] == [
        "more:3:How many troops went to Romania and Poland?"
    ]
    assert answer_reply(answer, 3, 3).view is None


def test_no_answer_and_no_more_quotes_are_plain_words(seed_index: SearchIndex) -> None:
    unanswered = answer_reply(Answer("Atlantis?", ()), 0, 3)
    assert unanswered.embed is None and unanswered.content is not None
    answer = answer_question(seed_index, "How many troops went to Romania?")
    assert answer_reply(answer, 50, 3).content == NO_MORE
