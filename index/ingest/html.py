"""A web page's bytes -> the article in it, read by trafilatura: the main text without
navigation, related links, ads or comments, and the facts the page states about itself
(title, author, date, site name, canonical address).

Only bytes already in hand are read; nothing here opens a connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import trafilatura

HTML_SUFFIXES = (".html", ".htm")
READER_VERSION = f"trafilatura {trafilatura.__version__}, html 1"
"""What turned a page into text: a page's fingerprint depends on it, so another version
re-reads every page instead of reusing passages it would no longer make."""

_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->", re.I)
"""The comment a browser's "Save page as" writes at the top: the page's address."""


@dataclass(frozen=True)
class PageArticle:
    """The article a page holds and what the page says about it ("" when it says nothing)."""

    text: str
    title: str = ""
    author: str = ""
    date: str = ""
    site: str = ""
    url: str = ""


def saved_from(data: bytes) -> str:
    """The address a saved page came from, as the browser (or citebot) noted it, else ""."""
    found = _SAVED_FROM.search(data[:4096])
    return found.group(1).decode("ascii", "replace") if found else ""


def with_saved_from(data: bytes, url: str) -> bytes:
    """The page with its address noted as a browser notes it, unless already there."""
    if saved_from(data):
        return data
    noted = url.encode("ascii", "replace")
    return b"<!-- saved from url=(%04d)%s -->\n" % (len(noted), noted) + data


def read_page(data: bytes) -> PageArticle:
    """Extract the article from a page's bytes; ValueError when it holds no article text."""
    try:
        found = trafilatura.bare_extraction(
            data,
            url=saved_from(data) or None,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            deduplicate=False,
        )
    except (ValueError, TypeError) as error:  # lxml's errors on markup it cannot parse
        raise ValueError(f"not a readable web page ({error})") from None
    facts: dict[str, Any] = {}
    if found is not None:
        facts = found if isinstance(found, dict) else found.as_dict()
    title = _clean(facts.get("title"))
    text = _paragraphs(facts.get("text") or "", title)
    if not text:
        raise ValueError("a web page without article text that could be told from its menus")
    return PageArticle(
        text=text,
        title=title,
        author=_authors(facts.get("author")),
        date=_clean(facts.get("date")),
        site=_clean(facts.get("sitename")),
        url=_clean(facts.get("url")) or saved_from(data),
    )


def _paragraphs(text: str, title: str) -> str:
    """trafilatura's one paragraph a line -> paragraphs split by blank lines, as in the
    text articles, so the passages are the page's paragraphs; the headline, already the
    title, is left out."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if lines and lines[0] == title:
        lines = lines[1:]
    return "\n\n".join(lines)


def _authors(value: str | None) -> str:
    """``Jane Doe; John Roe`` (trafilatura's joint) -> ``Jane Doe and John Roe``."""
    names = [name.strip() for name in (value or "").split(";") if name.strip()]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())
