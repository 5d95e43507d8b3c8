"""What every Discord concern is handed instead of the client, so that none imports it:
the settings, the Service, the cooldown /ask and @mentions share, the /reindex pace."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.config import Settings
from bot.discord.cooldown import Cooldown
from bot.service import Service


@dataclass
class DiscordContext:
    """One client's context; mutable so that tests can shorten ``progress_every``."""

    settings: Settings
    service: Service
    cooldown: Cooldown
    progress_every: float = 3.0
    """Seconds between progress edits of a running rebuild's reply (Discord rate-limits edits)."""


class ContextClient(discord.Client):
    """A client that carries its context. Buttons are rebuilt by discord.py from their
    custom_id alone, so they reach the service through ``interaction.client.context``."""

    context: DiscordContext
