"""Each Discord concern defines its own commands given only a context: no client class,
no connection, so a concern can be read and tested apart from the others."""

from __future__ import annotations

from pathlib import Path

import discord
from discord import app_commands

from bot.discord import ask, feeds, library, reindex, sources
from bot.discord.context import DiscordContext
from bot.discord.cooldown import Cooldown
from bot.service import Service
from fake_discord.harness import make_settings


def test_each_concern_defines_its_commands_on_a_plain_tree(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    context = DiscordContext(settings, Service.open(settings), Cooldown(0))
    defined = {}
    for concern in (ask, sources, reindex, library, feeds):
        tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
        concern.register(tree, context)
        defined[concern.__name__] = [command.name for command in tree.get_commands()]
    assert defined == {
        "bot.discord.ask": ["ask"],
        "bot.discord.sources": ["sources"],
        "bot.discord.reindex": ["reindex"],
        "bot.discord.library": ["library"],
        "bot.discord.feeds": ["feeds"],
    }
