"""The layer rules of docs/architecture.md, read from the imports, kept by `make test`.

commands → bot.services → {bot.nlp, bot.pictures, storage} → bot.domain; presentation sees only
the domain;
no import circle among our modules; no module in bot/, commands/, storage/ over 800 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

MAX_LINES = 800
PACKAGES = ("bot", "commands", "storage")

# What each layer may import of ours (by module prefix). A prefix not listed is forbidden.
ALLOWED: dict[str, tuple[str, ...]] = {
    "bot.domain": ("bot.domain",),
    "bot.nlp": ("bot.domain", "bot.nlp"),
    "storage": ("bot.domain", "storage"),
    "bot.render": ("bot.domain", "bot.render"),
    "bot.pictures": ("bot.domain", "bot.pictures"),
    "bot.services": (
        "bot.domain",
        "bot.nlp",
        "storage",
        "bot.services",
        "bot.analysis",
        "bot.fetch",
        "bot.pictures",
    ),
    "commands": ("bot.domain", "bot.services", "bot.app", "bot.config", "commands"),
}
# Third-party packages a layer must not touch.
FORBIDDEN_LIBRARIES: dict[str, tuple[str, ...]] = {
    "bot.domain": ("discord", "spacy", "sumy", "aiosqlite", "aiohttp", "numpy", "pycountry"),
    "bot.nlp": ("discord", "aiosqlite", "aiohttp"),
    "storage": ("discord", "spacy", "sumy", "aiohttp"),
    "bot.render": ("discord", "spacy", "aiosqlite"),
    "bot.pictures": ("discord", "spacy", "sumy", "aiosqlite", "aiohttp"),
    "bot.services": ("discord",),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            yield module_name(path), path


def runtime_imports(path: Path) -> Iterator[str]:
    """Modules imported at run time (TYPE_CHECKING blocks are for the type checker only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def layer_of(module: str) -> str | None:
    matches = [layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def is_ours(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


@pytest.mark.parametrize(("module", "path"), list(our_modules()), ids=lambda v: str(v))
def test_each_module_imports_only_what_its_layer_may(module: str, path: Path) -> None:
    layer = layer_of(module)
    if layer is None:
        return  # front ends and the composition root (bot.__main__, bot.console, bot.app…)
    for imported in runtime_imports(path):
        if is_ours(imported):
            assert any(
                imported == allowed or imported.startswith(allowed + ".")
                for allowed in ALLOWED[layer]
            ), f"{module} imports {imported}: {layer} may import only {ALLOWED[layer]}"
        else:
            library = imported.split(".")[0]
            assert library not in FORBIDDEN_LIBRARIES.get(layer, ()), (
                f"{module} imports {library}, which {layer} must not use"
            )


def test_no_import_circle_among_our_modules() -> None:
    modules = dict(our_modules())
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for imported in runtime_imports(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != module:
                targets.add(imported)
        graph[module] = targets
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import circle: " + " → ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_no_module_is_over_800_lines() -> None:
    long = {
        module: lines
        for module, path in our_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules: {long}"
