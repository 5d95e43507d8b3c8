"""A small fake Discord on 127.0.0.1: the gateway websocket and the REST routes citebot uses.

The real discord.py client connects to it; tests inject gateway events (slash commands,
button presses, messages) and assert on the REST calls the bot made, which are all
recorded in order. It keeps Discord's rules: an interaction must be acknowledged once,
within 3 s by the fake's clock, its token works for 15 minutes, and messages must fit
Discord's limits. Tests can make it fail on purpose: rate limits (429) and other refusals
on any route, and the gateway's failures (see ``fake_discord.gateway``).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from aiohttp import web

from fake_discord import payloads
from fake_discord.gateway import FakeGateway
from fake_discord.limits import message_problems
from fake_discord.payloads import Json

TOKEN = "fake-token-never-shown"
WAIT_SECONDS = 20.0
EPHEMERAL = 64
LOADING = 128
FIRST_RESPONSE_SECONDS = 3.0
TOKEN_SECONDS = 15 * 60.0


class Clock:
    """The fake's time: real seconds, plus the jumps a test makes to skip ahead without
    waiting (a token 15 minutes old, an interaction answered too late)."""

    def __init__(self) -> None:
        self._skipped = 0.0

    def now(self) -> float:
        return time.monotonic() + self._skipped

    def advance(self, seconds: float) -> None:
        self._skipped += seconds


@dataclass
class Call:
    """One REST request the bot made, when it arrived by the fake's clock, and the answer.

    ``injected`` marks a refusal a test asked for, as opposed to one the bot earned.
    """

    method: str
    path: str
    body: Any = None
    status: int = 0
    at: float = 0.0
    injected: bool = False
    answer: Any = None

    @property
    def message(self) -> Json:
        """The message data the call sends (interaction callbacks wrap it in ``data``)."""
        if isinstance(self.body, dict) and "/callback" in self.path:
            return dict(self.body.get("data") or {})
        return dict(self.body or {})


Handler = Callable[[re.Match[str], Call], Awaitable[tuple[int, Any]]]


@dataclass
class Fault:
    """A refusal a test injects: the next ``times`` requests matching ``method`` and the
    ``path`` pattern get ``status``, ``body`` and ``headers`` instead of an answer."""

    method: str
    path: re.Pattern[str]
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class InteractionState:
    """What Discord knows of one interaction: when it was created and first answered."""

    created: float
    acknowledged: float | None = None
    deferred: bool = False


def _error(status: int, code: int, message: str) -> tuple[int, Json]:
    return status, {"message": message, "code": code}


class FakeDiscord:
    """The gateway and REST API of one bot application, recorded for assertions."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.commands: dict[str, Json] = {}
        self.messages: dict[str, Json] = {}
        self.attachments: dict[str, bytes] = {}
        self.interactions: dict[str, InteractionState] = {}
        """By interaction token."""
        self.clock = Clock()
        self.gateway = FakeGateway(self._welcome)
        self._faults: list[Fault] = []
        self._originals: dict[str, str] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base = ""
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/users/@me"), self._me),
            ("GET", re.compile(r"/oauth2/applications/@me"), self._application),
            ("PUT", re.compile(r"/applications/\d+(?:/guilds/\d+)?/commands"), self._sync),
            ("POST", re.compile(r"/interactions/(\d+)/([^/]+)/callback"), self._callback),
            ("POST", re.compile(r"/webhooks/\d+/([^/]+)"), self._followup),
            ("PATCH", re.compile(r"/webhooks/\d+/([^/]+)/messages/(@original|\d+)"), self._edit),
            ("DELETE", re.compile(r"/webhooks/\d+/([^/]+)/messages/(@original|\d+)"), self._delete),
            ("POST", re.compile(r"/channels/(\d+)/messages"), self._channel_message),
            ("DELETE", re.compile(r"/channels/\d+/messages/(\d+)"), self._delete_message),
            ("POST", re.compile(r"/channels/\d+/typing"), self._nothing),
        ]

    # lifecycle

    @property
    def identified(self) -> asyncio.Event:
        return self.gateway.identified

    @property
    def intents(self) -> discord.Intents:
        return discord.Intents._from_value(self.gateway.intents)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{id}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        self.gateway.url = f"ws://127.0.0.1:{port}/gateway"

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # what tests do

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a gateway event to the bot once it has a session (kept for replay while it
        is reconnecting); an interaction's 3 seconds start then."""
        await asyncio.wait_for(self.identified.wait(), WAIT_SECONDS)
        if event == "INTERACTION_CREATE":
            self.interaction_created(data["token"])
        await self.gateway.dispatch(event, data)

    def interaction_created(self, token: str) -> None:
        """Start an interaction's clocks: 3 s to a first response, 15 minutes of token."""
        self.interactions[token] = InteractionState(self.clock.now())

    def refuse(
        self,
        method: str,
        path: str,
        status: int,
        body: Json | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` ``method`` requests whose path matches the regular
        expression ``path`` with ``status`` (and ``body``, ``headers``) instead."""
        default = {"message": f"{status}: refused by the test", "code": 0}
        self._faults.append(
            Fault(method, re.compile(path), status, body or default, headers or {}, times)
        )

    def rate_limit(
        self, method: str, path: str, retry_after: float, *, scope: str = "user", times: int = 1
    ) -> None:
        """429 the next ``times`` matching requests as Discord does: ``scope`` "global" is
        the bot's global limit, user or shared (Discord's scope names) a per-route bucket."""
        is_global = scope == "global"
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        body |= {"global": is_global, "code": 0}
        headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Bucket": f"fake-bucket-{abs(hash((method, path))) % 10_000}",
            "X-RateLimit-Scope": scope,
            # Without Via, discord.py takes a 429 for a Cloudflare ban and gives up.
            "Via": "1.1 google",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        self.refuse(method, path, 429, body, headers, times)

    def acknowledgement_seconds(self, token: str) -> float:
        """Seconds by the fake's clock from an interaction to its (accepted) first response."""
        state = self.interactions[token]
        assert state.acknowledged is not None, "the interaction was never acknowledged"
        return state.acknowledged - state.created

    async def wait_for(self, predicate: Callable[[Call], bool]) -> Call:
        """The first recorded call that matches, waiting for it."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self._find(predicate) is not None), WAIT_SECONDS
            )
            found = self._find(predicate)
            assert found is not None
            return found

    def attachment(self, name: str, data: bytes) -> Json:
        """Serve ``data`` as a file uploaded under ``name``; returns its attachment payload."""
        attachment_id = payloads.next_id()
        self.attachments[attachment_id] = data
        return {
            "id": attachment_id,
            "filename": name,
            "size": len(data),
            "url": f"{self.base}/attachments/{attachment_id}",
            "proxy_url": f"{self.base}/attachments/{attachment_id}",
            "content_type": "text/plain",
        }

    def original(self, interaction_token: str) -> Json | None:
        """The current state of an interaction's original response message."""
        message_id = self._originals.get(interaction_token)
        return self.messages.get(message_id) if message_id else None

    def _find(self, predicate: Callable[[Call], bool]) -> Call | None:
        return next((call for call in self.calls if predicate(call)), None)

    # gateway

    def _welcome(self) -> list[tuple[str, Json]]:
        """READY (the gateway adds the session) and the guilds it announces."""
        ready = {
            "v": 10,
            "user": payloads.BOT_USER,
            "guilds": [{"id": str(guild), "unavailable": True} for guild in payloads.CHANNELS],
            "application": {"id": str(payloads.APPLICATION_ID), "flags": 0},
        }
        return [("READY", ready)] + [
            ("GUILD_CREATE", payloads.guild(guild)) for guild in payloads.CHANNELS
        ]

    async def _attachment(self, request: web.Request) -> web.Response:
        return web.Response(body=self.attachments[request.match_info["id"]])

    # REST

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        # Interaction callbacks and webhooks carry their token in the URL, no Bot header.
        webhook = path.startswith(("/interactions/", "/webhooks/"))
        text = await request.text()
        call = Call(request.method, path, json.loads(text) if text else None, at=self.clock.now())
        headers: dict[str, str] = {}
        fault = self._fault_for(call)
        if fault is not None:
            status, answer, headers = fault.status, fault.body, fault.headers
            call.injected = True
        elif not webhook and request.headers.get("Authorization") != f"Bot {TOKEN}":
            status, answer = 401, {"message": "401: Unauthorized", "code": 0}
        else:
            status, answer = await self._handle(call)
        call.status, call.answer = status, answer
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if status == 204:
            return web.Response(status=204, headers=headers)
        # discord.py parses JSON only when the content type is exactly application/json.
        return web.Response(
            body=json.dumps(answer).encode(),
            status=status,
            headers={"Content-Type": "application/json"} | headers,
        )

    def _fault_for(self, call: Call) -> Fault | None:
        for fault in self._faults:
            if fault.method == call.method and fault.path.search(call.path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _handle(self, call: Call) -> tuple[int, Any]:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(call.path)
            if method == call.method and match:
                return await handler(match, call)
        return 404, {"message": f"fake Discord has no {call.method} {call.path}"}

    async def _me(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        return 200, payloads.BOT_USER

    async def _application(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        return 200, payloads.application()

    async def _sync(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        synced = []
        for command in call.body:
            stored = {
                **command,
                "id": payloads.next_id(),
                "application_id": str(payloads.APPLICATION_ID),
                "version": "1",
            }
            self.commands[command["name"]] = stored
            synced.append(stored)
        return 200, synced

    async def _nothing(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        return 204, None

    def _store(self, data: Json, *, loading: bool = False) -> Json:
        message = payloads.message(
            author=payloads.BOT_USER,
            content=data.get("content") or "",
            embeds=data.get("embeds"),
            components=data.get("components"),
            flags=(data.get("flags") or 0) | (LOADING if loading else 0),
        )
        self.messages[message["id"]] = message
        return message

    def _refusal(self, message: Json) -> tuple[int, Json] | None:
        """Discord's 400 for a message beyond its limits, naming each problem."""
        problems = message_problems(message)
        if not problems:
            return None
        return 400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}

    async def _callback(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        kind = call.body["type"]
        data = call.body.get("data") or {}
        token = match[2]
        state = self.interactions.get(token)
        if state is None or call.at - state.created > FIRST_RESPONSE_SECONDS:
            return _error(404, 10062, "Unknown interaction")
        if state.acknowledged is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        refusal = self._refusal(data) if kind in (4, 7) else None
        if refusal:
            return refusal
        state.acknowledged, state.deferred = call.at, kind == 5
        interaction = {"id": match[1], "type": 2}
        if kind in (4, 5):
            message = self._store(data, loading=kind == 5)
            self._originals[token] = message["id"]
            interaction |= {
                "response_message_id": message["id"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
            }
            return 200, {"interaction": interaction, "resource": {"type": kind, "message": message}}
        return 200, {"interaction": interaction}

    def _token_refusal(self, token: str, at: float) -> tuple[int, Json] | None:
        """Why an interaction token cannot be used now: never acknowledged, or expired."""
        state = self.interactions.get(token)
        if state is None or state.acknowledged is None:
            return _error(404, 10015, "Unknown Webhook")
        if at - state.created > TOKEN_SECONDS:
            return _error(401, 50027, "Invalid Webhook Token")
        return None

    async def _followup(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        refusal = self._token_refusal(match[1], call.at) or self._refusal(call.body)
        if refusal:
            return refusal
        original = self.original(match[1])
        if original is not None and original["flags"] & LOADING:
            # As on Discord: the first followup after a deferral fills in the "thinking…"
            # message, keeping the deferral's visibility.
            return 200, self._change(original, call.body)
        return 200, self._store(call.body)

    def _change(self, message: Json, body: Json) -> Json:
        message.update({key: value for key, value in body.items() if key != "allowed_mentions"})
        message["flags"] = (message.get("flags") or 0) & ~LOADING
        return message

    async def _edit(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        refusal = self._token_refusal(match[1], call.at) or self._refusal(call.body)
        if refusal:
            return refusal
        message_id = self._originals.get(match[1]) if match[2] == "@original" else match[2]
        if message_id not in self.messages:
            return _error(404, 10008, "Unknown Message")
        original_flags = self.messages[message_id].get("flags") or 0
        changed = self._change(self.messages[message_id], call.body)
        # An edit cannot make a message ephemeral or public.
        changed["flags"] = (changed["flags"] & ~EPHEMERAL) | (original_flags & EPHEMERAL)
        return 200, changed

    async def _delete(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        refusal = self._token_refusal(match[1], call.at)
        if refusal:
            return refusal
        message_id = self._originals.pop(match[1], None) if match[2] == "@original" else match[2]
        if self.messages.pop(message_id or "", None) is None:
            return _error(404, 10008, "Unknown Message")
        return 204, None

    async def _delete_message(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        self.messages.pop(match[1], None)
        return 204, None

    async def _channel_message(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        return self._refusal(call.body) or (200, self._store(call.body))
