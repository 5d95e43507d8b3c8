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


def test_terminal_text_wraps_to_a_width_keeping_every_word() -> None:
    long = Quote(" ".join(["Romania"] * 30), (0, 239), ((0, 7),), MT, 1.0)
    text = terminal_text(Answer("q", (long,)), color=False, width=40)
    lines = text.splitlines()
    assert all(len(line) <= 40 for line in lines[:-1])  # the URL line cannot break
    quote_lines = lines[: next(n for n, line in enumerate(lines) if line.startswith("   — "))]
    assert " ".join(line.strip(" “”1.") for line in quote_lines).split() == ["Romania"] * 30
    assert quote_lines[0].startswith("1. “Romania") and quote_lines[-1].endswith("Romania”")
    assert all(line.startswith("   Romania") for line in quote_lines[1:])


def test_a_quote_with_its_own_quotation_marks_gets_no_more() -> None:
    said = "“We are ready,” he added."
    own = Quote(said, (0, len(said)), (), MT, 1.0)
    assert terminal_text(Answer("q", (own,)), color=False).splitlines()[0] == f"1. {said}"
    assert terminal_text(Answer("q", (QUOTE,)), color=False).startswith("1. “He spoke.")


def test_a_notice_comes_first_in_the_terminal_and_in_the_json() -> None:
    answer = Answer("Who?", (), notice="Answers may be incomplete: search shard a:1 is down.")
    assert terminal_text(answer, color=False).startswith("Answers may be incomplete")
    assert answer_json(answer)["notice"] == answer.notice
    assert "notice" not in answer_json(Answer("Who?", ()))
