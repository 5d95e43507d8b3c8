"""The few exception types the core raises; their messages say what to do."""


class CitebotError(Exception):
    """Base class: anything the edges may show to a person as one line."""


class CorpusError(CitebotError):
    """The corpus folder cannot be indexed (missing, empty, nothing readable)."""


class IndexFormatError(CitebotError):
    """A persisted index is corrupt, stale or from another version; rebuild it."""


class QuestionError(CitebotError):
    """The question cannot be answered as asked (empty, too long)."""
