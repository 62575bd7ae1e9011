"""Providers are found through entry points, a third party's like the built-in ones."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from parley.providers import flows, registry
from parley.providers.base import MeetingSpec, Provider, ProviderError
from parley.providers.bbb import BBBProvider
from parley.providers.jitsi import JitsiProvider
from parley.providers.parley_rooms import ParleyProvider
from parley.providers.zoom import ZoomProvider

PLUGIN = """
from pydantic import BaseModel, SecretStr

from parley.providers.base import Check, ProviderMeeting, Provider


class WebexConfig(BaseModel):
    site: str = "example"
    token: SecretStr


class WebexProvider(Provider[WebexConfig]):
    kind = "webex"
    label = "Webex"
    description = "A third party's provider."
    config_model = WebexConfig

    async def create_meeting(self, spec):
        raise RuntimeError("a bug in the plugin")

    async def update_meeting(self, meeting, spec):
        return meeting

    async def delete_meeting(self, meeting):
        return None

    async def join_url(self, meeting, person):
        return meeting.join_url

    async def is_running(self, meeting):
        return None

    async def end_meeting(self, meeting):
        return None

    async def test_connection(self):
        return Check("ok")
"""


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An installed package declaring providers: a good one, a broken one, a misnamed one."""
    (tmp_path / "parley_webex.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "parley_webex-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: parley-webex\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[parley.providers]\n"
        "webex = parley_webex:WebexProvider\n"
        "broken = parley_webex:DoesNotExist\n"
        "misnamed = parley_webex:WebexProvider\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.kinds.cache_clear()
    yield
    registry.kinds.cache_clear()
    sys.modules.pop("parley_webex", None)


def test_built_in_providers_are_entry_points() -> None:
    assert {
        name: cls for name, cls in registry.kinds().items() if cls.__module__.startswith("parley.")
    } == {
        "bbb": BBBProvider,
        "jitsi": JitsiProvider,
        "parley": ParleyProvider,
        "zoom": ZoomProvider,
    }


@pytest.mark.usefixtures("third_party")
def test_a_third_party_provider_is_found_and_broken_ones_are_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kinds = registry.kinds()
    assert kinds["webex"].__name__ == "WebexProvider" and issubclass(kinds["webex"], Provider)
    assert "broken" not in kinds and "misnamed" not in kinds
    assert {"bbb", "jitsi", "parley", "zoom"} <= set(kinds)
    messages = {record.getMessage() for record in caplog.records}
    assert "provider could not be loaded" in messages
    assert "provider kind differs from its entry point name" in messages


@pytest.mark.anyio
@pytest.mark.usefixtures("third_party")
async def test_a_provider_s_bug_becomes_a_clear_error_logged_with_the_object(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kind = registry.kinds()["webex"]
    provider = kind(
        config_id=9,
        name="Webex of the lab",
        config=kind.config_model.model_validate({"token": "t"}),
        context=None,  # type: ignore[arg-type]
    )
    with caplog.at_level(logging.ERROR), pytest.raises(ProviderError) as failure:
        await flows.create_meeting(
            provider=provider, spec=MeetingSpec(reference="session:77", title="Lab")
        )
    assert failure.value.message % failure.value.params == (
        "Webex of the lab failed. The details are in Parley's log."
    )
    record = next(r for r in caplog.records if r.getMessage() == "provider failed unexpectedly")
    assert (record.provider_config, record.reference, record.action) == (9, "session:77", "create")
    assert record.exc_info is not None
