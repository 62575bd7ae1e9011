"""A real `parley serve` process on a free loopback port, for browser and process tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def answers(url: str) -> bool:
    """Whether `url` answers 200 (a server's readiness)."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


class ParleyServer:
    """Start Parley in its own process; stop it and keep its log on exit."""

    def __init__(
        self,
        workdir: Path,
        *,
        extra_env: dict[str, str] | None = None,
        prefix: list[str] | None = None,
        probe: Callable[[str], bool] | None = None,
    ) -> None:
        """`prefix` runs the process inside something (a network namespace), where `probe`
        tells whether a URL answers."""
        self.workdir = workdir
        self.prefix = prefix or []
        self.probe = probe or answers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"parley-{self.port}.log"
        self.env = {
            **os.environ,
            "PARLEY_VAR_DIR": str(workdir / "var"),
            "PARLEY_HOST": "127.0.0.1",
            "PARLEY_PORT": str(self.port),
            "PARLEY_PUBLIC_URL": self.url,
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: BinaryIO | None = None

    def start(self) -> ParleyServer:
        self._log_file = log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*self.prefix, sys.executable, "-m", "parley", "serve"],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"parley serve exited:\n{self.log()}")
            if self.probe(f"{self.url}/healthz"):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"parley serve did not answer in 30 s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> ParleyServer:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def serving(backend: str, workdir: Path) -> Iterator[ParleyServer]:
    """A running `parley serve` on SQLite (`backend` "sqlite") or on a PostgreSQL database of
    its own, dropped afterwards."""
    from tests import services

    env: dict[str, str] = {}
    database = None
    if backend == "postgresql":
        services.require_postgres()
        database = services.create_postgres_database()
        env["PARLEY_DATABASE_URL"] = database
    try:
        with ParleyServer(workdir, extra_env=env) as running:
            yield running
    finally:
        if database is not None:
            services.drop_postgres_database(database)


@contextmanager
def two_processes(
    workdir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[ParleyServer, ParleyServer]]:
    """Two `parley serve` processes of one deployment: one PostgreSQL database, Redis."""
    from tests import services

    services.require_postgres()
    services.require_redis()
    database = services.create_postgres_database()
    env = {**services.scale_out_env(database), **(extra_env or {})}
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    try:
        with (
            ParleyServer(workdir / "a", extra_env=env) as first,
            ParleyServer(workdir / "b", extra_env=env) as second,
        ):
            yield first, second
    finally:
        services.drop_postgres_database(database)
