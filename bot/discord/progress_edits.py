"""Live progress of a /reindex in its deferred reply, edited every few seconds.

The rebuild runs in a worker thread; it only stores the latest Progress (a single
assignment, safe across threads) and a task on the event loop shows it, so no
Discord call is ever made from the worker and edits never pile up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from types import TracebackType

import discord

from bot.discord.embeds import progress_text, report_embed
from bot.service import ReindexReport
from index.progress import Progress, ProgressCallback

log = logging.getLogger(__name__)


class ProgressEdits:
    """``async with`` block that edits ``interaction``'s reply with the latest progress."""

    def __init__(self, interaction: discord.Interaction, every: float) -> None:
        self._interaction = interaction
        self._every = every
        self._latest: Progress | None = None
        self._task: asyncio.Task[None] | None = None

    def update(self, progress: Progress) -> None:
        """Progress callback for the worker thread."""
        self._latest = progress

    async def __aenter__(self) -> ProgressEdits:
        self._task = asyncio.create_task(self._show())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _show(self) -> None:
        shown: Progress | None = None
        while True:
            await asyncio.sleep(self._every)
            latest = self._latest
            if latest is None or latest == shown:
                continue
            try:
                await self._interaction.edit_original_response(content=progress_text(latest))
            except discord.HTTPException as error:
                log.warning("could not show reindex progress: %s", error)
            shown = latest


async def rebuild_reply(
    interaction: discord.Interaction,
    every: float,
    work: Callable[[ProgressCallback], ReindexReport],
) -> None:
    """Run a change that rebuilds an index in a worker thread, behind a private "thinking…"
    reply (made here unless already made) that shows its progress and ends as the report."""
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True, ephemeral=True)
    async with ProgressEdits(interaction, every) as progress:
        report = await asyncio.to_thread(work, progress.update)
    await interaction.edit_original_response(content=None, embed=report_embed(report))
