"""Text -> index terms: normalise, tokenise, unify numbers, drop stopwords, stem.

The same function analyses passages and questions, so both meet on equal terms.
Nothing here needs downloaded data: the stemmer is nltk's Snowball (pure code) and the
stopword list is our own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

from nltk.stem.snowball import SnowballStemmer

from index.models import Span

ANALYSIS_VERSION = 4
"""Bump whenever terms change, so stored indexes are rebuilt."""

_TRANSLATE = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
    }
)
_TOKEN = re.compile(
    r"(?P<acronym>\b(?:[A-Za-z]\.){2,})"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*)"
)
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")

# Function words, plus the words questions are built from ("how many", "which", "did"),
# which would otherwise outweigh the content words of short questions.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just let many me more most much my myself no nor not now
    of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom
    whose why will with would you your yours yourself yourselves s t d ll m re ve
    tell told say says said according like mr ms mrs
    """.split()
)

# Irregular past forms the stemmer cannot reach ("held" -> "hold"): a question in the
# present tense then meets an article in the past tense.
_IRREGULAR = {
    past: base
    for base, forms in (
        ("become", "became"),
        ("begin", "began begun"),
        ("break", "broke broken"),
        ("bring", "brought"),
        ("build", "built"),
        ("buy", "bought"),
        ("catch", "caught"),
        ("choose", "chose chosen"),
        ("come", "came"),
        ("deal", "dealt"),
        ("do", "did done"),
        ("draw", "drew drawn"),
        ("drive", "drove driven"),
        ("eat", "ate eaten"),
        ("fall", "fell fallen"),
        ("feed", "fed"),
        ("feel", "felt"),
        ("fight", "fought"),
        ("find", "found"),
        ("flee", "fled"),
        ("fly", "flew flown"),
        ("forget", "forgot forgotten"),
        ("freeze", "froze frozen"),
        ("get", "got gotten"),
        ("give", "gave given"),
        ("go", "went gone"),
        ("grow", "grew grown"),
        ("hang", "hung"),
        ("hear", "heard"),
        ("hide", "hid hidden"),
        ("hold", "held"),
        ("keep", "kept"),
        ("know", "knew known"),
        ("lead", "led"),
        ("leave", "left"),
        ("lend", "lent"),
        ("lose", "lost"),
        ("make", "made"),
        ("mean", "meant"),
        ("meet", "met"),
        ("pay", "paid"),
        ("ride", "rode ridden"),
        ("rise", "rose risen"),
        ("run", "ran"),
        ("see", "saw seen"),
        ("seek", "sought"),
        ("sell", "sold"),
        ("send", "sent"),
        ("shake", "shook shaken"),
        ("shoot", "shot"),
        ("sing", "sang sung"),
        ("sink", "sank sunk"),
        ("sleep", "slept"),
        ("speak", "spoke spoken"),
        ("spend", "spent"),
        ("stand", "stood"),
        ("steal", "stole stolen"),
        ("stick", "stuck"),
        ("strike", "struck"),
        ("swear", "swore sworn"),
        ("sweep", "swept"),
        ("take", "took taken"),
        ("teach", "taught"),
        ("tear", "tore torn"),
        ("think", "thought"),
        ("throw", "threw thrown"),
        ("understand", "understood"),
        ("wear", "wore worn"),
        ("win", "won"),
        ("withdraw", "withdrew withdrawn"),
        ("write", "wrote written"),
    )
    for past in forms.split()
}

_DEMONYM = re.compile(r"(?<=\w{3})(?:ia|ea)n$")
"""Place adjectives made by adding -n: Crimean -> Crimea, Russian -> Russia."""
_stemmer = SnowballStemmer("english", ignore_stopwords=False)
_word_terms: dict[str, str | None] = {}
"""Each word token as written -> its term (None for a stopword), memoised: corpora and
the quotes an answer highlights repeat words a lot."""
_WORDS_REMEMBERED = 1_000_000
"""Bound of ``_word_terms`` (~100 MB): a huge corpus's long tail starts it afresh."""


def normalize(text: str) -> str:
    """Unicode NFKC with typographic quotes and dashes made plain."""
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def _stem(word: str) -> str:
    """Snowball stem of a lowercased word, after irregular forms and demonyms."""
    base = _IRREGULAR.get(word) or _DEMONYM.sub(lambda m: m.group()[:-1], word)
    return _stemmer.stem(base)


def _word_term(token: str) -> str | None:
    lowered = token.lower().removesuffix("'s")
    return None if lowered in STOPWORDS else _stem(lowered.replace("'", ""))


def _is_content(token: str) -> bool:
    """Whether a word token yields a term (``_word_term`` is not None)."""
    return token.lower().removesuffix("'s") not in STOPWORDS


def _canonical(match: re.Match[str]) -> str | None:
    """The term for one token match, or None when it carries no content."""
    kind = match.lastgroup
    token = match.group()
    if kind == "number":
        token = token.replace(",", "") if _THOUSANDS.match(token) else token.rstrip(".,")
        return token
    if kind == "acronym":
        return token.replace(".", "").lower()
    try:
        return _word_terms[token]
    except KeyError:
        if len(_word_terms) >= _WORDS_REMEMBERED:
            _word_terms.clear()
        term = _word_terms[token] = _word_term(token)
        return term


def spans_of_terms(text: str, terms: Sequence[str]) -> Iterable[tuple[str, Span]]:
    """``term_spans(text)``, given ``terms`` = ``analyze(text)`` as the index stored them:
    only the stopwords need finding, not the stems, when normalisation leaves the text as
    it is (NFKC turns "5½" into "51⁄2", other words than the text's own)."""
    if unicodedata.is_normalized("NFKC", text):
        spans = [
            match.span()
            for match in _TOKEN.finditer(text.translate(_TRANSLATE))
            if match.lastgroup != "word" or _is_content(match.group())
        ]
        if len(spans) == len(terms):
            return zip(terms, spans, strict=True)
    return term_spans(text)


def term_spans(text: str) -> Iterator[tuple[str, Span]]:
    """Each content term of ``text`` with where it stands, for highlighting.

    NFKC can change lengths, so spans are found on a length-preserving translation.
    """
    for match in _TOKEN.finditer(text.translate(_TRANSLATE)):
        term = _canonical(match)
        if term is not None:
            yield term, match.span()


def analyze(text: str) -> list[str]:
    """The index terms of ``text``, in order, repeats kept (BM25 counts them)."""
    return [term for term, _ in term_spans(normalize(text))]


def is_number(term: str) -> bool:
    """Whether a term is a number, as questions asking "how many" want."""
    return term[:1].isdigit()
