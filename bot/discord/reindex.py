"""/reindex: a moderator rebuilds their server's library (or the operator the shared
articles), adding an attached article or a web page by its address first."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.discord.context import DiscordContext
from bot.discord.moderation import Refused, is_application_owner, library_target
from bot.discord.progress_edits import rebuild_reply
from bot.discord.replies import fail
from bot.pages import add_page
from bot.service import ArticleRejected, Upload

log = logging.getLogger(__name__)


def register(tree: app_commands.CommandTree, context: DiscordContext) -> None:
    """Define /reindex on ``tree``."""
    settings, service = context.settings, context.service

    @tree.command(description="Rebuild this server's library, adding an article (moderators only).")
    @app_commands.describe(
        article="A .txt, .md or .html article to add to this server's library first",
        replace="Overwrite an article with the same file name (the old version is kept)",
        shared="Change the shared articles instead (the bot's operator only)",
        url="The address of a web page (a news article) to fetch and add first",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def reindex(
        interaction: discord.Interaction,
        article: discord.Attachment | None = None,
        replace: bool = False,
        shared: bool = False,
        url: str | None = None,
    ) -> None:
        owner = await is_application_owner(interaction.client, interaction.user)
        try:
            target = library_target(interaction, settings, owner=owner, shared=shared)
        except Refused as refused:
            log.info("refused /reindex to %s: %s", interaction.user.id, refused)
            await fail(interaction, str(refused))
            return

        await interaction.response.defer(thinking=True, ephemeral=True)
        upload = await _upload(article, replace, settings.max_upload_bytes) if article else None
        by = f"{interaction.user.name} ({interaction.user.id})"
        await rebuild_reply(
            interaction,
            context.progress_every,
            lambda progress: (
                add_page(service, url, by, progress, target)
                if url and not upload
                else service.reindex(progress, upload, target)
            ),
        )


async def _upload(article: discord.Attachment, replace: bool, limit: int) -> Upload:
    """Download an attached article, unless it is too big to be worth downloading."""
    if article.size > limit:
        raise ArticleRejected(
            f"The attachment has {article.size:,} bytes; articles may have at most {limit:,}."
        )
    return Upload(article.filename, await article.read(), replace)
