"""An answer as a Discord reply, and the "More" button that pages through it.

The button survives restarts because its custom_id carries all it needs: where the next
page starts and the question (short questions; a long one is read back from the footer
of the message the button sits on).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.embeds import QUESTION_PREFIX, answer_page, no_answer_content
from bot.discord.replies import Reply, report_error, send
from index.errors import CitebotError
from index.models import Answer

if TYPE_CHECKING:
    from bot.discord.client import CitebotClient

CUSTOM_ID_LIMIT = 100
NO_MORE = "There are no more quotes for that question."


def answer_reply(answer: Answer, offset: int, per_page: int) -> Reply:
    """The quotes from ``offset`` on, with a More button when more remain; plain words when
    the corpus holds no answer."""
    if not answer.answered:
        return Reply(content=no_answer_content(answer))
    if offset >= len(answer.quotes):
        return Reply(content=NO_MORE)
    page = answer_page(answer, offset, per_page)
    if page.next_offset is None:
        return Reply(embed=page.embed)
    view = discord.ui.View(timeout=None)
    view.add_item(MoreButton(page.next_offset, answer.question))
    return Reply(embed=page.embed, view=view)


def more_custom_id(offset: int, question: str) -> str:
    """``more:<offset>:<question>``, the question left out when it would not fit."""
    custom_id = f"more:{offset}:{question}"
    return custom_id if len(custom_id) <= CUSTOM_ID_LIMIT else f"more:{offset}:"


def _footer_question(message: discord.Message | None) -> str:
    """The question an answer message shows in its footer."""
    footer = message.embeds[0].footer.text if message and message.embeds else None
    if not footer or not footer.startswith(QUESTION_PREFIX):
        raise CitebotError("That answer no longer says which question it was for; ask again.")
    return footer.removeprefix(QUESTION_PREFIX)


class MoreButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"more:(?P<offset>\d+):(?P<question>.*)"
):
    """Shows the quotes from ``offset`` on for ``question`` ("" = the one in the footer)."""

    def __init__(self, offset: int, question: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="More",
                style=discord.ButtonStyle.secondary,
                custom_id=more_custom_id(offset, question),
            )
        )
        self.offset = offset
        self.question = question

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        return cls(int(match["offset"]), match["question"])

    async def callback(self, interaction: discord.Interaction[CitebotClient]) -> None:  # type: ignore[override]
        """Take the pressed button away (one page per press) and send the next page below."""
        client = interaction.client
        try:
            await interaction.response.edit_message(view=None)
            question = self.question or _footer_question(interaction.message)
            answer = await client.answer(question, interaction.guild_id)
            await send(
                interaction, answer_reply(answer, self.offset, client.settings.quotes_per_page)
            )
        except Exception as error:
            await report_error(interaction, error, "More")
