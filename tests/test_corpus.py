"""Corpus loading: the facts each seed states about itself, overrides, and bad files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from index.corpus import load_corpus, parse_article
from index.errors import CorpusError
from index.models import Source
from index.passages import passage_texts
from paths import SEEDS

MOSCOW_TIMES = "https://www.themoscowtimes.com/2022"

EXPECTED = {
    "000_bc9ac90424408617.txt": dict(
        title="U.S. Deploys 3,000 Troops in Russia-Ukraine Standoff",
        outlet="The Moscow Times",
        author="Paul Handley for AFP",
        date="2022-02-02",
        url=f"{MOSCOW_TIMES}/02/02/us-deploys-3000-troops-in-russia-ukraine-standoff-a76243",
    ),
    "001_0f3790107ac6dcad.txt": dict(
        title="Pentagon sending 3,000 troops to Eastern Europe amid Russian tensions",
        outlet="",
        author="Nick Ciolino",
        date="",
        url="",
    ),
    "002_9ff1ef3f97788050.txt": dict(
        title="U.S. To Send Troops to Eastern Europe Amid Russia Tensions",
        outlet="The Moscow Times",
        author="AFP",
        date="2022-01-29",
        url=f"{MOSCOW_TIMES}/01/29/us-to-send-troops-to-eastern-europe-amid-russia-tensions-a76195",
    ),
    "003_415eca2087b9d83f.txt": dict(
        title="003_415eca2087b9d83f", outlet="", author="", date="2022-02-02", url=""
    ),
    "004_5dbf042913a9ac52.txt": dict(
        title="US sends another 3,000 troops to Eastern Europe",
        outlet="World Socialist Web Site",
        author="Andrea Peters",
        date="2022-02-02",
        url="",
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_seed_yields_the_facts_it_states(name: str) -> None:
    documents, warnings = load_corpus(SEEDS)
    source = next(document.source for document in documents if document.source.doc == name)
    assert warnings == []
    assert {field: getattr(source, field) for field in EXPECTED[name]} == EXPECTED[name]


def test_header_and_footer_lines_are_not_body_text() -> None:
    documents, _ = load_corpus(SEEDS)
    for document in documents:
        assert not document.text.lstrip().startswith("#")
        assert "Original url" not in document.text
        assert document.source.title not in document.text.splitlines()[:1]


@pytest.mark.parametrize(
    ("header", "date"),
    [
        ("February 02, 2022", "2022-02-02"),
        ("2 February 2022", "2022-02-02"),
        ("January 29, 2022", "2022-01-29"),
    ],
)
def test_date_lines_in_several_formats(header: str, date: str) -> None:
    text = f"# A title\n\n{header}\n\nSome body text about the deployment.\n"
    document = parse_article("a.md", text.encode())
    assert (document.source.title, document.source.date) == ("A title", date)


def test_date_prefix_on_the_first_paragraph_is_metadata() -> None:
    document = parse_article("a.txt", b" date 2022-02-02 The Pentagon said troops would go.\n")
    assert document.source.date == "2022-02-02"
    assert document.text.strip() == "The Pentagon said troops would go."


def test_an_article_without_any_header_falls_back_to_its_file_name() -> None:
    body = (
        "The soldiers arrived on a cold morning after a long journey across the country, "
        "officials said in a statement.\n"
    )
    source = parse_article("plain.txt", body.encode()).source
    assert (source.title, source.outlet, source.date, source.url) == ("plain", "", "", "")


def test_overrides_file_sets_fields_by_file_name(corpus: Path) -> None:
    (corpus / "sources.toml").write_text(
        '["003_415eca2087b9d83f.txt"]\ntitle = "Biden sends troops"\noutlet = "Example News"\n'
    )
    documents, warnings = load_corpus(corpus)
    source = next(d.source for d in documents if d.source.doc == "003_415eca2087b9d83f.txt")
    assert (source.title, source.outlet, source.date) == (
        "Biden sends troops",
        "Example News",
        "2022-02-02",
    )
    assert warnings == []


def test_broken_overrides_file_is_a_warning_not_a_crash(corpus: Path) -> None:
    (corpus / "sources.toml").write_text("[[[ not toml")
    documents, warnings = load_corpus(corpus)
    assert len(documents) == 5
    assert any("sources.toml" in warning for warning in warnings)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("blank.md", b"  \n\n \n"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("latin1.txt", "Caf\u00e9 au lait, na\u00efve r\u00e9sum\u00e9".encode("latin-1")),
    ],
)
def test_bad_files_are_skipped_with_a_warning_naming_them(
    corpus: Path, name: str, data: bytes
) -> None:
    (corpus / name).write_bytes(data)
    documents, warnings = load_corpus(corpus)
    assert len(documents) == 5
    assert len(warnings) == 1 and name in warnings[0]


def test_other_files_are_not_articles(corpus: Path) -> None:
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    (corpus / ".hidden.txt").write_text("A hidden draft that should stay out.")
    documents, warnings = load_corpus(corpus)
    assert len(documents) == 5 and warnings == []


def test_a_folder_without_articles_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="article"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing")


def seed_document(corpus: Path, name: str) -> Source:
    documents, _ = load_corpus(corpus)
    return next(document.source for document in documents if document.source.doc == name)


@pytest.mark.parametrize(
    ("entry", "warned"),
    [
        ('date = "yesterday"', "date: 'yesterday' is not a date; write YYYY-MM-DD"),
        ("title = 42", "title: 42 is not text"),
        ('url = "javascript:alert(1)"', "url: 'javascript:alert(1)' is not an http"),
        ('url = "ftp://example.com/a"', "url: 'ftp://example.com/a' is not an http:// or https://"),
        ('colour = "red"', "colour: unknown key"),
    ],
)
def test_a_bad_override_is_ignored_with_a_warning_naming_file_entry_and_key(
    corpus: Path, entry: str, warned: str
) -> None:
    name = "003_415eca2087b9d83f.txt"
    (corpus / "sources.toml").write_text(f'["{name}"]\n{entry}\noutlet = "Example News"\n')
    documents, warnings = load_corpus(corpus)
    assert len(warnings) == 1
    assert warnings[0].startswith(f'Ignored sources.toml ["{name}"] {warned}')
    source = seed_document(corpus, name)
    assert (source.title, source.date, source.url) == (Path(name).stem, "2022-02-02", "")
    assert source.outlet == "Example News", "the entry's good values still apply"
    assert len(documents) == 5


def test_an_override_for_a_missing_article_is_a_warning(corpus: Path) -> None:
    (corpus / "sources.toml").write_text('stray = 1\n["gone.txt"]\ntitle = "Gone"\n')
    _, warnings = load_corpus(corpus)
    assert len(warnings) == 2
    assert warnings[0].startswith("Ignored sources.toml 'stray': not a table")
    assert warnings[1].startswith('Ignored sources.toml ["gone.txt"]: no article of that name')


@pytest.mark.parametrize("written", ['"February 3, 2022"', '"3 February 2022"', "2022-02-03"])
def test_an_override_date_in_a_known_form_is_stored_as_iso(corpus: Path, written: str) -> None:
    name = "001_0f3790107ac6dcad.txt"
    (corpus / "sources.toml").write_text(f'["{name}"]\ndate = {written}\n')
    _, warnings = load_corpus(corpus)
    assert warnings == [] and seed_document(corpus, name).date == "2022-02-03"


def test_a_file_given_as_the_corpus_is_called_a_file(tmp_path: Path) -> None:
    article = tmp_path / "afile.txt"
    article.write_text("The zoo reopened on Monday, officials said.\n")
    with pytest.raises(CorpusError, match="afile.txt is a file, not a folder"):
        load_corpus(article)


BODY = "# Zoo news\n\nThe zoo in Kyiv reopened on Monday after the winter.\n"


@pytest.mark.parametrize(
    "data",
    [
        BODY.encode("utf-16"),
        codecs.BOM_UTF16_BE + BODY.encode("utf-16-be"),
        BODY.encode("utf-32"),
    ],
)
def test_utf16_and_utf32_articles_with_a_byte_order_mark_are_read(data: bytes) -> None:
    document = parse_article("zoo.txt", data)
    assert document.source.title == "Zoo news" and "reopened on Monday" in document.text


def test_utf16_without_a_byte_order_mark_is_named_as_utf16(corpus: Path) -> None:
    (corpus / "zoo.txt").write_bytes(BODY.encode("utf-16-le"))
    documents, warnings = load_corpus(corpus)
    assert len(documents) == 5
    assert warnings == [
        "Skipped zoo.txt: UTF-16 text without a byte-order mark; convert it to UTF-8"
    ]


def test_dangling_and_looping_links_are_skipped_with_a_warning(corpus: Path) -> None:
    (corpus / "dangling.txt").symlink_to(corpus / "missing.txt")
    (corpus / "loop.md").symlink_to(corpus / "loop.md")
    (corpus / "linked.txt").symlink_to(corpus / "001_0f3790107ac6dcad.txt")
    documents, warnings = load_corpus(corpus)
    assert len(documents) == 6, "a link to a real article is read"
    assert warnings == [
        f"Skipped dangling.txt: a symbolic link to {corpus / 'missing.txt'}, which does not exist.",
        "Skipped loop.md: a symbolic link that loops back on itself; point it at a real file.",
    ]


def test_an_html_table_is_left_out_with_a_warning(corpus: Path) -> None:
    (corpus / "table.md").write_text(
        "# Forces\n\nThe deployment is spread over three bases.\n\n"
        "<table>\n<tr><td>Poland</td><td>1,700</td></tr>\n</table>\n\n"
        "More troops may follow later this year.\n"
    )
    documents, warnings = load_corpus(corpus)
    table = next(document for document in documents if document.source.doc == "table.md")
    assert warnings == [
        "Left out 1 HTML table in table.md: citebot reads text; write it as a Markdown "
        "table (| a | b |) to have it indexed."
    ]
    assert passage_texts(table) == [
        "The deployment is spread over three bases.",
        "More troops may follow later this year.",
    ]


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("By Paul Handley for AFP", "Paul Handley for AFP"),
        ("By 1954, all U.S. networks had regained control of their programming.", ""),
        ("By nominating Mr. Mattarella, the parties ended the deadlock.", ""),
    ],
)
def test_a_byline_is_known_by_its_shape(line: str, author: str) -> None:
    document = parse_article(
        "a.md", f"# A title\n\n{line}\n\nThe troops left on Monday.\n".encode()
    )
    assert document.source.author == author
    assert (line in document.text) == (not author)
