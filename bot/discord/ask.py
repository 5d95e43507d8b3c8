"""/ask: a question as a Discord reply, and the "More" button that pages through it.

The button survives restarts because its custom_id carries all it needs: where the next
page starts and the question (short questions; a long one is read back from the footer
of the message the button sits on).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
from discord import app_commands

from bot.discord.context import ContextClient, DiscordContext
from bot.discord.cooldown import cooldown_text
from bot.discord.embeds import QUESTION_PREFIX, answer_page, no_answer_content
from bot.discord.replies import Reply, fail, report_error, run_deferring, send
from index import MAX_QUESTION_CHARACTERS
from index.errors import CitebotError
from index.models import Answer

CUSTOM_ID_LIMIT = 100
NO_MORE = "There are no more quotes for that question."

# @everyone/@here, user <@1>/<@!1>, role <@&1> and channel <#1> mentions, custom emoji <:n:1>.
_MARKUP = re.compile(r"(?<!\w)@(?:everyone|here)\b|<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>")


def question_text(content: str) -> str:
    """The words of a question without Discord's mention and emoji markup, which would
    otherwise count as question words (and be echoed back)."""
    return " ".join(_MARKUP.sub(" ", content).split())


async def fetch_answer(context: DiscordContext, question: str, guild: int | None) -> Answer:
    """Ask the service for server ``guild`` (None: a DM), off the event loop, without
    Discord's mention markup (a More button made before it was left out may carry some)."""
    return await asyncio.to_thread(context.service.answer, question_text(question), 9, guild)


def register(tree: app_commands.CommandTree, context: DiscordContext) -> None:
    """Define /ask on ``tree``."""

    @tree.command(description="Ask a question; the answer quotes the news articles, with sources.")
    @app_commands.describe(question="What do you want to know?")
    async def ask(
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION_CHARACTERS],
    ) -> None:
        wait = context.cooldown.retry_after(interaction.user.id)
        if wait:
            await fail(interaction, cooldown_text(wait))
            return
        words = question_text(question)
        guild, service = interaction.guild_id, context.service
        answer = await run_deferring(interaction, lambda: service.answer(words, guild=guild))
        await send(interaction, answer_reply(answer, 0, context.settings.quotes_per_page))


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

    async def callback(self, interaction: discord.Interaction[ContextClient]) -> None:  # type: ignore[override]
        """Take the pressed button away (one page per press) and send the next page below."""
        context = interaction.client.context
        try:
            await interaction.response.edit_message(view=None)
            question = self.question or _footer_question(interaction.message)
            answer = await fetch_answer(context, question, interaction.guild_id)
            await send(
                interaction, answer_reply(answer, self.offset, context.settings.quotes_per_page)
            )
        except Exception as error:
            await report_error(interaction, error, "More")
