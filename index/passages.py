"""Document -> quotable passages: paragraphs with Markdown and boilerplate removed and
paragraphs broken by stray blank lines joined again.

Markdown structure becomes text a reader can quote: a table row is a sentence naming its
columns, a list item a sentence, a blockquote its words. Captions and bylines are known
by their shape, not by a word they contain: a caption is a short paragraph ending in a
photo credit, a byline a short "By Name" at the head of the article, so body text that
ends in "(AP)" or starts "By 1954, …" stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.models import Document

PASSAGES_VERSION = 2
"""Bump when the passages of an unchanged article change. A stored index must depend on it
(the corpus fingerprint and the reuse check in index/store.py), or it keeps old passages."""

_BLANK_LINES = re.compile(r"\n\s*\n")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_LEAD_MARKERS = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+)")
_QUOTE_MARKERS = re.compile(r"^\s*(?:>\s?)+")
_HEADING_LINE = re.compile(r"^\s*#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?=\S)")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_TABLE_ROW = re.compile(r"^\s*\|")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HTML_TABLE = re.compile(r"<table\b.*?(?:</table\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_RELATED = re.compile(
    r"^(?:related(?: article| story| content)?|read more|see also|watch|listen|advertisement)"
    r"\s*:?",
    re.IGNORECASE,
)
_AFTER_SENTENCE = r"(?:^|(?<=[.!?…\"”’')])\s)"
_NAMES = r"[A-Z][\w.&'’-]*(?:(?:\s*[/|,&]\s*|\s+(?:via|for|and)\s+|\s+)[A-Z][\w.&'’-]*)*"
_BOLD_CREDIT = re.compile(rf"{_AFTER_SENTENCE}\s*\*\*\s*{_NAMES}\s*\*\*\s*$")
"""``… Pentagon spokesman John Kirby. **AP / TASS**``: names alone, in bold, after a sentence."""
_PHOTO_CREDIT = re.compile(
    r"\((?:(?i:source|photo|photograph|credit|image|picture|video)s?\s*:[^()]*"
    r"|[^()]*\b(?i:photo|photograph)s?(?:\s*/|\s+by\b|\s*(?=\)))[^()]*"
    r"|[^()]*\bGetty Images\b[^()]*"
    r"|[A-Z][\w.&-]*(?: [A-Z][\w.&-]*)*\s*/\s*[A-Z][^()]*)\)\s*$"
)
"""``(Source: …)``, ``(AP Photo/Evan Vucci)``, ``(File photo)``, ``(Reuters/Jane Doe)``,
``(AFP via Getty Images)``: a label and a name, a photo, or names split by a slash. A bare
agency name such as ``(AP)`` names a source of body text, not a photographer."""
_BYLINE = re.compile(
    r"^[Bb][Yy]\s+((?:[Tt]he\s+)?[A-Z][\w.'’-]*"
    r"(?:,?\s+(?:(?:and|for|of|the|in|de|da|van|von|der|la|le|&)\s+)*[A-Z][\w.'’-]*)*)\s*[.,]?$"
)
_CAPTION_WORDS = 50
_BYLINE_WORDS = 12
_HEAD_PARAGRAPHS = 3
"""A byline stands among the first paragraphs of an article, before the story starts."""
_SENTENCE_END = (".", "!", "?", '"', "'", "”", "’", ")", "…", ":")
_HEADING_WORDS = 8
_BROKEN_MIN_CHARACTERS = 60
"""A paragraph this long that stops mid-sentence was broken, not a heading."""


@dataclass(frozen=True)
class _Block:
    """One paragraph as written (``raw``, for recognising captions) and as read (``text``)."""

    raw: str
    text: str


def passage_texts(document: Document) -> list[str]:
    """The quotable paragraphs of a document, in order."""
    kept: list[str] = []
    for position, block in enumerate(_blocks(document.text)):
        if not block.text or _is_boilerplate(block, at_head=position < _HEAD_PARAGRAPHS):
            continue
        if _is_heading(block.text):
            continue
        if kept and _continues(kept[-1], block.text):
            kept[-1] = f"{kept[-1]} {block.text}"
        else:
            kept.append(block.text)
    return kept


def html_table_count(text: str) -> int:
    """How many HTML tables ``text`` holds: passages leave them out, and the corpus says so."""
    return len(_HTML_TABLE.findall(text))


def byline_author(line: str) -> str:
    """``By Jane Doe and John Roe`` -> ``Jane Doe and John Roe``; "" when the line is not a
    byline in shape (``By 1954, all U.S. networks…``, ``By nominating Mr. Mattarella…``)."""
    found = _BYLINE.match(line.strip()) if len(line.split()) <= _BYLINE_WORDS else None
    return found.group(1).strip() if found else ""


def plain_text(markdown: str) -> str:
    """Markdown inline markup removed: links keep their words, emphasis its text."""
    text = _LEAD_MARKERS.sub("", markdown)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    previous = None
    while previous != text:
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return " ".join(text.split())


def _blocks(text: str) -> Iterator[_Block]:
    """The article's paragraphs, with tables, lists, blockquotes and headings made text."""
    unquoted = "\n".join(_QUOTE_MARKERS.sub("", line) for line in text.splitlines())
    for raw in _BLANK_LINES.split(_HTML_TABLE.sub("\n\n", unquoted)):
        lines = [line.rstrip() for line in raw.strip().splitlines()]
        lines = [line for line in lines if line.strip() and not _RULE.match(line)]
        if len(lines) >= 2 and all(_TABLE_ROW.match(line) for line in lines):
            yield _Block("\n".join(lines), _table_text(lines))
            continue
        yield from _line_groups(lines)


