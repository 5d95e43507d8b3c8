"""Running the real citebot client against the fake Discord, and acting as Discord users.

Tests are ``async def`` functions wrapped in ``@scenario`` (asyncio.run with an overall
time limit), so no pytest plugin is needed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.config import Settings, settings_from
from bot.discord.client import CitebotClient
from bot.service import ReindexReport, Service, Upload
from fake_discord import payloads
from fake_discord.payloads import Json
from fake_discord.server import EPHEMERAL, TOKEN, WAIT_SECONDS, Call, FakeDiscord
from index import Answer, Progress, ProgressCallback
from paths import SEEDS

SCENARIO_SECONDS = 60.0

ALICE = payloads.member(payloads.user(5001, "alice"))
BOB = payloads.member(payloads.user(5002, "bob"))
LIBRARIAN = payloads.member(payloads.user(5003, "librarian"), roles=(payloads.MOD_ROLE_ID,))
ADMIN = payloads.member(payloads.user(5004, "admin"), permissions=payloads.MANAGE_GUILD)
LIBRARIAN_B = payloads.member(payloads.user(5005, "clerk"), roles=(payloads.MOD_ROLE_B_ID,))
OWNER = payloads.member(payloads.user(payloads.OWNER_ID, "owner"))
"""The application's owner, as the fake's application info names it; no server rights."""
OTHER_BOT = payloads.user(6001, "otherbot", bot=True)

P = ParamSpec("P")


def scenario(test: Callable[P, Awaitable[None]]) -> Callable[P, None]:
    """Run an async test to completion on a fresh event loop, failing it after a time limit."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(asyncio.wait_for(test(*args, **kwargs), SCENARIO_SECONDS))

    return run


def make_settings(tmp_path: Path, **env: str) -> Settings:
    """Settings over a private copy of the seed corpus; ``env`` overrides variables."""
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        shutil.copytree(SEEDS, corpus)
    values = {
        "CITEBOT_CORPUS": str(corpus),
        "CITEBOT_INDEX_PATH": str(tmp_path / "index"),
        "CITEBOT_DATA_DIR": str(tmp_path / "data"),
        "CITEBOT_COOLDOWN_SECONDS": "0",
        "CITEBOT_MOD_ROLES": "Librarians",
        "DISCORD_TOKEN": TOKEN,
    }
    return settings_from(values | env)


class HeldService(Service):
    """The real Service, with gates a test may close to catch an answer or a rebuild mid-way.

    The gates are threading events because the work runs in worker threads; a closed gate
    gives up after the scenario's wait limit, so a failing test cannot hang the run.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers = threading.Event()
        self.rebuilds = threading.Event()
        self.answers.set()
        self.rebuilds.set()

    def answer(self, question: str, limit: int = 9, guild: int | None = None) -> Answer:
        self.answers.wait(WAIT_SECONDS)
        return super().answer(question, limit, guild)

    def reindex(
        self,
        progress: ProgressCallback | None = None,
        upload: Upload | None = None,
        guild: int | None = None,
    ) -> ReindexReport:
        def held(step: Progress) -> None:
            if progress is not None:
                progress(step)
            self.rebuilds.wait(WAIT_SECONDS)

        return super().reindex(held, upload, guild)


class BotLog(logging.Handler):
    """citebot's log lines as they are written, so a test can wait for one (the bot logs
    from the event loop and from worker threads)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._written = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._written:
            self.lines.append(record.getMessage())
            self._written.notify_all()

    async def naming(self, word: str, ending: str) -> list[str]:
        """The lines that name ``word``, once one of them contains ``ending``."""

        def found() -> list[str]:
            return [line for line in self.lines if word in line]

        def wait() -> list[str]:
            with self._written:
                self._written.wait_for(
                    lambda: any(ending in line for line in found()), WAIT_SECONDS
                )
                return found()

        return await asyncio.to_thread(wait)


@contextmanager
def bot_log() -> Iterator[BotLog]:
    """Collect what the ``bot`` package logs at INFO and above while the block runs."""
    handler, logger = BotLog(), logging.getLogger("bot")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@dataclass
class Sent:
    """An interaction the test sent, to find the bot's answers to it."""

    payload: Json

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    def concerns(self, call: Call) -> bool:
        return self.token in call.path


def shows_message(call: Call) -> bool:
    """Whether ``call`` put words or an embed in front of someone (not a bare deferral, nor
    a request Discord refused)."""
    return (
        call.method in ("POST", "PATCH")
        and call.status < 300
        and bool(call.message.get("content") or call.message.get("embeds"))
    )


def is_ephemeral(call: Call) -> bool:
    return bool((call.message.get("flags") or 0) & EPHEMERAL)


