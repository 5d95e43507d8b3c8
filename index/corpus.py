"""Article files -> Documents: body text plus the facts the article states about itself.

Metadata comes from what the text holds (Markdown titles, bylines, date lines,
``Original url:`` lines, contact footers) and can be overridden per file in an optional
``sources.toml`` in the corpus folder. Unreadable files are skipped with a warning.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
import tomllib
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse

from index.errors import CorpusError
from index.ingest.html import HTML_SUFFIXES, READER_VERSION, read_page
from index.models import Document, Source
from index.passages import byline_author, html_table_count, plain_text

ARTICLE_SUFFIXES = (".txt", ".md", *HTML_SUFFIXES)
OVERRIDES_FILE = "sources.toml"
_OVERRIDABLE = ("title", "outlet", "author", "date", "url")
_HEADER_LINES = 12
"""How many non-empty lines from the top may hold title, byline and date."""

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_FORMATS = (
    (re.compile(rf"^(?:{_MONTHS}) \d{{1,2}}, \d{{4}}$"), "%B %d, %Y"),
    (re.compile(rf"^\d{{1,2}} (?:{_MONTHS}) \d{{4}}$"), "%d %B %Y"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
)
_DATE_PREFIX = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s*", re.IGNORECASE)
_URL = re.compile(r"(https?://[^\s<>()\[\]*]+)")
_ORIGINAL_URL = re.compile(r"^original url:\s*(.*)$", re.IGNORECASE)
_NAME_LINE = re.compile(r"^[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){1,3}$")
_CONTACT = re.compile(r"^(?:to contact|contact us)|visit:$", re.IGNORECASE)
_CREDIT = re.compile(r"contributed to this report\.?$", re.IGNORECASE)


def fingerprint(data: bytes) -> str:
    """A short content hash: equal bytes, equal fingerprint."""
    return hashlib.sha256(data).hexdigest()[:32]


def article_paths(folder: Path) -> list[Path]:
    """The article files of a corpus folder, in name order (hidden files left out)."""
    return [path for path in _named_articles(folder) if path.is_file()]


def _named_articles(folder: Path) -> list[Path]:
    """Everything in ``folder`` named like an article, files or not (links, folders)."""
    if folder.is_file():
        raise CorpusError(
            f"{folder} is a file, not a folder; give --corpus or CITEBOT_CORPUS the folder "
            "that holds the articles."
        )
    if not folder.is_dir():
        raise CorpusError(f"Corpus folder {folder} does not exist; set CITEBOT_CORPUS or --corpus.")
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() in ARTICLE_SUFFIXES and not path.name.startswith(".")
    )


def load_corpus(folder: Path) -> tuple[list[Document], list[str]]:
    """Read every article in ``folder``; returns the documents and a warning per skipped file
    (or left-out part of one, or questionable ``sources.toml`` entry).

    Raises CorpusError when the folder is missing or holds no readable article.
    """
    named = _named_articles(folder)
    overrides, warnings = _read_overrides(folder, {path.name for path in named})
    documents: list[Document] = []
    for path in named:
        if not path.is_file():
            if path.is_symlink():
                warnings.append(f"Skipped {path.name}: {_broken_link(path)}")
            continue
        try:
            document = parse_article(path.name, path.read_bytes())
        except (OSError, ValueError) as error:
            warnings.append(f"Skipped {path.name}: {error}")
            continue
        if tables := html_table_count(document.text):
            warnings.append(
                f"Left out {tables} HTML table{'s' if tables > 1 else ''} in {path.name}: "
                "citebot reads text; write it as a Markdown table (| a | b |) to have it indexed."
            )
        documents.append(_with_overrides(document, overrides.get(path.name, {})))
    if not documents:
        raise CorpusError(
            f"No readable .txt, .md or .html article in {folder}; add articles and reindex."
        )
    return documents, warnings


def _broken_link(path: Path) -> str:
    """Why a symbolic link named like an article cannot be read."""
    try:
        path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a symbolic link that loops back on itself; point it at a real file."
        return f"a symbolic link to {os.readlink(path)}, which does not exist."
    return "a symbolic link to something that is not a file."


def parse_article(name: str, data: bytes) -> Document:
    """Turn one article file's bytes into a Document; ValueError says why it cannot."""
    if Path(name).suffix.lower() in HTML_SUFFIXES:
        return _page_document(name, data)
    raw = _decoded(data)
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(line.strip() for line in lines):
        raise ValueError("empty file")
    facts: dict[str, str] = {}
    body = _take_footer(lines, facts)
    body = _take_header(body, facts)
    text = "\n".join(body).strip()
    if not text:
        raise ValueError("no article text besides its title and byline")
    source = Source(
        doc=name,
        title=facts.get("title") or Path(name).stem,
        outlet=facts.get("outlet", ""),
        author=facts.get("author", ""),
        date=facts.get("date", ""),
        url=facts.get("url", ""),
    )
    if source.url and not source.outlet:
        source = replace(source, outlet=_site_name(source.url))
    return Document(source=source, text=text, fingerprint=fingerprint(data))


