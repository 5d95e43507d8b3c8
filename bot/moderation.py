"""Who may run moderator commands: Manage Server, or a role CITEBOT_MOD_ROLES names (or ids).

``default_permissions`` on a command only hides it in Discord's UI (server admins can
change that), so the command checks this in code too.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord


def is_moderator(interaction: discord.Interaction, mod_roles: Sequence[str]) -> bool:
    """True when the person behind ``interaction`` may manage the index in this guild."""
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_guild:
        return True
    wanted = {role.casefold() for role in mod_roles}
    return any(role.name.casefold() in wanted or str(role.id) in wanted for role in member.roles)