class Discord:
    """The fake Discord plus the moves of its users: slash commands, button presses, messages."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    @property
    def calls(self) -> list[Call]:
        return self.fake.calls

    async def slash(
        self,
        name: str,
        invoker: Json = ALICE,
        *,
        guild: int | None = payloads.GUILD_ID,
        **options: Any,
    ) -> Sent:
        """Invoke ``/name`` with ``options`` in ``guild`` (None: a DM); attachments are
        attachment payloads. ``name`` may be ``group sub`` for a subcommand."""
        group, _, sub = name.partition(" ")
        command = self.fake.commands[group]
        declared = command
        if sub:
            declared = next(option for option in command["options"] if option["name"] == sub)
        resolved: Json = {}
        listed = []
        for key, value in options.items():
            kind = _option_type(declared, key)
            if kind == 11:
                resolved.setdefault("attachments", {})[value["id"]] = value
                value = value["id"]
            listed.append({"name": key, "type": kind, "value": value})
        if sub:
            listed = [{"name": sub, "type": 1, "options": listed}]
        data: Json = {"id": command["id"], "name": group, "type": 1, "options": listed}
        if resolved:
            data["resolved"] = resolved
        return await self._send(payloads.interaction(2, data, invoker=invoker, guild=guild))

    async def press(
        self,
        message: Json,
        custom_id: str,
        invoker: Json = ALICE,
        *,
        guild: int | None = payloads.GUILD_ID,
    ) -> Sent:
        """Press the button ``custom_id`` on ``message`` (as stored by the fake)."""
        data = {"custom_id": custom_id, "component_type": 2}
        payload = payloads.interaction(3, data, invoker=invoker, message_data=message, guild=guild)
        return await self._send(payload)

    async def say(self, content: str, author: Json, mentions: tuple[Json, ...] = ()) -> Json:
        """Post a channel message as ``author``; returns its payload."""
        data = payloads.message(author=author, content=content, mentions=mentions)
        data["member"] = {key: value for key, value in ALICE.items() if key != "user"}
        await self.fake.dispatch("MESSAGE_CREATE", data)
        return data

    async def _send(self, payload: Json) -> Sent:
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        return Sent(payload)

    async def shown(self, sent: Sent, where: Callable[[Call], bool] = lambda call: True) -> Call:
        """The first message answering ``sent`` that Discord accepted and ``where`` picks.

        ``where`` only narrows :func:`shows_message`: a refused request (a 429 the bot will
        retry) carries the same body as its retry, and taking it for the shown message would
        let a test look before the message is there.
        """
        return await self.fake.wait_for(
            lambda call: sent.concerns(call) and shows_message(call) and where(call)
        )

    async def response(self, sent: Sent) -> Call:
        """The interaction callback the bot made for ``sent`` (its first response), whatever
        Discord answered."""
        return await self.fake.wait_for(
            lambda call: sent.concerns(call) and call.path.endswith("/callback")
        )

    async def reply_to(self, message: Json) -> Call:
        """The bot's channel message replying to ``message``."""
        return await self.fake.wait_for(
            lambda call: (
                call.path.endswith("/messages")
                and call.method == "POST"
                and call.status < 300
                and str((call.body.get("message_reference") or {}).get("message_id"))
                == message["id"]
            )
        )


def _option_type(command: Json, name: str) -> int:
    return int(next(option["type"] for option in command["options"] if option["name"] == name))


@asynccontextmanager
async def fake_discord(*, strict: bool = True) -> AsyncIterator[Discord]:
    """A running fake Discord that discord.py's HTTP and gateway code point at.

    On the way out it checks what every test relies on: every message the bot sent or
    edited allows no mentions at all, and (when ``strict``) it made no request the fake
    refused.
    """
    fake = FakeDiscord()
    await fake.start()
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = f"{fake.base}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"{fake.base.replace('http', 'ws')}/gateway")
    try:
        yield Discord(fake)
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
        await fake.stop()
    refused = [
        f"{call.method} {call.path} -> {call.status}"
        for call in fake.calls
        if call.status >= 400 and not call.injected
    ]
    assert not (strict and refused), refused
    for call in fake.calls:
        if call.method in ("POST", "PATCH") and call.message.get(
            "content", call.message.get("embeds")
        ):
            assert call.message.get("allowed_mentions") == {"parse": []}, call


@contextmanager
def fake_discord_on_a_thread(*, strict: bool = True) -> Iterator[Discord]:
    """The fake Discord served from a thread of its own, for code that runs its own event
    loop to the end, as ``run_bot`` does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    serving = fake_discord(strict=strict)
    try:
        yield asyncio.run_coroutine_threadsafe(serving.__aenter__(), loop).result(WAIT_SECONDS)
        stopped = serving.__aexit__(None, None, None)
        asyncio.run_coroutine_threadsafe(stopped, loop).result(WAIT_SECONDS)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT_SECONDS)
        loop.close()


@asynccontextmanager
async def connected(
    discord: Discord, settings: Settings, service: Service | None = None, **options: Any
) -> AsyncIterator[CitebotClient]:
    """The real citebot client logged in to the fake Discord, closed afterwards; ``options``
    go to discord.Client."""
    service = service or await asyncio.to_thread(HeldService.open, settings)
    client = CitebotClient(settings, service, **options)
    discord.fake.identified.clear()
    running = asyncio.create_task(client.start(settings.discord_token))
    identified = asyncio.create_task(discord.fake.identified.wait())
    try:
        done, _ = await asyncio.wait(
            {running, identified}, timeout=WAIT_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if running in done:
            running.result()
        assert identified in done, "the bot never identified to the fake gateway"
        yield client
    finally:
        identified.cancel()
        await client.close()
        await asyncio.wait_for(running, WAIT_SECONDS)