def _page_document(name: str, data: bytes) -> Document:
    """A web page as a Document: its fingerprint covers the reader, whose version decides
    the text as much as the bytes do."""
    page = read_page(data)
    source = Source(
        doc=name,
        title=page.title or Path(name).stem,
        outlet=page.site or _site_name(page.url),
        author=page.author,
        date=page.date,
        url=page.url,
    )
    return Document(source, page.text, fingerprint(data + READER_VERSION.encode()))


_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decoded(data: bytes) -> str:
    """UTF-8 text, or UTF-16/32 that says so with a byte-order mark; ValueError otherwise."""
    for mark, codec in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise ValueError(f"not valid {codec.upper()} text; save it as UTF-8") from None
    if b"\x00" in data:
        if _looks_like_utf16(data):
            raise ValueError("UTF-16 text without a byte-order mark; convert it to UTF-8")
        raise ValueError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 (byte {error.start})") from None


def _looks_like_utf16(data: bytes) -> bool:
    """Mostly Latin text in UTF-16 has a zero in every other byte."""
    sample = data[:4096]
    halves = (sample[0::2], sample[1::2])
    return len(sample) >= 4 and any(half.count(0) >= 0.9 * len(half) for half in halves)


def iso_date(text: str) -> str:
    """``February 02, 2022`` / ``2 February 2022`` / ``2022-02-02`` -> ``2022-02-02``, else ""."""
    text = " ".join(text.split())
    for pattern, form in _DATE_FORMATS:
        if pattern.match(text):
            try:
                return datetime.strptime(text, form).date().isoformat()
            except ValueError:
                return ""
    return ""


def _take_header(lines: list[str], facts: dict[str, str]) -> list[str]:
    """Consume title, byline, author and date lines at the top; return the rest."""
    index = 0
    seen = 0
    while index < len(lines) and seen < _HEADER_LINES:
        line = plain_text(lines[index])
        if not line:
            index += 1
            continue
        prefixed = _DATE_PREFIX.match(lines[index])
        if prefixed and "date" not in facts:
            facts["date"] = date.fromisoformat(prefixed.group(1)).isoformat()
            lines = [*lines[:index], lines[index][prefixed.end() :], *lines[index + 1 :]]
            continue
        if not _header_fact(line, lines[index], facts):
            break
        seen += 1
        index += 1
    return lines[index:]


def _header_fact(line: str, raw: str, facts: dict[str, str]) -> bool:
    """Record what a header line states; False when the line is body text."""
    if raw.lstrip().startswith("#") and "title" not in facts:
        facts["title"] = line
        return True
    found_date = iso_date(line)
    if found_date and "date" not in facts:
        facts["date"] = found_date
        return True
    author = byline_author(line)
    if author and "author" not in facts:
        facts["author"] = author
        return True
    if "title" not in facts and len(line) <= 150 and not line.endswith((".", ":")):
        facts["title"] = line
        return True
    if "author" not in facts and _NAME_LINE.match(line):
        facts["author"] = line
        return True
    return False


