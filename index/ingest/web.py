"""The one client that fetches from the web, for links and feeds: nothing else in citebot
opens a socket to a page.

A bot that fetches any address a moderator types must not become a way into the host's
network, so every request is checked before it is made: only http(s), at most a few
redirects (each checked again), and no private, loopback, link-local or otherwise
non-public address unless the operator allows them. The host name is resolved once, every
address it resolves to is checked, and the connection goes to the checked address — a
second lookup (DNS rebinding) gets no say. Each fetch has a deadline, a size limit and a
User-Agent that says who is asking.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from index.errors import CitebotError

USER_AGENT = "citebot/0.1 (news Q&A bot; fetches pages and feeds its moderators add)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 65_536


class FetchError(CitebotError):
    """A page or feed could not be fetched, or may not be; the message says which and why."""


@dataclass(frozen=True)
class Fetched:
    """What an address gave: the address it finally came from, its bytes and their type."""

    url: str
    data: bytes
    content_type: str = ""


@dataclass(frozen=True)
class WebClient:
    """Fetches with a timeout, a size limit, limited redirects and the address policy."""

    timeout: float = 15.0
    """Seconds one fetch may take in all, redirects included."""
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    allow_private: bool = False
    """True lets addresses in private, loopback and link-local ranges be fetched."""
    user_agent: str = USER_AGENT
    _tls: ssl.SSLContext = field(
        default_factory=ssl.create_default_context, init=False, repr=False, compare=False
    )

    def get(self, url: str) -> Fetched:
        """GET ``url``, following checked redirects; FetchError says what went wrong."""
        deadline = time.monotonic() + self.timeout
        for _ in range(self.max_redirects + 1):
            response, connection = self._request(url, deadline)
            try:
                if response.status in _REDIRECTS and response.getheader("Location"):
                    url = urljoin(url, response.getheader("Location", ""))
                    continue
                if response.status != 200:
                    raise FetchError(f"{url} answered {response.status} {response.reason}.")
                data = self._body(url, response, deadline)
                return Fetched(url, data, response.getheader("Content-Type", ""))
            finally:
                connection.close()
        raise FetchError(f"{url} redirects more than {self.max_redirects} times; not followed.")

    def _request(
        self, url: str, deadline: float
    ) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{url!r} is not an http:// or https:// address.")
        https = parts.scheme == "https"
        try:
            port = parts.port or (443 if https else 80)
        except ValueError:
            raise FetchError(f"{url!r} has no valid port.") from None
        address = self._checked_address(parts.hostname, port)
        timeout = _left(url, deadline)
        connection = (
            _PinnedHTTPS(parts.hostname, port, address, timeout, self._tls)
            if https
            else _PinnedHTTP(parts.hostname, port, address, timeout)
        )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        try:
            connection.request("GET", path, headers=headers)
            return connection.getresponse(), connection
        except TimeoutError:
            connection.close()
            raise FetchError(f"{url} did not answer within {self.timeout:g} seconds.") from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise FetchError(f"cannot fetch {url}: {error}") from None

    def _checked_address(self, host: str, port: int) -> str:
        """The address to connect to: every address ``host`` resolves to must be allowed."""
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise FetchError(f"cannot find the host {host}: {error}") from None
        addresses = [str(info[4][0]) for info in found]
        if not self.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise FetchError(
                        f"{host} is at {address}, a private, loopback or link-local address; "
                        "citebot fetches only public addresses (CITEBOT_FETCH_PRIVATE allows "
                        "others)."
                    )
        return addresses[0]

    def _body(self, url: str, response: http.client.HTTPResponse, deadline: float) -> bytes:
        """The response's bytes, refused past ``max_bytes`` or the deadline."""
        length = response.getheader("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise self._too_big(url)
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := response.read1(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_big(url)
                chunks.append(chunk)
                _left(url, deadline)
        except TimeoutError:
            raise FetchError(f"{url} did not answer within {self.timeout:g} seconds.") from None
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(f"cannot read {url}: {error}") from None
        return b"".join(chunks)

    def _too_big(self, url: str) -> FetchError:
        return FetchError(f"{url} is larger than {self.max_bytes:,} bytes; not fetched.")


def is_public(address: str) -> bool:
    """True for an address on the public internet: not private, loopback, link-local,
    shared, reserved, multicast or unspecified (an IPv4 address inside IPv6 as itself)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _left(url: str, deadline: float) -> float:
    """Seconds left before ``deadline``; FetchError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(f"{url} took too long to fetch; gave up.")
    return left


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to one checked address, whatever the host name resolves to now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to one checked address; the certificate is checked against the
    host name, as it would be without the pinning."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, tls: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=tls)
        self._address = address
        self._tls = tls

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
