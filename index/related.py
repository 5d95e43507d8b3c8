"""Words news reports use interchangeably, so that a question's word also finds the
article's: "war" in a question, "conflict" in the quote.

Kept small and general on purpose: each group is a set of near-synonyms in news about
politics, diplomacy and the military, not a list fitted to particular questions.
"""

from __future__ import annotations

from index.analyze import analyze

_GROUPS = (
    "war conflict fighting hostilities combat",
    "troops soldiers forces personnel servicemembers",
    "send deploy dispatch",
    "invade invasion incursion offensive attack",
    "talks negotiations summit",
    "jets aircraft planes warplanes",
    "ships vessels warships frigates",
    "killed dead deaths died",
    "drills exercises manoeuvres maneuvers",
    "border frontier",
    "allies partners",
    "photos images pictures",
    "threat danger risk",
    "country nation",
    "aid assistance support help",
    "weapons arms",
)
RELATED_CREDIT = 0.3
"""How much a related word counts for, against the question's own word counting 1: enough
to lift a quote that says "conflict" for a question about "war", too little to beat one
that uses the question's own words."""


def _related() -> dict[str, frozenset[str]]:
    related: dict[str, frozenset[str]] = {}
    for group in _GROUPS:
        terms = frozenset(analyze(group))
        for term in terms:
            related[term] = related.get(term, frozenset()) | (terms - {term})
    return related


_RELATED = _related()


def related_terms(term: str) -> frozenset[str]:
    """The analysed terms that mean about the same as the analysed ``term``."""
    return _RELATED.get(term, frozenset())
