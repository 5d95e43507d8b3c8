"""/sources and its Previous/Next buttons; the page to show lives in each button's custom_id."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
from discord import app_commands

from bot.discord.context import ContextClient, DiscordContext
from bot.discord.embeds import sources_page
from bot.discord.replies import Reply, report_error, send
from bot.service import Service


def register(tree: app_commands.CommandTree, context: DiscordContext) -> None:
    """Define /sources on ``tree``."""

    @tree.command(description="List the articles answers here come from: shared and this server's.")
    async def sources(interaction: discord.Interaction) -> None:
        await send(interaction, await sources_reply(context.service, 0, interaction.guild_id))


async def sources_reply(service: Service, page: int, guild: int | None) -> Reply:
    """Page ``page`` of the articles server ``guild`` (None: a DM) is answered from, with
    buttons to the pages either side."""
    shown = sources_page(await asyncio.to_thread(service.sources, guild), page)
    if shown.pages == 1:
        return Reply(embed=shown.embed)
    view = discord.ui.View(timeout=None)
    if shown.page > 0:
        view.add_item(SourcesButton(shown.page - 1, "Previous"))
    if shown.page < shown.pages - 1:
        view.add_item(SourcesButton(shown.page + 1, "Next"))
    return Reply(embed=shown.embed, view=view)


class SourcesButton(discord.ui.DynamicItem[discord.ui.Button], template=r"sources:(?P<page>\d+)"):
    """Turns the /sources message to ``page``."""

    def __init__(self, page: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.secondary, custom_id=f"sources:{page}"
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SourcesButton:
        return cls(int(match["page"]), str(getattr(item, "label", "")))

    async def callback(self, interaction: discord.Interaction[ContextClient]) -> None:  # type: ignore[override]
        try:
            service = interaction.client.context.service
            shown = await sources_reply(service, self.page, interaction.guild_id)
            await interaction.response.edit_message(embed=shown.embed, view=shown.view)
        except Exception as error:
            await report_error(interaction, error, "/sources page")
