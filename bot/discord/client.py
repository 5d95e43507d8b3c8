"""The Discord face of citebot: the client, its events, start-up and command sync.

Thin on purpose: every question and rebuild goes to the shared Service, and each command
and button lives in the module of its concern, which gets the client's context, never
the client.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.config import Settings
from bot.discord import ask, feeds, library, reindex, sources
from bot.discord.context import ContextClient, DiscordContext
from bot.discord.cooldown import Cooldown
from bot.discord.mentions import answer_mention, mentioned_question
from bot.discord.replies import report_error
from bot.feeds import FeedPoller
from bot.libraries import record_servers
from bot.opening import open_service
from bot.service import Service
from index import CitebotError

log = logging.getLogger(__name__)

REFUSED_TOKEN = (
    "Discord refused DISCORD_TOKEN; copy the bot's token from the developer portal "
    "(Bot → Reset Token) into .env."
)
AUTHENTICATION_FAILED = 4004
"""The gateway's close code for a token it does not accept."""


class CitebotTree(app_commands.CommandTree):
    """The command tree; a failing command becomes a private line, never a traceback."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        name = interaction.command.name if interaction.command else "command"
        await report_error(interaction, original, f"/{name}")


class CitebotClient(ContextClient):
    """A discord.py client wired to one Service; works in any number of guilds at once."""

    def __init__(self, settings: Settings, service: Service, **options: Any) -> None:
        """``options`` go to discord.Client (tests shorten ``heartbeat_timeout``)."""
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options
        )
        self.settings = settings
        self.service = service
        self.context = DiscordContext(settings, service, Cooldown(settings.cooldown_seconds))
        self.tree = CitebotTree(self)
        for concern in (ask, sources, reindex, library, feeds):
            concern.register(self.tree, self.context)

    @property
    def progress_every(self) -> float:
        """Seconds between progress edits of a running rebuild's reply (tests shorten it)."""
        return self.context.progress_every

    @progress_every.setter
    def progress_every(self, seconds: float) -> None:
        self.context.progress_every = seconds

    async def setup_hook(self) -> None:
        """Register the restart-proof buttons and sync commands to one guild or globally."""
        self.add_dynamic_items(ask.MoreButton, sources.SourcesButton)
        if self.settings.guild_id is None:
            synced = await self.tree.sync()
            log.info("synced %d commands globally (they may take a while to appear)", len(synced))
            return
        guild = discord.Object(id=self.settings.guild_id)
        self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("synced %d commands to guild %s", len(synced), self.settings.guild_id)

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guilds", self.user, len(self.guilds))
        await self._record_servers()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._record_servers()

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The server's library stays on disk until ``citebot libraries prune``."""
        log.info("left guild %s; its library is kept until `citebot libraries prune`", guild.id)
        await self._record_servers()

    async def _record_servers(self) -> None:
        ids = [guild.id for guild in self.guilds]
        try:
            await asyncio.to_thread(record_servers, self.settings.data_dir, ids)
        except OSError as error:
            log.warning("could not record the servers in %s: %s", self.settings.data_dir, error)

    async def on_message(self, message: discord.Message) -> None:
        """Answer ``@citebot question``; messages from bots (itself included) are ignored."""
        if message.author.bot or self.user is None:
            return
        question = mentioned_question(message.content, self.user.id)
        if question is not None:
            await answer_mention(self.context, message, question)


def run_bot(settings: Settings) -> None:
    """Open the index and run the bot until interrupted; needs ``settings.discord_token``."""
    client = CitebotClient(settings, open_service(settings))
    FeedPoller(client.service).start()
    try:
        # log_handler=None: the CLI configures logging, not discord.py.
        client.run(settings.discord_token, log_handler=None)
    except discord.LoginFailure:
        raise CitebotError(REFUSED_TOKEN) from None
    except discord.ConnectionClosed as closed:
        if closed.code != AUTHENTICATION_FAILED:
            raise
        raise CitebotError(REFUSED_TOKEN) from None
    except OSError as error:
        # aiohttp's "cannot connect" errors are OSErrors. Only logging in gives up like
        # this; discord.py retries a connection lost later.
        raise CitebotError(f"cannot reach Discord: {error}") from None
    except discord.PrivilegedIntentsRequired:
        raise CitebotError(
            "Turn on the Message Content intent for the bot in the developer portal "
            "(Bot → Privileged Gateway Intents); @mentions need it."
        ) from None
