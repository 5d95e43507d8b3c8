"""The ``citebot`` command: ask, console, run, reindex, add, feeds, libraries, shards, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from bot.config import BACKENDS, XAPIAN, Settings, SettingsError, load_settings, xapian_location
from bot.console import output_width, progress_printer, reindex_summary, run_console
from bot.feeds import FeedPoller, add_feed, feed_lines, remove_feed
from bot.libraries import folder_bytes, libraries, prune, recorded_servers
from bot.opening import open_service
from bot.pages import add_page
from bot.render import answer_json, terminal_text
from bot.service import Service
from bot.shards import IDLE_TIMEOUT_SECONDS, LOOPBACK
from index import MAX_QUESTION_CHARACTERS, Answer, CitebotError
from index.evaluation import EvalReport, evaluate, read_questions

log = logging.getLogger("citebot")

INTERRUPTED = 130
"""The shell's code for a command stopped by Ctrl-C (128 + SIGINT)."""
BROKEN_PIPE = 141
"""The shell's code for a command whose reader went away (128 + SIGPIPE), as with ``| head``."""


def _common_options() -> argparse.ArgumentParser:
    """The options every command takes, before or after its name (``citebot ask --corpus X``).

    Their defaults are suppressed so that a subcommand that is not given one does not
    overwrite a value given before the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    options = common.add_argument_group("options of every command")
    options.add_argument(
        "--corpus",
        type=Path,
        default=argparse.SUPPRESS,
        help="folder of .txt/.md articles and .html pages (CITEBOT_CORPUS)",
    )
    options.add_argument(
        "--index-path",
        type=Path,
        default=argparse.SUPPRESS,
        help="where the index is kept (CITEBOT_INDEX_PATH)",
    )
    options.add_argument(
        "--backend",
        choices=BACKENDS,
        default=argparse.SUPPRESS,
        help="answer from the embedded index or from Xapian shards (CITEBOT_BACKEND)",
    )
    options.add_argument(
        "--xapian",
        default=argparse.SUPPRESS,
        help="a shard folder, or host:port,host:port shard servers (CITEBOT_XAPIAN)",
    )
    options.add_argument(
        "--env-file",
        type=Path,
        default=argparse.SUPPRESS,
        help="settings file (default: .env in the project folder)",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="citebot",
        parents=[common],
        description="Answer questions about news articles with quoted, sourced passages. "
        "Without a command: the Discord bot when DISCORD_TOKEN is set, else the console.",
    )
    commands = parser.add_subparsers(dest="command")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text, parents=[common])

    ask = command("ask", "answer one question, or one a line from stdin with -")
    ask.add_argument("question", help="the question, or - to read one question a line from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object a question")
    command("console", "an interactive question loop over the same core as the bot")
    command("run", "start the Discord bot (needs DISCORD_TOKEN)")
    reindex = command("reindex", "rebuild the index from the corpus folder")
    reindex.add_argument(
        "--full",
        action="store_true",
        help="re-read every article instead of reusing unchanged ones",
    )
    add = command("add", "fetch the article at a web address into the corpus folder and reindex")
    add.add_argument("url", help="the article's http:// or https:// address")
    feeds = command("feeds", "list, add or remove the RSS/Atom feeds the bot polls")
    feeds.add_argument(
        "action",
        choices=("list", "add", "remove"),
        help="list: each feed and its last poll; add/remove: follow a feed or stop",
    )
    feeds.add_argument("url", nargs="?", help="the feed's address (for add and remove)")
    libraries = command("libraries", "list or prune the servers' own libraries")
    libraries.add_argument(
        "action",
        choices=("list", "prune"),
        help="list: each server's articles, sizes and last use; prune: delete the libraries "
        "of servers the bot has left and every kept earlier version",
    )
    shards = command("shards", "build, serve or stop Xapian shards of the corpus")
    shards.add_argument(
        "action",
        choices=("build", "serve", "stop"),
        help="build: index the corpus into the shards (only changed articles' shards); "
        "serve: build, then start an xapian-tcpsrv a shard in the background; stop: stop them",
    )
    shards.add_argument("folder", type=Path, help="the folder holding the shards")
    shards.add_argument("--shards", type=int, default=2, help="how many shards (default 2)")
    shards.add_argument("--full", action="store_true", help="rewrite every shard")
    shards.add_argument(
        "--base-port", type=int, default=7800, help="first shard's port (default 7800)"
    )
    shards.add_argument(
        "--host",
        default=LOOPBACK,
        help=f"interface to listen on (default {LOOPBACK}: this machine only)",
    )
    shards.add_argument(
        "--idle-timeout",
        type=float,
        default=IDLE_TIMEOUT_SECONDS,
        help=f"seconds before a server drops an idle client (default {IDLE_TIMEOUT_SECONDS:.0f})",
    )
    evaluation = command("eval", "score answers on a questions .jsonl file")
    evaluation.add_argument("questions", type=Path, help="file in the questions.dev.jsonl format")
    evaluation.add_argument(
        "--json", action="store_true", help="print the report as one JSON object"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    arguments = _parser().parse_args(argv)
    try:
        code = _main(arguments)
        sys.stdout.flush()  # inside the try: a reader gone by now is a broken pipe too
        return code
    except KeyboardInterrupt:
        end_bar = "\n" if sys.stderr.isatty() else ""
        print(f"{end_bar}citebot: interrupted; the stored index is unchanged.", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader stopped listening: point stdout at nothing so that the interpreter's
        # final flush does not complain about the pipe as well.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE


def _main(arguments: argparse.Namespace) -> int:
    try:
        settings = load_settings(getattr(arguments, "env_file", None))
    except SettingsError as error:
        print(f"citebot: {error} (see .env.example)", file=sys.stderr)
        return 2
    if corpus := getattr(arguments, "corpus", None):
        settings = replace(settings, corpus_dir=corpus)
    if index_path := getattr(arguments, "index_path", None):
        settings = replace(settings, index_path=index_path)
    try:
        settings = _with_backend(settings, arguments)
    except SettingsError as error:
        print(f"citebot: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    command = arguments.command or ("run" if settings.discord_token else "console")
    if command == "run" and not settings.discord_token:
        print(
            "citebot: DISCORD_TOKEN is not set. Copy .env.example to .env and fill it in, "
            "or try the bot locally with `citebot console`.",
            file=sys.stderr,
        )
        return 2
    try:
        return _dispatch(command, arguments, settings)
    except CitebotError as error:
        print(f"citebot: {error}", file=sys.stderr)
        return 1


def _with_backend(settings: Settings, arguments: argparse.Namespace) -> Settings:
    """The settings with ``--backend`` and ``--xapian`` applied, checked as the variables are."""
    backend = getattr(arguments, "backend", settings.backend)
    raw = getattr(arguments, "xapian", None)
    if raw is None and backend == settings.backend:
        return settings
    location = xapian_location(backend, raw) if raw is not None else settings.xapian
    if backend == XAPIAN and location is None:
        location = xapian_location(backend, "")
    return replace(settings, backend=backend, xapian=location)


def _dispatch(command: str, arguments: argparse.Namespace, settings: Settings) -> int:
    if command == "run":
        from bot.discord.client import run_bot  # imported here: only the bot needs discord.py

        run_bot(settings)
        return 0
    if command == "reindex":
        return _reindex(settings, full=arguments.full)
    if command == "shards":
        from bot.shards_command import shards_command  # imports Xapian, which is optional

        return shards_command(settings, arguments)
    if command == "libraries":
        lines = library_list(settings) if arguments.action == "list" else library_prune(settings)
        print("\n".join(lines))
        return 0
    if command == "feeds":
        return _feeds(settings, arguments.action, arguments.url)
    service = open_service(settings, wait_for_vectors=command in ("ask", "eval"))
    if command == "add":
        report = add_page(service, arguments.url, "cli", progress_printer(sys.stderr))
        print(reindex_summary(report))
        return 0
    if command == "ask":
        return _ask(service, arguments.question, as_json=arguments.json)
    if command == "eval":
        return _eval(service, arguments.questions, as_json=arguments.json)
    if arguments.command is None:
        print("No DISCORD_TOKEN set: starting the console (see .env.example to run the bot).")
    poller = FeedPoller(service)
    poller.start()
    run_console(service)
    poller.stop()
    return 0


def _feeds(settings: Settings, action: str, url: str | None) -> int:
    """``citebot feeds list|add|remove``: a running bot reads the list at its next poll."""
    if action != "list":
        if not url:
            print(f"citebot: feeds {action} needs the feed's address.", file=sys.stderr)
            return 2
        print(add_feed(settings, url) if action == "add" else remove_feed(settings, url))
        return 0
    print("\n".join(feed_lines(settings)))
    return 0


def library_list(settings: Settings) -> list[str]:
    """``citebot libraries list``: a line per server library, sizes and last use."""
    found = libraries(settings.data_dir)
    if not found:
        return [f"No server has a library yet (under {settings.data_dir})."]
    present = recorded_servers(settings.data_dir)
    lines = [f"{'server':<20} {'articles':>8} {'bytes':>12} {'index':>12} {'kept':>5}  last used"]
    for library in found:
        size = library.size()
        used = library.last_used
        when = (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(used)) if used is not None else "never"
        )
        left = present is not None and library.guild_id not in present
        name = f"{library.guild_id}{' (left)' if left else ''}"
        lines.append(
            f"{name:<20} {size.articles:>8,} {size.bytes:>12,} "
            f"{folder_bytes(library.index_path):>12,} {size.kept_versions:>5,}  {when}"
        )
    return lines


def library_prune(settings: Settings) -> list[str]:
    """``citebot libraries prune``: what was deleted, or that nothing was."""
    present = recorded_servers(settings.data_dir)
    done = prune(settings.data_dir, present)
    if present is None:
        done.append(
            "The bot has not recorded which servers it is in yet (it does when it connects), "
            "so every server's library was kept."
        )
    return done or ["Nothing to prune."]


def _reindex(settings: Settings, *, full: bool) -> int:
    """Build once, with progress on stderr; fails when the index could not be saved."""
    progress = progress_printer(sys.stderr)
    if settings.backend == XAPIAN:
        from bot.shard_service import rebuilt  # imports Xapian, which is optional

        report = rebuilt(settings, progress, full=full)
    else:
        _, report = Service.rebuilt(settings, progress=progress, full=full)
    print(reindex_summary(report))
    return 0 if report.saved else 1


def _ask(service: Service, question: str, *, as_json: bool) -> int:
    """Answer one question, or with ``-`` every stdin line in order (one reply a line)."""
    from_stdin = question == "-"
    questions: Iterable[str] = (
        (line.rstrip("\r\n") for line in sys.stdin) if from_stdin else [question]
    )
    color, width = sys.stdout.isatty(), output_width(sys.stdout)
    failed = False
    for line in questions:
        if from_stdin and not as_json:
            print(f"Q: {_echoed(line)}")
        try:
            answer = service.answer(line)
        except CitebotError as error:
            failed = True
            if as_json:
                reply = answer_json(Answer(_echoed(line), ())) | {"error": str(error)}
                print(json.dumps(reply, ensure_ascii=False), flush=True)
            else:
                print(f"citebot: {error}", file=sys.stderr)
            continue
        if as_json:
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            print(terminal_text(answer, color=color, width=width), flush=True)
            if from_stdin:
                print()
    return 1 if failed else 0


def _echoed(question: str) -> str:
    """A refused question as it is echoed back: cut after the longest a question may be,
    so a megabyte pasted by mistake is not printed back whole."""
    if len(question) <= MAX_QUESTION_CHARACTERS:
        return question
    return question[:MAX_QUESTION_CHARACTERS] + "…"


def _eval(service: Service, path: Path, *, as_json: bool) -> int:
    try:
        questions = read_questions(path)
    except (OSError, ValueError) as error:
        print(f"citebot: cannot read {path}: {error}", file=sys.stderr)
        return 2
    if not questions:
        print(
            f"citebot: {path} holds no questions; write one JSON object a line with "
            '"id", "question" and, for a factoid, "answers" and "docs".',
            file=sys.stderr,
        )
        return 2
    report = evaluate(questions, service.answer, service.candidates)
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    for line in eval_summary(report):
        print(line)
    return 0


def eval_summary(report: EvalReport) -> list[str]:
    """The eval report for a person: scores, then every miss under its cause."""
    data = report.to_json()
    lines = [
        f"questions: {data['questions']} ({data['factoid']} factoid, {data['off_corpus']} abstain)",
        f"top-1: {report.top1:.3f}  top-3: {report.top3:.3f}  candidate recall: "
        f"{report.candidate_recall:.3f}",
        f"abstained on off-corpus: {data['abstained']}/{data['off_corpus']}  "
        f"false abstentions: {data['false_abstentions']}",
        f"median quote: {data['median_quote_characters']:.0f} characters  answer time p50 "
        f"{data['p50_ms']:.1f} ms, p95 {data['p95_ms']:.1f} ms",
        "misses by cause: "
        + ", ".join(f"{cause.value} {count}" for cause, count in report.causes().items()),
    ]
    for result in report.misses:
        best = result.answer.quotes[0] if result.answer.quotes else None
        got = f"{best.source.doc}: {best.text[:160]}" if best else "(abstained)"
        cause = result.cause.value if result.cause else ""
        lines.append(
            f"  miss {result.question.id} [{cause}] {result.question.question}\n     got {got}"
        )
    return lines
