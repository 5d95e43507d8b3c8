"""A small fake Discord on 127.0.0.1: the gateway websocket and the REST routes citebot uses.

The real discord.py client connects to it; tests inject gateway events (slash commands,
button presses, messages) and assert on the REST calls the bot made, which are all
recorded in order.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from aiohttp import WSMsgType, web

from fake_discord import payloads
from fake_discord.payloads import Json

TOKEN = "fake-token-never-shown"
WAIT_SECONDS = 20.0
EPHEMERAL = 64


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    body: Any = None
    status: int = 0

    @property
    def message(self) -> Json:
        """The message data the call sends (interaction callbacks wrap it in ``data``)."""
        if isinstance(self.body, dict) and "/callback" in self.path:
            return dict(self.body.get("data") or {})
        return dict(self.body or {})


Handler = Callable[[re.Match[str], Call], Awaitable[tuple[int, Any]]]


class FakeDiscord:
    """The gateway and REST API of one bot application, recorded for assertions."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.commands: dict[str, Json] = {}
        self.messages: dict[str, Json] = {}
        self.attachments: dict[str, bytes] = {}
        self.identified = asyncio.Event()
        self.intents = discord.Intents.none()
        self._originals: dict[str, str] = {}
        self._changed = asyncio.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._sequence = 0
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

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # what tests do

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a gateway event to the bot once it has identified."""
        await asyncio.wait_for(self.identified.wait(), WAIT_SECONDS)
        await self._send_event(event, data)

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

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 30_000}}))
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            if message["op"] == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif message["op"] == 2:
                self.intents.value = message["d"]["intents"]
                await self._identify()
        return socket

    async def _identify(self) -> None:
        assert self._socket is not None
        ready = {
            "v": 10,
            "user": payloads.BOT_USER,
            "guilds": [{"id": str(payloads.GUILD_ID), "unavailable": True}],
            "session_id": "session",
            "resume_gateway_url": f"{self.base.replace('http', 'ws')}/gateway",
            "application": {"id": str(payloads.APPLICATION_ID), "flags": 0},
        }
        await self._send_event("READY", ready)
        await self._send_event("GUILD_CREATE", payloads.guild())
        self.identified.set()

    async def _send_event(self, event: str, data: Json) -> None:
        assert self._socket is not None
        self._sequence += 1
        await self._socket.send_str(
            json.dumps({"op": 0, "t": event, "s": self._sequence, "d": data})
        )

    async def _attachment(self, request: web.Request) -> web.Response:
        return web.Response(body=self.attachments[request.match_info["id"]])

    # REST

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        # Interaction callbacks and webhooks carry their token in the URL, no Bot header.
        webhook = path.startswith(("/interactions/", "/webhooks/"))
        text = await request.text()
        call = Call(request.method, path, json.loads(text) if text else None)
        if not webhook and request.headers.get("Authorization") != f"Bot {TOKEN}":
            status, answer = 401, {"message": "401: Unauthorized", "code": 0}
        else:
            status, answer = await self._handle(call)
        call.status = status
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if status == 204:
            return web.Response(status=204)
        # discord.py parses JSON only when the content type is exactly application/json.
        return web.Response(
            body=json.dumps(answer).encode(),
            status=status,
            headers={"Content-Type": "application/json"},
        )

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
            flags=(data.get("flags") or 0) | (128 if loading else 0),
        )
        self.messages[message["id"]] = message
        return message

    async def _callback(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        kind = call.body["type"]
        data = call.body.get("data") or {}
        token = match[2]
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

    async def _followup(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        return 200, self._store(call.body)

    async def _edit(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        message_id = self._originals.get(match[1]) if match[2] == "@original" else match[2]
        if message_id not in self.messages:
            return 404, {"message": "Unknown Message", "code": 10008}
        current = self.messages[message_id]
        changes = {key: value for key, value in call.body.items() if key != "allowed_mentions"}
        current.update(changes)
        current["flags"] = current.get("flags", 0) & ~128
        return 200, current

    async def _delete(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        message_id = self._originals.pop(match[1], None) if match[2] == "@original" else match[2]
        self.messages.pop(message_id or "", None)
        return 204, None

    async def _delete_message(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        self.messages.pop(match[1], None)
        return 204, None

    async def _channel_message(self, match: re.Match[str], call: Call) -> tuple[int, Any]:
        return 200, self._store(call.body)
