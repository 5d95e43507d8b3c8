"""The console shim as a person or a tool runs it: the real ``citebot`` command."""

from __future__ import annotations

import json
import os
import signal
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
        "Which Pentagon spokesman announced the deployment?",
    ]
    result = citebot("ask", "--json", "-", stdin="\n".join(questions) + "\n", index=index_path)
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [reply["question"] for reply in replies] == [
        *questions[:3],
        "x" * 500 + "…",
        questions[4],
    ]
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


def test_a_megabyte_question_line_is_not_echoed_whole(index_path: Path) -> None:
    result = citebot("ask", "--json", "-", stdin="why " * 250_000 + "\n", index=index_path)
    reply = json.loads(result.stdout)
    assert reply["answered"] is False and "999,999 characters" in reply["error"]
    assert reply["question"] == ("why " * 125)[:500] + "…"
    assert len(result.stdout) < 2_000


@pytest.mark.parametrize(
    "question",
    ["Which Pentagon spokesman announced the deployment?", "What did Kirby say about NATO allies?"],
)
def test_json_text_is_exactly_what_a_reader_is_shown(index_path: Path, question: str) -> None:
    shown = citebot("ask", question, index=index_path).stdout
    quotes = json.loads(citebot("ask", "--json", question, index=index_path).stdout)["quotes"]
    assert quotes
    for quote in quotes:
        assert quote["text"] in shown
    assert "““" not in shown and "””" not in shown, "a quote's own quotation marks not doubled"


def test_ask_from_stdin_in_text_shows_each_question_above_its_answer(index_path: Path) -> None:
    questions = [
        "how many troops went to Romania?",
        "Which Pentagon spokesman announced the deployment?",
    ]
    result = citebot("ask", "-", stdin="\n".join(questions) + "\n", index=index_path)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("Q: ")[1:]
    assert first.startswith(questions[0]) and "1,000" in first
    assert second.startswith(questions[1]) and "Kirby" in second


