"""Answers, article lists and reindex reports -> Discord embeds and text (pure functions).

Everything here fits Discord's limits by trimming, never by failing, and article or user
text is Markdown-escaped so it cannot break the layout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote as percent_encode
from urllib.parse import urlsplit, urlunsplit

import discord

from bot.render import also_line, counted, marked_between, no_answer_text, source_line
from bot.service import ReindexReport, SourceInfo
from index.models import Answer, Quote, Span
from index.progress import Progress

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_LIMIT = 6000
SOURCES_PER_PAGE = 10
QUESTION_PREFIX = "Asked: "
OWN_MARK = "this server's library"
"""How /sources marks an article of the server's own library (the others are shared)."""
COLOUR = discord.Colour.blurple()
LIBRARY_REBUILT = "This server's library, searched with the shared articles for its questions."
SHARED_REBUILT = "The shared articles, which every server is answered from."

_LABEL_LIMIT = 120
_LINK_LIMIT = 500
_ECHOED_QUESTION_LIMIT = 300
_FRAGMENT_WORDS = 4
_ELLIPSIS = "…"
_BLOCK_GAP = "\n\n"
_NOTICE_LIMIT = 300
_LIST_START = re.compile(r"^(\d+)\.")
_LINE_BREAKS = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class AnswerPage:
    """One embed of quotes and where the next page starts (None on the last page)."""

    embed: discord.Embed
    next_offset: int | None


@dataclass(frozen=True)
class SourcesPage:
    """One embed of the article list, which page it shows (from 0) and how many there are."""

    embed: discord.Embed
    page: int
    pages: int


def escape(text: str) -> str:
    """Article or user text made inert: on one line, Markdown escaped (numbered lists too)."""
    flat = _LINE_BREAKS.sub(" ", text)
    return _LIST_START.sub(r"\1\\.", discord.utils.escape_markdown(flat))


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word break when one is near."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + _ELLIPSIS


def deep_link(url: str, sentence: str) -> str:
    """The article URL with a ``#:~:text=`` fragment pointing at ``sentence`` where possible."""
    parts = urlsplit(url)
    words = sentence.split()
    if parts.scheme not in ("http", "https") or not words or ":~:" in parts.fragment:
        return url
    if len(words) <= 2 * _FRAGMENT_WORDS:
        directive = _fragment_text(words)
    else:
        start, end = words[:_FRAGMENT_WORDS], words[-_FRAGMENT_WORDS:]
        directive = f"{_fragment_text(start)},{_fragment_text(end)}"
    return urlunsplit(parts._replace(fragment=f"{parts.fragment}:~:text={directive}"))


def _fragment_text(words: Sequence[str]) -> str:
    # The text-fragment syntax reserves "-", "&" and ","; percent_encode leaves "-" alone.
    return percent_encode(" ".join(words), safe="").replace("-", "%2D")


def _link(label: str, url: str, room: int) -> str:
    """``[label](url)`` when the URL is usable and it all fits ``room``, else the plain label."""
    text = escape(label).replace("[", "(").replace("]", ")")
    if url.startswith(("http://", "https://")) and len(url) <= _LINK_LIMIT:
        safe_url = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        linked = f"[{text}]({safe_url})"
        if len(linked) <= room:
            return linked
    return clip(text, room)


