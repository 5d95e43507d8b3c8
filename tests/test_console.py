"""The console loop and its progress bar, run in-process over the seed index."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.config import Settings
from bot.console import HELP, progress_printer, run_console
from bot.service import Service
from index import Progress, SearchIndex, open_index

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    """Output that says it is a terminal, as a person's console is."""

    def isatty(self) -> bool:
        return True


def console(service: Service, script: str, stdout: io.StringIO | None = None) -> str:
    out = stdout if stdout is not None else io.StringIO()
    run_console(service, stdin=io.StringIO(script), stdout=out)
    return out.getvalue()


@pytest.fixture
def service(seed_index: SearchIndex) -> Service:
    return Service(Settings(), seed_index)


@pytest.mark.parametrize("word", [":quit", ":QUIT", ":q", ":exit", "exit", "quit", " Quit "])
def test_every_way_to_leave_leaves(service: Service, word: str) -> None:
    output = console(service, f"{word}\nWhich Pentagon spokesman announced the deployment?\n")
    assert output == ""


def test_an_unknown_command_says_so_instead_of_being_asked(service: Service) -> None:
    output = console(service, ":foo\n:HELP\n")
    assert "Unknown command :foo; :help lists the commands" in output
    assert "no answer" not in output
    assert HELP in output


def test_answers_are_wrapped_to_the_terminal_width(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    output = console(service, "how many troops went to Romania?\n", Terminal())
    lines = ANSI.sub("", output).splitlines()
    assert any("1,000" in line for line in lines)
    wrapped = [line for line in lines if " " in line.strip()]  # a long URL cannot break
    assert max(len(line) for line in wrapped) <= 60
    assert len(lines) > 10


def test_sources_counts_passages_in_the_right_number(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.md").write_text("# One\n\nThe zoo in Kyiv reopened on Monday.\n")
    (corpus / "two.md").write_text("# Two\n\nLions slept.\n\nTigers ate on Tuesday.\n")
    index, _ = open_index(corpus, tmp_path / "index")
    output = console(Service(Settings(corpus_dir=corpus), index), ":sources\n")
    assert "one.md: One (1 passage)" in output and "two.md: Two (2 passages)" in output


BUILD = [
    Progress("analysing", 1, 2),
    Progress("analysing", 2, 2),
    Progress("indexing", 5, 10),
    Progress("indexing", 10, 10),
    Progress("indexing", 10, 10),  # the index reports its last step twice
]


def test_the_bar_ends_each_stage_with_one_final_line_on_a_terminal() -> None:
    terminal = Terminal()
    show = progress_printer(terminal)
    for progress in BUILD:
        show(progress)
    finals = [line for line in terminal.getvalue().split("\n") if line]
    assert [line.rsplit("\r", 1)[-1] for line in finals] == [
        "[" + "#" * 30 + "] analysing 2/2",
        "[" + "#" * 30 + "] indexing 10/10",
    ]


def test_progress_in_a_log_is_plain_lines_without_carriage_returns() -> None:
    log = io.StringIO()
    show = progress_printer(log)
    for progress in BUILD:
        show(progress)
    assert log.getvalue().splitlines() == [
        "analysing 1/2 (50%)",
        "analysing 2/2 (100%)",
        "indexing 5/10 (50%)",
        "indexing 10/10 (100%)",
    ]
