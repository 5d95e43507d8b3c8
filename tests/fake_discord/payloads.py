"""JSON shapes the fake Discord sends: users, guilds, members, messages, interactions.

Only the fields discord.py reads are filled in; ids are small fixed numbers so tests
can name them. The bot is in two guilds (servers), A (``GUILD_ID``, most tests' only
one) and B (``GUILD_B_ID``), each with a "Librarians" role and one text channel; an
interaction may also come from a DM (``guild=None``).
"""

from __future__ import annotations

import itertools
from typing import Any

APPLICATION_ID = 1000
BOT_ID = 1000
GUILD_ID = 2000
CHANNEL_ID = 3000
MOD_ROLE_ID = 4001
GUILD_B_ID = 2100
CHANNEL_B_ID = 3100
MOD_ROLE_B_ID = 4101
DM_CHANNEL_ID = 3900
OWNER_ID = 1
CHANNELS = {GUILD_ID: CHANNEL_ID, GUILD_B_ID: CHANNEL_B_ID}
MOD_ROLES = {GUILD_ID: MOD_ROLE_ID, GUILD_B_ID: MOD_ROLE_B_ID}
MANAGE_GUILD = 1 << 5
VIEW_AND_SEND = (1 << 10) | (1 << 11)
TIMESTAMP = "2024-01-01T00:00:00.000000+00:00"

_snowflakes = itertools.count(900_000)

Json = dict[str, Any]


def next_id() -> str:
    """A fresh snowflake, unique within the test run."""
    return str(next(_snowflakes))


def user(user_id: int, name: str, *, bot: bool = False) -> Json:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


BOT_USER = user(BOT_ID, "citebot", bot=True)


def application() -> Json:
    return {
        "id": str(APPLICATION_ID),
        "name": "citebot",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(OWNER_ID, "owner"),
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
    }


def member(
    member_user: Json, roles: tuple[int, ...] = (), permissions: int = VIEW_AND_SEND
) -> Json:
    return {
        "user": member_user,
        "roles": [str(role) for role in roles],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
    }


def guild(guild_id: int = GUILD_ID) -> Json:
    """A guild: @everyone, a "Librarians" role and one text channel."""
    return {
        "id": str(guild_id),
        "name": "newsroom" if guild_id == GUILD_ID else "reading-club",
        "icon": None,
        "owner_id": "1",
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "features": [],
        "mfa_level": 0,
        "system_channel_flags": 0,
        "premium_tier": 0,
        "nsfw_level": 0,
        "preferred_locale": "en-US",
        "unavailable": False,
        "large": False,
        "member_count": 2,
        "roles": [
            _role(guild_id, "@everyone", VIEW_AND_SEND),
            _role(MOD_ROLES[guild_id], "Librarians", VIEW_AND_SEND),
        ],
        "emojis": [],
        "stickers": [],
        "members": [member(BOT_USER)],
        "channels": [
            {
                "id": str(CHANNELS[guild_id]),
                "type": 0,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
        ],
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def _role(role_id: int, name: str, permissions: int) -> Json:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": 0 if name == "@everyone" else 1,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def message(
    *,
    author: Json,
    content: str = "",
    mentions: tuple[Json, ...] = (),
    embeds: list[Json] | None = None,
    components: list[Json] | None = None,
    flags: int = 0,
) -> Json:
    """A message in the guild's one channel."""
    return {
        "id": next_id(),
        "channel_id": str(CHANNEL_ID),
        "guild_id": str(GUILD_ID),
        "author": author,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds or [],
        "components": components or [],
        "pinned": False,
        "type": 0,
        "flags": flags,
    }


def interaction(
    kind: int,
    data: Json,
    *,
    invoker: Json,
    message_data: Json | None = None,
    guild: int | None = GUILD_ID,
) -> Json:
    """An INTERACTION_CREATE body: ``kind`` 2 is a slash command, 3 a button press; from
    a channel of ``guild``, or from a DM with the bot when ``guild`` is None."""
    payload: Json = {
        "id": next_id(),
        "application_id": str(APPLICATION_ID),
        "type": kind,
        "data": data,
        "token": f"interaction-token-{next_id()}",
        "version": 1,
        "app_permissions": str(VIEW_AND_SEND),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 8 * 1024 * 1024,
    }
    if guild is None:
        payload |= {
            "channel_id": str(DM_CHANNEL_ID),
            "channel": {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [invoker["user"]]},
            "user": invoker["user"],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 1,
        }
    else:
        channel = CHANNELS[guild]
        payload |= {
            "guild_id": str(guild),
            "channel_id": str(channel),
            "channel": {"id": str(channel), "type": 0, "guild_id": str(guild), "name": "general"},
            "member": invoker,
            "authorizing_integration_owners": {"0": str(guild)},
            "context": 0,
        }
    if message_data is not None:
        payload["message"] = message_data
    return payload