def _line_groups(lines: list[str]) -> Iterator[_Block]:
    """A paragraph's lines as blocks: a heading line alone, list items one sentence each
    in one block, other lines joined."""
    group: list[str] = []
    items: list[str] = []

    def flush() -> Iterator[_Block]:
        if group or items:
            raw = " ".join(line.strip() for line in group)
            text = " ".join(
                [plain_text(raw)] * bool(group) + [_as_sentence(plain_text(i)) for i in items]
            )
            yield _Block("\n".join(group + items), text.strip())
        group.clear()
        items.clear()

    for line in lines:
        if _HEADING_LINE.match(line):
            yield from flush()
            group.append(line)
            yield from flush()
        elif _LIST_ITEM.match(line):
            items.append(_LIST_ITEM.sub("", line))
        elif items:
            items[-1] = f"{items[-1]} {line.strip()}"
        else:
            group.append(line)
    yield from flush()


def _table_text(lines: list[str]) -> str:
    """A Markdown table as sentences: ``Country: Poland; troops: 1,700.`` a row."""
    rows = [_cells(line) for line in lines if not _TABLE_RULE.match(line)]
    has_header = len(lines) > 1 and _TABLE_RULE.match(lines[1]) is not None
    header, body = (rows[0], rows[1:]) if has_header and len(rows) > 1 else ([], rows)
    sentences = []
    for row in body:
        parts = [
            f"{header[n]}: {cell}" if n < len(header) and header[n] else cell
            for n, cell in enumerate(row)
            if cell
        ]
        if parts:
            sentences.append(_as_sentence("; ".join(parts)))
    return " ".join(sentences)


def _cells(line: str) -> list[str]:
    return [plain_text(cell) for cell in line.strip().strip("|").split("|")]


def _as_sentence(text: str) -> str:
    """``text`` ending as a sentence does, so the sentence splitter keeps items apart."""
    return text if not text or text.endswith(_SENTENCE_END) else f"{text}."


def _is_boilerplate(block: _Block, *, at_head: bool) -> bool:
    """Image captions, "Related article:" teasers and bylines are not article text."""
    if _RELATED.match(block.text):
        return True
    if len(block.text.split()) <= _CAPTION_WORDS and (
        _BOLD_CREDIT.search(block.raw) or _PHOTO_CREDIT.search(block.text)
    ):
        return True
    return at_head and bool(byline_author(block.text))


def _is_heading(text: str) -> bool:
    """A short line that ends without punctuation is a section heading."""
    return len(text.split()) <= _HEADING_WORDS and not text.endswith(_SENTENCE_END)


def _continues(previous: str, text: str) -> bool:
    """Whether ``text`` is the rest of a paragraph that a blank line cut in two."""
    if previous.endswith(_SENTENCE_END):
        return False
    return text[:1].islower() or len(previous) >= _BROKEN_MIN_CHARACTERS
