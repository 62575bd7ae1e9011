"""The API's meetings on each database backend (SQLite and PostgreSQL), in-process."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from fastapi import FastAPI

from parley.bbb import checksum, service
from parley.settings import Settings
from tests.bbb.helpers import new_id

pytestmark = pytest.mark.anyio
SECRET = "bbb-test-secret"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        public_url="http://testserver",
        bbb_api_secret=SECRET,  # type: ignore[arg-type]
    )


async def _call(client: httpx.AsyncClient, call: str, query: str) -> dict[str, str]:
    signed = checksum.digest("sha256", call, query, SECRET)
    response = await client.get(f"/bigbluebutton/api/{call}?{query}&checksum={signed}")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    return {child.tag: child.text or "" for child in root}


async def test_create_again_after_end_starts_a_new_meeting(client: httpx.AsyncClient) -> None:
    meeting_id = new_id()
    query = f"meetingID={meeting_id}&name=Again&moderatorPW=mp&attendeePW=ap"
    first = await _call(client, "create", query)
    assert first["returncode"] == "SUCCESS"
    assert (await _call(client, "create", query))["messageKey"] == "duplicateWarning"
    ended = await _call(client, "end", f"meetingID={meeting_id}&password=mp")
    assert ended["messageKey"] == "sentEndMeetingRequest"
    gone = await _call(client, "getMeetingInfo", f"meetingID={meeting_id}")
    assert gone["messageKey"] == "notFound"
    assert (await _call(client, "end", f"meetingID={meeting_id}"))["messageKey"] == "notFound"
    second = await _call(client, "create", query)
    assert second["returncode"] == "SUCCESS"
    assert second["messageKey"] == ""
    assert second["createTime"] >= first["createTime"]
    listed = await _call(client, "getMeetings", "")
    assert listed["returncode"] == "SUCCESS"


async def test_end_with_the_attendee_password_is_refused(client: httpx.AsyncClient) -> None:
    meeting_id = new_id()
    await _call(client, "create", f"meetingID={meeting_id}&moderatorPW=mp&attendeePW=ap")
    refused = await _call(client, "end", f"meetingID={meeting_id}&password=ap")
    assert refused["messageKey"] == "invalidPassword"
    info = await _call(client, "getMeetingInfo", f"meetingID={meeting_id}")
    assert info["returncode"] == "SUCCESS"


async def test_lock_settings_and_mute_on_start_become_the_rooms(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    meeting_id = new_id()
    query = (
        f"meetingID={meeting_id}&muteOnStart=true&lockSettingsDisablePublicChat=true"
        "&lockSettingsDisableCam=true&lockSettingsDisableMic=false"
    )
    assert (await _call(client, "create", query))["returncode"] == "SUCCESS"
    async with app.state.runtime.database() as db:
        meeting = await service.find(db=db, meeting_id=meeting_id)
        assert meeting is not None
        assert meeting.room.mute_on_join is True
        assert meeting.room.locks == {"chat": True, "camera": True}
        assert meeting.options["lockSettingsDisableMic"] == "false"
