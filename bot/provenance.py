"""Where each article added from the web came from: when, from which feed or by whom,
from which address, and its text's fingerprint (to know a page seen again).

Kept beside the articles in a hidden file (``.citebot-added.json``) written atomically,
so it travels with the folder and no article reader mistakes it for an article.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PROVENANCE_FILE = ".citebot-added.json"


@dataclass(frozen=True)
class Provenance:
    """How an article came into a corpus folder."""

    added: str
    """When, as ``YYYY-MM-DD HH:MM UTC``."""
    url: str
    """The address it was fetched from (after redirects)."""
    by: str = ""
    """Who added it by its address (a Discord name, ``console``, ``cli``); "" for a feed."""
    feed: str = ""
    """The feed it came from; "" when a person added it."""
    text: str = ""
    """Fingerprint of the article's extracted text: the same story under a new address."""

    @property
    def summary(self) -> str:
        """``added 2024-03-14 08:30 UTC from feed URL`` (or ``by NAME``), as /sources shows it."""
        origin = f" from feed {self.feed}" if self.feed else f" by {self.by}" if self.by else ""
        return f"added {self.added}{origin}"


def now() -> str:
    """The moment to record as ``added``."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def read_provenance(folder: Path) -> dict[str, Provenance]:
    """Each web article's provenance in ``folder``, by file name; {} when none (or unreadable)."""
    try:
        table = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    known = {field.name for field in fields(Provenance)}
    found: dict[str, Provenance] = {}
    for name, entry in table.items() if isinstance(table, dict) else ():
        if isinstance(entry, dict) and {"added", "url"} <= entry.keys():
            found[name] = Provenance(**{key: str(entry[key]) for key in known & entry.keys()})
    return found


def record_provenance(folder: Path, name: str, provenance: Provenance) -> None:
    """Note article ``name``'s provenance, keeping the others'."""
    table = {key: asdict(value) for key, value in read_provenance(folder).items()}
    write_json(folder / PROVENANCE_FILE, table | {name: asdict(provenance)})


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON in one step: a reader sees old or new, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
