"""Answer -> text a person reads: shared marking plus the terminal rendering (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from index.models import Answer, Quote, Source, Span


def _same(text: str) -> str:
    return text


def marked(
    text: str,
    marks: Sequence[Span],
    opening: str,
    closing: str,
    escape: Callable[[str], str] = _same,
) -> str:
    """Wrap each marked span of ``text`` in ``opening``/``closing``, escaping the rest.

    Overlapping or touching spans are merged so markers never nest.
    """
    merged: list[list[int]] = []
    for start, end in sorted(marks):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[str] = []
    cursor = 0
    for start, end in merged:
        pieces.append(escape(text[cursor:start]))
        pieces.append(opening + escape(text[start:end]) + closing)
        cursor = end
    pieces.append(escape(text[cursor:]))
    return "".join(pieces)


def marked_between(
    text: str,
    marks: Sequence[Span],
    first: int,
    last: int,
    opening: str,
    closing: str,
    escape: Callable[[str], str] = _same,
) -> str:
    """``text[first:last]`` with the parts of ``marks`` that fall inside it wrapped, as
    ``marked`` does: for rendering a quote's answer and its context differently."""
    inside = [
        (max(a, first) - first, min(b, last) - first) for a, b in marks if a < last and b > first
    ]
    return marked(text[first:last], inside, opening, closing, escape)


_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def source_line(source: Source) -> str:
    """``outlet · date · title``, leaving out what the article does not say."""
    return " · ".join(
        part for part in (source.outlet or source.author, source.date, source.title) if part
    )


def also_line(quote: Quote) -> str:
    """``also reported by …`` naming each corroborating outlet once, or "" when none."""
    names = list(dict.fromkeys(source.outlet or source.title for source in quote.also))
    return f"also reported by {', '.join(names)}" if names else ""


def no_answer_text(answer: Answer) -> str:
    """The plain words for an unanswered question, with close spellings if any."""
    text = "The articles hold no answer to that question."
    if answer.suggestions:
        text += f" Did you mean {', '.join(answer.suggestions)}?"
    return text


def terminal_text(answer: Answer, *, color: bool) -> str:
    """An answer as a person reads it in a terminal: numbered quotes, then their sources.

    With ``color``, the answering sentence is plain, its context dim and matched words bold.
    """
    if not answer.answered:
        return no_answer_text(answer)
    blocks = []
    for number, quote in enumerate(answer.quotes, start=1):
        blocks.append(f"{number}. “{_terminal_quote(quote, color)}”")
        blocks.append(f"   — {source_line(quote.source)}")
        for extra in (quote.source.url, also_line(quote)):
            if extra:
                blocks.append(f"     {extra}")
        blocks.append("")
    return "\n".join(blocks).rstrip()


def _terminal_quote(quote: Quote, color: bool) -> str:
    if not color:
        return quote.text
    start, end = quote.answer
    dimmed = [quote.text[:start], quote.text[end:]]
    return (
        (_DIM + dimmed[0] + _RESET if dimmed[0] else "")
        + marked_between(quote.text, quote.marks, start, end, _BOLD, _RESET)
        + (_DIM + dimmed[1] + _RESET if dimmed[1] else "")
    )


def answer_json(answer: Answer) -> dict[str, Any]:
    """The stable JSON shape of ``citebot ask --json``: other tools read it."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "confidence": answer.confidence,
        "quotes": [
            {
                "text": quote.text,
                "doc": quote.source.doc,
                "title": quote.source.title,
                "outlet": quote.source.outlet,
                "date": quote.source.date,
                "url": quote.source.url,
                "score": quote.score,
                "also": [source.doc for source in quote.also],
            }
            for quote in answer.quotes
        ],
    }
