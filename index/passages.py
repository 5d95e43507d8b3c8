"""Document -> quotable passages: paragraphs with Markdown and boilerplate removed and
paragraphs broken by stray blank lines joined again."""

from __future__ import annotations

import re

from index.models import Document

_BLANK_LINES = re.compile(r"\n\s*\n")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_LEAD_MARKERS = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+)")
_RELATED = re.compile(
    r"^(?:related(?: article| story| content)?|read more|see also|watch|listen|advertisement)"
    r"\s*:?",
    re.IGNORECASE,
)
_CAPTION_CREDIT = re.compile(
    r"(?:\*\*[^*]{1,40}\*\*|\((?:source|photo|credit|image|picture)s?\s*:[^)]*\)|"
    r"\((?:AP|AFP|Reuters|Getty)[^)]*\))\s*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+\S", re.IGNORECASE)
_SENTENCE_END = (".", "!", "?", '"', "'", "”", "’", ")", "…", ":")
_HEADING_WORDS = 8
_BROKEN_MIN_CHARACTERS = 60
"""A paragraph this long that stops mid-sentence was broken, not a heading."""


def passage_texts(document: Document) -> list[str]:
    """The quotable paragraphs of a document, in order."""
    kept: list[str] = []
    for raw in _BLANK_LINES.split(document.text):
        lines = [line.strip() for line in raw.strip().splitlines()]
        paragraph = " ".join(line for line in lines if line)
        if not paragraph or _is_boilerplate(paragraph):
            continue
        text = plain_text(paragraph)
        if not text or _is_heading(text):
            continue
        if kept and _continues(kept[-1], text):
            kept[-1] = f"{kept[-1]} {text}"
        else:
            kept.append(text)
    return kept


def plain_text(markdown: str) -> str:
    """Markdown inline markup removed: links keep their words, emphasis its text."""
    text = _LEAD_MARKERS.sub("", markdown)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    previous = None
    while previous != text:
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return " ".join(text.split())


def _is_boilerplate(paragraph: str) -> bool:
    """Image captions, "Related article:" teasers and bylines are not article text."""
    return bool(
        _RELATED.match(paragraph) or _CAPTION_CREDIT.search(paragraph) or _BYLINE.match(paragraph)
    )


def _is_heading(text: str) -> bool:
    """A short line that ends without punctuation is a section heading."""
    return len(text.split()) <= _HEADING_WORDS and not text.endswith(_SENTENCE_END)


def _continues(previous: str, text: str) -> bool:
    """Whether ``text`` is the rest of a paragraph that a blank line cut in two."""
    if previous.endswith(_SENTENCE_END):
        return False
    return text[:1].islower() or len(previous) >= _BROKEN_MIN_CHARACTERS