def test_a_closed_pipe_ends_the_output_quietly(index_path: Path) -> None:
    citebot("ask", "warm the index", index=index_path)
    questions = "how many troops went to Romania?\n" * 1000  # far more than a pipe holds
    process = subprocess.Popen(
        command_line("ask", "-", index=index_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    assert process.stdin and process.stdout and process.stderr
    process.stdin.write(questions.encode())
    process.stdin.close()
    assert process.stdout.readline().startswith(b"Q: ")
    process.stdout.close()  # as `| head -1` does
    assert process.wait(timeout=120) == 141
    errors = process.stderr.read()
    assert b"Traceback" not in errors and b"BrokenPipe" not in errors, errors.decode()


def test_ctrl_c_during_reindex_is_one_line_and_exit_130(tmp_path: Path) -> None:
    corpus = tmp_path / "many"
    corpus.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for number in range(300):  # enough that the rebuild is still running when interrupted
        text = seeds[number % len(seeds)].read_text()
        (corpus / f"a{number:03}.txt").write_text(f"{text}\n\nThis copy is number {number}.\n")
    process = subprocess.Popen(
        command_line("reindex", "--corpus", str(corpus), "--index-path", str(tmp_path / "i")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
        text=True,
    )
    assert process.stderr is not None
    while "analysing" not in (process.stderr.readline() or "analysing (ended)"):
        pass
    process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=120)
    assert process.returncode == 130, output + errors
    assert "Traceback" not in errors and "KeyboardInterrupt" not in errors
    assert [line for line in errors.splitlines() if "interrupted" in line] == [
        "citebot: interrupted; the stored index is unchanged."
    ]
    assert not (tmp_path / "i" / "CURRENT").exists()


@pytest.mark.parametrize("place", ["before", "after"])
def test_global_options_go_before_or_after_the_command(place: str, tmp_path: Path) -> None:
    options = ["--corpus", str(SEEDS), "--index-path", str(tmp_path / "i")]
    command = ["ask", "Which Pentagon spokesman announced the deployment?"]
    result = citebot(*(options + command if place == "before" else command + options))
    assert result.returncode == 0, result.stderr
    assert "Kirby" in result.stdout and (tmp_path / "i" / "CURRENT").is_file()


def test_an_empty_question_is_a_clear_error(index_path: Path) -> None:
    result = citebot("ask", "   ", index=index_path)
    assert result.returncode == 1
    assert "Ask a question" in result.stderr and "Traceback" not in result.stderr


def test_eval_scores_a_question_file(index_path: Path) -> None:
    result = citebot("eval", str(DEV_QUESTIONS), index=index_path)
    assert result.returncode == 0, result.stderr
    assert "questions: 35 (32 factoid, 3 abstain)" in result.stdout
    assert "abstained on off-corpus: 3/3" in result.stdout
    assert "candidate recall: 1.000" in result.stdout
    assert "misses by cause: false 'no answer'" in result.stdout


def test_eval_json_is_one_object_with_every_figure_and_miss(index_path: Path) -> None:
    result = citebot("eval", str(DEV_QUESTIONS), "--json", index=index_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["questions"] == 35 and data["off_corpus"] == 3
    assert {"top1", "top3", "candidate_recall", "median_quote_characters", "p95_ms"} <= data.keys()
    assert sum(data["causes"].values()) == len(data["misses"])


def test_console_answers_until_quit(index_path: Path) -> None:
    script = ":help\nhow many troops went to Romania?\n:sources\n:quit\nnever read\n"
    result = citebot("console", stdin=script, index=index_path)
    assert result.returncode == 0, result.stderr
    assert ":reindex" in result.stdout
    assert "1,000" in result.stdout
    assert "US sends another 3,000 troops to Eastern Europe" in result.stdout
    assert "never read" not in result.stdout


def test_without_a_token_the_default_is_the_console(index_path: Path, tmp_path: Path) -> None:
    result = citebot(
        stdin="Which Pentagon spokesman announced the deployment?\n", cwd=tmp_path, index=index_path
    )
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
    result = citebot("ask", "troops", "--env-file", str(tmp_path / "settings.env"))
    assert result.returncode == 2 and named in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_missing_settings_file_is_an_error(tmp_path: Path) -> None:
    result = citebot("--env-file", str(tmp_path / "nonexistent"), "ask", "troops")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_eval_on_a_file_without_questions_fails_and_says_why(
    index_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty.jsonl").write_text("\n")
    result = citebot("eval", str(tmp_path / "empty.jsonl"), index=index_path)
    assert result.returncode == 2 and "holds no questions" in result.stderr


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


def test_reindex_on_a_missing_index_builds_once_with_progress_and_says_what_changed(
    tmp_path: Path,
) -> None:
    result = citebot("reindex", index=tmp_path / "index")
    assert result.returncode == 0, result.stderr
    assert "Indexed 5 articles" in result.stdout and "added (5): 000_" in result.stdout
    assert "No stored index" not in result.stderr, "built by the reindex itself, not before it"
    assert result.stderr.count("analysing 5/5") == 1 and result.stderr.count("indexing") == 1
    assert "\r" not in result.stderr, "no bar redrawn in place when stderr is not a terminal"


def test_reindex_of_a_stale_index_names_the_changed_article(corpus: Path, tmp_path: Path) -> None:
    where = ["--corpus", str(corpus), "--index-path", str(tmp_path / "index")]
    assert citebot("reindex", *where).returncode == 0
    (corpus / "004_5dbf042913a9ac52.txt").unlink()
    with open(corpus / "001_0f3790107ac6dcad.txt", "a") as article:
        article.write("\nOne more paragraph about the deployment.\n")
    result = citebot("reindex", *where)
    assert result.returncode == 0, result.stderr
    assert "removed (1): 004_5dbf042913a9ac52.txt" in result.stdout
    assert "changed (1): 001_0f3790107ac6dcad.txt" in result.stdout
    assert result.stderr.count("analysing 4/4") == 1
    again = citebot("reindex", *where)
    assert "No article was added, removed or changed." in again.stdout


def test_reindex_fails_when_the_index_cannot_be_saved(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = citebot("reindex", index=tmp_path / "a-file" / "index")
    assert result.returncode == 1
    assert "could not be saved" in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command", [[], ["ask"], ["console"], ["run"], ["reindex"], ["libraries"], ["eval"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    result = citebot(*command, "--help")
    assert result.returncode == 0 and "usage: citebot" in result.stdout
