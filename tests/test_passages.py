"""Passages: paragraphs a reader can quote, repaired, without boilerplate."""

from __future__ import annotations

from index import SearchIndex
from index.corpus import parse_article
from index.passages import passage_texts


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
