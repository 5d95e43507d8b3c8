"""A server's library on disk: nothing is lost (replace, remove and restore keep copies),
uploads are counted for an hour, and ``citebot libraries`` lists and prunes them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.libraries import HOUR, LibraryError, libraries, library, record_servers

CITEBOT = str(Path(sys.executable).parent / "citebot")
FIRST, SECOND = b"Pelicans\n\nThey migrate in October.\n", b"Pelicans\n\nThey migrate in May.\n"


def test_replacing_keeps_the_earlier_version_and_a_restore_keeps_the_one_it_replaces(
    tmp_path: Path,
) -> None:
    shelf = library(tmp_path, 2000)
    assert shelf.save("pelicans.txt", FIRST) is None
    kept = shelf.save("pelicans.txt", SECOND)
    assert kept is not None and kept.reason == "replaced" and kept.path.read_bytes() == FIRST
    assert shelf.versions("pelicans.txt") == [kept]

    replaced = shelf.restore(shelf.version("pelicans.txt", ""))
    assert (shelf.articles / "pelicans.txt").read_bytes() == FIRST
    assert replaced is not None and replaced.path.read_bytes() == SECOND
    assert [version.reason for version in shelf.versions("pelicans.txt")] == [
        "restored",
        "replaced",
    ]


def test_removing_keeps_a_copy_and_an_unknown_article_or_version_is_refused(
    tmp_path: Path,
) -> None:
    shelf = library(tmp_path, 2000)
    shelf.save("pelicans.txt", FIRST)
    kept = shelf.remove("pelicans.txt")
    assert shelf.article_names() == [] and kept.path.read_bytes() == FIRST
    with pytest.raises(LibraryError, match="not in this server's library"):
        shelf.remove("pelicans.txt")
    with pytest.raises(LibraryError, match="keeps no version 'x'"):
        shelf.version("pelicans.txt", "x")


def test_uploads_count_towards_the_hourly_limit_for_an_hour(tmp_path: Path) -> None:
    shelf = library(tmp_path, 2000)
    shelf.record_upload(now=1000.0)
    shelf.record_upload(now=1000.0 + HOUR - 1)
    assert shelf.uploads_within(HOUR, now=1000.0 + HOUR) == 1
    assert shelf.last_used == 1000.0 + HOUR - 1


def citebot_libraries(action: str, data: Path) -> subprocess.CompletedProcess[str]:
    settings = data.parent / "test.env"
    settings.write_text(f"CITEBOT_DATA_DIR={data}\n")
    return subprocess.run(
        [CITEBOT, "--env-file", str(settings), "libraries", action],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_libraries_list_shows_each_server_and_prune_deletes_left_servers_and_copies(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    staying, leaving = library(data, 2000), library(data, 2100)
    staying.save("pelicans.txt", FIRST)
    staying.save("pelicans.txt", SECOND)
    staying.touch(now=0.0)
    leaving.save("herons.txt", FIRST)
    record_servers(data, [2000])

    listed = citebot_libraries("list", data)
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[1].split()[:5] == ["2000", "1", f"{len(SECOND)}", "0", "1"]
    assert rows[1].endswith("1970-01-01 00:00 UTC")
    assert rows[2].startswith("2100 (left)") and rows[2].endswith("never")

    pruned = citebot_libraries("prune", data)
    assert pruned.returncode == 0, pruned.stderr
    assert "removed the library of server 2100" in pruned.stdout
    assert "server 2000: deleted 1 kept version(s)" in pruned.stdout
    assert [found.guild_id for found in libraries(data)] == [2000]
    assert staying.versions("pelicans.txt") == [] and staying.article_names() == ["pelicans.txt"]
