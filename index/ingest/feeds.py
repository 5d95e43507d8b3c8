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


@dataclass(frozen=True)
class Feed:
    """A read feed: its title and its entries, newest first as the feed lists them."""

    title: str
    entries: tuple[Entry, ...]


def read_feed(data: bytes) -> Feed:
    """Parse a feed; ValueError when the bytes are no RSS or Atom feed feedparser can read."""
    parsed = feedparser.parse(data)
    if not parsed.get("version") and (parsed.get("bozo") or not parsed.get("entries")):
        problem = parsed.get("bozo_exception") or "no feed entries"
        raise ValueError(f"not an RSS or Atom feed ({problem})")
    entries = tuple(
        Entry(
            link=str(item.get("link", "")).strip(),
            title=" ".join(str(item.get("title", "")).split()),
        )
        for item in parsed.get("entries", [])
        if str(item.get("link", "")).startswith(("http://", "https://"))
    )
    return Feed(" ".join(str(parsed.get("feed", {}).get("title", "")).split()), entries)
