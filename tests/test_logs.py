"""Every `extra=` given to a log call in the code can be logged: no key collides with an
attribute of the log record, which makes `logging` raise KeyError in the middle of a request."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "parley"
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
# What makeRecord refuses to overwrite: the record's own attributes, and the two it adds.
RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _dict_keys(node: ast.expr, names: dict[str, ast.expr]) -> list[str]:
    """The string keys of a dict literal, following `**name` and names bound in the function."""
    if isinstance(node, ast.Name) and node.id in names:
        return _dict_keys(names[node.id], names)
    if not isinstance(node, ast.Dict):
        return []
    keys: list[str] = []
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:
            keys.extend(_dict_keys(value, names))
        elif isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.append(key.value)
    return keys


def _extra_keys() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
                continue
            names = {
                target.id: node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for call in ast.walk(function):
                if not (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in LOG_METHODS
                ):
                    continue
                for keyword in call.keywords:
                    if keyword.arg == "extra":
                        relative = str(path.relative_to(SOURCE))
                        found.extend(
                            (relative, call.lineno, key) for key in _dict_keys(keyword.value, names)
                        )
    return found


def test_the_scan_finds_the_log_calls_it_checks() -> None:
    keys = {key for _path, _line, key in _extra_keys()}
    # A scan that found nothing would pass whatever the code does.
    assert {"event", "room_id", "provider_config", "provider_kind"} <= keys


def test_no_extra_key_collides_with_a_log_record_attribute() -> None:
    collisions = [found for found in _extra_keys() if found[2] in RESERVED]
    assert collisions == []


@pytest.mark.parametrize("key", sorted({key for _path, _line, key in _extra_keys()}))
def test_every_extra_key_can_be_logged(key: str) -> None:
    logger = logging.getLogger("parley.tests.extra")
    # makeRecord is what raises KeyError on a collision, whatever the level.
    record = logger.makeRecord(
        logger.name, logging.INFO, __file__, 1, "x", (), None, extra={key: 1}
    )
    assert getattr(record, key) == 1
