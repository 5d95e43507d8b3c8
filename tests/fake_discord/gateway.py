"""The fake gateway: one bot session over a websocket, with Discord's ways of going wrong.

A session outlives its socket, as on Discord: events dispatched while the bot is away are
kept and replayed when it RESUMEs. Tests can drop the socket, ask the bot to reconnect
(op 7), invalidate its session (op 9), stop acknowledging heartbeats, or refuse its
IDENTIFY with a close code; frames are zlib-stream compressed when the client asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from fake_discord.payloads import Json

HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    1,
    2,
    6,
    7,
    9,
    10,
    11,
)
ZLIB_STREAM = "zlib-stream"

_session_ids = itertools.count(1)


@dataclass
class _Connection:
    """One websocket; frames go out compressed when the client asked for zlib-stream."""

    socket: web.WebSocketResponse
    request: web.Request
    compressor: zlib._Compress | None
    acks_heartbeats: bool = True

    async def send(self, frame: Json) -> None:
        text = json.dumps(frame)
        if self.compressor is None:
            await self.socket.send_str(text)
            return
        data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        await self.socket.send_bytes(data)


@dataclass
class _Session:
    """What RESUME needs: the session id and every event dispatched in it, in order."""

    session_id: str
    events: list[Json] = field(default_factory=list)


class FakeGateway:
    """The gateway side of the fake Discord; ``welcome`` gives READY (less its session
    fields) and the events that follow it, such as GUILD_CREATE."""

    def __init__(self, welcome: Callable[[], list[tuple[str, Json]]]) -> None:
        self._welcome = welcome
        self.url = ""
        self.heartbeat_interval_ms = 30_000
        """What HELLO tells the client; short values make missed ACKs noticeable quickly."""
        self.refuse_identify_with: int | None = None
        """A close code (4004 bad token, 4014 disallowed intents) to answer IDENTIFY with."""
        self.intents = 0
        self.compression: str | None = None
        """What the client asked for in its last connection's ``compress=`` query."""
        self.opcodes: list[int] = []
        """Every opcode the client sent, in order (IDENTIFY = 2, RESUME = 6)."""
        self.identified = asyncio.Event()
        """Set while the bot has a session (after READY), so events can be dispatched."""
        self.resumed = asyncio.Event()
        """Set each time a RESUME succeeds; tests clear it before causing one."""
        self.replayed = 0
        """How many events RESUMEs have replayed."""
        self._session: _Session | None = None
        self._live: _Connection | None = None
        self._connections: list[_Connection] = []

    # what tests do

    async def dispatch(self, event: str, data: Json) -> None:
        """Send an event in the current session, or keep it for replay while the bot is away."""
        await self.identified.wait()
        await self._send_event(event, data)

    async def _send_event(self, event: str, data: Json) -> None:
        assert self._session is not None
        frame = {"op": 0, "t": event, "s": len(self._session.events) + 1, "d": data}
        self._session.events.append(frame)
        # A socket the bot is leaving may refuse it; the bot gets it when it resumes.
        if self._live is not None:
            with contextlib.suppress(ConnectionError):
                await self._live.send(frame)

    def drop(self) -> None:
        """Cut the bot's connection without a closing handshake, as a network failure does."""
        connection = self._take_live()
        transport = connection.request.transport
        if transport is not None:
            transport.abort()

    async def ask_to_reconnect(self) -> None:
        """Op 7: Discord asks the client to reconnect and resume."""
        await self._require_live().send({"op": RECONNECT, "d": None})

    async def invalidate_session(self) -> None:
        """Op 9 (not resumable): the session is gone; the client must IDENTIFY again."""
        connection = self._require_live()
        self._session = None
        self.identified.clear()
        await connection.send({"op": INVALID_SESSION, "d": False})

    def miss_heartbeat_acks(self) -> None:
        """The current connection stops answering heartbeats (a "zombied" connection)."""
        self._require_live().acks_heartbeats = False

    async def close(self) -> None:
        for connection in self._connections:
            await connection.socket.close()

    # the websocket

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.compression = request.query.get("compress")
        compressor = zlib.compressobj() if self.compression == ZLIB_STREAM else None
        connection = _Connection(socket, request, compressor)
        self._connections.append(connection)
        await connection.send(
            {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
        )
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    break
                await self._receive(connection, json.loads(frame.data))
        finally:
            if self._live is connection:
                self._live = None
        return socket

    async def _receive(self, connection: _Connection, message: Json) -> None:
        op = message["op"]
        self.opcodes.append(op)
        if op == HEARTBEAT and connection.acks_heartbeats:
            await connection.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(connection, message["d"])
        elif op == RESUME:
            await self._resume(connection, message["d"])

    async def _identify(self, connection: _Connection, data: Json) -> None:
        if self.refuse_identify_with is not None:
            await connection.socket.close(code=self.refuse_identify_with, message=b"refused")
            return
        self.intents = data["intents"]
        self._session = _Session(f"session-{next(_session_ids)}")
        self._live = connection
        for event, payload in self._welcome():
            if event == "READY":
                payload = payload | {
                    "session_id": self._session.session_id,
                    "resume_gateway_url": self.url,
                }
            await self._send_event(event, payload)
        self.identified.set()

    async def _resume(self, connection: _Connection, data: Json) -> None:
        session = self._session
        if session is None or data.get("session_id") != session.session_id:
            await connection.send({"op": INVALID_SESSION, "d": False})
            return
        # Replay what the client missed; nothing is sent live until it has caught up.
        sent = int(data.get("seq") or 0)
        while sent < len(session.events):
            frame = session.events[sent]
            await connection.send(frame)
            sent = frame["s"]
            self.replayed += 1
        self._live = connection
        await self._send_event("RESUMED", {})
        self.resumed.set()

    def _require_live(self) -> _Connection:
        assert self._live is not None, "the bot is not connected to the fake gateway"
        return self._live

    def _take_live(self) -> _Connection:
        connection = self._require_live()
        self._live = None
        return connection
