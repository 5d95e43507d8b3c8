"""Discord rendering on its own: escaping, deep links, and trimming to Discord's limits."""

from __future__ import annotations

import discord
import pytest

from bot.discord.embeds import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_LIMIT,
    FIELD_LIMIT,
    SOURCES_PER_PAGE,
    answer_page,
    clip,
    deep_link,
    escape,
    no_answer_content,
    progress_text,
    quote_block,
    report_embed,
    sources_page,
)
from bot.service import ReindexReport, SourceInfo
from index import Answer, Progress, Quote, SearchIndex, Source, answer_question

MT = Source("a.txt", "Troops sent", "The Moscow Times", "AFP", "2022-02-02", "https://mt.example/a")
WSWS = Source("b.md", "More troops", "World Socialist Web Site", "", "2022-02-02", "")
QUOTE = Quote(
    "He spoke. 1,000 troops go to Romania.", (10, 37), ((16, 22), (29, 36)), MT, 1.5, (WSWS,)
)
LONG_URL = "https://example.com/" + "very-long-path/" * 40


def assert_within_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= DESCRIPTION_LIMIT
    assert len(data.get("fields", [])) <= 25
    assert all(len(field["value"]) <= FIELD_LIMIT for field in data.get("fields", []))
    assert len(embed) <= EMBED_LIMIT


def huge_quote(number: int) -> Quote:
    """A quote far beyond every limit, full of Markdown and mentions, from a long URL."""
    context = "**Bold** claim by _someone_ @everyone. " * 60
    sentence = f"Answer {number} says ~~struck~~ `code` " + "and more words " * 200
    text = f"{context}{sentence}"
    source = Source(f"{number}.txt", "T" * 300, "Outlet", "", "2024-01-01", LONG_URL)
    return Quote(text, (len(context), len(text)), ((0, 8),), source, 1.0, (MT, WSWS) * 20)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("**bold** and _it_", "\\*\\*bold\\*\\* and \\_it\\_"),
        ("# Heading", "\\# Heading"),
        ("> quoted", "\\> quoted"),
        ("1. first", "1\\. first"),
        ("- item", "\\- item"),
        ("two\n\nlines", "two lines"),
        ("[click](https://evil.example)", "\\[click](https://evil.example)"),
    ],
)
def test_escape_makes_markdown_in_article_text_inert(text: str, escaped: str) -> None:
    assert escape(text) == escaped


def test_clip_cuts_at_a_word_break_and_marks_the_cut() -> None:
    assert clip("short", 10) == "short"
    assert clip("one two three four", 12) == "one two…"
    assert len(clip("x" * 50, 10)) == 10


@pytest.mark.parametrize(
    ("url", "sentence", "linked"),
    [
        (
            "https://e.example/a",
            "Troops go to Romania.",
            "https://e.example/a#:~:text=Troops%20go%20to%20Romania.",
        ),
        (
            "https://e.example/a#top",
            "A well-armed force, 1,000 strong & more, went to Romania on Wednesday night.",
            "https://e.example/a#top:~:text=A%20well%2Darmed%20force%2C%201%2C000,"
            "Romania%20on%20Wednesday%20night.",
        ),
        ("ftp://e.example/a", "Troops.", "ftp://e.example/a"),
        ("", "Troops.", ""),
        ("https://e.example/a#:~:text=x", "Troops.", "https://e.example/a#:~:text=x"),
    ],
)
def test_deep_link_points_at_the_quoted_words_where_the_url_allows(
    url: str, sentence: str, linked: str
) -> None:
    assert deep_link(url, sentence) == linked


def test_a_quote_block_bolds_the_answer_underlines_its_matches_and_links_its_source() -> None:
    block = quote_block(QUOTE, 1000)
    assert block.splitlines() == [
        "> He spoke. **1,000 __troops__ go to __Romania__.**",
        "— [The Moscow Times · 2022-02-02 · Troops sent]"
        "(https://mt.example/a#:~:text=1%2C000%20troops%20go%20to%20Romania.)",
        "also reported by World Socialist Web Site",
    ]


def test_matched_words_in_the_context_are_bold() -> None:
    quote = Quote("Troops went. Then more.", (13, 23), ((0, 6),), MT, 1.0)
    assert quote_block(quote, 1000).startswith("> **Troops** went. **Then more.**\n")


@pytest.mark.parametrize("room", [200, 400, 1000])
def test_a_huge_quote_is_cut_to_its_room_keeping_the_answer_start(room: int) -> None:
    block = quote_block(huge_quote(1), room)
    assert len(block) <= room
    assert block.startswith("> **Answer 1 says \\~\\~struck\\~\\~")
    assert "…**" in block


