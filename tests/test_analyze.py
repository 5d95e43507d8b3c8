"""Analysis: the same word or number written differently becomes the same term."""

from __future__ import annotations

import sys

import pytest

from index.analyze import analyze, normalize, spans_of_terms, term_spans


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("1,000 soldiers", "1000 soldier"),
        ("8,500 troops", "8500 troop"),
        ("deploying", "deploy"),
        ("troops", "troop"),
        ("The U.S. sent", "the US send"),
        ("Ukraine’s", "Ukraine's"),
        ("“Horrific”", '"horrific"'),
        ("ＮＡＴＯ", "NATO"),
        ("went", "go"),
        ("Crimean", "Crimea"),
        ("Romanian", "Romania"),
    ],
)
def test_forms_of_the_same_word_analyse_alike(one: str, other: str) -> None:
    assert analyze(one) == analyze(other)
    assert analyze(one)


def test_question_words_do_not_drown_content_words() -> None:
    assert analyze("How many troops went to Romania?") == ["troop", "go", "romania"]
    assert analyze("What did he say, and when did they tell us?") == ["us"]


def test_numbers_stay_distinct() -> None:
    assert analyze("1,000") != analyze("100")
    assert analyze("3,000 troops")[0] == "3000"


@pytest.mark.parametrize(
    "text",
    [
        "Defensive ends Derek Wolfe and Malik Jackson each had 5½ sacks.",
        "The U.S. sent 1,000 troops, Kirby’s office said: “deploying now”.",
        "ＮＡＴＯ allies met in Brussels.",
        "Ukraine's army and the Crimean bridge",
    ],
)
def test_spans_found_from_the_indexed_terms_are_those_of_analysis(text: str) -> None:
    """Quotes are marked from their stored terms; where normalisation changes the words
    ("5½" is indexed as "51⁄2"), the text is analysed again instead."""
    assert list(spans_of_terms(text, analyze(text))) == list(term_spans(text))


def test_normalisation_can_change_the_words_of_a_text() -> None:
    """Why spans_of_terms checks normalisation: the count of words can stay the same."""
    text = "each had 5½ sacks"
    assert normalize(text) != text
    assert analyze(text) != [term for term, _ in term_spans(text)]
    assert len(analyze(text)) == len(list(term_spans(text)))


def test_analysis_needs_no_downloaded_nltk_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Punkt and stopwords must work on a machine that has never run nltk.download."""
    import nltk

    def refuse(*args: object, **kwargs: object) -> bool:
        raise AssertionError("nltk.download must not be called")

    monkeypatch.setattr(nltk, "download", refuse)
    monkeypatch.setattr(nltk.data, "path", [])
    from index.sentences import SentenceSplitter

    splitter = SentenceSplitter.train(["Mr. Smith met Gen. Jones. They talked for an hour."])
    assert len(splitter.spans("The U.S. sent troops. Russia objected.")) == 2
    assert analyze("the soldiers were deploying") == ["soldier", "deploy"]


def test_the_core_does_not_import_discord() -> None:
    import subprocess

    code = "import index, index.answer, index.store, sys; print('discord' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
