"""A local HTTP server on 127.0.0.1 for the web tests: each path serves what a test put
there (a page, a feed, an error, a slow or endless answer)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEB_DATA = Path(__file__).parent / "data" / "web"


@dataclass
class Route:
    """What one path answers: status, body, headers; ``delay`` seconds before answering."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True
    """False sends no Content-Length: the body ends when the connection closes."""


class WebServer:
    """The running server: ``routes`` by path, ``url(path)`` the address to fetch."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []
        """(path, User-Agent) of every request, in order."""
        handler = type("Handler", (_Handler,), {"web": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def page(self, path: str, name: str) -> str:
        """Serve the sample page ``name`` at ``path``; returns its address."""
        self.routes[path] = Route((WEB_DATA / name).read_bytes())
        return self.url(path)

    def feed(self, path: str, name: str, links: dict[str, str], kind: str) -> str:
        """Serve the sample feed ``name`` with ``{name}`` placeholders replaced by ``links``."""
        text = (WEB_DATA / name).read_text(encoding="utf-8")
        for key, link in links.items():
            text = text.replace("{" + key + "}", link)
        self.routes[path] = Route(text.encode(), content_type=kind)
        return self.url(path)


class _Handler(BaseHTTPRequestHandler):
    web: WebServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.web.requests.append((self.path, self.headers.get("User-Agent", "")))
        route = self.web.routes.get(self.path, Route(b"not found", 404, "text/plain"))
        if route.delay:
            time.sleep(route.delay)
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        if route.length:
            self.send_header("Content-Length", str(len(route.body)))
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (too big, too slow)
            self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def web_server() -> Iterator[WebServer]:
    """Serve on a free port of 127.0.0.1 until the block ends."""
    web = WebServer()
    threading.Thread(target=web._server.serve_forever, daemon=True).start()
    try:
        yield web
    finally:
        web._server.shutdown()
        web._server.server_close()