@pytest.mark.parametrize("room", [300, 1300, 4000])
def test_a_markdown_heavy_sentence_keeps_most_of_its_room(room: int) -> None:
    sentence = " ".join(["**Troops** _went_ to ||Romania|| *again*"] * 500)
    marks = tuple((start, start + 6) for start in range(2, len(sentence), 41))
    quote = Quote(sentence, (0, len(sentence)), marks, WSWS, 1.0)
    block = quote_block(quote, room)
    assert 0.8 * room <= len(block) <= room
    assert block.startswith("> **\\*\\*__Troops__\\*\\* \\_went\\_ to \\|\\|Romania")


@pytest.mark.parametrize("per_page", [1, 3, 10])
def test_an_answer_page_fits_discord_limits_however_big_the_quotes(per_page: int) -> None:
    answer = Answer("q", tuple(huge_quote(number) for number in range(12)))
    page = answer_page(answer, 0, per_page)
    assert_within_limits(page.embed)
    assert page.next_offset == per_page
    assert page.embed.title == (f"Quotes 1–{per_page} of 12" if per_page > 1 else "Quote 1 of 12")
    assert page.embed.description is not None
    assert page.embed.description.count("\n\n> ") == per_page - 1


def test_a_caveat_comes_first_on_every_page_and_with_no_answer() -> None:
    notice = "Answers may be incomplete: search shard 127.0.0.1:7801 is down."
    answer = Answer("q", tuple(huge_quote(number) for number in range(4)), notice=notice)
    for start in (0, 3):
        page = answer_page(answer, start, 3)
        assert_within_limits(page.embed)
        assert page.embed.description is not None
        assert page.embed.description.startswith(f"*{notice}*\n\n> ")
    assert no_answer_content(Answer("q", (), notice=notice)).startswith(f"> q\n*{notice}*\n")


def test_the_last_page_of_an_answer_has_no_next(seed_index: SearchIndex) -> None:
    answer = answer_question(seed_index, "How many troops went to Romania?")
    last = answer_page(answer, 3, 3)
    assert last.next_offset is None
    assert last.embed.title == f"Quotes 4–{len(answer.quotes)} of {len(answer.quotes)}"
    assert last.embed.footer.text == "Asked: How many troops went to Romania?"
    assert_within_limits(last.embed)


def test_a_page_of_one_quote_is_titled_by_its_number() -> None:
    answer = Answer("q", (QUOTE,) * 4)
    assert answer_page(answer, 3, 3).embed.title == "Quote 4 of 4"
    assert answer_page(answer, 1, 3).embed.title == "Quotes 2–4 of 4"


def test_a_single_quote_needs_no_numbering() -> None:
    assert answer_page(Answer("q", (QUOTE,)), 0, 3).embed.title == "From the articles"


def test_no_answer_echoes_the_question_escaped_and_within_limits() -> None:
    content = no_answer_content(Answer("**Atlantis**\n# capital?" + "?" * 5000, (), ("Athens",)))
    assert content.startswith("> \\*\\*Atlantis\\*\\* # capital?")
    assert content.endswith("Did you mean Athens?")
    assert len(content) <= CONTENT_LIMIT


def test_sources_pages_are_numbered_clamped_and_within_limits() -> None:
    infos = [
        SourceInfo(Source(f"{n}.txt", "Title " * 60, "Outlet", "", "2024-01-01", LONG_URL), n)
        for n in range(25)
    ]
    pages = [sources_page(infos, page) for page in (-1, 0, 1, 2, 99)]
    assert [shown.page for shown in pages] == [0, 0, 1, 2, 2]
    assert {shown.pages for shown in pages} == {3}
    for shown in pages:
        assert_within_limits(shown.embed)
    assert pages[2].embed.description is not None
    assert pages[2].embed.description.startswith(f"**{SOURCES_PER_PAGE + 1}.** Title Title")
    assert pages[4].embed.footer.text == "Page 3 of 3 · 25 articles"


def test_an_empty_index_lists_no_articles() -> None:
    assert sources_page([], 0).embed.description == "The index holds no articles."


def test_a_reindex_report_names_what_changed_within_limits() -> None:
    names = tuple(f"article_{n:04}.txt" for n in range(2000))
    report = ReindexReport(names, (), ("x_1.md",), 2000, 123456, 2.345, ("Skipped *bad*.txt",))
    embed = report_embed(report)
    assert_within_limits(embed)
    values = {field.name: field.value for field in embed.fields}
    assert values["Removed (0)"] == "none"
    assert values["Changed (1)"] == "x\\_1.md"
    assert values["Passages"] == "123,456"
    assert values["Time"] == "2.3 s"
    assert values["Warnings (1)"] == "Skipped \\*bad\\*.txt"


def test_progress_reads_as_a_stage_and_a_share() -> None:
    assert progress_text(Progress("analysing", 3, 12)) == "Reindexing… analysing 3/12 (25%)"
