"""A real `parley serve` with the BigBlueButton-compatible API on."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.bbb.helpers import Api, start


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    secret = secrets.token_hex(16)
    server = start(tmp_path_factory.mktemp("bbb"), PARLEY_BBB_API_SECRET=secret)
    try:
        yield Api(server, secret)
    finally:
        server.stop()
