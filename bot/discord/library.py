"""/library versions, /library restore and /library remove: a server's moderators manage
the earlier versions of their own library's articles (never the shared ones).

Every reply is private to the moderator; a refusal changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import discord
from discord import app_commands

from bot.discord.context import DiscordContext
from bot.discord.embeds import CONTENT_LIMIT, clip, escape
from bot.discord.moderation import own_library
from bot.discord.progress_edits import rebuild_reply
from bot.libraries import Version

_VERSIONS_SHOWN = 15
_ARTICLE = "The article's file name, as /sources or the upload's report shows it"


def versions_text(article: str, versions: Sequence[Version]) -> str:
    """The kept versions of ``article``, newest first, with the id /library restore takes."""
    if not versions:
        return f"This server's library keeps no earlier version of {escape(article)}."
    lines = [f"Kept versions of {escape(article)}, newest first:"]
    lines += [
        f"`{version.stamp}` {version.when} · {version.reason} · {version.size:,} bytes"
        for version in versions[:_VERSIONS_SHOWN]
    ]
    if len(versions) > _VERSIONS_SHOWN:
        lines.append(f"… and {len(versions) - _VERSIONS_SHOWN} older.")
    lines.append("/library restore with the article and a version id brings one back.")
    return clip("\n".join(lines), CONTENT_LIMIT)


class LibraryCommands(app_commands.Group):
    """The /library command group, bound to one client's context."""

    def __init__(self, context: DiscordContext) -> None:
        super().__init__(
            name="library",
            description="This server's own articles: kept versions, restore, remove (moderators)",
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        self.context = context

    @app_commands.command(
        description="List the kept earlier versions of one of this server's articles."
    )
    @app_commands.describe(article=_ARTICLE)
    async def versions(self, interaction: discord.Interaction, article: str) -> None:
        guild = own_library(interaction, self.context.settings)
        found = await asyncio.to_thread(self.context.service.versions, guild, article)
        await interaction.response.send_message(versions_text(article, found), ephemeral=True)

    @app_commands.command(description="Bring back a kept version of one of this server's articles.")
    @app_commands.describe(
        article=_ARTICLE, version="The version id /library versions shows (default: the newest)"
    )
    async def restore(
        self, interaction: discord.Interaction, article: str, version: str = ""
    ) -> None:
        guild = own_library(interaction, self.context.settings)
        service = self.context.service
        await rebuild_reply(
            interaction,
            self.context.progress_every,
            lambda progress: service.restore_article(guild, article, version.strip(), progress),
        )

    @app_commands.command(
        description="Remove an article from this server's library (a copy is kept)."
    )
    @app_commands.describe(article=_ARTICLE)
    async def remove(self, interaction: discord.Interaction, article: str) -> None:
        guild = own_library(interaction, self.context.settings)
        service = self.context.service
        await rebuild_reply(
            interaction,
            self.context.progress_every,
            lambda progress: service.remove_article(guild, article, progress),
        )


def register(tree: app_commands.CommandTree, context: DiscordContext) -> None:
    """Add the /library group to ``tree``."""
    tree.add_command(LibraryCommands(context))
