"""/sources and its Previous/Next buttons; the page to show lives in each button's custom_id."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.embeds import sources_page
from bot.discord.replies import Reply, report_error
from bot.service import Service

if TYPE_CHECKING:
    from bot.discord.client import CitebotClient


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

    async def callback(self, interaction: discord.Interaction[CitebotClient]) -> None:  # type: ignore[override]
        try:
            shown = await sources_reply(interaction.client.service, self.page, interaction.guild_id)
            await interaction.response.edit_message(embed=shown.embed, view=shown.view)
        except Exception as error:
            await report_error(interaction, error, "/sources page")
