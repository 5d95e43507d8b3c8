"""Passages: paragraphs a reader can quote, repaired, without boilerplate."""

from __future__ import annotations

import pytest

from index import Document, SearchIndex, Source
from index.corpus import parse_article
from index.passages import passage_texts, plain_text


def passages_of(text: str) -> list[str]:
    return passage_texts(parse_article("article.md", text.encode()))


def all_passages(index: SearchIndex) -> list[str]:
    return [index.passage(number).text for number in range(index.passage_total)]


def test_a_paragraph_broken_by_a_blank_line_is_joined_again(seed_index: SearchIndex) -> None:
    joined = [text for text in all_passages(seed_index) if "more than an hour" in text]
    assert len(joined) == 1
    assert 'more than an hour that he had "no offensive plans."' in joined[0]
    assert not any(text.startswith("hour ") for text in all_passages(seed_index))


def test_boilerplate_stays_out_of_the_index(seed_index: SearchIndex) -> None:
    for text in all_passages(seed_index):
        assert "AP / TASS" not in text
        assert "(Source:" not in text
        assert not text.startswith("Related article")
        assert "Original url" not in text
        assert "contributed to this report" not in text
        assert "**" not in text and "](" not in text


def test_markdown_is_reduced_to_its_text() -> None:
    text = "# Title\n\nThe [Pentagon](https://a.example) said **about 3,000** troops _would_ go.\n"
    assert passages_of(text) == ["The Pentagon said about 3,000 troops would go."]


def test_short_headings_are_dropped_but_sentences_kept() -> None:
    text = "# Title\n\nWhat happens next\n\nOfficials met. They talked.\n\nNo.\n"
    assert passages_of(text) == ["Officials met. They talked.", "No."]


def test_sentences_split_without_breaking_abbreviations(seed_index: SearchIndex) -> None:
    split_at: list[str] = []
    for number in range(seed_index.passage_total):
        passage = seed_index.passage(number)
        assert passage.sentences[0][0] == 0 and passage.sentences[-1][1] == len(passage.text)
        split_at += [passage.text[:end].split()[-1] for _, end in passage.sentences[:-1]]
    assert split_at, "passages with several sentences are split"
    assert not {"U.S.", "Mr.", "Gen.", "Lt."} & set(split_at)


def body_passages(text: str) -> list[str]:
    """Passages of ``text`` taken as an article's body, with no header lines to consume."""
    return passage_texts(Document(Source("a.md", "A title"), text, "0"))


def test_a_markdown_table_becomes_a_sentence_a_row_naming_its_columns() -> None:
    text = (
        "The forces are spread as follows.\n\n"
        "| Country | Troops |\n|---|---:|\n| Poland | **1,700** |\n| Romania | 1,000 |\n"
    )
    assert body_passages(text) == [
        "The forces are spread as follows.",
        "Country: Poland; Troops: 1,700. Country: Romania; Troops: 1,000.",
    ]


def test_list_items_become_sentences() -> None:
    text = (
        "The plan has three parts:\n"
        "- 2,000 troops go to *Poland*\n"
        "- 1,000 cavalry move to Romania,\n  from Germany\n"
        "1. Jets stay on alert!\n"
    )
    assert body_passages(text) == [
        "The plan has three parts: 2,000 troops go to Poland. "
        "1,000 cavalry move to Romania, from Germany. Jets stay on alert!"
    ]


def test_a_blockquote_is_read_as_its_words() -> None:
    text = (
        "> “We are ready,” the general said.\n> > He did not say more.\n>\n> Nor did his staff.\n"
    )
    assert body_passages(text) == [
        "“We are ready,” the general said. He did not say more.",
        "Nor did his staff.",
    ]


def test_a_heading_line_on_top_of_a_paragraph_is_not_part_of_it() -> None:
    assert body_passages("## What happens next\nOfficials met on Monday.\n") == [
        "Officials met on Monday."
    ]


def test_horizontal_rules_are_not_text() -> None:
    assert body_passages("Troops left.\n\n---\n\n* * *\n\nThey arrived.\n") == [
        "Troops left.",
        "They arrived.",
    ]


@pytest.mark.parametrize(
    "paragraph",
    [
        "The Pentagon confirmed the deployment in a statement to the Associated Press (AP)",
        "More troops will follow next week, a spokesman told the French news agency (AFP).",
        "Officials in Warsaw welcomed the decision, according to a report (Reuters)",
        "By nominating Mr. Mattarella, the parties ended a week of deadlock in parliament.",
        "By 1954, all U.S. networks had regained control of their programming.",
        "By the late 19th century scientists realized that air could be liquefied.",
        "In all, the largest of the groups numbered **3,000**",
        "The new base was seen for the first time in pictures (satellite images)",
        "The convoy moved at a steady pace of about forty (km/h)",
    ],
)
def test_body_text_that_ends_in_a_credit_or_starts_with_by_is_kept(paragraph: str) -> None:
    opening = "Troops arrived in Poland on a cold Monday morning, officials said."
    text = plain_text(paragraph)
    assert body_passages(f"{paragraph}\n\n{opening}\n") == [text, opening]
    assert body_passages(f"{opening}\n\n{paragraph}\n") == [opening, text]


@pytest.mark.parametrize(
    "caption",
    [
        "Pentagon spokesman John Kirby. **AP / TASS**",
        "A tank drives at the Brestsky firing range, Belarus. (Source: Associated Press)",
        "Soldiers board a plane at Fort Bragg (AP Photo/Chris Seward)",
        "Troops at the base on Tuesday. (Reuters/Kacper Pempel)",
        "President Joe Biden speaks at the White House. (Getty Images)",
        "Paratroopers land near Rzeszow. (Photo: Jane Doe)",
        "Paratroopers land near Rzeszow. (AP Photo)",
        "The base in 2019. (File photo)",
        "Jets over the Baltic (AFP via Getty Images)",
    ],
)
def test_a_short_caption_ending_in_a_photo_credit_is_dropped(caption: str) -> None:
    body = "Troops arrived in Poland on a cold Monday morning, officials said."
    assert body_passages(f"{caption}\n\n{body}\n\n{caption}\n") == [body]


@pytest.mark.parametrize("byline", ["By Jane Doe", "By Jane Doe and John Roe, Reuters.", "BY AFP"])
def test_a_short_byline_at_the_head_is_dropped(byline: str) -> None:
    body = "Troops arrived in Poland on a cold Monday morning, officials said."
    caption = "A tank at the range. (AP Photo/Jane Doe)"
    assert body_passages(f"{byline}\n\n{body}\n") == [body]
    assert passages_of(f"# Title\n\n{caption}\n\n{byline}\n\n{body}\n") == [body]
