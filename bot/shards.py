"""A local cluster of Xapian shard servers, for development and tests: one ``xapian-tcpsrv``
a shard, on loopback unless asked otherwise, each started in its own process group (the
server kills its whole group on SIGTERM, so it must not share the caller's), with a pid
file beside its shard so that another command can stop it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from index.errors import CitebotError
from index.shard_location import ShardAddress, shard_name

LOOPBACK = "127.0.0.1"
IDLE_TIMEOUT_SECONDS = 3600.0
"""xapian-tcpsrv drops a connection idle for longer (its default is 60 s); the client
reconnects anyway, but a bot between questions should not pay for it every minute."""
_START_SECONDS = 10.0
_STOP_SECONDS = 10.0


class ClusterError(CitebotError):
    """A shard server could not be started or stopped; the message says which and why."""


@dataclass(frozen=True)
class ShardServer:
    """A running shard server, as its pid file records it."""

    shard: int
    host: str
    port: int
    pid: int

    @property
    def address(self) -> ShardAddress:
        return ShardAddress(self.host, self.port)


def server_program() -> str | None:
    """The path of ``xapian-tcpsrv`` (Debian's xapian-tools), or None when not installed."""
    return shutil.which("xapian-tcpsrv")


def serve(
    folder: Path,
    shards: int,
    base_port: int,
    *,
    host: str = LOOPBACK,
    idle_timeout: float = IDLE_TIMEOUT_SECONDS,
) -> list[ShardServer]:
    """Start a server for each of the ``shards`` shards under ``folder`` on ports
    ``base_port``, ``base_port + 1``, ...; returns once every one accepts connections."""
    program = server_program()
    if program is None:
        raise ClusterError(
            "xapian-tcpsrv is not installed; on Debian or Ubuntu: apt-get install xapian-tools"
        )
    if running(folder):
        raise ClusterError(f"Shard servers for {folder} are already running; stop them first.")
    started: list[ShardServer] = []
    try:
        for shard in range(shards):
            started.append(_start(program, folder, shard, host, base_port + shard, idle_timeout))
    except ClusterError:
        stop(folder)
        raise
    return started


def _start(
    program: str, folder: Path, shard: int, host: str, port: int, idle_timeout: float
) -> ShardServer:
    path = folder / shard_name(shard)
    if not path.is_dir():
        raise ClusterError(f"{path} does not exist; build the shards first.")
    log = (folder / f"{shard_name(shard)}.log").open("ab")
    with log:
        process = subprocess.Popen(
            [
                program,
                "--interface",
                host,
                "--port",
                str(port),
                "--idle-timeout",
                str(int(idle_timeout * 1000)),
                "--quiet",
                str(path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ShardServer(shard, host, port, process.pid)
    _write_pid_file(folder, server)
    deadline = time.monotonic() + _START_SECONDS
    while not _accepts(host, port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise ClusterError(
                f"The server for {path} on {host}:{port} did not start; see "
                f"{folder / f'{shard_name(shard)}.log'} (is the port in use?)."
            )
        time.sleep(0.02)
    return server


def running(folder: Path) -> list[ShardServer]:
    """The servers whose pid files are under ``folder`` and whose process is alive."""
    servers = []
    for pid_file in sorted(folder.glob("shard-*.pid")):
        server = ShardServer(**json.loads(pid_file.read_text()))
        if _alive(server.pid):
            servers.append(server)
    return servers


def stop(folder: Path) -> list[ShardServer]:
    """SIGTERM every server of ``folder`` (its whole process group), wait for each to end,
    remove the pid files; returns the servers that were running."""
    servers = running(folder)
    for server in servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_SECONDS
    for server in servers:
        while _alive(server.pid):
            if time.monotonic() > deadline:
                raise ClusterError(f"Shard server {server.pid} did not stop on SIGTERM.")
            time.sleep(0.02)
    for pid_file in folder.glob("shard-*.pid"):
        pid_file.unlink(missing_ok=True)
    return servers


def _write_pid_file(folder: Path, server: ShardServer) -> None:
    """Atomically: a reader sees no pid file or a whole one."""
    target = folder / f"{shard_name(server.shard)}.pid"
    partial = target.with_suffix(".pid.tmp")
    partial.write_text(json.dumps(asdict(server)))
    partial.replace(target)


def _alive(pid: int) -> bool:
    try:
        # Reap it if it is our own child that has ended, so it does not linger as a zombie.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
