"""The suite reads only what the repository carries."""

from __future__ import annotations

import re

import paths
from paths import REPO

TESTS = REPO / "tests"


def test_every_data_path_the_tests_use_is_inside_the_repository() -> None:
    for name in ("SEEDS", "DATA", "DEV_QUESTIONS", "HELDOUT_QUESTIONS"):
        path = getattr(paths, name).resolve()
        assert path.is_relative_to(REPO), f"{name} points outside the repository: {path}"
        assert path.exists(), f"{name} is missing: {path}"


def test_no_test_reaches_beside_the_repository() -> None:
    outside = re.compile(r"""\.\./shared|["']shared["']|REPO\.parent|parents\[[2-9]\]""")
    for module in sorted(TESTS.rglob("*.py")):
        for number, line in enumerate(module.read_text().splitlines(), start=1):
            if module.name != "test_paths.py":
                assert not outside.search(line), f"{module.name}:{number} reads beside the repo"
