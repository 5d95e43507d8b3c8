"""A link -> an article file to add: fetched by the one web client, read by trafilatura,
named after its title, refused when the corpus already holds it.

The same for a moderator's ``/reindex url:`` or ``citebot add`` and for a feed's entries,
so both are deduplicated alike: by address (the one asked for, the one redirected to and
the page's canonical one) and by the fingerprint of the article's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.provenance import Provenance, now
from bot.service import ArticleRejected, ReindexReport, Service, Upload
from index.corpus import fingerprint
from index.ingest.html import read_page, with_saved_from
from index.ingest.web import WebClient
from index.progress import ProgressCallback

_PAGE_TYPES = ("text/html", "application/xhtml+xml", "")
_NAME_WORDS = 10


class AlreadyIndexed(ArticleRejected):
    """The page is an article the corpus already holds; nothing is added."""


@dataclass
class Known:
    """What a corpus folder already holds: article names, addresses and text fingerprints."""

    names: set[str] = field(default_factory=set)
    urls: dict[str, str] = field(default_factory=dict)
    """Address -> the article it gave."""
    texts: dict[str, str] = field(default_factory=dict)
    """Text fingerprint -> the article with that text."""

    def add(self, name: str, urls: Iterable[str], text: str = "") -> None:
        self.names.add(name)
        self.urls.update((url, name) for url in urls if url)
        if text:
            self.texts[text] = name


def add_page(
    service: Service,
    url: str,
    by: str,
    progress: ProgressCallback | None = None,
    guild: int | None = None,
) -> ReindexReport:
    """Fetch the article at ``url`` and add it as an upload to ``guild``'s library (None:
    the shared corpus) would be, recording who added it; errors as ``page_upload``'s."""
    known = known_articles(service, guild)
    upload = page_upload(web_client(service.settings), url, known, by=by)
    return service.reindex(progress, upload, guild)


def known_articles(service: Service, guild: int | None = None) -> Known:
    """What server ``guild`` (None: the shared corpus) is answered from and the files of
    the folder its new articles go to, so a new name is free."""
    known = Known()
    for info in service.sources(guild):
        known.add(info.source.doc, [info.source.url])
    for name, origin in service.provenance(guild).items():
        known.add(name, [origin.url], origin.text)
    folder = service.articles_folder(guild)
    if folder.is_dir():
        known.names.update(path.name for path in folder.iterdir())
    return known


def web_client(settings: Settings) -> WebClient:
    """The fetching client the settings describe."""
    return WebClient(
        timeout=settings.fetch_timeout,
        max_bytes=settings.fetch_max_bytes,
        allow_private=settings.fetch_private,
    )


def page_upload(
    client: WebClient, url: str, known: Known, *, by: str = "", feed: str = ""
) -> Upload:
    """Fetch ``url`` and make it an article to add (the page, noted with its address);
    FetchError when it cannot be fetched, ArticleRejected when it is no article,
    AlreadyIndexed when ``known`` holds it. ``known`` then holds it too."""
    if url in known.urls:
        raise AlreadyIndexed(f"{url} is already in the corpus as {known.urls[url]}.")
    fetched = client.get(url)
    kind = fetched.content_type.split(";")[0].strip().lower()
    if kind not in _PAGE_TYPES:
        raise ArticleRejected(f"{fetched.url} is {kind}, not a web page; nothing was added.")
    try:
        page = read_page(fetched.data)
    except ValueError as error:
        raise ArticleRejected(f"{fetched.url}: {error}; nothing was added.") from None
    text = fingerprint(page.text.encode())
    addresses = [url, fetched.url, page.url]
    for seen in [*(known.urls.get(address) for address in addresses), known.texts.get(text)]:
        if seen:
            raise AlreadyIndexed(f"{fetched.url} is already in the corpus as {seen}.")
    name = _free_name(page.title or fetched.url, known.names)
    known.add(name, addresses, text)
    origin = Provenance(added=now(), url=fetched.url, by=by, feed=feed, text=text)
    return Upload(name, with_saved_from(fetched.data, fetched.url), origin=origin)


def _free_name(title: str, taken: set[str]) -> str:
    """``harbour-bridge-to-close-for-six-weeks.html`` from the title, numbered when taken."""
    words = re.findall(r"[^\W_]+", title.lower())[:_NAME_WORDS]
    stem = "-".join(words)[:80].strip("-") or "page"
    name, number = f"{stem}.html", 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}.html"
    return name
