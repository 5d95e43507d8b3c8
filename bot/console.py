"""The console shim: the same service as the Discord bot, in a terminal loop."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from bot.pages import add_page
from bot.render import counted, source_line, terminal_text
from bot.service import ReindexReport, Service
from index import CitebotError, Progress

PROMPT = "citebot> "
HELP = """Type a question and press Enter. Commands:
  :sources   list the indexed articles
  :reindex   rebuild the index from the corpus folder
  :add URL   fetch the article at URL into the corpus folder and reindex
  :help      this text
  :quit      leave (also :q, :exit, quit, exit, or Ctrl-D)"""
QUIT = frozenset({":quit", ":q", ":exit", "quit", "exit"})
_NAMES_SHOWN = 10
_BAR = 30
_LOG_STEPS = 4
"""A stream that is not a terminal gets a line at each quarter of a stage, not a bar."""


def output_width(stream: TextIO) -> int | None:
    """The terminal's width when ``stream`` is one; None (no wrapping) for files and pipes."""
    return shutil.get_terminal_size().columns if stream.isatty() else None


def progress_printer(stream: TextIO) -> Callable[[Progress], None]:
    """A one-line bar redrawn in place on a terminal; elsewhere (logs, pipes) plain lines
    at each quarter of a stage. A report repeating the last one prints nothing."""
    terminal = stream.isatty()
    last: tuple[str, int, int] | None = None

    def show(progress: Progress) -> None:
        nonlocal last
        quarter = int(progress.fraction * _LOG_STEPS)
        key = (progress.stage, progress.done if terminal else quarter, progress.total)
        if key == last or (not terminal and quarter == 0):
            return
        last = key
        counts = f"{progress.stage} {progress.done:,}/{progress.total:,}"
        if terminal:
            filled = int(progress.fraction * _BAR)
            end = "\n" if progress.done >= progress.total else ""
            stream.write(f"\r[{'#' * filled}{'.' * (_BAR - filled)}] {counts}{end}")
        else:
            stream.write(f"{counts} ({progress.fraction:.0%})\n")
        stream.flush()

    return show


def reindex_summary(report: ReindexReport) -> str:
    """What a rebuild did, as the console and ``citebot reindex`` print it."""
    lines = [
        f"Indexed {counted(report.documents, 'article')}, "
        f"{counted(report.passages, 'passage')} in {report.seconds:.1f} s."
    ]
    for label, names in (
        ("added", report.added),
        ("removed", report.removed),
        ("changed", report.changed),
    ):
        if names:
            lines.append(f"  {label} ({len(names):,}): {_names(names)}")
    if not (report.added or report.removed or report.changed):
        lines.append("  No article was added, removed or changed.")
    lines.extend(f"  warning: {warning}" for warning in report.warnings)
    if not report.saved:
        lines.append("  The new index could not be saved; fix what the warning names and reindex.")
    return "\n".join(lines)


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    hidden = len(names) - _NAMES_SHOWN
    return f"{shown} and {hidden:,} more" if hidden > 0 else shown


def run_console(service: Service, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read questions until ``:quit`` or end of input; print what the bot would answer."""
    interactive = stdin.isatty()
    if interactive:
        import readline  # noqa: F401  (gives input() line editing and history)

        stdout.write(f"citebot console over {len(service.sources())} articles. :help for help.\n")
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            stdout.write("\n")
            return
        if not interactive and not line:
            return
        command = line.strip()
        if command.lower() in QUIT:
            return
        if not command:
            continue
        try:
            stdout.write(_respond(service, command, stdout) + "\n\n")
        except CitebotError as error:
            stdout.write(f"{error}\n\n")
        stdout.flush()


def _respond(service: Service, command: str, stdout: TextIO) -> str:
    if not command.startswith(":"):
        return terminal_text(
            service.answer(command), color=stdout.isatty(), width=output_width(stdout)
        )
    name = command.split()[0].lower()
    if name == ":help":
        return HELP
    if name == ":sources":
        return "\n".join(
            f"{info.source.doc}: {source_line(info.source)} ({counted(info.passages, 'passage')})"
            + (f", {info.provenance.summary}" if info.provenance else "")
            for info in service.sources()
        )
    if name == ":reindex":
        return reindex_summary(service.reindex(progress=progress_printer(stdout)))
    if name == ":add" and len(command.split()) == 2:
        url = command.split()[1]
        return reindex_summary(add_page(service, url, "console", progress_printer(stdout)))
    return f"Unknown command {name}; :help lists the commands (a question needs no colon)."
