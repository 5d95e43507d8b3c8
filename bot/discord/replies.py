"""Replying to interactions within Discord's rules: defer in time, keep errors private.

Discord drops an interaction that gets no response within 3 seconds, and the message
that follows a public "thinking…" deferral cannot be made ephemeral, so the helpers here
decide how each reply is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import discord

from index.errors import CitebotError

log = logging.getLogger(__name__)

DEFER_AFTER = 1.5
"""Seconds quick work may take before the reply is deferred, well inside Discord's 3 s."""

FAILED = "Sorry, something went wrong; the error has been logged."

T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    """What one message shows; parts left unset are left out of the request."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None

    def fields(self) -> dict[str, Any]:
        """The set parts, as keyword arguments for discord.py's send and edit calls."""
        parts = {"content": self.content, "embed": self.embed, "view": self.view}
        return {key: value for key, value in parts.items() if value is not None}


async def run_deferring(interaction: discord.Interaction, work: Callable[[], T]) -> T:
    """Run blocking ``work`` off the event loop, deferring the reply only if it is slow.

    Quick work (and its errors) can then be answered directly, errors ephemerally.
    """
    task = asyncio.create_task(asyncio.to_thread(work))
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(thinking=True)
    return await task


async def send(interaction: discord.Interaction, reply: Reply) -> None:
    """Send ``reply`` as the response, into the deferred "thinking…" message, or after it."""
    response = interaction.response
    if not response.is_done():
        await response.send_message(**reply.fields())
    elif response.type is discord.InteractionResponseType.deferred_channel_message:
        await interaction.edit_original_response(**reply.fields())
    else:
        await interaction.followup.send(**reply.fields())


async def fail(interaction: discord.Interaction, text: str) -> None:
    """Tell only the person who asked; a "thinking…" message is replaced. Never raises:
    what went wrong on the way is logged in one line with the interaction id."""
    problems = await _tell(interaction, text)
    if problems:
        log.warning(
            "interaction %s: could not simply tell user %s %r: %s",
            interaction.id,
            interaction.user.id,
            text,
            "; ".join(problems),
        )


async def report_error(interaction: discord.Interaction, error: BaseException, what: str) -> None:
    """Turn an exception into a private one-line reply, and log it in one line with the
    interaction id (and the traceback of an unexpected one). Never raises.

    Only a CitebotError's own message (written for people) is shown; anything else could
    hold a traceback or a secret, so the person sees a fixed sentence instead.
    """
    where = (
        f"{what} for user {interaction.user.id} in guild {interaction.guild_id} "
        f"channel {interaction.channel_id} (interaction {interaction.id})"
    )
    gone = _gone(error)
    if gone:
        log.warning("%s could not be answered: %s", where, gone)
        return
    expected = isinstance(error, CitebotError)
    problems = await _tell(interaction, str(error) if expected else FAILED)
    told = "; ".join(problems) if problems else "told the user"
    if expected:
        level = logging.WARNING if problems else logging.INFO
        log.log(level, "%s refused: %s; %s", where, error, told)
    else:
        log.error("%s failed; %s", where, told, exc_info=error)


_Way = Callable[[discord.Interaction, str], Awaitable[object]]


async def _tell(interaction: discord.Interaction, text: str) -> list[str]:
    """Show ``text`` to the person, privately where Discord allows, trying one way after
    another until one works; returns what failed on the way (empty when nothing did)."""
    problems: list[str] = []
    for way in _ways(interaction):
        try:
            await way(interaction, text)
            return problems
        except Exception as error:  # any failure here only means: try the next way
            problems.append(f"{way.__name__.strip('_').replace('_', ' ')}: {_describe(error)}")
            if _gone(error):
                break
    problems.append("the user was not told")
    return problems


def _ways(interaction: discord.Interaction) -> list[_Way]:
    """How to reach the person, best first, given how the interaction was answered so far.

    A "thinking…" message is deleted before the private followup: the first followup after
    a deferral would otherwise fill it in, visible to the channel. If it cannot be deleted,
    editing it into the text still tells the person (in the channel).
    """
    response = interaction.response
    if not response.is_done():
        return [_respond_privately, _follow_up_privately]
    if response.type is discord.InteractionResponseType.deferred_channel_message:
        return [_replace_thinking, _edit_thinking, _follow_up_privately]
    return [_follow_up_privately]


async def _respond_privately(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True)


async def _follow_up_privately(interaction: discord.Interaction, text: str) -> None:
    await interaction.followup.send(text, ephemeral=True)


async def _replace_thinking(interaction: discord.Interaction, text: str) -> None:
    # Already gone (404) is fine: the followup is then a message of its own.
    with contextlib.suppress(discord.NotFound):
        await interaction.delete_original_response()
    await _follow_up_privately(interaction, text)


async def _edit_thinking(interaction: discord.Interaction, text: str) -> None:
    await interaction.edit_original_response(content=text, embed=None, view=None)


_GONE = {
    10062: "Discord dropped the interaction (no first reply within 3 s)",
    50027: "the interaction's token expired (15 minutes)",
}


def _gone(error: BaseException) -> str | None:
    """Why no reply can reach the person any more, when that is what ``error`` says."""
    code = error.code if isinstance(error, discord.HTTPException) else None
    return _GONE.get(code) if code is not None else None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".replace("\n", " ")
