"""Where Xapian shards are: a local folder of shard databases, or ``host:port`` servers.

Parsed without importing Xapian, so settings are checked on a machine that lacks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def shard_name(number: int) -> str:
    """The folder of shard ``number`` in a shard folder."""
    return f"shard-{number:02d}"


def shard_folders(folder: Path) -> list[Path]:
    """The shards in a shard folder, in order (not the servers' pid and log files beside)."""
    return sorted(path for path in folder.glob("shard-*") if path.is_dir())


@dataclass(frozen=True)
class ShardAddress:
    """A shard served by ``xapian-tcpsrv``."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_location(value: str) -> Path | tuple[ShardAddress, ...]:
    """``CITEBOT_XAPIAN``: a comma-separated list of host:port shards, or a shard folder."""
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts:
        raise ValueError("is empty; give a shard folder or host:port shards")
    if len(parts) == 1 and ":" not in parts[0]:
        return Path(parts[0])
    addresses = []
    for part in parts:
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"has {part!r}, which is not host:port")
        addresses.append(ShardAddress(host.strip("[]"), int(port)))
    return tuple(addresses)


ShardLocation = Path | tuple[ShardAddress, ...]
