"""JSON shapes the fake Discord sends: users, a guild, members, messages, interactions.

Only the fields discord.py reads are filled in; ids are small fixed numbers so tests
can name them.
"""

from __future__ import annotations

import itertools
from typing import Any

APPLICATION_ID = 1000
BOT_ID = 1000
GUILD_ID = 2000
CHANNEL_ID = 3000
MOD_ROLE_ID = 4001
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
        "owner": user(1, "owner"),
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


def guild() -> Json:
    """The guild: @everyone, a "Librarians" role and one text channel."""
    return {
        "id": str(GUILD_ID),
        "name": "newsroom",
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
            _role(GUILD_ID, "@everyone", VIEW_AND_SEND),
            _role(MOD_ROLE_ID, "Librarians", VIEW_AND_SEND),
        ],
        "emojis": [],
        "stickers": [],
        "members": [member(BOT_USER)],
        "channels": [
            {
                "id": str(CHANNEL_ID),
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
) -> Json:
    """An INTERACTION_CREATE body: ``kind`` 2 is a slash command, 3 a button press."""
    payload: Json = {
        "id": next_id(),
        "application_id": str(APPLICATION_ID),
        "type": kind,
        "data": data,
        "guild_id": str(GUILD_ID),
        "channel_id": str(CHANNEL_ID),
        "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "general"},
        "member": invoker,
        "token": f"interaction-token-{next_id()}",
        "version": 1,
        "app_permissions": str(VIEW_AND_SEND),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "attachment_size_limit": 8 * 1024 * 1024,
    }
    if message_data is not None:
        payload["message"] = message_data
    return payload
