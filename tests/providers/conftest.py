"""Fixtures of the provider tests: the fake services on a real loopback server, the runtime."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount

from parley.providers.service import ProviderRuntime
from parley.settings import Settings
from tests.providers.fakes.bbb import FakeBBB
from tests.providers.fakes.jitsi import FakeJitsi
from tests.providers.fakes.server import FakeServer
from tests.providers.fakes.zoom import FakeZoom

# The fakes answer at once; a misbehaving one takes 5 s, so this is what "no answer" means.
TIMEOUT_SECONDS = 1.0


@dataclass
class Fakes:
    url: str
    bbb: FakeBBB
    jitsi: FakeJitsi
    zoom: FakeZoom

    @property
    def bbb_api(self) -> str:
        return f"{self.url}/bbb/bigbluebutton/api"

    @property
    def jitsi_url(self) -> str:
        return f"{self.url}/jitsi"

    @property
    def zoom_oauth(self) -> str:
        return f"{self.url}/zoom"

    @property
    def zoom_api(self) -> str:
        return f"{self.url}/zoom/v2"


@pytest.fixture(scope="session")
def fake_services() -> Iterator[Fakes]:
    bbb, jitsi, zoom = FakeBBB(), FakeJitsi(), FakeZoom()
    app = Starlette(
        routes=[
            Mount("/bbb", app=bbb.app()),
            Mount("/jitsi", app=jitsi.app()),
            Mount("/zoom", app=zoom.app()),
        ]
    )
    with FakeServer(app) as server:
        yield Fakes(server.url, bbb, jitsi, zoom)


@pytest.fixture
def fakes(fake_services: Fakes) -> Fakes:
    """The fake services, forgetting what earlier tests did to them."""
    for fake in (fake_services.bbb, fake_services.jitsi, fake_services.zoom):
        fake.reset()
    return fake_services


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        public_url="http://testserver",
        provider_timeout_seconds=TIMEOUT_SECONDS,
    )


@pytest.fixture
def runtime(app: FastAPI) -> ProviderRuntime:
    providers: ProviderRuntime = app.state.runtime.providers
    return providers
