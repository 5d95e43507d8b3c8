"""Close spellings of a word among the corpus's words, as ``difflib`` finds them, fast.

``difflib.get_close_matches`` compares the word with every candidate in Python; over the
~1,000 words that share an initial in squad-wiki that took ~12 ms a misspelt word, and a
100,000-word vocabulary takes far longer. Its cheap upper bound on the similarity (letters
in common, ignoring order) is computed here for all words of an initial at once with numpy,
and only the words that pass it are compared exactly, so the answer is difflib's own.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

import numpy as np
import numpy.typing as npt

_Counts = npt.NDArray[np.int32]


@dataclass(frozen=True)
class _Initial:
    """The words of one initial letter and how often each letter occurs in each."""

    words: list[str]

    @cached_property
    def lengths(self) -> _Counts:
        return np.array([len(word) for word in self.words], np.int32)

    @cached_property
    def letter_counts(self) -> dict[str, _Counts]:
        counts: dict[str, _Counts] = {}
        for number, word in enumerate(self.words):
            for letter in set(word):
                if letter not in counts:
                    counts[letter] = np.zeros(len(self.words), np.int32)
                counts[letter][number] = word.count(letter)
        return counts

    def passing(self, word: str, cutoff: float) -> list[str]:
        """The words whose similarity bounds (length, then letters in common) reach
        ``cutoff``: difflib's ``real_quick_ratio`` and ``quick_ratio``, for all at once."""
        total = self.lengths + len(word)
        shortest = np.minimum(self.lengths, len(word))
        common = np.zeros(len(self.words), np.int32)
        for letter in set(word):
            column = self.letter_counts.get(letter)
            if column is not None:
                common += np.minimum(column, word.count(letter))
        bound = (2.0 * shortest / total >= cutoff) & (2.0 * common / total >= cutoff)
        return [self.words[number] for number in np.flatnonzero(bound).tolist()]


class Spellings:
    """The corpus's words by initial, lowercase to the spelling shown ("romania" → "Romania");
    the first spelling given for a lowercase form is kept."""

    def __init__(self, words: Iterable[str]) -> None:
        by_initial: dict[str, dict[str, str]] = {}
        for word in words:
            lowered = word.lower()
            by_initial.setdefault(lowered[0], {}).setdefault(lowered, word)
        self._spelled = by_initial
        self._initials = {
            initial: _Initial(list(spelled)) for initial, spelled in by_initial.items()
        }

    def close(self, word: str, n: int = 5, cutoff: float = 0.8) -> list[tuple[str, str]]:
        """Up to ``n`` (lowercase, spelling) pairs of the words sharing ``word``'s initial,
        most similar first: exactly ``difflib.get_close_matches(word, those words, n, cutoff)``."""
        lowered = word.lower()
        initial = self._initials.get(lowered[:1])
        if initial is None:
            return []
        matcher = SequenceMatcher()
        matcher.set_seq2(lowered)
        scored = []
        for candidate in initial.passing(lowered, cutoff):
            matcher.set_seq1(candidate)
            if (similarity := matcher.ratio()) >= cutoff:
                scored.append((similarity, candidate))
        spelled = self._spelled[lowered[0]]
        return [(candidate, spelled[candidate]) for _, candidate in heapq.nlargest(n, scored)]
