"""Who may change which library: moderators their server's own, the owner the shared corpus.

A moderator holds Manage Server, or a role CITEBOT_MOD_ROLES names (or ids), in the server
the command comes from. ``default_permissions`` on a command only hides it in Discord's UI
(server admins can change that), so the commands check this in code too. The shared
corpus is the operator's: from Discord only the application's owner (or team) changes it,
unless CITEBOT_LIBRARY=shared lists the servers allowed to.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.config import Settings
from index.errors import CitebotError

NOT_A_MODERATOR = "Only moderators (Manage Server, or a moderator role) can rebuild the index."
SHARED_IS_THE_OPERATORS = (
    "Only the bot's operator can change the shared articles; without shared, /reindex "
    "changes this server's own library. Nothing was changed."
)
SHARED_NOT_HERE = (
    "This bot keeps one library for every server, and this server may not change it; "
    "ask the bot's operator. Nothing was changed."
)
ONE_LIBRARY = "This bot keeps one library for every server: there is no server library here."


class Refused(CitebotError):
    """The person may not make this change; the message says who may."""


def is_moderator(interaction: discord.Interaction, mod_roles: Sequence[str]) -> bool:
    """True when the person behind ``interaction`` may manage this guild's library."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_guild:
        return True
    wanted = {role.casefold() for role in mod_roles}
    return any(role.name.casefold() in wanted or str(role.id) in wanted for role in member.roles)


async def is_application_owner(client: discord.Client, user: discord.abc.User) -> bool:
    """True for the application's owner or a member of its team, as discord.py reports them."""
    application = client.application or await client.application_info()
    if application.team is not None:
        return user.id in {member.id for member in application.team.members}
    return application.owner.id == user.id


def library_target(
    interaction: discord.Interaction, settings: Settings, *, owner: bool, shared: bool
) -> int | None:
    """Which library a change asked for in ``interaction`` goes to: this server's (its id)
    or the shared corpus (None). Raises Refused when the person may not change it."""
    moderator = is_moderator(interaction, settings.mod_roles)
    if not (owner or moderator):
        raise Refused(NOT_A_MODERATOR)
    if settings.per_server and not shared:
        if not moderator:
            raise Refused(NOT_A_MODERATOR)
        return interaction.guild_id
    if owner or (not settings.per_server and interaction.guild_id in settings.shared_guilds):
        return None
    raise Refused(SHARED_IS_THE_OPERATORS if settings.per_server else SHARED_NOT_HERE)


def own_library(interaction: discord.Interaction, settings: Settings) -> int:
    """The server whose own library a moderator command changes; Refused otherwise."""
    if not settings.per_server:
        raise Refused(ONE_LIBRARY)
    if interaction.guild_id is None or not is_moderator(interaction, settings.mod_roles):
        raise Refused(NOT_A_MODERATOR)
    return interaction.guild_id
