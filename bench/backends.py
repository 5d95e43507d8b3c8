"""Do the embedded index and Xapian shards give the same answers? One JSON line.

Builds the embedded index and ``--shards`` Xapian shards of a corpus, serves the shards
on loopback with xapian-tcpsrv, asks every question of a questions file on both and
counts the questions whose first quote comes from the same article (and whose answers
are identical), listing those whose first article differs and those whose answers do.

    python bench/backends.py --corpus ../shared/eval/squad-wiki/articles \
        --questions ../shared/eval/squad-wiki/questions.jsonl --shards 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.shards import serve, stop  # noqa: E402
from index.answer import answer_question  # noqa: E402
from index.backend import Backend  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.evaluation import read_questions  # noqa: E402
from index.models import Answer  # noqa: E402
from index.store import open_index  # noqa: E402
from index.xapian_index import XapianIndex  # noqa: E402
from index.xapian_shards import build_shards  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("seeds"))
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=7850)
    arguments = parser.parse_args()
    embedder = load_embedder()
    questions = read_questions(arguments.questions)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        embedded, _ = open_index(arguments.corpus, folder / "embedded", embedder=embedder)
        build_shards(arguments.corpus, folder / "shards", arguments.shards, embedder=embedder)
        servers = serve(folder / "shards", arguments.shards, arguments.base_port)
        try:
            shards = XapianIndex([server.address for server in servers])
            same_doc = identical = 0
            differences = []
            other_answers: list[str] = []
            times: dict[str, list[float]] = {"embedded": [], "xapian": []}
            for question in questions:
                one = _timed(embedded, question.question, times["embedded"])
                other = _timed(shards, question.question, times["xapian"])
                if _first_doc(one) == _first_doc(other):
                    same_doc += 1
                else:
                    differences.append(
                        {
                            "id": question.id,
                            "embedded": _first_doc(one),
                            "xapian": _first_doc(other),
                        }
                    )
                if _quotes(one) == _quotes(other):
                    identical += 1
                else:
                    other_answers.append(question.id)
            shards.close()
        finally:
            stop(folder / "shards")
    print(
        json.dumps(
            {
                "questions": len(questions),
                "shards": arguments.shards,
                "same_top1_doc": same_doc,
                "identical_answers": identical,
                "p50_ms": {
                    name: round(statistics.median(t) * 1000, 1) for name, t in times.items()
                },
                "differences": differences,
                "other_answers": other_answers,
            }
        )
    )


def _timed(index: Backend, question: str, into: list[float]) -> Answer:
    started = time.perf_counter()
    answer = answer_question(index, question)
    into.append(time.perf_counter() - started)
    return answer


def _first_doc(answer: Answer) -> str | None:
    return answer.quotes[0].source.doc if answer.quotes else None


def _quotes(answer: Answer) -> list[tuple[str, str]]:
    return [(quote.source.doc, quote.text) for quote in answer.quotes]


if __name__ == "__main__":
    main()
