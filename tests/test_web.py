"""The one web client: what it fetches, and what it refuses (private addresses, too big,
too slow, errors, endless redirects), against a local server on 127.0.0.1."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from index.ingest.web import USER_AGENT, FetchError, WebClient, is_public
from web_server import Route, WebServer

LOCAL = WebClient(timeout=5, max_bytes=100_000, allow_private=True)


def test_a_page_is_fetched_with_citebots_user_agent(web: WebServer) -> None:
    url = web.page("/story", "harbour-bridge.html")
    fetched = LOCAL.get(url)
    assert fetched.url == url and b"Harbour Bridge" in fetched.data
    assert fetched.content_type.startswith("text/html")
    assert web.requests == [("/story", USER_AGENT)]


def test_a_private_address_is_refused_unless_allowed(web: WebServer) -> None:
    url = web.page("/story", "harbour-bridge.html")
    with pytest.raises(FetchError, match="private, loopback or link-local"):
        WebClient().get(url)
    assert web.requests == []  # refused before any connection


def test_a_redirect_is_followed(web: WebServer) -> None:
    url = web.page("/story", "harbour-bridge.html")
    web.routes["/short"] = Route(status=301, headers={"Location": "/story"})
    assert LOCAL.get(web.url("/short")).url == url


def test_the_connection_goes_to_the_checked_address_and_a_redirect_is_checked_again(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public name (answered here by the local server) redirecting to a private address."""
    web.routes["/away"] = Route(status=302, headers={"Location": "http://192.168.1.1/router"})
    port = int(web.url("/").rsplit(":", 1)[1].strip("/"))
    real_lookup, real_connect = socket.getaddrinfo, socket.create_connection
    public = ("93.184.215.14", port)

    def lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "news.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", public)]
        return real_lookup(host, *args, **kwargs)

    connected: list[tuple[str, int]] = []

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address)
        return real_connect(("127.0.0.1", port), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    monkeypatch.setattr(socket, "create_connection", connect)
    with pytest.raises(FetchError, match="192.168.1.1, a private"):
        WebClient(timeout=2).get(f"http://news.example.com:{port}/away")
    assert connected == [public]  # only the checked address, and not the private one


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    addresses = [("93.184.215.14", 80), ("127.0.0.1", 80)]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", a) for a in addresses],
    )
    with pytest.raises(FetchError, match="127.0.0.1"):
        WebClient().get("http://rebinding.example/")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize("url", ["ftp://example.com/a", "file:///etc/passwd", "example.com", ""])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(FetchError, match="not an http"):
        LOCAL.get(url)


@pytest.mark.parametrize("length", [True, False])
def test_a_page_too_big_is_refused(web: WebServer, length: bool) -> None:
    web.routes["/big"] = Route(b"<p>news</p>" * 20_000, length=length)
    with pytest.raises(FetchError, match="larger than 100,000 bytes"):
        LOCAL.get(web.url("/big"))


def test_a_slow_server_times_out(web: WebServer) -> None:
    web.routes["/slow"] = Route(b"<p>late</p>", delay=3)
    with pytest.raises(FetchError, match="did not answer within 0.5 seconds"):
        WebClient(timeout=0.5, allow_private=True).get(web.url("/slow"))


def test_a_missing_page_says_what_the_server_answered(web: WebServer) -> None:
    with pytest.raises(FetchError, match="answered 404"):
        LOCAL.get(web.url("/gone"))


def test_endless_redirects_stop(web: WebServer) -> None:
    web.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="redirects more than 5 times"):
        LOCAL.get(web.url("/loop"))
    assert len(web.requests) == 6
