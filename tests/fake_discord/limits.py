"""Discord's size limits on a message, checked as Discord checks them, so that an
oversized reply fails a test (400, code 50035) instead of passing silently."""

from __future__ import annotations

from typing import Any

from fake_discord.payloads import Json

CONTENT = 2000
EMBEDS = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
EMBEDS_TOTAL = 6000
ACTION_ROWS = 5
ROW_COMPONENTS = 5
CUSTOM_ID = 100
BUTTON_LABEL = 80


def message_problems(message: Json) -> list[str]:
    """Every way ``message`` (a create or edit body) breaks Discord's limits."""
    problems = _too_long("content", message.get("content"), CONTENT)
    embeds = message.get("embeds") or []
    if len(embeds) > EMBEDS:
        problems.append(f"embeds: {len(embeds)} > {EMBEDS}")
    total = 0
    for number, embed in enumerate(embeds):
        found, size = _embed_problems(embed)
        problems += [f"embeds.{number}.{problem}" for problem in found]
        total += size
    if total > EMBEDS_TOTAL:
        problems.append(f"embeds: {total} characters in all > {EMBEDS_TOTAL}")
    return problems + _component_problems(message.get("components") or [])


def _too_long(name: str, value: Any, limit: int) -> list[str]:
    size = len(value) if isinstance(value, str) else 0
    return [f"{name}: {size} characters > {limit}"] if size > limit else []


def _embed_problems(embed: Json) -> tuple[list[str], int]:
    """The problems of one embed and the characters it counts towards the 6000 in all."""
    footer = (embed.get("footer") or {}).get("text")
    author = (embed.get("author") or {}).get("name")
    fields = embed.get("fields") or []
    problems = (
        _too_long("title", embed.get("title"), EMBED_TITLE)
        + _too_long("description", embed.get("description"), EMBED_DESCRIPTION)
        + _too_long("footer.text", footer, FOOTER_TEXT)
        + _too_long("author.name", author, AUTHOR_NAME)
    )
    if len(fields) > EMBED_FIELDS:
        problems.append(f"fields: {len(fields)} > {EMBED_FIELDS}")
    texts = [embed.get("title"), embed.get("description"), footer, author]
    for number, item in enumerate(fields):
        problems += _too_long(f"fields.{number}.name", item.get("name"), FIELD_NAME)
        problems += _too_long(f"fields.{number}.value", item.get("value"), FIELD_VALUE)
        texts += [item.get("name"), item.get("value")]
    return problems, sum(len(text) for text in texts if isinstance(text, str))


def _component_problems(rows: list[Json]) -> list[str]:
    problems = [f"components: {len(rows)} action rows > {ACTION_ROWS}"] * (len(rows) > ACTION_ROWS)
    for number, row in enumerate(rows):
        items = row.get("components") or []
        if len(items) > ROW_COMPONENTS:
            problems.append(f"components.{number}: {len(items)} components > {ROW_COMPONENTS}")
        for place, item in enumerate(items):
            where = f"components.{number}.components.{place}"
            problems += _too_long(f"{where}.custom_id", item.get("custom_id"), CUSTOM_ID)
            problems += _too_long(f"{where}.label", item.get("label"), BUTTON_LABEL)
    return problems
