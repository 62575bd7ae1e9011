"""A real Janus for tests and benchmarks, in a network namespace the test makes.

Janus never gathers ICE candidates on a loopback interface, so media tests run everything
(Janus, `parley serve`, Chromium) in a namespace of their own: `lo` up, and a veth interface
carrying 127.0.0.2/32 that Janus is told to use. Nothing leaves the namespace. Tests of the
HTTP and Admin APIs alone (no media) run Janus on the machine's own loopback.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
import pytest

from parley.media.janus import sign_token
from parley.media.janus_config import Layout, write_config
from parley.settings import Settings
from tests.browser.server import answers, free_port
from tests.services import REQUIRE_SERVICES

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
MEDIA_ADDRESS = "127.0.0.2"
MEDIA_INTERFACE = "sfu0"


def require_janus() -> None:
    problems = []
    if shutil.which("janus") is None:
        problems.append("Janus is not installed (Debian package 'janus')")
    if shutil.which("ip") is None or os.geteuid() != 0:
        problems.append("network namespaces need 'ip' (iproute2) and root")
    if problems:
        message = "; ".join(problems)
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class Namespace:
    """A network namespace of the test's own, with loopback and a 127.0.0.2 interface."""

    def __init__(self) -> None:
        self.name = f"parley-{os.getpid()}-{secrets.token_hex(3)}"
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Namespace:
        _ip("netns", "add", self.name)
        try:
            _ip("-n", self.name, "link", "set", "lo", "up")
            _ip(
                "-n",
                self.name,
                "link",
                "add",
                MEDIA_INTERFACE,
                "type",
                "veth",
                "peer",
                "name",
                "sfu1",
            )
            _ip("-n", self.name, "addr", "add", f"{MEDIA_ADDRESS}/32", "dev", MEDIA_INTERFACE)
            _ip("-n", self.name, "link", "set", MEDIA_INTERFACE, "up")
            _ip("-n", self.name, "link", "set", "sfu1", "up")
        except Exception:
            _ip("netns", "delete", self.name)
            raise
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        # Whatever still runs inside is ended with it.
        pids = subprocess.run(
            ["ip", "netns", "pids", self.name], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "delete", self.name], check=False, capture_output=True)

    def prefix(self) -> list[str]:
        """Put before a command to run it inside."""
        return ["ip", "netns", "exec", self.name]

    def _enter_thread(self) -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns failed")
        finally:
            os.close(fd)

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function` in a thread inside the namespace (its sockets are made there)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, initializer=self._enter_thread)
        return self._pool.submit(function, *args).result()

    def answers(self, url: str) -> bool:
        """Whether `url`, inside, answers 200 (a server's readiness)."""
        return self.call(answers, url)

    def chromium_wrapper(self, folder: Path, chromium: str) -> str:
        """An executable that starts Chromium inside (Playwright launches it as usual)."""
        path = folder / "chromium-in-namespace"
        path.write_text(f'#!/bin/sh\nexec ip netns exec {self.name} {chromium} "$@"\n')
        path.chmod(0o755)
        return str(path)


def janus_settings(**extra: Any) -> dict[str, str]:
    """Fresh secrets for one test's Janus and Parley (as PARLEY_* variables)."""
    return {
        "PARLEY_JANUS_TOKEN_SECRET": secrets.token_hex(16),
        "PARLEY_JANUS_ADMIN_SECRET": secrets.token_hex(16),
        "PARLEY_JANUS_ADMIN_KEY": secrets.token_hex(16),
        **extra,
    }


class JanusProcess:
    """One Janus node, configured by `parley janus-config`'s code, started and stopped here."""

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str],
        *,
        name: str = "a",
        namespace: Namespace | None = None,
    ) -> None:
        self.name = name
        self.namespace = namespace
        self.folder = workdir / f"janus-{name}"
        self.api_port, self.admin_port, self.ws_port = free_port(), free_port(), free_port()
        self.settings = Settings(
            janus_token_secret=env["PARLEY_JANUS_TOKEN_SECRET"],
            janus_admin_secret=env["PARLEY_JANUS_ADMIN_SECRET"],
            janus_admin_key=env["PARLEY_JANUS_ADMIN_KEY"],
        )
        layout = Layout(
            api_port=self.api_port,
            admin_port=self.admin_port,
            ws_port=self.ws_port,
            ws_ip="127.0.0.1",
            # In a namespace, media use 127.0.0.2 only; outside, tests use no media.
            ice_enforce=MEDIA_INTERFACE if namespace else "lo",
            rtp_ports="30000-39999" if name == "a" else "40000-49999",
            name=f"parley-test-{name}",
        )
        write_config(self.folder, self.settings, layout)
        self.log_path = workdir / f"janus-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/janus"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/admin"

    @property
    def public_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/"

    def node(self) -> dict[str, str]:
        return {
            "name": self.name,
            "api_url": self.api_url,
            "admin_url": self.admin_url,
            "public_url": self.public_url,
        }

    def start(self) -> JanusProcess:
        command = ["janus", "-F", str(self.folder), "-o", "-d", "4"]
        if self.namespace is not None:
            command = [*self.namespace.prefix(), *command, "-i", MEDIA_ADDRESS]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited:\n{self.log()}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"janus did not answer:\n{self.log()}")

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        def post() -> dict[str, Any]:
            answer: dict[str, Any] = httpx.post(
                url, json={"transaction": secrets.token_hex(4), **body}, timeout=3
            ).json()
            return answer

        return self.namespace.call(post) if self.namespace else post()

    def admin(self, body: dict[str, Any], path: str = "") -> dict[str, Any]:
        secret = self.settings.janus_admin_secret.get_secret_value()
        return self._post(self.admin_url + path, {**body, "admin_secret": secret})

    def api(self, body: dict[str, Any], path: str = "") -> dict[str, Any]:
        return self._post(self.api_url + path, body)

    def ping(self) -> bool:
        try:
            return self.admin({"janus": "ping"}).get("janus") == "pong"
        except httpx.HTTPError:
            return False

    def token(self, ttl_seconds: int = 60) -> str:
        secret = self.settings.janus_token_secret.get_secret_value()
        return sign_token(secret, ttl_seconds=ttl_seconds)

    def attach(self, token: str) -> tuple[int, int]:
        """A session and a VideoRoom handle opened with `token`, as a browser opens them."""
        session = self.api({"janus": "create", "token": token})["data"]["id"]
        attached = self.api(
            {"janus": "attach", "plugin": "janus.plugin.videoroom", "token": token}, f"/{session}"
        )
        return session, attached["data"]["id"]

    def videoroom(self, body: dict[str, Any]) -> dict[str, Any]:
        """One synchronous VideoRoom request (list, listparticipants…) on a session of its own."""
        token = self.token()
        session, handle = self.attach(token)
        answer = self.api(
            {"janus": "message", "token": token, "body": body}, f"/{session}/{handle}"
        )
        self.api({"janus": "destroy", "token": token}, f"/{session}")
        data: dict[str, Any] = answer["plugindata"]["data"]
        return data

    def rooms(self) -> list[int]:
        """The VideoRoom rooms on this node, as an administrator lists them."""
        key = self.settings.janus_admin_key.get_secret_value()
        return [
            int(r["room"]) for r in self.videoroom({"request": "list", "admin_key": key})["list"]
        ]

    def participants(self, room: int) -> list[dict[str, Any]]:
        found = self.videoroom({"request": "listparticipants", "room": room})
        return list(found.get("participants") or [])

    def try_join(self, room: int, token: str, join_token: str) -> str | int:
        """Join `room` as a publisher with a page's tokens: "joined", or Janus's error code."""
        created = self.api({"janus": "create", "token": token})
        if created["janus"] == "error":
            code: int = created["error"]["code"]
            return code
        session, handle = self.attach(token)
        body = {"request": "join", "ptype": "publisher", "room": room, "token": join_token}
        self.api({"janus": "message", "token": token, "body": body}, f"/{session}/{handle}")

        def poll() -> dict[str, Any]:
            event: dict[str, Any] = httpx.get(
                f"{self.api_url}/{session}", params={"maxev": 1, "token": token}, timeout=10
            ).json()
            return event

        data = (self.namespace.call(poll) if self.namespace else poll())["plugindata"]["data"]
        self.api({"janus": "destroy", "token": token}, f"/{session}")
        return str(data["videoroom"]) if "error_code" not in data else int(data["error_code"])

    def stop(self, *, kill: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop(kill=True)
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


@contextlib.contextmanager
def janus_nodes(
    workdir: Path, count: int = 1, namespace: Namespace | None = None
) -> Iterator[tuple[dict[str, str], list[JanusProcess]]]:
    """`count` Janus nodes and the PARLEY_* settings that name them."""
    import json

    require_janus()
    env = janus_settings()
    nodes = [
        JanusProcess(workdir, env, name=name, namespace=namespace) for name in "abcdefgh"[:count]
    ]
    try:
        for node in nodes:
            node.start()
        env["PARLEY_JANUS_NODES"] = json.dumps([node.node() for node in nodes])
        yield env, nodes
    finally:
        for node in nodes:
            node.stop()