def _source_lines(quote: Quote, room: int) -> str:
    """``— outlet · date · title`` linked to the quoted words, then who else reported it."""
    sentence = quote.text[quote.answer[0] : quote.answer[1]]
    label = clip(source_line(quote.source) or quote.source.doc, _LABEL_LIMIT)
    also = also_line(quote)
    lines = [f"— {_link(label, deep_link(quote.source.url, sentence), room // 2)}"]
    if also:
        lines.append(clip(escape(also), room // 4))
    return "\n".join(lines)


def _block_quote(text: str, answer: Span, marks: Sequence[Span]) -> str:
    """``text`` as a block quote: the answering sentence bold, the question's words bold in
    the context and underlined inside the answer, so a reader sees why it was chosen."""
    start, end = answer

    def piece(first: int, last: int, opening: str, closing: str) -> str:
        return marked_between(text, marks, first, last, opening, closing, escape)

    middle = piece(start, end, "__", "__")
    return (
        "> "
        + piece(0, start, "**", "**")
        + (f"**{middle}**" if middle else "")
        + piece(end, len(text), "**", "**")
    )


def _fitted_quote(quote: Quote, room: int) -> str:
    """The quote with its context when it fits ``room``, else its answering sentence, cut
    short as far as needed."""
    whole = _block_quote(quote.text, quote.answer, quote.marks)
    if len(whole) <= room:
        return whole
    start, end = quote.answer
    sentence = quote.text[start:end]
    marks = [(a - start, b - start) for a, b in quote.marks]

    def cut_to(keep: int) -> str:
        text = clip(sentence, keep)
        return _block_quote(text, (0, len(text)), marks)

    # Escaping can more than double Markdown-heavy text, so the longest cut that fits is
    # searched for (rendering never shortens text, so it is at most ``room`` long).
    fitted, low, high = "> " + _ELLIPSIS, 1, min(len(sentence), room)
    while low <= high:
        keep = (low + high) // 2
        rendered = cut_to(keep)
        if len(rendered) <= room:
            fitted, low = rendered, keep + 1
        else:
            high = keep - 1
    return fitted


def quote_block(quote: Quote, room: int) -> str:
    """A quote as a block quote with its source under it, in at most ``room`` characters."""
    source = _source_lines(quote, room)
    return f"{_fitted_quote(quote, room - len(source) - 1)}\n{source}"


def question_footer(question: str) -> str:
    """The footer that shows which question an answer is for."""
    return clip(QUESTION_PREFIX + " ".join(question.split()), FOOTER_LIMIT)


def page_title(start: int, end: int, total: int) -> str:
    """``Quotes 1–3 of 5``; ``Quote 4 of 4`` for a page of one; no count for a lone quote."""
    if total <= 1:
        return "From the articles"
    if end - start == 1:
        return f"Quote {end} of {total}"
    return f"Quotes {start + 1}–{end} of {total}"


def answer_page(answer: Answer, start: int, count: int) -> AnswerPage:
    """Up to ``count`` quotes from ``start`` as one embed, each trimmed to its share of room."""
    quotes = answer.quotes[start : start + count]
    total = len(answer.quotes)
    end = start + len(quotes)
    title = page_title(start, end, total)
    footer = question_footer(answer.question)
    budget = min(DESCRIPTION_LIMIT, EMBED_LIMIT - len(title) - len(footer))
    # A caveat (a search shard was down) comes first, on every page.
    blocks = [notice_line(answer)] if answer.notice else []
    for position, quote in enumerate(quotes):
        # An equal share of what is left, so room a short quote leaves goes to the rest.
        used = sum(len(block) + len(_BLOCK_GAP) for block in blocks)
        share = (budget - used) // (len(quotes) - position) - len(_BLOCK_GAP)
        blocks.append(quote_block(quote, share))
    embed = discord.Embed(title=title, description=_BLOCK_GAP.join(blocks), colour=COLOUR)
    embed.set_footer(text=footer)
    return AnswerPage(embed, end if end < total else None)


def notice_line(answer: Answer) -> str:
    """The answer's caveat (e.g. a search shard was down), in italics, never long."""
    return f"*{clip(escape(answer.notice), _NOTICE_LIMIT)}*"


def no_answer_content(answer: Answer) -> str:
    """The plain message when the corpus holds no answer: the question, then why not."""
    question = clip(escape(" ".join(answer.question.split())), _ECHOED_QUESTION_LIMIT)
    notice = notice_line(answer) + "\n" if answer.notice else ""
    return clip(f"> {question}\n{notice}{escape(no_answer_text(answer))}", CONTENT_LIMIT)


def sources_page(infos: Sequence[SourceInfo], page: int) -> SourcesPage:
    """Page ``page`` (from 0, clamped to the pages there are) of the indexed articles."""
    pages = max(1, -(-len(infos) // SOURCES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * SOURCES_PER_PAGE
    room = DESCRIPTION_LIMIT // SOURCES_PER_PAGE - 1
    lines = [
        _source_entry(number, info, room)
        for number, info in enumerate(infos[first : first + SOURCES_PER_PAGE], start=first + 1)
    ]
    embed = discord.Embed(
        title="Indexed articles",
        description="\n".join(lines) or "The index holds no articles.",
        colour=COLOUR,
    )
    own = sum(info.own for info in infos)
    mine = f" ({len(infos) - own} shared, {own} this server's)" if own else ""
    embed.set_footer(text=f"Page {page + 1} of {pages} · {len(infos)} articles{mine}")
    return SourcesPage(embed, page, pages)


def _source_entry(number: int, info: SourceInfo, room: int) -> str:
    """``1. title`` (linked) and, under it, outlet · date · passages, in ``room`` characters."""
    source = info.source
    passages = counted(info.passages, "passage")
    mark = OWN_MARK if info.own else ""
    added = info.provenance.summary if info.provenance else ""
    facts = escape(
        " · ".join(part for part in (mark, source.outlet, source.date, passages, added) if part)
    )
    heading = f"**{number}.** "
    title = clip(source.title or source.doc, _LABEL_LIMIT)
    return f"{heading}{_link(title, source.url, room - len(heading) - len(facts) - 1)}\n{facts}"


def _names(names: Sequence[str]) -> str:
    return clip(escape(", ".join(names) or "none"), FIELD_LIMIT)


def report_embed(report: ReindexReport) -> discord.Embed:
    """What a rebuild changed, for the moderator who started it."""
    embed = discord.Embed(
        title="Index rebuilt",
        description=LIBRARY_REBUILT if report.library else SHARED_REBUILT,
        colour=discord.Colour.green(),
    )
    embed.add_field(name=f"Added ({len(report.added)})", value=_names(report.added))
    embed.add_field(name=f"Removed ({len(report.removed)})", value=_names(report.removed))
    embed.add_field(name=f"Changed ({len(report.changed)})", value=_names(report.changed))
    embed.add_field(name="Articles", value=str(report.documents))
    embed.add_field(name="Passages", value=f"{report.passages:,}")
    embed.add_field(name="Time", value=f"{report.seconds:.1f} s")
    if report.kept:
        embed.add_field(
            name=f"Kept ({len(report.kept)})",
            value=clip("\n".join(escape(line) for line in report.kept), FIELD_LIMIT),
            inline=False,
        )
    if report.warnings:
        embed.add_field(
            name=f"Warnings ({len(report.warnings)})",
            value=clip("\n".join(escape(warning) for warning in report.warnings), FIELD_LIMIT),
            inline=False,
        )
    return embed


def progress_text(progress: Progress) -> str:
    """One line for the deferred /reindex reply while the index is being rebuilt."""
    done = f"{progress.done:,}/{progress.total:,} ({progress.fraction:.0%})"
    return f"Reindexing… {progress.stage} {done}"
