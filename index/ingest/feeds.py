"""An RSS or Atom feed's bytes -> its entries' links, read by feedparser.

The bytes come from the one web client (``index.ingest.web``); feedparser is given bytes,
never an address, so it fetches nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import feedparser


@dataclass(frozen=True)
class Entry:
    """One feed item: the article's address and what the feed says about it."""

    link: str
    title: str = ""


def read_feed(data: bytes) -> tuple[Entry, ...]:
    """A feed's entries with a web link, in the feed's order; ValueError when the bytes are
    no RSS or Atom feed feedparser can read."""
    parsed = feedparser.parse(data)
    if not parsed.get("version") and (parsed.get("bozo") or not parsed.get("entries")):
        problem = parsed.get("bozo_exception") or "no feed entries"
        raise ValueError(f"not an RSS or Atom feed ({problem})")
    return tuple(
        Entry(
            link=str(item.get("link", "")).strip(),
            title=" ".join(str(item.get("title", "")).split()),
        )
        for item in parsed.get("entries", [])
        if str(item.get("link", "")).startswith(("http://", "https://"))
    )
