"""Links and feeds into the corpus: a page added by its address, feeds polled into the
running service (answerable without a restart), duplicates and failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings, settings_from
from bot.feeds import (
    FeedPoller,
    add_feed,
    feed_lines,
    feed_statuses,
    followed_feeds,
    remove_feed,
)
from bot.pages import AlreadyIndexed, add_page
from bot.service import Service
from index.errors import CitebotError
from index.ingest.feeds import read_feed
from index.ingest.web import FetchError
from web_server import WEB_DATA, WebServer

NOTE = "Town notes\n\nThe library on Quay Street opens at nine on weekdays.\n"
COST = "How much will the Harbour Bridge repairs cost?"
STEPS = "How many steps lead to the lamp room of the Skerry Point lighthouse?"


def settings_for(tmp_path: Path, **env: str) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "notes.txt").write_text(NOTE)
    values = {
        "CITEBOT_CORPUS": str(corpus),
        "CITEBOT_INDEX_PATH": str(tmp_path / "index"),
        "CITEBOT_DATA_DIR": str(tmp_path / "data"),
        "CITEBOT_FETCH_PRIVATE": "true",
        "CITEBOT_FETCH_TIMEOUT": "5",
    }
    return settings_from(values | env)


def quoted_doc(service: Service, question: str) -> str:
    answer = service.answer(question)
    return answer.quotes[0].source.doc if answer.answered else ""


def test_rss_and_atom_entries_are_read_from_bytes() -> None:
    rss = (WEB_DATA / "rss.xml").read_bytes().replace(b"{first}", b"https://a.example/1")
    atom = (WEB_DATA / "atom.xml").read_bytes().replace(b"{first}", b"https://b.example/2")
    assert [entry.link for entry in read_feed(rss)] == ["https://a.example/1"]
    assert [entry.title for entry in read_feed(atom)] == ["Old lighthouse reopens as a museum"]
    with pytest.raises(ValueError, match="not an RSS or Atom feed"):
        read_feed(b"<html><body>Not a feed</body></html>")


def test_a_feed_entry_appearing_between_two_polls_becomes_answerable(
    tmp_path: Path, web: WebServer
) -> None:
    bridge = web.page("/local/bridge", "harbour-bridge.html")
    lighthouse = web.page("/culture/lighthouse", "lighthouse.html")
    rss = web.feed("/rss", "rss.xml", {"first": bridge}, "application/rss+xml")
    atom = web.url("/atom")  # not there yet: a failing feed must not stop the other
    settings = settings_for(tmp_path, CITEBOT_FEEDS=f"{rss}, {atom}")
    service = Service.open(settings)
    poller = FeedPoller(service)

    first = poller.poll()
    assert first is not None and first.added == (
        "harbour-bridge-to-close-for-six-weeks-of-repairs.html",
    )
    assert quoted_doc(service, COST) == first.added[0]
    assert quoted_doc(service, STEPS) != "old-lighthouse-reopens-as-a-museum.html"
    status = feed_statuses(settings)
    assert status[rss].ok and status[rss].added == 1
    assert "answered 404" in status[atom].problem
    assert [line.split(": polled")[0] for line in feed_lines(settings)] == [rss, atom]

    web.feed("/atom", "atom.xml", {"first": lighthouse}, "application/atom+xml")
    second = poller.poll()
    assert second is not None and second.added == ("old-lighthouse-reopens-as-a-museum.html",)
    assert quoted_doc(service, STEPS) == "old-lighthouse-reopens-as-a-museum.html"
    assert [path for path, _ in web.requests].count("/local/bridge") == 1  # not fetched again
    assert feed_statuses(settings)[atom].ok

    origins = {info.source.doc: info for info in service.sources()}
    added = origins["old-lighthouse-reopens-as-a-museum.html"]
    assert added.source.outlet == "Northshore Gazette" and added.source.date == "2024-04-20"
    assert added.provenance is not None and added.provenance.feed == atom
    assert added.provenance.summary.endswith(f"from feed {atom}")
    assert poller.poll() is None  # nothing new: no rebuild


def test_a_link_is_added_once_by_address_canonical_address_or_text(
    tmp_path: Path, web: WebServer
) -> None:
    url = web.page("/local/bridge", "harbour-bridge.html")
    service = Service.open(settings_for(tmp_path))
    report = add_page(service, url, "alice")
    [name] = report.added
    saved = (service.settings.corpus_dir / name).read_bytes()
    assert saved.startswith(b"<!-- saved from url=") and url.encode() in saved[:200]
    info = next(info for info in service.sources() if info.source.doc == name)
    assert info.source.url == "https://news.example.com/local/2024/03/harbour-bridge-repairs"
    assert info.provenance is not None and info.provenance.by == "alice"

    copy = web.page("/amp/bridge", "harbour-bridge.html")  # same canonical address
    retold = web.url("/print/bridge")  # same text, no canonical address
    web.page("/print/bridge", "harbour-bridge.html")
    page = web.routes["/print/bridge"]
    page.body = page.body.replace(b'rel="canonical"', b'rel="bookmark"')
    for again in (url, copy, retold):
        with pytest.raises(AlreadyIndexed, match=f"already in the corpus as {name}"):
            add_page(service, again, "bob")
    assert len(service.sources()) == 2


def test_a_private_address_is_refused_when_not_allowed(tmp_path: Path, web: WebServer) -> None:
    service = Service.open(settings_for(tmp_path, CITEBOT_FETCH_PRIVATE="false"))
    with pytest.raises(FetchError, match="private, loopback or link-local"):
        add_page(service, web.page("/local/bridge", "harbour-bridge.html"), "alice")
    assert web.requests == [] and len(service.sources()) == 1


def test_a_page_that_is_not_an_article_is_refused(tmp_path: Path, web: WebServer) -> None:
    service = Service.open(settings_for(tmp_path))
    web.feed("/rss", "rss.xml", {}, "application/rss+xml")
    with pytest.raises(CitebotError, match="not a web page"):
        add_page(service, web.url("/rss"), "alice")


def test_citebot_add_fetches_and_indexes(
    tmp_path: Path,
    web: WebServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_for(tmp_path)
    monkeypatch.setenv("CITEBOT_FETCH_PRIVATE", "true")
    monkeypatch.setenv("CITEBOT_DATA_DIR", str(settings.data_dir))
    paths = ["--corpus", str(settings.corpus_dir), "--index-path", str(settings.index_path)]
    assert main(["add", web.page("/bridge", "harbour-bridge.html"), *paths]) == 0
    assert "harbour-bridge-to-close" in capsys.readouterr().out
    assert main(["add", web.url("/missing"), *paths]) == 1
    assert "answered 404" in capsys.readouterr().err


def test_feeds_are_added_listed_and_removed(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, CITEBOT_FEEDS="https://a.example/rss")
    assert "Following" in add_feed(settings, "https://b.example/atom")
    assert "Already" in add_feed(settings, "https://a.example/rss")
    assert followed_feeds(settings) == ["https://a.example/rss", "https://b.example/atom"]
    with pytest.raises(CitebotError, match="CITEBOT_FEEDS"):
        remove_feed(settings, "https://a.example/rss")
    with pytest.raises(CitebotError, match="not an http"):
        add_feed(settings, "feed.xml")
    remove_feed(settings, "https://b.example/atom")
    assert followed_feeds(settings) == ["https://a.example/rss"]
    assert feed_lines(settings) == ["https://a.example/rss: not polled yet"]
