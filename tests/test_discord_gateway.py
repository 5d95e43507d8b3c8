"""The gateway going wrong as Discord's does, and the bot staying connected and answering."""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord.utils
import pytest

from fake_discord.gateway import IDENTIFY, RESUME, ZLIB_STREAM
from fake_discord.harness import Discord, connected, fake_discord, make_settings, scenario
from fake_discord.server import WAIT_SECONDS

TROOPS = "How many troops went to Romania?"


async def answers(discord: Discord) -> bool:
    call = await discord.shown(await discord.slash("ask", question=TROOPS))
    return call.message["embeds"][0]["footer"]["text"] == f"Asked: {TROOPS}"


async def resumed(discord: Discord) -> None:
    await asyncio.wait_for(discord.fake.gateway.resumed.wait(), WAIT_SECONDS)


@scenario
async def test_after_a_dropped_socket_the_bot_resumes_and_gets_what_it_missed(
    tmp_path: Path,
) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        gateway = discord.fake.gateway
        gateway.drop()
        # Sent while the bot is away: the fake keeps it and replays it on RESUME.
        assert await answers(discord)
        await resumed(discord)
        assert await answers(discord)
    assert gateway.opcodes.count(IDENTIFY) == 1
    assert RESUME in gateway.opcodes
    assert gateway.replayed >= 1


@scenario
async def test_asked_to_reconnect_the_bot_resumes_its_session(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        gateway = discord.fake.gateway
        await gateway.ask_to_reconnect()
        assert await answers(discord)
        await resumed(discord)
    assert gateway.opcodes.count(IDENTIFY) == 1
    assert RESUME in gateway.opcodes


@scenario
async def test_with_its_session_invalidated_the_bot_identifies_again(tmp_path: Path) -> None:
    async with fake_discord() as discord, connected(discord, make_settings(tmp_path)):
        gateway = discord.fake.gateway
        await gateway.invalidate_session()
        assert await answers(discord)
    assert gateway.opcodes.count(IDENTIFY) == 2


@scenario
async def test_when_heartbeats_go_unacknowledged_the_bot_reconnects_and_resumes(
    tmp_path: Path,
) -> None:
    async with fake_discord() as discord:
        gateway = discord.fake.gateway
        gateway.heartbeat_interval_ms = 50
        async with connected(discord, make_settings(tmp_path), heartbeat_timeout=0.5):
            gateway.resumed.clear()
            gateway.miss_heartbeat_acks()
            await resumed(discord)
            assert await answers(discord)
    assert gateway.opcodes.count(IDENTIFY) == 1


@scenario
async def test_the_gateway_speaks_zlib_stream_when_the_client_asks_for_it(tmp_path: Path) -> None:
    # discord.py 2.4 always asks for zlib-stream; later ones prefer zstd-stream when they
    # can decompress it, which the fake does not speak.
    context = getattr(discord.utils, "_ActiveDecompressionContext", None)
    if getattr(context, "COMPRESSION_TYPE", ZLIB_STREAM) != ZLIB_STREAM:
        pytest.skip("this discord.py asks for zstd-stream")
    async with fake_discord() as fake, connected(fake, make_settings(tmp_path)):
        assert await answers(fake)
    assert fake.fake.gateway.compression == ZLIB_STREAM
