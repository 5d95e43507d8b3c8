"""The news feeds the bot follows, and the poller that adds their new articles.

The list is CITEBOT_FEEDS plus the feeds ``citebot feeds add`` keeps in the data folder.
Every ``feed_minutes`` a background thread reads each feed (bytes from the one web
client, parsed by feedparser), fetches the entries not yet in the corpus as a link is
(``bot.pages``) and, when any is new, saves them into the shared corpus and rebuilds
once under the same lock and atomic swap as /reindex: questions keep being answered
from the index before it. A feed or page that fails is logged and noted in the feeds'
status (``citebot feeds list``), and the others go on.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass

from bot.config import Settings
from bot.pages import AlreadyIndexed, Known, known_articles, page_upload, web_client
from bot.provenance import now, write_json
from bot.service import ReindexReport, Service, Upload
from index.errors import CitebotError
from index.ingest.feeds import read_feed
from index.ingest.web import FetchError

log = logging.getLogger(__name__)

FEEDS_FILE = "feeds.json"
STATUS_FILE = "feeds-status.json"


@dataclass(frozen=True)
class FeedStatus:
    """How a feed's last poll went, for the moderators."""

    url: str
    checked: str
    """When, as ``YYYY-MM-DD HH:MM UTC``."""
    added: int = 0
    problem: str = ""
    """Why the feed could not be read; "" when it was."""
    failed_pages: tuple[str, ...] = ()
    """A line per entry whose page could not be added."""

    @property
    def ok(self) -> bool:
        return not self.problem and not self.failed_pages


def followed_feeds(settings: Settings) -> list[str]:
    """Every feed to poll: CITEBOT_FEEDS first, then those added with ``citebot feeds add``."""
    return list(dict.fromkeys([*settings.feeds, *_added_feeds(settings)]))


def add_feed(settings: Settings, url: str) -> str:
    """Follow ``url`` from the next poll on; says what was done."""
    if not url.startswith(("http://", "https://")):
        raise CitebotError(f"{url!r} is not an http:// or https:// address.")
    if url in followed_feeds(settings):
        return f"Already following {url}."
    write_json(settings.data_dir / FEEDS_FILE, [*_added_feeds(settings), url])
    return f"Following {url}; its new articles are added at the next poll."


def remove_feed(settings: Settings, url: str) -> str:
    """Stop following ``url`` (its articles stay in the corpus); says what was done."""
    added = _added_feeds(settings)
    if url in added:
        write_json(settings.data_dir / FEEDS_FILE, [feed for feed in added if feed != url])
        return f"Stopped following {url}; the articles it brought stay in the corpus."
    if url in settings.feeds:
        raise CitebotError(f"{url} is listed in CITEBOT_FEEDS; take it out there.")
    raise CitebotError(f"Not following {url}; `citebot feeds list` shows the feeds.")


def feed_statuses(settings: Settings) -> dict[str, FeedStatus]:
    """Each feed's last poll, by address ({} before the first)."""
    try:
        table = json.loads((settings.data_dir / STATUS_FILE).read_text(encoding="utf-8"))
        return {
            url: FeedStatus(**{**entry, "failed_pages": tuple(entry.get("failed_pages", ()))})
            for url, entry in table.items()
        }
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def feed_lines(settings: Settings) -> list[str]:
    """A line per followed feed with its last poll, and a line per page that failed."""
    feeds, statuses = followed_feeds(settings), feed_statuses(settings)
    if not feeds:
        return ["No feeds followed; set CITEBOT_FEEDS or use `citebot feeds add URL`."]
    lines = []
    for url in feeds:
        status = statuses.get(url)
        if status is None:
            lines.append(f"{url}: not polled yet")
            continue
        state = f"failed: {status.problem}" if status.problem else f"{status.added} added"
        lines.append(f"{url}: polled {status.checked}, {state}")
        lines += [f"  page failed: {problem}" for problem in status.failed_pages]
    return lines


def _added_feeds(settings: Settings) -> list[str]:
    try:
        listed = json.loads((settings.data_dir / FEEDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(url) for url in listed] if isinstance(listed, list) else []


class FeedPoller:
    """Polls the followed feeds into the shared corpus, now (``poll``) or every
    ``feed_minutes`` in a background thread (``start``)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.settings = service.settings
        self._client = web_client(service.settings)
        self._stop = threading.Event()
        self._seen: set[str] = set()
        """Entry links already added or found to be a copy, not fetched again."""

    def start(self) -> None:
        """Poll now and then every ``feed_minutes`` in a daemon thread (a feed added with
        ``citebot feeds add`` meanwhile is read at the next poll)."""
        threading.Thread(target=self._run, daemon=True, name="feeds").start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # a poll that breaks must not end the polling
                log.exception("polling the feeds failed")
            if not self.settings.feed_minutes or self._stop.wait(self.settings.feed_minutes * 60):
                return

    def poll(self) -> ReindexReport | None:
        """Read every feed once and add the new entries' articles; the rebuild's report,
        or None when no feed had anything new."""
        feeds = followed_feeds(self.settings)
        if not feeds:
            return None
        service = self.service
        known = known_articles(service)
        uploads: list[Upload] = []
        statuses = feed_statuses(self.settings)
        for feed in feeds:
            found, status = self._poll_feed(feed, known)
            uploads += found
            statuses[feed] = status
        report = service.add_to_shared(uploads) if uploads else None
        table = {url: asdict(status) for url, status in statuses.items()}
        write_json(self.settings.data_dir / STATUS_FILE, table)
        if report is not None:
            log.info("feeds: added %s", ", ".join(report.added) or "nothing new")
        return report

    def _poll_feed(self, feed: str, known: Known) -> tuple[list[Upload], FeedStatus]:
        try:
            entries = read_feed(self._client.get(feed).data)
        except (FetchError, ValueError) as error:
            log.warning("feed %s: %s", feed, error)
            return [], FeedStatus(feed, now(), problem=str(error))
        uploads: list[Upload] = []
        failed: list[str] = []
        for entry in entries:
            if entry.link in self._seen:
                continue
            try:
                uploads.append(page_upload(self._client, entry.link, known, feed=feed))
            except AlreadyIndexed:
                pass
            except CitebotError as error:
                log.warning("feed %s: %s", feed, error)
                failed.append(str(error))
                continue
            self._seen.add(entry.link)
        return uploads, FeedStatus(feed, now(), len(uploads), failed_pages=tuple(failed))
