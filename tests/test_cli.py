"""The console shim as a person or a tool runs it: the real ``citebot`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paths import DEV_QUESTIONS, SEEDS

CITEBOT = str(Path(sys.executable).parent / "citebot")
QUOTE_KEYS = {"text", "doc", "title", "outlet", "date", "url", "score", "also"}


@pytest.fixture(scope="module")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index for the module's commands, so only the first one builds it."""
    return tmp_path_factory.mktemp("cli") / "index"


def command_line(*arguments: str, index: Path | None = None) -> list[str]:
    """``citebot`` over the seeds (when given an index) with an empty settings file, so that
    neither a developer's .env nor a Discord token in the environment is in sight."""
    where = ["--corpus", str(SEEDS), "--index-path", str(index)] if index else []
    settings = [] if "--env-file" in arguments else ["--env-file", os.devnull]
    return [CITEBOT, *settings, *where, *arguments]


def environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("DISCORD_")}


def citebot(
    *arguments: str, stdin: str = "", cwd: Path | None = None, index: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``citebot`` to the end and collect what it printed."""
    return subprocess.run(
        command_line(*arguments, index=index),
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(),
        cwd=cwd or SEEDS.parent,
        timeout=120,
    )


def test_ask_prints_the_quote_and_its_source(index_path: Path) -> None:
    result = citebot("ask", "how many troops went to Romania?", index=index_path)
    assert result.returncode == 0, result.stderr
    assert "1,000" in result.stdout and "Romania" in result.stdout
    assert "also reported by" in result.stdout
    assert "\x1b[" not in result.stdout, "no colour codes when stdout is not a terminal"


def test_ask_json_reads_lines_and_writes_one_object_each_in_order(index_path: Path) -> None:
    questions = [
        "how many troops went to Romania?",
        "What is the recipe for banana bread?",
        "",
        "x" * 10_000,
        "Who is the Pentagon spokesman?",
    ]
    result = citebot("ask", "--json", "-", stdin="\n".join(questions) + "\n", index=index_path)
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [reply["question"] for reply in replies] == questions
    assert [reply["answered"] for reply in replies] == [True, False, False, False, True]
    assert "error" in replies[2] and "error" in replies[3]
    assert "10,000 characters" in replies[3]["error"]
    for reply in replies:
        assert {"question", "answered", "quotes"} <= reply.keys()
        assert reply["answered"] == bool(reply["quotes"])
    for quote in replies[0]["quotes"] + replies[4]["quotes"]:
        assert set(quote) == QUOTE_KEYS
        assert all(isinstance(quote[key], str) for key in QUOTE_KEYS - {"score", "also"})
        assert isinstance(quote["score"], float)
        assert all(name.endswith((".txt", ".md")) for name in quote["also"])
        assert (SEEDS / quote["doc"]).is_file()
    assert "Kirby" in replies[4]["quotes"][0]["text"]


def test_json_text_is_exactly_what_a_reader_is_shown(index_path: Path) -> None:
    question = "Who is the Pentagon spokesman?"
    shown = citebot("ask", question, index=index_path).stdout
    quotes = json.loads(citebot("ask", "--json", question, index=index_path).stdout)["quotes"]
    for quote in quotes:
        assert f"“{quote['text']}”" in shown


def test_an_empty_question_is_a_clear_error(index_path: Path) -> None:
    result = citebot("ask", "   ", index=index_path)
    assert result.returncode == 1
    assert "Ask a question" in result.stderr and "Traceback" not in result.stderr


def test_eval_scores_a_question_file(index_path: Path) -> None:
    result = citebot("eval", str(DEV_QUESTIONS), index=index_path)
    assert result.returncode == 0, result.stderr
    assert "questions: 35 (32 factoid, 3 abstain)" in result.stdout
    assert "top-3: 1.000" in result.stdout
    assert "abstained on off-corpus: 3/3  false abstentions: 0" in result.stdout


def test_console_answers_until_quit(index_path: Path) -> None:
    script = ":help\nhow many troops went to Romania?\n:sources\n:quit\nnever read\n"
    result = citebot("console", stdin=script, index=index_path)
    assert result.returncode == 0, result.stderr
    assert ":reindex" in result.stdout
    assert "1,000" in result.stdout
    assert "US sends another 3,000 troops to Eastern Europe" in result.stdout
    assert "never read" not in result.stdout


def test_without_a_token_the_default_is_the_console(index_path: Path, tmp_path: Path) -> None:
    result = citebot(stdin="Who is the Pentagon spokesman?\n", cwd=tmp_path, index=index_path)
    assert result.returncode == 0, result.stderr
    assert "No DISCORD_TOKEN" in result.stdout and "Kirby" in result.stdout


def test_run_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    result = citebot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert ".env.example" in result.stderr and "citebot console" in result.stderr


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"CITEBOT_COOLDOWN_SECONDS=soon\n", "CITEBOT_COOLDOWN_SECONDS"),
        (b"CITEBOT_COOLDOWN_SECONDS=nan\n", "CITEBOT_COOLDOWN_SECONDS"),
        (b"CITEBOT_LOG_LEVEL=LOUD\n", "CITEBOT_LOG_LEVEL"),
        (b"CITEBOT_MAX_UPLOAD_BYTES=-5\n", "CITEBOT_MAX_UPLOAD_BYTES"),
        (b"DISCORD_GUILD_ID=-1\n", "DISCORD_GUILD_ID"),
        ("CITEBOT_MOD_ROLES=Modérateurs\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_a_bad_setting_is_named(tmp_path: Path, content: bytes, named: str) -> None:
    (tmp_path / "settings.env").write_bytes(content)
    result = citebot("--env-file", str(tmp_path / "settings.env"), "ask", "troops")
    assert result.returncode == 2 and named in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_missing_settings_file_is_an_error(tmp_path: Path) -> None:
    result = citebot("--env-file", str(tmp_path / "nonexistent"), "ask", "troops")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_another_corpus_with_a_broken_article(tmp_path: Path) -> None:
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "zoo.md").write_text(
        "# Zoo news\n\nThe zoo in Kyiv reopened on Monday.\n\nIts lions stayed calm.\n\n"
        "Visitors came early. Tickets were cheap.\n"
    )
    (corpus / "broken.txt").write_bytes(b"\xff\xfe\x00garbage")
    where = ["--corpus", str(corpus), "--index-path", str(tmp_path / "index")]
    result = citebot(*where, "ask", "When did the zoo reopen?")
    assert result.returncode == 0, result.stderr
    assert "broken.txt" in result.stderr and "Monday" in result.stdout


def test_reindex_reports_what_it_built(tmp_path: Path) -> None:
    result = citebot("reindex", index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert "Indexed 5 articles" in result.stdout and "analysing" in result.stderr


@pytest.mark.parametrize("command", [[], ["ask"], ["console"], ["run"], ["reindex"], ["eval"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = citebot(*command, "--help")
    assert result.returncode == 0 and "usage: citebot" in result.stdout
