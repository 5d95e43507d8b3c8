"""The Discord face of citebot: the client, its slash commands, start-up and command sync.

Thin on purpose: every question and rebuild goes to the shared Service, rendering lives
in ``bot.embeds`` and each button in its own module.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.answers import MoreButton, answer_reply
from bot.config import Settings
from bot.cooldown import Cooldown, cooldown_text
from bot.feeds import FeedPoller
from bot.feeds_command import feeds_command
from bot.libraries import record_servers
from bot.library_commands import LibraryCommands
from bot.mentions import answer_mention, mentioned_question, question_text
from bot.moderation import NOT_A_MODERATOR, Refused, is_application_owner, library_target
from bot.pages import add_page
from bot.progress_edits import rebuild_reply
from bot.replies import fail, report_error, run_deferring, send
from bot.service import ArticleRejected, Service, Upload
from bot.sources_pages import SourcesButton, sources_reply
from index import MAX_QUESTION_CHARACTERS, Answer, CitebotError

log = logging.getLogger(__name__)

__all__ = ["NOT_A_MODERATOR", "CitebotClient", "run_bot"]
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


class CitebotClient(discord.Client):
    """A discord.py client wired to one Service; works in any number of guilds at once."""

    progress_every = 3.0
    """Seconds between progress edits of a running /reindex reply (Discord rate-limits edits)."""

    def __init__(self, settings: Settings, service: Service, **options: Any) -> None:
        """``options`` go to discord.Client (tests shorten ``heartbeat_timeout``)."""
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options
        )
        self.settings = settings
        self.service = service
        self.cooldown = Cooldown(settings.cooldown_seconds)
        self.tree = CitebotTree(self)
        _add_commands(self)

    async def setup_hook(self) -> None:
        """Register the restart-proof buttons and sync commands to one guild or globally."""
        self.add_dynamic_items(MoreButton, SourcesButton)
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

    async def answer(self, question: str, guild: int | None) -> Answer:
        """Ask the service for server ``guild`` (None: a DM), off the event loop, without
        Discord's mention markup (a More button made before it was left out may carry some)."""
        return await asyncio.to_thread(self.service.answer, question_text(question), 9, guild)

    async def on_message(self, message: discord.Message) -> None:
        """Answer ``@citebot question``; messages from bots (itself included) are ignored."""
        if message.author.bot or self.user is None:
            return
        question = mentioned_question(message.content, self.user.id)
        if question is not None:
            await answer_mention(self, message, question)


def _add_commands(client: CitebotClient) -> None:
    """Define /ask, /sources, /reindex, /library and /feeds on the client's command tree."""
    tree, settings, service = client.tree, client.settings, client.service

    @tree.command(description="Ask a question; the answer quotes the news articles, with sources.")
    @app_commands.describe(question="What do you want to know?")
    async def ask(
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION_CHARACTERS],
    ) -> None:
        wait = client.cooldown.retry_after(interaction.user.id)
        if wait:
            await fail(interaction, cooldown_text(wait))
            return
        words = question_text(question)
        guild = interaction.guild_id
        answer = await run_deferring(interaction, lambda: service.answer(words, guild=guild))
        await send(interaction, answer_reply(answer, 0, settings.quotes_per_page))

    @tree.command(description="List the articles answers here come from: shared and this server's.")
    async def sources(interaction: discord.Interaction) -> None:
        await send(interaction, await sources_reply(service, 0, interaction.guild_id))

    @tree.command(description="Rebuild this server's library, adding an article (moderators only).")
    @app_commands.describe(
        article="A .txt or .md article to add to this server's library first",
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
        owner = await is_application_owner(client, interaction.user)
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
            client.progress_every,
            lambda progress: (
                add_page(service, url, by, progress, target)
                if url and not upload
                else service.reindex(progress, upload, target)
            ),
        )

    tree.add_command(LibraryCommands(client))
    tree.add_command(feeds_command(client))


async def _upload(article: discord.Attachment, replace: bool, limit: int) -> Upload:
    """Download an attached article, unless it is too big to be worth downloading."""
    if article.size > limit:
        raise ArticleRejected(
            f"The attachment has {article.size:,} bytes; articles may have at most {limit:,}."
        )
    return Upload(article.filename, await article.read(), replace)


def run_bot(settings: Settings) -> None:
    """Open the index and run the bot until interrupted; needs ``settings.discord_token``."""
    client = CitebotClient(settings, Service.open(settings))
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
