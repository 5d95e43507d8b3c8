"""citebot's answering core: articles in, quoted and sourced answers out; knows no Discord."""

from index.answer import MAX_QUESTION_CHARACTERS, answer_question
from index.errors import CitebotError, CorpusError, IndexFormatError, QuestionError
from index.models import Answer, Document, Hit, Passage, Quote, Source, Span
from index.progress import Progress, ProgressCallback
from index.store import SearchIndex, open_index

__all__ = [
    "MAX_QUESTION_CHARACTERS",
    "Answer",
    "CitebotError",
    "CorpusError",
    "Document",
    "Hit",
    "IndexFormatError",
    "Passage",
    "Progress",
    "ProgressCallback",
    "Quote",
    "QuestionError",
    "SearchIndex",
    "Source",
    "Span",
    "answer_question",
    "open_index",
]
