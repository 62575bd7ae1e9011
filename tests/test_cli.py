"""The `parley` command, run as a person runs it from a shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest


def _parley(
    args: list[str], env: dict[str, str], **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parley", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_VAR_DIR": str(tmp_path / "var"),
        "PARLEY_LOG_FORMAT": "json",
    }


def test_user_and_token_from_the_shell(env: dict[str, str]) -> None:
    assert _parley(["db", "upgrade"], env).returncode == 0
    created = _parley(
        ["user", "create", "--email", "Ops@Example.org", "--name", "Ops", "--admin"],
        env,
        input="a long password\na long password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "Created administrator ops@example.org" in created.stdout

    duplicate = _parley(
        ["user", "create", "--email", "ops@example.org", "--name", "X", "--password", "x" * 9], env
    )
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

    bad = _parley(["user", "create", "--email", "nope", "--name", "X", "--password", "short"], env)
    assert bad.returncode == 2 and "email" in bad.stderr and "password" in bad.stderr

    token = _parley(["token", "create", "--email", "ops@example.org"], env)
    assert token.returncode == 0 and token.stdout.strip().startswith("parley_")
    missing = _parley(["token", "create", "--email", "nobody@example.org"], env)
    assert missing.returncode == 1 and "no account" in missing.stderr


def test_serve_logs_json_lines_and_answers(env: dict[str, str], tmp_path: Path) -> None:
    from tests.browser.server import ParleyServer

    with ParleyServer(tmp_path, extra_env=env) as server:
        response = httpx.get(f"{server.url}/healthz", timeout=5)
        assert response.json() == {"status": "ok"}
    lines = [line for line in server.log().splitlines() if line.startswith("{")]
    events = [json.loads(line) for line in lines]
    assert any(e["event"] == "parley started" for e in events)
    assert all({"time", "level", "logger", "event"} <= set(e) for e in events)
