"""Two processes, one index folder: real ``citebot`` processes beside this one.

Nothing here waits for a time to pass: a test that needs another process at a certain
point holds the folder's lock itself, or reads what the process printed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import Settings
from bot.service import Service
from index import SearchIndex
from index.corpus import load_corpus
from index.store import corpus_fingerprint, index_lock, load_index, save_index, stored_version
from test_cli import command_line, environment

ARTICLE = """Lighthouse keeper counts record seabirds

The keeper of the Skerryvore lighthouse counted 4,217 puffins on the rocks on Tuesday, the
largest number since records began in 1921.

"I have never seen so many birds at once," said the keeper, Morag Tulloch, who has tended
the light for eleven years.
"""
QUESTION = "How many puffins did the lighthouse keeper count?"
WAITING = "rebuilding the index"
"""What a process prints when it finds the folder locked and waits."""


@pytest.fixture
def settings(corpus: Path, tmp_path: Path, seed_index: SearchIndex) -> Settings:
    """Settings over a private copy of the seeds whose index folder already holds their
    index, so that the processes under test only rebuild what a test changes."""
    save_index(seed_index, tmp_path / "index")
    return Settings(corpus_dir=corpus, index_path=tmp_path / "index")


def start_reindex(settings: Settings) -> subprocess.Popen[str]:
    """``citebot reindex`` on ``settings``' corpus and index, in a process of its own."""
    where = ["--corpus", str(settings.corpus_dir), "--index-path", str(settings.index_path)]
    return subprocess.Popen(
        command_line(*where, "reindex"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def read_until(process: subprocess.Popen[str], text: str) -> list[str]:
    """The process's stderr lines up to the first holding ``text`` (all of them, if it
    ended first)."""
    assert process.stderr is not None
    lines: list[str] = []
    for line in process.stderr:
        lines.append(line)
        if text in line:
            break
    return lines


def assert_whole_index_of(settings: Settings) -> SearchIndex:
    """The folder holds one complete version, of the corpus as it is now, and no leftovers."""
    loaded = load_index(settings.index_path)
    documents, _ = load_corpus(settings.corpus_dir)
    assert loaded.corpus_fingerprint == corpus_fingerprint(documents, settings.corpus_dir)
    loaded.check_stored()
    assert [p.name for p in settings.index_path.iterdir() if p.is_dir()] == [loaded.version]
    return loaded


def test_two_reindex_processes_at_once_both_finish_one_after_the_other(
    settings: Settings,
) -> None:
    (settings.corpus_dir / "lighthouse.txt").write_text(ARTICLE, encoding="utf-8")
    with index_lock(settings.index_path):  # both start while the folder is busy
        processes = [start_reindex(settings), start_reindex(settings)]
        waited = [read_until(process, WAITING) for process in processes]
    results = [finish(process) for process in processes]
    for lines, (code, out, err) in zip(waited, results, strict=True):
        assert WAITING in lines[-1], "".join(lines) + err
        assert code == 0, err
        assert "Traceback" not in err and "damaged" not in err
        assert out.startswith("Indexed 6 articles")
    added = ["added (1): lighthouse.txt" in out for _, out, _ in results]
    assert sorted(added) == [False, True]  # the second found the first one's work done
    assert_whole_index_of(settings)


def test_two_reindex_processes_racing_both_exit_0_with_a_whole_index(settings: Settings) -> None:
    (settings.corpus_dir / "lighthouse.txt").write_text(ARTICLE, encoding="utf-8")
    results = [finish(process) for process in [start_reindex(settings), start_reindex(settings)]]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err and "damaged" not in err
    assert "lighthouse.txt" in assert_whole_index_of(settings).fingerprints


def quoted_docs(service: Service) -> set[str]:
    return {quote.source.doc for quote in service.answer(QUESTION).quotes}


@contextmanager
def following(service: Service) -> Iterator[None]:
    """Ask until the service answers from the version ``CURRENT`` names: each question
    looks, and a newer version is loaded beside it; bounded by a number of questions."""
    yield
    for _ in range(10_000):
        if service.index.version == stored_version(service.settings.index_path):
            return
        service.answer(QUESTION)
    raise AssertionError("the service never followed the index another process saved")


def test_a_running_service_answers_from_the_index_another_process_rebuilt(
    settings: Settings,
) -> None:
    service = Service.open(settings)
    old = service.index
    old_texts = [old.passage(n).text for n in range(old.passage_total)]
    assert "lighthouse.txt" not in quoted_docs(service)

    (settings.corpus_dir / "lighthouse.txt").write_text(ARTICLE, encoding="utf-8")
    with following(service):
        code, _, err = finish(start_reindex(settings))
        assert code == 0, err
        # The other process deleted the old version's folder; the index still answering
        # from its memory-mapped files reads them whole.
        assert not (settings.index_path / old.version).exists()
        assert [old.passage(n).text for n in range(old.passage_total)] == old_texts
        assert old.bm25.top(["troop", "romania"], 3) == service.index.bm25.top(
            ["troop", "romania"], 3
        )

    assert "lighthouse.txt" in quoted_docs(service)
    assert "lighthouse.txt" in {info.source.doc for info in service.sources()}


def test_reindex_here_builds_on_what_another_process_saved(settings: Settings) -> None:
    service = Service.open(settings)
    (settings.corpus_dir / "lighthouse.txt").write_text(ARTICLE, encoding="utf-8")
    code, _, err = finish(start_reindex(settings))
    assert code == 0, err

    report = service.reindex()
    assert report.warnings == ()  # nothing "damaged", nothing rebuilt without reuse
    assert report.added == ()  # the other process's article was there before this rebuild
    assert report.saved
    assert "lighthouse.txt" in quoted_docs(service)
    assert service.index.version == stored_version(settings.index_path)


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from index.store import index_lock, load_index, save_index

    path = Path(sys.argv[1])
    index = load_index(path)
    print("ready", flush=True)
    for _ in range(int(sys.argv[2])):
        with index_lock(path):
            save_index(index, path)
    """
)


def test_loads_while_another_process_saves_again_and_again_are_never_half_read(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    expected = load_index(settings.index_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(settings.index_path), "40"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    caplog.set_level("DEBUG", logger="index.store")
    versions: set[str] = set()
    while writer.poll() is None:
        loaded = load_index(settings.index_path)  # never IndexFormatError
        assert loaded.sources == expected.sources
        assert loaded.passage(loaded.passage_total - 1) == expected.passage(
            expected.passage_total - 1
        )
        versions.add(loaded.version)
    assert writer.returncode == 0
    assert [r for r in caplog.records if r.levelname != "DEBUG"] == []
    retries = sum("replaced while being read" in r.getMessage() for r in caplog.records)
    print(f"{len(versions)} versions read, {retries} loads started again")
    assert_whole_index_of(settings)


def test_the_lock_file_is_all_a_waiting_process_needs_to_go_on(settings: Settings) -> None:
    """A lock held by a process that dies is released by the operating system."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from index.store import index_lock\n"
            "with index_lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True); sys.stdin.read()\n",
            str(settings.index_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    waiting = start_reindex(settings)
    assert WAITING in read_until(waiting, WAITING)[-1]
    holder.kill()  # no release: the process just ends
    holder.wait()
    code, out, err = finish(waiting)
    assert code == 0, err
    assert out.startswith("Indexed")
    assert_whole_index_of(settings)


def test_a_version_that_cannot_be_loaded_is_reported_once_and_the_index_in_use_stays(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    service = Service(settings, load_index(settings.index_path))
    in_use = service.index
    broken = settings.index_path / "v3-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    (settings.index_path / "CURRENT").write_text('{"current": "v3-broken"}', encoding="utf-8")

    assert not service.follow()
    assert not service.follow()
    assert service.index is in_use
    assert sum("Cannot follow" in r.getMessage() for r in caplog.records) == 1
    assert service.answer("how many troops went to Romania?").quotes
