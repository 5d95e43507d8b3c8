"""Article files -> Documents: body text plus the facts the article states about itself.

Metadata comes from what the text holds (Markdown titles, bylines, date lines,
``Original url:`` lines, contact footers) and can be overridden per file in an optional
``sources.toml`` in the corpus folder. Unreadable files are skipped with a warning.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse

from index.errors import CorpusError
from index.models import Document, Source
from index.passages import byline_author, html_table_count, plain_text

ARTICLE_SUFFIXES = (".txt", ".md")
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
    if not folder.is_dir():
        raise CorpusError(f"Corpus folder {folder} does not exist; set CITEBOT_CORPUS or --corpus.")
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() in ARTICLE_SUFFIXES
        and path.is_file()
        and not path.name.startswith(".")
    )


def load_corpus(folder: Path) -> tuple[list[Document], list[str]]:
    """Read every article in ``folder``; returns the documents and a warning per skipped file.

    Raises CorpusError when the folder is missing or holds no readable article.
    """
    overrides, warnings = _read_overrides(folder)
    documents: list[Document] = []
    for path in article_paths(folder):
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
            f"No readable .txt or .md article in {folder}; add UTF-8 articles and reindex."
        )
    return documents, warnings


def parse_article(name: str, data: bytes) -> Document:
    """Turn one article file's bytes into a Document; ValueError says why it cannot."""
    if b"\x00" in data:
        raise ValueError("binary file, not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 (byte {error.start})") from None
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


def _read_overrides(folder: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The moderator's per-file metadata overrides; a broken file is reported, not fatal."""
    path = folder / OVERRIDES_FILE
    if not path.is_file():
        return {}, []
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return {}, [f"Ignored {OVERRIDES_FILE}: {error}; fix it to restore the overrides."]
    overrides: dict[str, dict[str, str]] = {}
    for name, fields in table.items():
        if isinstance(fields, dict):
            overrides[name] = {
                key: str(value) for key, value in fields.items() if key in _OVERRIDABLE
            }
    return overrides, []


def overrides_fingerprint(folder: Path) -> str:
    """Fingerprint of the overrides file, so editing it makes a stored index stale."""
    path = folder / OVERRIDES_FILE
    return fingerprint(path.read_bytes()) if path.is_file() else ""


def _with_overrides(document: Document, fields: dict[str, str]) -> Document:
    if not fields:
        return document
    return replace(document, source=replace(document.source, **fields))
