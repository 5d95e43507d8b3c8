"""Answer -> text a person reads: shared marking plus the terminal rendering (pure functions)."""

from __future__ import annotations

import re
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


def counted(number: int, noun: str) -> str:
    """``1 passage``, ``2 passages``: a count with its noun in the right number."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def terminal_text(answer: Answer, *, color: bool, width: int | None = None) -> str:
    """An answer as a person reads it in a terminal: numbered quotes, then their sources.

    With ``color``, the answering sentence is plain, its context dim and matched words bold.
    With ``width``, lines are wrapped to it; without, each quote stays on one line, exactly
    as ``--json`` gives its text. A quote that opens or closes with its own quotation marks
    gets no more around it, so they never print doubled.
    """
    lines = _wrapped(answer.notice, width, "", "") + [""] if answer.notice else []
    if not answer.answered:
        return "\n".join(lines + _wrapped(no_answer_text(answer), width, "", ""))
    for number, quote in enumerate(answer.quotes, start=1):
        opening, closing = ("", "") if _OWN_QUOTATION.search(quote.text) else ("“", "”")
        number_prefix = f"{number}. "
        spans = _line_spans(
            quote.text, width, len(number_prefix) + len(opening), len(number_prefix), len(closing)
        )
        for position, (first, last) in enumerate(spans):
            prefix = number_prefix + opening if position == 0 else " " * len(number_prefix)
            suffix = closing if position == len(spans) - 1 else ""
            lines.append(prefix + _terminal_quote(quote, first, last, color) + suffix)
        lines.extend(_wrapped(f"— {source_line(quote.source)}", width, "   ", "     "))
        for extra in (quote.source.url, also_line(quote)):
            if extra:
                lines.extend(_wrapped(extra, width, "     ", "     "))
        lines.append("")
    return "\n".join(lines).rstrip()


_OWN_QUOTATION = re.compile(r'^[\s(]*["“]|["”][\s)]*$')
_WORD = re.compile(r"\S+")


def _line_spans(
    text: str, width: int | None, first_indent: int, indent: int, tail: int
) -> list[Span]:
    """Where each line of ``text`` starts and ends once wrapped to ``width`` (one line when
    None); the first line is indented ``first_indent``, the others ``indent``, and the last
    keeps room for ``tail`` more characters. A word longer than a line gets one to itself."""
    words = [match.span() for match in _WORD.finditer(text)]
    if width is None or not words:
        return [(0, len(text))]
    lines: list[Span] = []
    for position, (start, end) in enumerate(words):
        reach = end + (tail if position == len(words) - 1 else 0)
        if lines:
            line_start = lines[-1][0]
            room = width - (first_indent if len(lines) == 1 else indent)
            if reach - line_start <= room:
                lines[-1] = (line_start, end)
                continue
        lines.append((start, end))
    return lines


def _wrapped(text: str, width: int | None, first_prefix: str, prefix: str) -> list[str]:
    spans = _line_spans(text, width, len(first_prefix), len(prefix), 0)
    return [
        (first_prefix if position == 0 else prefix) + text[start:end]
        for position, (start, end) in enumerate(spans)
    ]


def _terminal_quote(quote: Quote, first: int, last: int, color: bool) -> str:
    """``quote.text[first:last]``; with ``color``, its context dim and matched words bold."""
    if not color:
        return quote.text[first:last]
    start, end = quote.answer
    pieces = []
    for low, high, dim in ((first, start, True), (start, end, False), (end, last, True)):
        low, high = max(low, first), min(high, last)
        if low >= high:
            continue
        if dim:
            pieces.append(_DIM + quote.text[low:high] + _RESET)
        else:
            pieces.append(marked_between(quote.text, quote.marks, low, high, _BOLD, _RESET))
    return "".join(pieces)


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
    } | ({"notice": answer.notice} if answer.notice else {})
