"""The ``citebot`` command: ask, console, run, reindex, eval."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings
from bot.console import reindex_summary, run_console
from bot.render import answer_json, terminal_text
from bot.service import Service
from index import Answer, CitebotError
from index.evaluation import EvalReport, evaluate, read_questions

log = logging.getLogger("citebot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citebot",
        description="Answer questions about news articles with quoted, sourced passages. "
        "Without a command: the Discord bot when DISCORD_TOKEN is set, else the console.",
    )
    parser.add_argument("--corpus", type=Path, help="folder of .txt/.md articles (CITEBOT_CORPUS)")
    parser.add_argument(
        "--index-path", type=Path, help="where the index is kept (CITEBOT_INDEX_PATH)"
    )
    parser.add_argument("--env-file", type=Path, help="settings file (default: ./.env)")
    commands = parser.add_subparsers(dest="command")
    ask = commands.add_parser("ask", help="answer one question, or one a line from stdin with -")
    ask.add_argument("question", help="the question, or - to read one question a line from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object a question")
    commands.add_parser(
        "console", help="an interactive question loop over the same core as the bot"
    )
    commands.add_parser("run", help="start the Discord bot (needs DISCORD_TOKEN)")
    commands.add_parser("reindex", help="rebuild the index from the corpus folder")
    evaluation = commands.add_parser("eval", help="score answers on a questions .jsonl file")
    evaluation.add_argument("questions", type=Path, help="file in the questions.dev.jsonl format")
    evaluation.add_argument(
        "--json", action="store_true", help="print the report as one JSON object"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    arguments = _parser().parse_args(argv)
    try:
        settings = load_settings(arguments.env_file)
    except SettingsError as error:
        print(f"citebot: {error} (see .env.example)", file=sys.stderr)
        return 2
    if arguments.corpus:
        settings = replace(settings, corpus_dir=arguments.corpus)
    if arguments.index_path:
        settings = replace(settings, index_path=arguments.index_path)
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


def _dispatch(command: str, arguments: argparse.Namespace, settings: Settings) -> int:
    if command == "run":
        from bot.discord_app import run_bot  # imported here: only the bot needs discord.py

        run_bot(settings)
        return 0
    service = Service.open(settings)
    if command == "ask":
        return _ask(service, arguments.question, as_json=arguments.json)
    if command == "reindex":
        print(reindex_summary(service, sys.stderr))
        return 0
    if command == "eval":
        return _eval(service, arguments.questions, as_json=arguments.json)
    if arguments.command is None:
        print("No DISCORD_TOKEN set: starting the console (see .env.example to run the bot).")
    run_console(service)
    return 0


def _ask(service: Service, question: str, *, as_json: bool) -> int:
    """Answer one question, or with ``-`` every stdin line in order (one reply a line)."""
    questions = (line.rstrip("\r\n") for line in sys.stdin) if question == "-" else [question]
    failed = False
    for line in questions:
        try:
            answer = service.answer(line)
        except CitebotError as error:
            failed = True
            if as_json:
                reply = answer_json(Answer(line, ())) | {"error": str(error)}
                print(json.dumps(reply, ensure_ascii=False), flush=True)
            else:
                print(f"citebot: {error}", file=sys.stderr)
            continue
        if as_json:
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            print(terminal_text(answer, color=sys.stdout.isatty()))
    return 1 if failed else 0


def _eval(service: Service, path: Path, *, as_json: bool) -> int:
    try:
        questions = read_questions(path)
    except (OSError, ValueError) as error:
        print(f"citebot: cannot read {path}: {error}", file=sys.stderr)
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
