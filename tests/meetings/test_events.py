"""Every event kind the server declares is one it sends, and every change it writes is one
of them (the clients of the other meeting tests check each message they receive, see
`tests.meetings.client.check_message`); the browser reads the same list."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from parley.meetings import events
from parley.sockets import FINAL, CloseCode

SOURCE = Path(events.__file__).parents[1]
FRONTEND = SOURCE.parents[1] / "frontend" / "src"


def _trees() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(), str(path)))
        for path in SOURCE.rglob("*.py")
        if path != Path(events.__file__)
    ]


def _called_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def test_every_declared_event_kind_is_sent_somewhere() -> None:
    called: set[str] = set()
    for _, tree in _trees():
        called |= _called_names(tree)
    built = {cls.KIND for cls in events.EVENTS.values() if cls.__name__ in called}
    if "gap_message" in called:  # the filler a participant gets for an event not theirs
        built.add(events.Gap.KIND)
    assert built == set(events.EVENTS), set(events.EVENTS) - built


def test_every_change_written_is_a_declared_event() -> None:
    """`Changes.add` gets a model of `events`, built in place: never a kind name and a dict."""
    for path, tree in _trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "changes"
            ):
                first = node.args[0]
                assert isinstance(first, ast.Call), f"{path}:{node.lineno}"
                func = first.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                declared = {cls.__name__ for cls in events.EVENTS.values()}
                assert name in declared, f"{path}:{node.lineno}: {name} is not an event"


def test_the_browser_reads_close_codes_and_kinds_from_the_generated_module(tmp_path: Path) -> None:
    target = tmp_path / "protocol.js"
    subprocess.run([sys.executable, "-m", "parley.codegen", str(target)], check=True)
    text = target.read_text()
    for code in CloseCode:
        assert f'"{code.name}": {code.value}' in text
    assert f"new Set({sorted(int(c) for c in FINAL)})".replace(" ", "") in text.replace(" ", "")
    for kind in events.EVENTS:
        assert f'"{kind}"' in text
    # No browser source keeps a copy of its own.
    for path in FRONTEND.rglob("*.js"):
        if "generated" in path.parts:
            continue
        assert not re.search(r"\b400[1-9]\b", path.read_text()), path
