"""The console shim: the same service as the Discord bot, in a terminal loop."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from bot.render import source_line, terminal_text
from bot.service import Service
from index import CitebotError, Progress

PROMPT = "citebot> "
HELP = """Type a question and press Enter. Commands:
  :sources   list the indexed articles
  :reindex   rebuild the index from the corpus folder
  :help      this text
  :quit      leave (Ctrl-D works too)"""


def progress_printer(stream: TextIO) -> Callable[[Progress], None]:
    """A one-line progress bar, redrawn in place on a terminal."""

    def show(progress: Progress) -> None:
        filled = int(progress.fraction * 30)
        bar = "#" * filled + "." * (30 - filled)
        end = "\n" if progress.done >= progress.total else ""
        stream.write(f"\r[{bar}] {progress.stage} {progress.done:,}/{progress.total:,}{end}")
        stream.flush()

    return show


def reindex_summary(service: Service, stream: TextIO) -> str:
    """Rebuild and describe what changed, as the console and `citebot reindex` print it."""
    report = service.reindex(progress=progress_printer(stream))
    lines = [
        f"Indexed {report.documents} articles, {report.passages:,} passages "
        f"in {report.seconds:.1f} s."
    ]
    for label, names in (
        ("added", report.added),
        ("removed", report.removed),
        ("changed", report.changed),
    ):
        if names:
            lines.append(f"  {label}: {', '.join(names)}")
    lines.extend(f"  warning: {warning}" for warning in report.warnings)
    return "\n".join(lines)


def run_console(service: Service, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read questions until ``:quit`` or end of input; print what the bot would answer."""
    interactive = stdin.isatty()
    if interactive:
        import readline  # noqa: F401  (gives input() line editing and history)

        stdout.write(f"citebot console over {len(service.sources())} articles. :help for help.\n")
    color = stdout.isatty()
    while True:
        try:
            line = input(PROMPT) if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            stdout.write("\n")
            return
        if not interactive and not line:
            return
        command = line.strip()
        if command in {":quit", ":q", ":exit"}:
            return
        if not command:
            continue
        try:
            stdout.write(_respond(service, command, color, stdout) + "\n\n")
        except CitebotError as error:
            stdout.write(f"{error}\n\n")
        stdout.flush()


def _respond(service: Service, command: str, color: bool, stdout: TextIO) -> str:
    if command == ":help":
        return HELP
    if command == ":sources":
        return "\n".join(
            f"{info.source.doc}: {source_line(info.source)} ({info.passages} passages)"
            for info in service.sources()
        )
    if command == ":reindex":
        return reindex_summary(service, stdout)
    return terminal_text(service.answer(command), color=color)
