"""What CI checks stays what the package declares."""

from __future__ import annotations

import re
import tomllib

from paths import REPO


def test_ci_runs_the_discord_tests_on_the_discord_py_floor_pyproject_declares() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = next(dep for dep in project["dependencies"] if dep.startswith("discord.py"))
    floor = re.search(r">=([\d.]+)", declared)
    tested = re.search(r"^DISCORD_FLOOR := ([\d.]+)$", (REPO / "Makefile").read_text(), re.M)
    assert floor and tested
    assert tested[1].removesuffix(".0") == floor[1].removesuffix(".0")
    assert "make test-discord-floor" in (REPO / ".ci" / "run").read_text()
