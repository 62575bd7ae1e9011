"""The layer rule: a domain imports only the domains below it, and no module imports itself
back through others (the map is in the README's architecture section)."""

from __future__ import annotations

import ast
from pathlib import Path

import parley

PACKAGE = Path(parley.__file__).parent

# Bottom to top. `core` is every top-level module that is not wiring; `deps` (the pages' and
# API's dependencies: database session, current user) stands on accounts.
LAYERS: list[set[str]] = [
    {"core"},
    {"jobs"},
    {"mail"},
    {"accounts"},
    {"rooms"},
    {"people"},
    {"providers", "media"},
    {"meetings"},
    {"documents"},
    {"calendar", "sessions"},
    {"bbb", "caldav"},
    {"admin"},
    {"wiring"},
]
RANK = {domain: rank for rank, layer in enumerate(LAYERS) for domain in layer}
ALONE = {"deps": "accounts"}
# What puts the parts together: the app, the command line, the list of all models and of all
# job kinds, the migrations, the code generator.
WIRING = {"app", "cli", "__main__", "codegen", "job_kinds", "models", "migrations"}


def _domain(module: str) -> str:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else ""
    if name in WIRING:
        return "wiring"
    if name in ALONE:
        return ALONE[name]
    return name if name and (PACKAGE / name).is_dir() else "core"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_only(tree: ast.Module) -> set[ast.AST]:
    """The imports under `if TYPE_CHECKING:`: names for annotations, never imported at run
    time (`parley.runtime` names the services of every layer that way)."""
    guarded: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for child in node.body:
                guarded |= set(ast.walk(child))
    return guarded


def _imports(tree: ast.Module, *, top_level_only: bool) -> set[str]:
    """Modules of parley imported at run time (`from parley.x import y` counts y when it is a
    module)."""
    found: set[str] = set()
    guarded = _type_only(tree)
    everything = tree.body if top_level_only else list(ast.walk(tree))
    nodes = [n for n in everything if n not in guarded]
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("parley"):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    path = PACKAGE.parent / candidate.replace(".", "/")
                    module = (
                        candidate if path.is_dir() or path.with_suffix(".py").exists() else None
                    )
                    found.add(module or node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("parley")}
    return found


def _sources() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(), str(path)) for path in PACKAGE.rglob("*.py")
    }


def test_no_domain_imports_one_above_it() -> None:
    wrong = []
    for module, tree in _sources().items():
        mine = _domain(module)
        for imported in _imports(tree, top_level_only=False):
            theirs = _domain(imported)
            if theirs == mine:
                continue
            if RANK[theirs] >= RANK[mine]:
                wrong.append(f"{module} ({mine}) imports {imported} ({theirs})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_imports_itself_back() -> None:
    """No circle among the modules' top-level imports (`if TYPE_CHECKING:` ones are types)."""
    sources = _sources()
    graph = {m: _imports(t, top_level_only=True) & sources.keys() for m, t in sources.items()}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            circle = [*path[path.index(module) :], module]
            raise AssertionError("import circle: " + " -> ".join(circle))
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
