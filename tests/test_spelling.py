"""Close spellings are exactly difflib's, found without comparing every word in Python."""

from __future__ import annotations

import difflib
import random

import pytest

from index.spelling import Spellings


def _words(count: int, seed: int) -> list[str]:
    """Words over few letters (many near neighbours, repeated letters), some accented."""
    chosen = random.Random(seed)
    return [
        "".join(chosen.choice("aabcdeéiorst") for _ in range(chosen.randint(1, 12)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("cutoff", [0.6, 0.8])
def test_close_spellings_are_difflibs_own(cutoff: float) -> None:
    vocabulary = list(dict.fromkeys(_words(3000, seed=1)))
    spellings = Spellings(vocabulary)
    for word in _words(300, seed=2):
        same_initial = [known for known in vocabulary if known[0] == word[0]]
        expected = difflib.get_close_matches(word, same_initial, n=5, cutoff=cutoff)
        assert [close for close, _ in spellings.close(word, cutoff=cutoff)] == expected


def test_the_first_spelling_of_a_word_is_the_one_suggested() -> None:
    spellings = Spellings(["Romania", "ROMANIA", "romanian"])
    assert spellings.close("Romnia") == [("romania", "Romania"), ("romanian", "romanian")]


@pytest.mark.parametrize("word", ["", "zebra"])
def test_a_word_without_known_words_of_its_initial_has_no_close_spellings(word: str) -> None:
    assert Spellings(["Romania", "Poland"]).close(word) == []
