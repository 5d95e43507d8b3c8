"""The layout of issue #8 §5, read from the source: project imports form no circle, only
bot/discord talks to discord.py, and nothing there leans on the client module.

Every import counts, wherever it stands: TYPE_CHECKING blocks and functions too, since a
circle only for the type checker is still two modules that cannot be read apart.
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import sys
from functools import cache
from pathlib import Path

import pytest

from paths import REPO

CLIENT = "bot.discord.client"
DISCORD_PACKAGE = "bot.discord"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _named(tree: ast.Module) -> set[str]:
    """The modules an import names anywhere in ``tree``; ``from a import b`` names a and a.b
    (a.b counts where it is a module)."""
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "imports are absolute (a relative one is not followed here)"
            assert node.module
            named.add(node.module)
            named.update(f"{node.module}.{alias.name}" for alias in node.names)
    return named


@cache
def _imports() -> dict[str, frozenset[str]]:
    """Each module of bot/ and index/ -> the modules it names."""
    paths = sorted(path for package in ("bot", "index") for path in (REPO / package).rglob("*.py"))
    return {
        _module_name(path): frozenset(_named(ast.parse(path.read_text(), str(path))))
        for path in paths
    }


def _project_graph() -> dict[str, set[str]]:
    imports = _imports()
    return {module: set(named & imports.keys()) - {module} for module, named in imports.items()}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _importers(package: str) -> set[str]:
    return {
        module for module, named in _imports().items() if any(_in(name, package) for name in named)
    }


def test_project_imports_form_no_circle() -> None:
    try:
        graphlib.TopologicalSorter(_project_graph()).prepare()
    except graphlib.CycleError as circle:
        pytest.fail("import circle: " + " -> ".join(circle.args[1]))


def test_only_the_cli_launcher_imports_the_discord_client() -> None:
    assert _importers(CLIENT) == {"bot.cli"}


def test_only_the_discord_package_imports_discord_py() -> None:
    users = _importers("discord")
    assert users
    assert {module for module in users if not _in(module, DISCORD_PACKAGE)} == set()


def test_the_index_imports_neither_discord_nor_bot() -> None:
    leaning = _importers("discord") | _importers("bot")
    assert {module for module in leaning if _in(module, "index")} == set()


def test_discord_inside_the_package_is_discord_py_not_the_package() -> None:
    library = importlib.import_module("discord")
    assert not Path(library.__file__ or "").is_relative_to(REPO / "bot")
    users = sorted(module for module in _importers("discord") if _in(module, DISCORD_PACKAGE))
    assert CLIENT in users
    for name in users:
        module = importlib.import_module(name)
        assert vars(module).get("discord", library) is library, name
    assert sys.modules["discord"] is library
