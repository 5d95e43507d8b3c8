"""bench/shifts.py turns a SQuAD Shifts sdist into check sets citebot's eval reads."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

from index.evaluation import read_questions
from paths import REPO

SHIFTS = REPO / "bench" / "shifts.py"
MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/{}_v1.0.json"


def _article(title: str, number: int) -> dict:
    """A paragraph with an answerable question, and one whose only answer ("the city")
    is in all three paragraphs, so it is too generic to check a quote by."""
    return {
        "title": title,
        "paragraphs": [
            {
                "context": f"The city council of Town{number} met on Monday in the city. "
                f"It approved {number + 10} new parks.",
                "qas": [
                    {
                        "id": f"q{number}a",
                        "question": f"How many parks did Town{number} approve?",
                        "answers": [{"text": f"{number + 10} new parks", "answer_start": 0}],
                    }
                ],
            },
            {"context": "The city was busy.", "qas": []},
            {
                "context": "Later the city said the city would pay.",
                "qas": [
                    {
                        "id": f"q{number}b",
                        "question": "Who would pay?",
                        "answers": [{"text": "the city", "answer_start": 0}],
                    }
                ],
            },
        ],
    }


def _sdist(folder: Path) -> Path:
    path = folder / "bigbench-1.0.0.tar.gz"
    sources = {
        "nyt": [_article(f"https://www.nytimes.com/2015/a-story-{n}.html", n) for n in range(520)],
        "new_wiki": [_article(f"Place_{n}", n) for n in range(60)],
    }
    with tarfile.open(path, "w:gz") as archive:
        for split, articles in sources.items():
            data = json.dumps({"data": articles}).encode()
            member = tarfile.TarInfo(MEMBER.format(split))
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


def test_the_check_sets_are_shaped_like_squad_wiki(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SHIFTS), str(_sdist(tmp_path)), str(tmp_path / "out")],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=60,
    )
    for split, corpus_articles, held_out_questions in (("nyt", 400, 50), ("new_wiki", 38, 20)):
        folder = tmp_path / "out" / split
        articles = {path.stem: path.read_text(encoding="utf-8") for path in folder.glob("*/*.txt")}
        assert len(articles) == corpus_articles
        assert all("\n\nOriginal url: http" in text for text in articles.values())
        questions = read_questions(folder / "questions.jsonl")
        factoids = [q for q in questions if q.kind == "factoid"]
        assert len(factoids) == min(300, corpus_articles)  # the too-generic ones are left out
        assert all(q.question.startswith("How many parks") for q in factoids)
        for question in factoids:
            (doc,) = question.docs
            assert any(re.search(pattern, articles[doc]) for pattern in question.answers)
        abstain = [q for q in questions if q.kind == "abstain"]
        assert all(not q.answers and not q.docs for q in abstain)
        near = [q for q in abstain if q.id.startswith(f"{split}-heldout-")]
        assert len(near) == held_out_questions  # 50, or all that 10 held-out articles ask
        assert len(abstain) - len(near) == 50
