"""/feeds: how the followed news feeds' last polls went, privately, for moderators.

Feeds are the operator's (CITEBOT_FEEDS, ``citebot feeds add``) and fill the shared
corpus; a moderator sees here which feed or page failed and why, not only in the log.
"""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from bot.discord.context import DiscordContext
from bot.discord.embeds import CONTENT_LIMIT, clip, escape
from bot.discord.moderation import NOT_A_MODERATOR, is_moderator
from bot.discord.replies import fail
from bot.feeds import feed_lines


def register(tree: app_commands.CommandTree, context: DiscordContext) -> None:
    """Define /feeds on ``tree``."""
    settings = context.settings

    @tree.command(description="How the news feeds' last polls went (moderators only).")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def feeds(interaction: discord.Interaction) -> None:
        if not is_moderator(interaction, settings.mod_roles):
            await fail(interaction, NOT_A_MODERATOR)
            return
        lines = await asyncio.to_thread(feed_lines, settings)
        text = clip("\n".join(escape(line) for line in lines), CONTENT_LIMIT)
        await interaction.response.send_message(text, ephemeral=True)
