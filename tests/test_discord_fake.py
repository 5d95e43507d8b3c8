"""The fake Discord keeps Discord's rules, so a bot breaking one fails its test: asked over
plain HTTP, without the bot."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from fake_discord.harness import fake_discord, scenario
from fake_discord.payloads import Json
from fake_discord.server import TOKEN_SECONDS

TOKEN = "interaction-token-rules"
QUIET = {"allowed_mentions": {"parse": []}}
"""What the fake insists every message the bot sends carries."""
CALLBACK = f"/interactions/1/{TOKEN}/callback"
FOLLOWUP = f"/webhooks/1000/{TOKEN}"


async def post(base: str, path: str, body: Json) -> tuple[int, Json]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/v10{path}", json=body) as response,
    ):
        return response.status, await response.json()


def reply(**data: object) -> Json:
    return {"type": 4, "data": data | QUIET}


def row(*custom_ids: str) -> Json:
    return {
        "type": 1,
        "components": [{"type": 2, "custom_id": c, "label": "x"} for c in custom_ids],
    }


@scenario
async def test_an_interaction_is_acknowledged_once(tmp_path: Path) -> None:
    async with fake_discord(strict=False) as discord:
        discord.fake.interaction_created(TOKEN)
        first = await post(discord.fake.base, CALLBACK, reply(content="one"))
        second = await post(discord.fake.base, CALLBACK, reply(content="two"))
    assert first[0] == 200
    assert second == (400, {"message": "Interaction has already been acknowledged.", "code": 40060})


@scenario
async def test_a_first_response_after_three_seconds_is_an_unknown_interaction(
    tmp_path: Path,
) -> None:
    async with fake_discord(strict=False) as discord:
        discord.fake.interaction_created(TOKEN)
        discord.fake.clock.advance(3.01)
        late = await post(discord.fake.base, CALLBACK, reply(content="late"))
    assert late == (404, {"message": "Unknown interaction", "code": 10062})


@scenario
async def test_followups_stop_when_the_token_expires_after_fifteen_minutes(tmp_path: Path) -> None:
    async with fake_discord(strict=False) as discord:
        discord.fake.interaction_created(TOKEN)
        await post(discord.fake.base, CALLBACK, {"type": 5, "data": {}})
        in_time = await post(discord.fake.base, FOLLOWUP, {"content": "done"} | QUIET)
        discord.fake.clock.advance(TOKEN_SECONDS)
        expired = await post(discord.fake.base, FOLLOWUP, {"content": "too late"} | QUIET)
    assert in_time[0] == 200
    assert expired == (401, {"message": "Invalid Webhook Token", "code": 50027})


def embed(**fields: object) -> Json:
    return {"title": "t", "description": "d"} | fields


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embeds": [embed(title="x" * 257)]}, "embeds.0.title"),
        ({"embeds": [embed(description="x" * 4097)]}, "embeds.0.description"),
        ({"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]}, "embeds.0.fields"),
        ({"embeds": [embed(fields=[{"name": "n" * 257, "value": "v"}])]}, "fields.0.name"),
        ({"embeds": [embed(fields=[{"name": "n", "value": "v" * 1025}])]}, "fields.0.value"),
        ({"embeds": [embed(footer={"text": "x" * 2049})]}, "footer.text"),
        ({"embeds": [embed(author={"name": "x" * 257})]}, "author.name"),
        ({"embeds": [embed(description="x" * 4000)] * 2}, "in all"),
        ({"components": [row("x" * 101)]}, "custom_id"),
        ({"components": [row("a")] * 6}, "action rows"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
@scenario
async def test_a_message_beyond_discords_limits_is_refused(
    tmp_path: Path, data: Json, problem: str
) -> None:
    async with fake_discord(strict=False) as discord:
        discord.fake.interaction_created(TOKEN)
        status, answer = await post(discord.fake.base, CALLBACK, reply(**data))
    assert (status, answer["code"]) == (400, 50035)
    assert any(problem in line for line in answer["errors"]), answer


@scenario
async def test_a_message_at_discords_limits_is_accepted(tmp_path: Path) -> None:
    fields = [{"name": "n" * 10, "value": "v" * 30}] * 25
    big = embed(title="x" * 256, description="x" * 4096, fields=fields, footer={"text": "f" * 600})
    data = {"content": "x" * 2000, "embeds": [big], "components": [row("c" * 100)] * 5}
    async with fake_discord() as discord:
        discord.fake.interaction_created(TOKEN)
        status, _ = await post(discord.fake.base, CALLBACK, reply(**data))
    assert status == 200
