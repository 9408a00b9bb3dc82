"""The layers, as the imports have them: read from the source (every `import`, also those inside
functions), so that a shortcut through the layering fails here rather than in a review.

- `domain` is pure: it imports nothing else of Nezlam;
- `geo` builds on `domain` and nothing above it;
- the read side (`reading`) builds on `domain`, `geo`, `store` and the settings, never on the
  web or the command line;
- the library never imports the web app or a command; no command imports another (what they
  share is in `commands.common`);
- what hides a protected point is decided in `reading.protection` (and the grid cell it uses, in
  `domain.point_view`): nobody else rounds a protected position.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SOURCE / "nezlam"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


@cache
def imports(module: str) -> frozenset[str]:
    """Every nezlam module `module` imports, at the top or inside a function."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(name for name in found if name in modules())


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def offenders(where: str, allowed: set[str]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module in modules()
        if layer(module) == where
        for target in imports(module)
        if layer(target) not in allowed | {where}
    )


def test_the_graph_is_read_from_the_source():
    """The reader sees what it must: a top-level import, a relative one, one inside a function."""
    assert "nezlam.domain.point_view" in imports("nezlam.reading.point_public")
    assert "nezlam.channels.webhooks" in imports("nezlam.channels")
    assert "nezlam.coverage.inputs" in imports("nezlam.commands.coverage")  # inside a command


def test_the_domain_imports_nothing_else_of_nezlam():
    assert offenders("domain", set()) == []


def test_geo_builds_on_the_domain_only():
    assert offenders("geo", {"domain"}) == []


def test_the_read_side_never_reaches_up_into_the_web_or_the_command_line():
    assert offenders("reading", {"domain", "geo", "store", "config"}) == []


@pytest.mark.parametrize("above", ["web", "commands", "cli"])
def test_the_library_never_imports_the_web_app_or_a_command(above):
    library = [m for m in modules() if layer(m) not in {"web", "commands", "cli"}]
    bad = [f"{m} imports {t}" for m in library for t in imports(m) if layer(t) == above]
    assert bad == []


def test_no_command_imports_another():
    commands = [m for m in modules() if m.startswith("nezlam.commands.")]
    assert len(commands) > 5
    bad = [
        f"{m} imports {t}"
        for m in commands
        for t in imports(m)
        if t.startswith("nezlam.commands.") and t not in {"nezlam.commands.common", m}
    ]
    assert bad == []


def test_only_the_read_side_rounds_a_protected_position():
    users = sorted(
        module
        for module in modules()
        if "coarse_position" in modules()[module].read_text(encoding="utf-8")
        and module != "nezlam.domain.point_view"
    )
    assert users == ["nezlam.reading.protection"]


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """A cycle of the directed graph, as the nodes along it, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}}) == []


def test_no_two_modules_import_each_other_even_inside_functions():
    edges = {
        module: {t for t in imports(module) if t != module and not module.startswith(t + ".")}
        for module in modules()
    }  # a module may import its own package's __init__
    assert cycle(edges) == []


def test_the_layers_point_one_way():
    edges: dict[str, set[str]] = {}
    for module in modules():
        for target in imports(module):
            if layer(target) != layer(module):
                edges.setdefault(layer(module), set()).add(layer(target))
    assert cycle(edges) == []
