"""Web pages as articles: trafilatura's main text and the page's own metadata, through the
same corpus path (overrides, fingerprints) as text articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.corpus import fingerprint, load_corpus, parse_article
from index.ingest.html import read_page, saved_from, with_saved_from
from web_server import WEB_DATA

BRIDGE = (WEB_DATA / "harbour-bridge.html").read_bytes()


def test_a_news_page_gives_its_story_without_menus_related_links_ads_or_comments() -> None:
    text = read_page(BRIDGE).text
    assert text.startswith("The Harbour Bridge will close to all traffic from April 2")
    assert "Half of our customers walk over that bridge" in text
    for clutter in (
        "Subscribe",
        "Spring sale",
        "Related stories",
        "Mill Road crossing reopens",
        "harbourfan77",
        "All rights reserved",
        "Privacy policy",
    ):
        assert clutter not in text
    assert len(text.split("\n\n")) == 4  # the page's paragraphs, the headline left out


def test_a_news_page_says_its_title_author_date_site_and_canonical_address() -> None:
    page = read_page(BRIDGE)
    assert page.title == "Harbour bridge to close for six weeks of repairs"
    assert page.author == "Maria Lindqvist"
    assert page.date == "2024-03-14"
    assert page.site == "The Coastal Courier"
    assert page.url == "https://news.example.com/local/2024/03/harbour-bridge-repairs"


def test_json_ld_names_the_author_a_page_has_no_author_meta_for() -> None:
    page = read_page((WEB_DATA / "lighthouse.html").read_bytes())
    assert (page.author, page.date, page.site) == (
        "Jonas Ekberg",
        "2024-04-20",
        "Northshore Gazette",
    )


def test_a_browser_saved_page_without_a_canonical_link_keeps_the_address_it_came_from() -> None:
    bare = BRIDGE.replace(b'<link rel="canonical"', b'<link rel="alternate"')
    saved = with_saved_from(bare, "https://news.example.com/bridge")
    assert saved.startswith(b"<!-- saved from url=(0031)https://news.example.com/bridge -->")
    assert saved_from(saved) == "https://news.example.com/bridge"
    assert with_saved_from(saved, "https://elsewhere.example/") == saved
    assert read_page(saved).url == "https://news.example.com/bridge"


@pytest.mark.parametrize(
    "data",
    [b"", b"<html><body><script>var ads = 1;</script></body></html>", b"\x00\x01\x02binary"],
)
def test_a_page_without_article_text_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="web page"):
        read_page(data)


def test_an_html_file_in_the_corpus_is_an_article_with_the_pages_source(tmp_path: Path) -> None:
    shutil.copy(WEB_DATA / "harbour-bridge.html", tmp_path / "bridge.html")
    (tmp_path / "notes.txt").write_text("Notes\n\nThe ferry runs every fifteen minutes.\n")
    documents, warnings = load_corpus(tmp_path)
    assert warnings == []
    page = next(document for document in documents if document.source.doc == "bridge.html")
    assert page.source.outlet == "The Coastal Courier"
    assert page.source.title == "Harbour bridge to close for six weeks of repairs"
    assert "18.5 million euros" in page.text


def test_sources_toml_overrides_a_pages_own_metadata(tmp_path: Path) -> None:
    shutil.copy(WEB_DATA / "harbour-bridge.html", tmp_path / "bridge.htm")
    (tmp_path / "sources.toml").write_text(
        '["bridge.htm"]\noutlet = "Courier"\ndate = 2024-03-15\n'
    )
    [document], warnings = load_corpus(tmp_path)
    assert warnings == []
    assert (document.source.outlet, document.source.date) == ("Courier", "2024-03-15")


def test_a_pages_fingerprint_is_its_bytes_and_its_reader() -> None:
    document = parse_article("bridge.html", BRIDGE)
    assert document.fingerprint != fingerprint(BRIDGE)
    assert parse_article("again.html", BRIDGE).fingerprint == document.fingerprint
