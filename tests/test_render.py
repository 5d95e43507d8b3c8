"""Pure rendering shared by the console and Discord."""

from __future__ import annotations

from bot.render import also_line, answer_json, marked, no_answer_text, source_line, terminal_text
from index import Answer, Quote, Source

MT = Source("a.txt", "Troops sent", "The Moscow Times", "AFP", "2022-02-02", "https://mt.example/a")
WSWS = Source("b.md", "More troops", "World Socialist Web Site", "", "2022-02-02", "")
BARE = Source("c.txt", "c", "", "", "", "")
QUOTE = Quote(
    "He spoke. 1,000 troops go to Romania.", (10, 37), ((16, 22), (29, 36)), MT, 1.5, (WSWS, BARE)
)


def test_marked_wraps_spans_merging_overlaps_and_escaping_the_rest() -> None:
    text = "a*b troops Romania"
    result = marked(text, [(4, 10), (8, 18), (0, 1)], "[", "]", lambda s: s.replace("*", "\\*"))
    assert result == "[a]\\*b [troops Romania]"


def test_source_line_leaves_out_what_is_unknown() -> None:
    assert source_line(MT) == "The Moscow Times · 2022-02-02 · Troops sent"
    assert source_line(BARE) == "c"


def test_also_line_names_each_outlet_once() -> None:
    twice = Quote("x", (0, 1), (), MT, 1.0, (WSWS, WSWS, BARE))
    assert also_line(twice) == "also reported by World Socialist Web Site, c"
    assert also_line(Quote("x", (0, 1), (), MT, 1.0)) == ""


def test_no_answer_says_so_and_suggests() -> None:
    assert no_answer_text(Answer("q", (), ("Romania",))).endswith("Did you mean Romania?")
    assert "no answer" in terminal_text(Answer("q", ()), color=True)


def test_terminal_text_colours_only_on_request() -> None:
    plain = terminal_text(Answer("q", (QUOTE,)), color=False)
    assert plain.splitlines()[:3] == [
        "1. “He spoke. 1,000 troops go to Romania.”",
        "   — The Moscow Times · 2022-02-02 · Troops sent",
        "     https://mt.example/a",
    ]
    coloured = terminal_text(Answer("q", (QUOTE,)), color=True)
    assert "\x1b[2mHe spoke. \x1b[0m" in coloured and "\x1b[1mtroops\x1b[0m" in coloured


def test_answer_json_is_the_public_contract() -> None:
    assert answer_json(Answer("q", (QUOTE,), confidence=0.93)) == {
        "question": "q",
        "answered": True,
        "confidence": 0.93,
        "quotes": [
            {
                "text": "He spoke. 1,000 troops go to Romania.",
                "doc": "a.txt",
                "title": "Troops sent",
                "outlet": "The Moscow Times",
                "date": "2022-02-02",
                "url": "https://mt.example/a",
                "score": 1.5,
                "also": ["b.md", "c.txt"],
            }
        ],
    }
