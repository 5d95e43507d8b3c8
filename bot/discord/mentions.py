"""``@citebot question`` in a channel: answered as a reply to that message.

Only an explicit mention in the text counts, so replying to one of the bot's messages
(which Discord also reports as a mention) does not start a question.
"""

from __future__ import annotations

import logging
import re

import discord

from bot.discord.ask import answer_reply, fetch_answer, question_text
from bot.discord.context import DiscordContext
from bot.discord.cooldown import cooldown_text
from bot.discord.replies import FAILED, Reply
from index.errors import CitebotError

log = logging.getLogger(__name__)

_COOLDOWN_NOTE_SECONDS = 10


def mentioned_question(content: str, bot_id: int) -> str | None:
    """The question around an explicit ``<@bot_id>`` mention, or None when there is none."""
    if not re.search(rf"<@!?{bot_id}>", content):
        return None
    return question_text(content)


async def answer_mention(context: DiscordContext, message: discord.Message, question: str) -> None:
    """Reply to ``message`` with the answer, a cooldown note (deleted soon) or a one-line error."""
    wait = context.cooldown.retry_after(message.author.id)
    try:
        if wait:
            await message.reply(cooldown_text(wait), delete_after=min(wait, _COOLDOWN_NOTE_SECONDS))
            return
        reply = await _answer(context, message, question)
        await message.reply(**reply.fields())
    except discord.HTTPException as error:
        log.warning("could not reply to message %s: %s", message.id, error)


async def _answer(context: DiscordContext, message: discord.Message, question: str) -> Reply:
    guild = message.guild.id if message.guild else None
    try:
        async with message.channel.typing():
            answer = await fetch_answer(context, question, guild)
    except CitebotError as error:
        return Reply(content=str(error))
    except Exception:
        log.exception(
            "mention %s from user %s in channel %s failed",
            message.id,
            message.author.id,
            message.channel.id,
        )
        return Reply(content=FAILED)
    return answer_reply(answer, 0, context.settings.quotes_per_page)