def _take_footer(lines: list[str], facts: dict[str, str]) -> list[str]:
    """Consume ``Original url:``, contact and author-bio lines at the end; return the rest."""
    end = len(lines)
    for number in range(len(lines) - 1, -1, -1):
        line = plain_text(lines[number])
        if not line:
            continue
        original = _ORIGINAL_URL.match(line)
        link_only = len(line.split()) == 1 and _URL.search(lines[number])
        if original or link_only:
            found = _URL.search(original.group(1) if original else lines[number])
            if found and "url" not in facts and (original or _is_article_url(found.group(1))):
                facts["url"] = found.group(1)
            elif found and not original and "outlet" not in facts:
                facts["outlet"] = _site_name(found.group(1))
        elif _CONTACT.search(line) or _CREDIT.search(line) or _is_bio(line, facts):
            pass
        elif _NAME_LINE.match(line) and number >= len(lines) - 6 and "author" not in facts:
            facts["author"] = line
        else:
            break
        end = number
    return lines[:end]


def _is_bio(line: str, facts: dict[str, str]) -> bool:
    """``Nick Ciolino covers the White House.``: a one-line author bio at the very end."""
    words = line.split()
    return (
        len(words) <= 12
        and len(words) > 2
        and words[2] in {"covers", "is", "writes"}
        and (_NAME_LINE.match(" ".join(words[:2])) is not None)
        and facts.get("author", " ".join(words[:2])) == " ".join(words[:2])
        and line.endswith(".")
    )


def _is_article_url(url: str) -> bool:
    """A link with a path beyond a contact page points at the article itself."""
    path = urlparse(url).path.strip("/")
    return bool(path) and path not in {"contact", "about", "subscribe"}


def _site_name(url: str) -> str:
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.")


def _read_overrides(
    folder: Path, articles: set[str]
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The moderator's per-file metadata overrides, each value checked; a broken file, an
    entry for no article, an unknown key or a bad value is a warning naming it, not fatal."""
    path = folder / OVERRIDES_FILE
    if not path.is_file():
        return {}, []
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return {}, [f"Ignored {OVERRIDES_FILE}: {error}; fix it to restore the overrides."]
    overrides: dict[str, dict[str, str]] = {}
    warnings: list[str] = []
    for name, fields in table.items():
        entry = f'{OVERRIDES_FILE} ["{name}"]'
        if not isinstance(fields, dict):
            warnings.append(
                f'Ignored {OVERRIDES_FILE} {name!r}: not a table; write ["{name}"] on a line '
                'of its own and the fields (title = "…") under it.'
            )
            continue
        if name not in articles:
            warnings.append(f"Ignored {entry}: no article of that name in {folder}.")
            continue
        overrides[name] = {}
        for key, value in fields.items():
            checked, problem = _override_value(key, value)
            if problem:
                warnings.append(f"Ignored {entry} {key}: {problem}")
            else:
                overrides[name][key] = checked
    return overrides, warnings


def _override_value(key: str, value: object) -> tuple[str, str]:
    """``(value, "")`` for a usable override, else ``("", what is wrong and what to write)``."""
    if key not in _OVERRIDABLE:
        return "", f"unknown key; the keys are {', '.join(_OVERRIDABLE)}."
    if key == "date" and isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat(), ""
    if not isinstance(value, str):
        return "", f'{value!r} is not text; put it in quotes ({key} = "…").'
    if key == "date" and value:
        found = iso_date(value)
        return (found, "") if found else ("", f"{value!r} is not a date; write YYYY-MM-DD.")
    if key == "url" and value:
        parts = urlparse(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "", f"{value!r} is not an http:// or https:// address."
    return value, ""


def overrides_fingerprint(folder: Path) -> str:
    """Fingerprint of the overrides file, so editing it makes a stored index stale."""
    path = folder / OVERRIDES_FILE
    return fingerprint(path.read_bytes()) if path.is_file() else ""


def _with_overrides(document: Document, fields: dict[str, str]) -> Document:
    if not fields:
        return document
    return replace(document, source=replace(document.source, **fields))
