"""Many questions at once while the index is rebuilt: every one acknowledged in time and
answered. The acknowledgement times (by the fake's clock) are printed, not asserted."""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path

import pytest

from fake_discord.harness import (
    ADMIN,
    HeldService,
    connected,
    fake_discord,
    make_settings,
    scenario,
)

QUESTIONS = (
    "How many troops went to Romania?",
    "Which Pentagon spokesman announced the deployment?",
    "Where will the paratroopers be sent?",
    "What did Milley say a war would be like?",
    "What about zzqx?",
)
AT_ONCE = 50


@scenario
async def test_fifty_questions_at_once_during_a_rebuild_are_all_acknowledged_and_answered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    service = HeldService.open(settings)
    service.rebuilds.clear()
    async with fake_discord() as discord, connected(discord, settings, service):
        rebuild = await discord.slash("reindex", ADMIN)
        await discord.response(rebuild)
        asked = [
            await discord.slash("ask", question=QUESTIONS[number % len(QUESTIONS)])
            for number in range(AT_ONCE)
        ]
        # The rebuild works on while the questions are answered.
        service.rebuilds.set()
        replies = await asyncio.gather(*(discord.shown(sent) for sent in asked))
        await discord.shown(rebuild, lambda call: bool(call.message.get("embeds")))
    assert len(replies) == AT_ONCE
    # Each was acknowledged in Discord's 3 s (the fake refuses a late one, failing the test).
    seconds = [discord.fake.acknowledgement_seconds(sent.token) for sent in asked]
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    with capsys.disabled():
        print(
            f"\n{AT_ONCE} /ask at once during /reindex: first response after "
            f"p50 {cuts[49] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms (fake's clock)"
        )
