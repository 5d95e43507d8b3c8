"""Which service a configuration runs on: the embedded index, or Xapian shards.

Kept apart from both services so neither imports the other's module: the shard service
builds on the embedded one, and only this chooser knows them both.
"""

from __future__ import annotations

from bot.config import XAPIAN, Settings
from bot.service import Service


def open_service(settings: Settings, *, wait_for_vectors: bool = False) -> Service:
    """The service ``settings`` ask for, opened (see ``Service.open``)."""
    if settings.backend == XAPIAN:
        from bot.shard_service import ShardService  # imports Xapian, which is optional

        return ShardService.open(settings, wait_for_vectors=wait_for_vectors)
    return Service.open(settings, wait_for_vectors=wait_for_vectors)
