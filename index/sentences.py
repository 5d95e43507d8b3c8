"""Sentence boundaries with nltk's Punkt, trained on the corpus itself: no download needed.

Punkt learns abbreviations, collocations and sentence starters from raw text; a short
list of abbreviations common in news seeds it so a small corpus splits well too.
The learned parameters are plain data, stored with the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

from index.models import Span

_NEWS_ABBREVIATIONS = frozenset(
    """
    u.s u.k u.n e.u mr mrs ms dr prof gen lt col maj capt sgt adm sen rep gov pres st
    jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd jr sr vs etc no
    """.split()
)
_TRAINING_CHARACTERS = 500_000
"""Punkt's statistics settle well before this (a few hundred articles); training on
more costs seconds per extra megabyte and changes nothing a reader would notice."""


class SentenceSplitter:
    """Splits passages into sentences with parameters learned from one corpus."""

    def __init__(self, parameters: PunktParameters) -> None:
        self._parameters = parameters
        self._tokenizer = PunktSentenceTokenizer(parameters)

    @classmethod
    def train(cls, texts: Sequence[str]) -> SentenceSplitter:
        """Learn from the corpus, or an even sample of a big one, on top of the news
        abbreviations."""
        trainer = PunktTrainer()
        trainer.INCLUDE_ALL_COLLOCS = True
        step = max(1, round(sum(map(len, texts)) / _TRAINING_CHARACTERS))
        trainer.train("\n\n".join(texts[::step]), finalize=True)
        parameters = trainer.get_params()
        parameters.abbrev_types.update(_NEWS_ABBREVIATIONS)
        return cls(parameters)

    def spans(self, text: str) -> tuple[Span, ...]:
        """Character spans of the sentences of ``text``."""
        return tuple(self._tokenizer.span_tokenize(text))

    def to_data(self) -> dict[str, Any]:
        """The learned parameters as JSON-ready data."""
        parameters = self._parameters
        return {
            "abbreviations": sorted(parameters.abbrev_types),
            "collocations": sorted([list(pair) for pair in parameters.collocations]),
            "sentence_starters": sorted(parameters.sent_starters),
            "orthographic_context": dict(sorted(parameters.ortho_context.items())),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SentenceSplitter:
        """Rebuild a splitter from ``to_data`` output."""
        parameters = PunktParameters()
        parameters.abbrev_types = set(data["abbreviations"])
        parameters.collocations = {tuple(pair) for pair in data["collocations"]}
        parameters.sent_starters = set(data["sentence_starters"])
        for word, flags in data["orthographic_context"].items():
            parameters.ortho_context[word] = int(flags)
        return cls(parameters)
