"""Replying to interactions within Discord's rules: defer in time, keep errors private.

Discord drops an interaction that gets no response within 3 seconds, and the message
that follows a public "thinking…" deferral cannot be made ephemeral, so the helpers here
decide how each reply is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
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
    """Tell only the person who asked; a "thinking…" message is removed first."""
    response = interaction.response
    if not response.is_done():
        await response.send_message(text, ephemeral=True)
        return
    if response.type is discord.InteractionResponseType.deferred_channel_message:
        await interaction.delete_original_response()
    await interaction.followup.send(text, ephemeral=True)


async def report_error(interaction: discord.Interaction, error: BaseException, what: str) -> None:
    """Turn an exception into a private one-line reply; log unexpected ones with context.

    Only a CitebotError's own message (written for people) is shown; anything else could
    hold a traceback or a secret, so the person sees a fixed sentence instead.
    """
    if isinstance(error, CitebotError):
        log.info("%s refused for user %s: %s", what, interaction.user.id, error)
        text = str(error)
    else:
        log.error(
            "%s failed for user %s in guild %s channel %s",
            what,
            interaction.user.id,
            interaction.guild_id,
            interaction.channel_id,
            exc_info=error,
        )
        text = FAILED
    try:
        await fail(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell user %s that %s failed", interaction.user.id, what)
